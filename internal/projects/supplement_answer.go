package projects

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// AnswerInput answers a question of a notice.
type AnswerInput struct {
	Answer string `json:"answer"`
}

// LinkInput links what a question's answer rests on: a process (kind
// "instance", ref its id) or a file (kind "file", ref its SHA-256).
type LinkInput struct {
	Kind string `json:"kind"`
	Ref  string `json:"ref"`
}

// SubmitInput is the response, submitted once.
type SubmitInput struct {
	Response string `json:"response"`
}

// question reads question qid of notice sup and checks that actor may
// answer it while the notice is open.
func (s *Service) question(ctx context.Context, op string, actor domain.Actor, p store.Project, sup store.Supplement, qid int64) (store.SupplementQuestion, error) {
	qs, err := store.SupplementQuestions(ctx, s.db.R(), sup.ID)
	if err != nil {
		return store.SupplementQuestion{}, domain.Wrap(op, err)
	}
	for _, q := range qs {
		if q.ID != qid {
			continue
		}
		if !mayAnswer(actor, p, sup, q) {
			return q, domain.Forbidden(op)
		}
		if sup.State != SupplementOpen || q.State == QuestionClosed {
			return q, domain.Conflict(op, "projects.supplement.question_closed")
		}
		return q, nil
	}
	return store.SupplementQuestion{}, domain.NotFound(op, "entity.supplement_question")
}

// AnswerQuestion records the answer to question qid of notice id: open →
// answered (an answered one may be answered again until the response is
// submitted). Who may: its owner, whoever recorded the notice, the
// project's director (KindForbidden). A closed question is KindConflict.
func (s *Service) AnswerQuestion(ctx context.Context, actor domain.Actor, code string, id, qid int64, in AnswerInput) (store.SupplementQuestion, error) {
	const op = "projects.AnswerQuestion"
	p, sup, err := s.loadSupplement(ctx, op, actor, code, id)
	if err != nil {
		return store.SupplementQuestion{}, err
	}
	q, err := s.question(ctx, op, actor, p, sup, qid)
	if err != nil {
		return q, err
	}
	in.Answer = strings.TrimSpace(in.Answer)
	var c domain.Checker
	c.Text("answer", in.Answer, true, 10000)
	if err := c.Err(op); err != nil {
		return q, err
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.AnswerSupplementQuestion(q.ID, in.Answer, actor.ID); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.supplement_answer", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Changes: []audit.Change{{Field: "supplement_id", New: strconv.FormatInt(sup.ID, 10)},
				{Field: "question", New: strconv.Itoa(q.Seq)}, {Field: "state", Old: q.State, New: QuestionAnswered}, {Field: "answer", Old: q.Answer, New: in.Answer}}})
	})
	if err != nil {
		return q, domain.Wrap(op, err)
	}
	q.State, q.Answer, q.AnsweredBy = QuestionAnswered, in.Answer, actor.ID
	return q, nil
}

// LinkQuestion links to question qid of notice id what its answer rests
// on: a process actor may see (a new experiment, a booking) or a file
// actor uploaded or may see. Who may: as AnswerQuestion.
func (s *Service) LinkQuestion(ctx context.Context, actor domain.Actor, code string, id, qid int64, in LinkInput) (store.SupplementLink, error) {
	const op = "projects.LinkQuestion"
	p, sup, err := s.loadSupplement(ctx, op, actor, code, id)
	if err != nil {
		return store.SupplementLink{}, err
	}
	q, err := s.question(ctx, op, actor, p, sup, qid)
	if err != nil {
		return store.SupplementLink{}, err
	}
	in.Kind, in.Ref = strings.TrimSpace(in.Kind), strings.TrimSpace(in.Ref)
	label := ""
	switch in.Kind {
	case "instance":
		n, err := strconv.ParseInt(in.Ref, 10, 64)
		if err != nil || n <= 0 {
			return store.SupplementLink{}, invalid(op, "ref", "projects.supplement.bad_ref")
		}
		v, err := s.flow.Instance(ctx, actor, n)
		if err != nil {
			return store.SupplementLink{}, invalid(op, "ref", "projects.supplement.bad_ref")
		}
		in.Ref, label = strconv.FormatInt(n, 10), v.Instance.Title
	case "file":
		a, err := s.db.FindAttachmentByHash(ctx, in.Ref)
		if err != nil {
			return store.SupplementLink{}, invalid(op, "ref", "projects.supplement.bad_ref")
		}
		ok, _ := s.db.UploadedBy(ctx, in.Ref, actor.ID)
		if !ok {
			if ok, err = s.flow.MaySeeFile(ctx, actor, in.Ref); err != nil {
				return store.SupplementLink{}, domain.Wrap(op, err)
			}
		}
		if !ok {
			return store.SupplementLink{}, invalid(op, "ref", "projects.supplement.bad_ref")
		}
		label = a.Name
	default:
		return store.SupplementLink{}, invalid(op, "kind", "projects.supplement.bad_link_kind")
	}
	var l store.SupplementLink
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		l, err = tx.InsertSupplementLink(store.SupplementLink{SupplementID: sup.ID, QuestionID: q.ID, Kind: in.Kind, Ref: in.Ref, Label: label, AddedBy: actor.ID})
		if err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.supplement_link", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Changes: []audit.Change{{Field: "supplement_id", New: strconv.FormatInt(sup.ID, 10)},
				{Field: "question", New: strconv.Itoa(q.Seq)}, {Field: "kind", New: in.Kind}, {Field: "ref", New: in.Ref}, {Field: "label", New: label}}})
	})
	return l, domain.Wrap(op, err)
}

