package projects

import (
	"context"
	"strconv"
	"strings"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// Supplementary requests (发补, SPEC PRJ-10, DIR-10, COMPLIANCE §4.3 item
// 7): after submission the authority sends a written notice with
// questions. The registration specialist or the project's director
// records it — its date, kind, number and file, its questions each with
// an owner and a due day — and the response's process (supplement-response)
// starts with it, in one transaction. The clock runs from the notice's
// date for the days its kind gives (80 by default, data in
// supplement_kind); the process warns the owners and the director before
// the due day. Owners answer their questions and link what the answers
// rest on (new experiments, bookings, documents); the response is one
// submission, refused while any question is not answered, which closes
// and freezes every question; the director reviews it and the Business
// Dean approves it.

// The supplement records the package registers with the engine.
const (
	// SubjectSupplement is a 发补 notice: the record its response's
	// process is bound to.
	SubjectSupplement = "projects.supplement"
	// DefinitionSupplement is the key of the response's process.
	DefinitionSupplement = "supplement-response"
	// StepRespond is the response's step whose completion is the
	// submission.
	StepRespond = "respond"
)

// The states of a notice and of its questions.
const (
	SupplementOpen      = "open"
	SupplementSubmitted = "submitted"
	SupplementApproved  = "approved"
	SupplementRejected  = "rejected"

	QuestionOpen     = "open"
	QuestionAnswered = "answered"
	QuestionClosed   = "closed"
)

// DefaultSupplementKind is the kind a notice has when none is named.
const DefaultSupplementKind = "registration"

const maxQuestions = 100

// SupplementInput is a notice as it is recorded.
type SupplementInput struct {
	// Kind is a kind of notice (supplement_kind.code); it gives the days.
	Kind       string `json:"kind,omitempty"`
	Number     string `json:"number,omitempty"`
	Title      string `json:"title"`
	NoticeDate string `json:"notice_date"` // YYYY-MM-DD
	// File is the notice's scanned file: the SHA-256 of an upload.
	File      string          `json:"file,omitempty"`
	Questions []QuestionInput `json:"questions"`
}

// QuestionInput is one question of a notice.
type QuestionInput struct {
	Question string `json:"question"`
	OwnerID  int64  `json:"owner_id"`
	DueOn    string `json:"due_on"` // YYYY-MM-DD, on or before the response's due day
}

// SupplementView is a notice with its questions and links, as pages and
// the API show it.
type SupplementView struct {
	Supplement store.Supplement `json:"supplement"`
	// DaysLeft is how many calendar days are left to the due day (negative
	// when it has passed); while the notice is open.
	DaysLeft  int            `json:"days_left"`
	Questions []QuestionView `json:"questions"`
	// Unanswered lists the numbers of the questions not yet answered.
	Unanswered []int `json:"unanswered"`
	// Processes are the processes bound to the notice the viewer may see.
	Processes []*flow.Instance `json:"processes"`
	// MaySubmit reports whether the viewer may submit the response now.
	MaySubmit bool `json:"may_submit"`
}

// QuestionView is a question with its owner's name and what its answer
// rests on.
type QuestionView struct {
	store.SupplementQuestion
	OwnerName string     `json:"owner_name"`
	Links     []LinkView `json:"links"`
	// MayAnswer reports whether the viewer may answer it and link to it.
	MayAnswer bool `json:"may_answer"`
}

// LinkView is what an answer rests on, and whether the viewer may open it
// (a process or a file they may see).
type LinkView struct {
	store.SupplementLink
	Open bool `json:"open"`
}

// SupplementKinds lists the kinds of notice and the days each gives.
func (s *Service) SupplementKinds(ctx context.Context) ([]store.SupplementKind, error) {
	ks, err := store.SupplementKinds(ctx, s.db.R())
	return ks, domain.Wrap("projects.SupplementKinds", err)
}

// mayRecordSupplement reports whether actor may record a notice on p: a
// registration specialist, or whoever directs the project.
func mayRecordSupplement(actor domain.Actor, p store.Project) bool {
	return actor.Has(domain.RoleRegistration) || directs(actor, p)
}

// addDays is day plus n calendar days.
func addDays(day string, n int) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return ""
	}
	return t.AddDate(0, 0, n).Format(time.DateOnly)
}

