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

// RegisterNames declares the kinds of record the package provides, for
// loading and linting definitions where nothing runs (the CLI's lint).
func RegisterNames(reg *flow.Registry) {
	reg.RegisterSubjectKind(named(SubjectPlan, flow.Text{ZH: "节点计划", EN: "Node plan"}))
	reg.RegisterSubjectKind(named(SubjectProject, flow.Text{ZH: "项目", EN: "Project"}))
	reg.RegisterSubjectKind(named(SubjectPrecheck, flow.Text{ZH: "预检单", EN: "Pre-check form"})) // experiments
	initiationNames(reg)                                                                        // initiation, kick-off reports, original records (initiation.go)
	registerSupplementNames(reg)                                                                // 发补 and escalations (PRJ-10, PRJ-11)
	registerStageNames(reg)                                                                     // closure applications and dossier sections (stage.go)
}

// Register declares, with their behaviour, the kinds of record definitions
// may govern or point at: a node plan revision, whose canonical content
// every signature on its signing covers and whose state follows the
// signing (signed when the committee's last signature lands), and a
// project, for reference fields (only the projects the writer may see).
func (s *Service) Register(reg *flow.Registry) {
	reg.RegisterSubjectKind(s.precheckSubject()) // pre-checks and analytical-plan changes (experiment_precheck.go)
	s.registerInitiation(reg)                    // initiation, kick-off reports, original records (initiation.go)
	s.registerSupplements(reg)                   // 发补 and escalations (PRJ-10, PRJ-11)
	s.registerStages(reg)                        // closure applications and dossier sections (stage.go)
	reg.RegisterSubjectKind(flow.SubjectKind{
		Name:     SubjectPlan,
		Title:    flow.Text{ZH: "节点计划", EN: "Node plan"},
		Content:  s.planContent,
		Describe: s.describePlan,
		Visible: func(ctx context.Context, actor domain.Actor, id int64) (bool, error) {
			r, err := store.GetPlanRevision(ctx, s.db.R(), id)
			if err != nil {
				return false, nil
			}
			return s.visible(ctx, actor, r.ProjectID)
		},
		VisibleWhere: s.visibleWhere("project_plan"),
		On:           follow,
	})
	reg.RegisterSubjectKind(flow.SubjectKind{
		Name:  SubjectProject,
		Title: flow.Text{ZH: "项目", EN: "Project"},
		Describe: func(ctx context.Context, id int64) (string, string, error) {
			p, err := store.GetProject(ctx, s.db.R(), id)
			return p.Code + " " + p.Name, "/projects/" + url.PathEscape(p.Code), err
		},
		Visible:      s.visible,
		VisibleWhere: s.visibleWhere("project"),
		Choices: func(ctx context.Context, actor domain.Actor, q string, limit int) ([]flow.Choice, error) {
			f := s.scope(actor)
			f.Q, f.Limit = q, limit
			ps, _, err := store.FindProjects(ctx, s.db.R(), f)
			out := make([]flow.Choice, 0, len(ps))
			for _, p := range ps {
				out = append(out, flow.Choice{ID: p.ID, Label: p.Code + " " + p.Name})
			}
			return out, err
		},
	})
}

// planContent is what a signature on a plan's signing covers: the project,
// the revision and the plan as filed.
func (s *Service) planContent(ctx context.Context, id int64) ([]byte, error) {
	r, err := store.GetPlanRevision(ctx, s.db.R(), id)
	if err != nil {
		return nil, err
	}
	p, err := store.GetProject(ctx, s.db.R(), r.ProjectID)
	if err != nil {
		return nil, err
	}
	return json.Marshal(map[string]any{"project": p.Code, "revision": r.Revision, "plan": json.RawMessage(r.Content)})
}

func (s *Service) describePlan(ctx context.Context, id int64) (string, string, error) {
	r, err := store.GetPlanRevision(ctx, s.db.R(), id)
	if err != nil {
		return "", "", err
	}
	p, err := store.GetProject(ctx, s.db.R(), r.ProjectID)
	if err != nil {
		return "", "", err
	}
	rev := strconv.Itoa(r.Revision)
	return p.Code + " 节点计划 第" + rev + "版", "/projects/" + url.PathEscape(p.Code) + "/plans/" + rev, nil
}