// unansweredErr is the refusal of a response while questions are open,
// naming them.
func unansweredErr(op string, seqs []int) error {
	parts := make([]string, len(seqs))
	for i, n := range seqs {
		parts[i] = strconv.Itoa(n)
	}
	list := strings.Join(parts, ", ")
	e := domain.E(domain.KindConflict, op, "projects.supplement.unanswered", "questions", list, "count", len(seqs))
	e.Fields = map[string]domain.Msg{"questions": {Key: "projects.supplement.unanswered", Args: e.Args}}
	return e
}

// SubmitResponse submits the response to notice id, all at once: it
// completes the response's first step (the engine's transaction, in which
// the notice's hook closes and freezes every question). Who may: whoever
// recorded the notice, who holds that step (KindForbidden). While any
// question is not answered it is refused, naming them (KindConflict
// projects.supplement.unanswered); nothing is written.
func (s *Service) SubmitResponse(ctx context.Context, actor domain.Actor, code string, id int64, in SubmitInput) (*flow.Instance, error) {
	const op = "projects.SubmitResponse"
	_, sup, err := s.loadSupplement(ctx, op, actor, code, id)
	if err != nil {
		return nil, err
	}
	if actor.ID != sup.RecordedBy {
		return nil, domain.Forbidden(op)
	}
	if sup.State != SupplementOpen {
		return nil, domain.Conflict(op, "projects.supplement.submitted")
	}
	in.Response = strings.TrimSpace(in.Response)
	var c domain.Checker
	c.Text("response", in.Response, true, 10000)
	if err := c.Err(op); err != nil {
		return nil, err
	}
	qs, err := store.SupplementQuestions(ctx, s.db.R(), sup.ID)
	if err != nil {
		return nil, domain.Wrap(op, err)
	}
	if open := openQuestions(qs); len(open) > 0 {
		return nil, unansweredErr(op, open)
	}
	v, err := s.flow.Instance(ctx, actor, sup.InstanceID)
	if err != nil {
		return nil, err
	}
	var task int64
	for _, t := range v.Tasks {
		if t.StepID == StepRespond && t.State == flow.TaskOpen && t.AssigneeID == actor.ID {
			task = t.ID
		}
	}
	if task == 0 {
		return nil, domain.Conflict(op, "projects.supplement.submitted")
	}
	return s.flow.Act(ctx, actor, task, flow.ActInput{Action: flow.ActApprove, Comment: in.Response, Form: map[string]any{"response": in.Response}})
}

// openQuestions lists the numbers of the questions not answered.
func openQuestions(qs []store.SupplementQuestion) []int {
	var out []int
	for _, q := range qs {
		if q.State == QuestionOpen {
			out = append(out, q.Seq)
		}
	}
	return out
}

// followSupplement keeps a notice in step with its response's process, in
// the transaction of each change: the submission (the respond step done)
// is refused while a question is open — whoever completes the step, by
// whatever route — and closes every question; a return reopens them for
// another submission; the approval ends the notice.
func (s *Service) followSupplement(ctx context.Context, ev flow.LifeEvent) error {
	const op = "projects.followSupplement"
	tx, ok := ev.Tx.(*store.Tx)
	if !ok {
		return domain.Wrap(op, fmt.Errorf("transaction of type %T", ev.Tx))
	}
	sup, err := store.GetSupplement(ctx, tx, ev.SubjectID)
	if err != nil {
		return err
	}
	state, old := "", sup.State
	changes := []audit.Change{{Field: "supplement_id", New: strconv.FormatInt(sup.ID, 10)}, {Field: "instance_id", New: strconv.FormatInt(ev.Instance.ID, 10)}}
	switch {
	case ev.Point == flow.LifeStarted:
		if sup.InstanceID == 0 {
			return tx.SetSupplementInstance(sup.ID, ev.Instance.ID)
		}
		return nil
	case ev.Point == flow.LifeStepDone && ev.Step == StepRespond:
		qs, err := store.SupplementQuestions(ctx, tx, sup.ID)
		if err != nil {
			return err
		}
		if open := openQuestions(qs); len(open) > 0 {
			return unansweredErr(op, open)
		}
		n, err := tx.SetSupplementQuestionsState(sup.ID, QuestionAnswered, QuestionClosed)
		if err != nil {
			return err
		}
		response, _ := ev.Instance.Form["response"].(string)
		if err := tx.SetSupplementState(sup.ID, SupplementSubmitted, ev.Actor.ID, response, true, false); err != nil {
			return err
		}
		state = SupplementSubmitted
		changes = append(changes, audit.Change{Field: "questions_closed", New: strconv.Itoa(n)}, audit.Change{Field: "response", New: response})
	case ev.Point == flow.LifeReturned:
		n, err := tx.SetSupplementQuestionsState(sup.ID, QuestionClosed, QuestionAnswered)
		if err != nil {
			return err
		}
		if err := tx.SetSupplementState(sup.ID, SupplementOpen, 0, "", false, false); err != nil {
			return err
		}
		state = SupplementOpen
		changes = append(changes, audit.Change{Field: "questions_reopened", New: strconv.Itoa(n)})
	case ev.Point == flow.LifeApproved:
		state = SupplementApproved
	case ev.Point == flow.LifeRejected || ev.Point == flow.LifeWithdrawn:
		state = SupplementRejected
	default:
		return nil
	}
	if state == SupplementApproved || state == SupplementRejected {
		if err := tx.SetSupplementState(sup.ID, state, 0, "", false, true); err != nil {
			return err
		}
	}
	changes = append(changes, audit.Change{Field: "state", Old: old, New: state})
	return tx.Audit(audit.Entry{ActorID: ev.Actor.ID, ActorName: actorName(ev.Actor), Action: "project.supplement_" + state, Entity: "project",
		EntityID: strconv.FormatInt(sup.ProjectID, 10), Changes: changes})
}