// RecordSupplement records a notice on project code with its questions and
// starts its response (PRJ-10), in one transaction. Who may: a
// registration specialist or the project's director (KindForbidden; who
// may not see the project: KindNotFound). Bad input is KindInvalid naming
// each field: a notice date in the future, an unknown kind, no questions,
// an owner who may not see the project, a question due after the response.
func (s *Service) RecordSupplement(ctx context.Context, actor domain.Actor, code string, in SupplementInput) (store.Supplement, *flow.Instance, error) {
	const op = "projects.RecordSupplement"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return store.Supplement{}, nil, err
	}
	if !mayRecordSupplement(actor, p) {
		return store.Supplement{}, nil, domain.Forbidden(op)
	}
	kinds, err := store.SupplementKinds(ctx, s.db.R())
	if err != nil {
		return store.Supplement{}, nil, domain.Wrap(op, err)
	}
	in.Kind, in.Number, in.Title = strings.TrimSpace(in.Kind), strings.TrimSpace(in.Number), strings.TrimSpace(in.Title)
	in.NoticeDate, in.File = strings.TrimSpace(in.NoticeDate), strings.TrimSpace(in.File)
	if in.Kind == "" {
		in.Kind = DefaultSupplementKind
	}
	var c domain.Checker
	days := 0
	for _, k := range kinds {
		if k.Code == in.Kind {
			days = k.Days
		}
	}
	if days == 0 {
		c.Add("kind", "projects.supplement.bad_kind")
	}
	c.Name("title", in.Title, true, 300)
	c.Text("number", in.Number, false, 100)
	c.Date("notice_date", in.NoticeDate, true)
	if !c.Has("notice_date") && in.NoticeDate > s.today() {
		c.Add("notice_date", "projects.supplement.notice_in_future")
	}
	due := addDays(in.NoticeDate, days)
	fileName := ""
	if in.File != "" {
		if a, err := s.db.FindAttachmentByHash(ctx, in.File); err != nil {
			c.Add("file", "projects.supplement.bad_file")
		} else if ok, _ := s.db.UploadedBy(ctx, in.File, actor.ID); !ok {
			c.Add("file", "projects.supplement.bad_file")
		} else {
			fileName = a.Name
		}
	}
	switch {
	case len(in.Questions) == 0:
		c.Add("questions", "projects.supplement.questions_required")
	case len(in.Questions) > maxQuestions:
		c.Add("questions", "projects.plan.too_many", "max", maxQuestions)
	}
	rows := make([]any, 0, len(in.Questions))
	for i := range in.Questions {
		q := &in.Questions[i]
		f := "questions." + strconv.Itoa(i+1) + "."
		q.Question, q.DueOn = strings.TrimSpace(q.Question), strings.TrimSpace(q.DueOn)
		c.Text(f+"question", q.Question, true, 2000)
		if q.OwnerID == 0 {
			c.Add(f+"owner_id", "field.required")
		} else if ok, err := s.personSees(ctx, q.OwnerID, p.ID); err != nil {
			return store.Supplement{}, nil, domain.Wrap(op, err)
		} else if !ok {
			c.Add(f+"owner_id", "projects.supplement.owner_not_on_project")
		}
		c.Date(f+"due_on", q.DueOn, true)
		if !c.Has(f+"due_on") && !c.Has("notice_date") && due != "" && (q.DueOn > due || q.DueOn < in.NoticeDate) {
			c.Add(f+"due_on", "projects.supplement.question_due", "from", in.NoticeDate, "to", due)
		}
		rows = append(rows, map[string]any{"question": q.Question, "owner": q.OwnerID, "due": q.DueOn})
	}
	if err := c.Err(op); err != nil {
		return store.Supplement{}, nil, err
	}
	var sup store.Supplement
	create := func(ctx context.Context, t any) (int64, error) {
		tx := t.(*store.Tx)
		var err error
		sup, err = tx.InsertSupplement(store.Supplement{ProjectID: p.ID, Kind: in.Kind, Number: in.Number, Title: in.Title, NoticeDate: in.NoticeDate,
			Days: days, DueOn: due, FileHash: in.File, FileName: fileName, State: SupplementOpen, RecordedBy: actor.ID, RecordedName: actorName(actor)})
		if err != nil {
			return 0, err
		}
		changes := []audit.Change{{Field: "kind", New: in.Kind}, {Field: "number", New: in.Number}, {Field: "title", New: in.Title},
			{Field: "notice_date", New: in.NoticeDate}, {Field: "days", New: strconv.Itoa(days)}, {Field: "due_on", New: due},
			{Field: "file", New: in.File}}
		for i, q := range in.Questions {
			if _, err := tx.InsertSupplementQuestion(store.SupplementQuestion{SupplementID: sup.ID, ProjectID: p.ID, Seq: i + 1, Question: q.Question,
				OwnerID: q.OwnerID, DueOn: q.DueOn, State: QuestionOpen}); err != nil {
				return 0, err
			}
			changes = append(changes, audit.Change{Field: "question." + strconv.Itoa(i+1), New: q.Question + " / " + strconv.FormatInt(q.OwnerID, 10) + " / " + q.DueOn})
		}
		return sup.ID, tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.supplement_record", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Changes: changes})
	}
	notice := in.Title
	if in.Number != "" {
		notice = in.Number + " " + in.Title
	}
	form := map[string]any{"notice": p.Code + " " + notice, "notice_date": in.NoticeDate, "due_on": due, "director": p.DirectorID, "questions": rows}
	if in.File != "" {
		form["notice_file"] = []any{in.File}
	}
	inst, err := s.flow.StartWith(ctx, actor, DefinitionSupplement, flow.StartInput{Form: form, Subject: &flow.SubjectRef{Kind: SubjectSupplement, Create: create}})
	if err != nil {
		return store.Supplement{}, nil, err
	}
	sup.InstanceID = inst.ID
	return sup, inst, nil
}

