package projects

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// registerSupplementNames declares the kinds of record of supplementary
// requests and escalations, for loading and linting definitions.
func registerSupplementNames(reg *flow.Registry) {
	reg.RegisterSubjectKind(named(SubjectSupplement, flow.Text{ZH: "发补通知", EN: "Supplement notice"}))
	reg.RegisterSubjectKind(named(SubjectEscalation, flow.Text{ZH: "项目难题", EN: "Escalation"}))
}

// registerSupplements declares, with their behaviour, a 发补 notice (whose
// questions, answers and links every signature on its response covers,
// and whose state follows the response) and an escalation (followed by
// its topic meeting and its committee decision). Both are visible to who
// sees their project (PRJ-12).
func (s *Service) registerSupplements(reg *flow.Registry) {
	reg.RegisterSubjectKind(flow.SubjectKind{
		Name:     SubjectSupplement,
		Title:    flow.Text{ZH: "发补通知", EN: "Supplement notice"},
		Content:  s.supplementContent,
		Describe: s.describeSupplement,
		Visible: func(ctx context.Context, actor domain.Actor, id int64) (bool, error) {
			sup, err := store.GetSupplement(ctx, s.db.R(), id)
			if err != nil {
				return false, nil
			}
			return s.visible(ctx, actor, sup.ProjectID)
		},
		VisibleWhere: s.visibleWhere("supplement"),
		On:           s.followSupplement,
	})
	reg.RegisterSubjectKind(flow.SubjectKind{
		Name:     SubjectEscalation,
		Title:    flow.Text{ZH: "项目难题", EN: "Escalation"},
		Content:  s.escalationContent,
		Describe: s.describeEscalation,
		Visible: func(ctx context.Context, actor domain.Actor, id int64) (bool, error) {
			e, err := store.GetEscalation(ctx, s.db.R(), id)
			if err != nil {
				return false, nil
			}
			return s.visible(ctx, actor, e.ProjectID)
		},
		VisibleWhere: s.visibleWhere("project_escalation"),
		On:           s.followEscalation,
	})
}

// supplementContent is what a signature on a response covers: the notice,
// its questions with their answers, and what each answer rests on.
func (s *Service) supplementContent(ctx context.Context, id int64) ([]byte, error) {
	sup, err := store.GetSupplement(ctx, s.db.R(), id)
	if err != nil {
		return nil, err
	}
	p, err := store.GetProject(ctx, s.db.R(), sup.ProjectID)
	if err != nil {
		return nil, err
	}
	qs, err := store.SupplementQuestions(ctx, s.db.R(), id)
	if err != nil {
		return nil, err
	}
	ls, err := store.SupplementLinks(ctx, s.db.R(), id)
	if err != nil {
		return nil, err
	}
	type q struct {
		Seq      int      `json:"seq"`
		Question string   `json:"question"`
		Owner    int64    `json:"owner"`
		Answer   string   `json:"answer"`
		Links    []string `json:"links"`
	}
	out := make([]q, 0, len(qs))
	for _, x := range qs {
		e := q{Seq: x.Seq, Question: x.Question, Owner: x.OwnerID, Answer: x.Answer, Links: []string{}}
		for _, l := range ls {
			if l.QuestionID == x.ID {
				e.Links = append(e.Links, l.Kind+":"+l.Ref)
			}
		}
		out = append(out, e)
	}
	return json.Marshal(map[string]any{"project": p.Code, "notice": sup.Number, "title": sup.Title, "notice_date": sup.NoticeDate,
		"due_on": sup.DueOn, "file": sup.FileHash, "questions": out})
}

func (s *Service) describeSupplement(ctx context.Context, id int64) (string, string, error) {
	sup, err := store.GetSupplement(ctx, s.db.R(), id)
	if err != nil {
		return "", "", err
	}
	p, err := store.GetProject(ctx, s.db.R(), sup.ProjectID)
	if err != nil {
		return "", "", err
	}
	return p.Code + " 发补 " + sup.Title, "/projects/" + url.PathEscape(p.Code) + "/supplements/" + strconv.FormatInt(id, 10), nil
}