// personSees reports whether the person with id may see project pid.
func (s *Service) personSees(ctx context.Context, id, pid int64) (bool, error) {
	per, err := s.ppl.Person(ctx, id)
	if err != nil {
		return false, nil
	}
	if !per.Active {
		return false, nil
	}
	return s.visible(ctx, domain.Actor{ID: per.ID, Username: per.Username, Name: per.Name, Grants: per.Grants}, pid)
}

// loadSupplement reads notice id of project code that actor may see.
func (s *Service) loadSupplement(ctx context.Context, op string, actor domain.Actor, code string, id int64) (store.Project, store.Supplement, error) {
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return p, store.Supplement{}, err
	}
	sup, err := store.GetSupplement(ctx, s.db.R(), id)
	if err != nil || sup.ProjectID != p.ID {
		return p, sup, domain.NotFound(op, "entity.supplement")
	}
	return p, sup, nil
}

// Supplements lists the notices of project code, newest first, each with
// its questions.
func (s *Service) Supplements(ctx context.Context, actor domain.Actor, code string) ([]SupplementView, error) {
	const op = "projects.Supplements"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return nil, err
	}
	sups, err := store.Supplements(ctx, s.db.R(), p.ID)
	if err != nil {
		return nil, domain.Wrap(op, err)
	}
	out := make([]SupplementView, 0, len(sups))
	for _, sup := range sups {
		v, err := s.supplementView(ctx, actor, p, sup, false)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Supplement returns notice id of project code with its questions, links
// and processes.
func (s *Service) Supplement(ctx context.Context, actor domain.Actor, code string, id int64) (SupplementView, error) {
	const op = "projects.Supplement"
	p, sup, err := s.loadSupplement(ctx, op, actor, code, id)
	if err != nil {
		return SupplementView{}, err
	}
	return s.supplementView(ctx, actor, p, sup, true)
}

func (s *Service) supplementView(ctx context.Context, actor domain.Actor, p store.Project, sup store.Supplement, full bool) (SupplementView, error) {
	const op = "projects.Supplement"
	v := SupplementView{Supplement: sup, Questions: []QuestionView{}, Unanswered: []int{}, Processes: []*flow.Instance{}}
	if due, err := time.Parse(time.DateOnly, sup.DueOn); err == nil {
		today, _ := time.Parse(time.DateOnly, s.today())
		v.DaysLeft = int(due.Sub(today).Hours() / 24)
	}
	qs, err := store.SupplementQuestions(ctx, s.db.R(), sup.ID)
	if err != nil {
		return v, domain.Wrap(op, err)
	}
	var links []store.SupplementLink
	if full {
		if links, err = store.SupplementLinks(ctx, s.db.R(), sup.ID); err != nil {
			return v, domain.Wrap(op, err)
		}
	}
	for _, q := range qs {
		qv := QuestionView{SupplementQuestion: q, Links: []LinkView{}, MayAnswer: sup.State == SupplementOpen && q.State != QuestionClosed && mayAnswer(actor, p, sup, q)}
		if per, err := s.ppl.Person(ctx, q.OwnerID); err == nil {
			qv.OwnerName = per.Name
		}
		for _, l := range links {
			if l.QuestionID == q.ID {
				qv.Links = append(qv.Links, LinkView{SupplementLink: l, Open: s.mayOpen(ctx, actor, l)})
			}
		}
		if q.State == QuestionOpen {
			v.Unanswered = append(v.Unanswered, q.Seq)
		}
		v.Questions = append(v.Questions, qv)
	}
	if full && s.flow != nil {
		ps, err := s.flow.Bound(ctx, actor, SubjectSupplement, sup.ID)
		if err != nil {
			return v, err
		}
		if ps != nil {
			v.Processes = ps
		}
	}
	v.MaySubmit = sup.State == SupplementOpen && actor.ID == sup.RecordedBy
	return v, nil
}

// mayOpen reports whether actor may open what link l points at.
func (s *Service) mayOpen(ctx context.Context, actor domain.Actor, l store.SupplementLink) bool {
	if s.flow == nil {
		return false
	}
	if l.Kind == "instance" {
		id, err := strconv.ParseInt(l.Ref, 10, 64)
		if err != nil {
			return false
		}
		_, err = s.flow.Instance(ctx, actor, id)
		return err == nil
	}
	if ok, _ := s.db.UploadedBy(ctx, l.Ref, actor.ID); ok {
		return true
	}
	ok, _ := s.flow.MaySeeFile(ctx, actor, l.Ref)
	return ok
}

// mayAnswer reports whether actor may answer question q of notice sup on
// project p: its owner, whoever recorded the notice, or the project's
// director.
func mayAnswer(actor domain.Actor, p store.Project, sup store.Supplement, q store.SupplementQuestion) bool {
	return actor.ID == q.OwnerID || actor.ID == sup.RecordedBy || directs(actor, p)
}

// SupplementsPanel is what a project's page shows of its supplementary
// requests and escalations, and what the viewer may start there.
type SupplementsPanel struct {
	Supplements []SupplementView       `json:"supplements"`
	Escalations []store.Escalation     `json:"escalations"`
	Kinds       []store.SupplementKind `json:"kinds"`
	// MayRecord reports whether the viewer may record a notice.
	MayRecord bool `json:"may_record"`
	// MayMeet reports whether the viewer may file a topic meeting.
	MayMeet bool `json:"may_meet"`
}

// Panel returns the supplementary requests and escalations of project
// code, for its page.
func (s *Service) Panel(ctx context.Context, actor domain.Actor, code string) (SupplementsPanel, error) {
	const op = "projects.Panel"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return SupplementsPanel{}, err
	}
	out := SupplementsPanel{MayRecord: mayRecordSupplement(actor, p)}
	if out.Supplements, err = s.Supplements(ctx, actor, code); err != nil {
		return out, err
	}
	if out.Escalations, err = s.Escalations(ctx, actor, code); err != nil {
		return out, err
	}
	if out.Kinds, err = s.SupplementKinds(ctx); err != nil {
		return out, err
	}
	if out.MayMeet, err = s.mayMeet(ctx, actor, p); err != nil {
		return out, domain.Wrap(op, err)
	}
	return out, nil
}
