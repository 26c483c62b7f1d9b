package flow

import (
	"context"
	"errors"
	"strings"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
)

// A step nobody can act on (nobody holds the role it needs, its director
// left) never falls to the system administrator (R12): it waits, visibly,
// as an unassigned placeholder task. The initiator and everyone who may see
// the request see why; the administrators are told to fix the
// organisation. Granting the role (Reassess, run after every grant and
// with the timers) or naming a holder for this step (Assign) gives the
// step its tasks.

// WaitingStep is a step nobody can act on, as the administrator's list
// shows it: enough to fix the organisation, not the request's content.
type WaitingStep struct {
	TaskID        int64     `json:"task_id"`
	InstanceID    int64     `json:"instance_id"`
	Definition    Text      `json:"definition"`
	StepID        string    `json:"step_id"`
	Step          Text      `json:"step"`
	Needs         Assignee  `json:"needs"` // the step's assignee rule
	InitiatorName string    `json:"initiator_name"`
	Since         time.Time `json:"since"`
}

// Waiting lists the steps nobody can act on, for the administrator.
func (e *Engine) Waiting(ctx context.Context, actor domain.Actor) ([]WaitingStep, error) {
	if !actor.IsAdmin() {
		return nil, domain.Forbidden("flow.Waiting")
	}
	ts, err := e.st.UnassignedTasks(ctx, 500)
	if err != nil {
		return nil, err
	}
	out := []WaitingStep{}
	for _, t := range ts {
		in, err := e.st.Instance(ctx, t.InstanceID)
		if err != nil {
			return nil, err
		}
		d, err := e.definition(ctx, in.DefinitionKey, in.DefinitionVersion)
		if err != nil {
			return nil, err
		}
		ws := WaitingStep{TaskID: t.ID, InstanceID: in.ID, Definition: d.Title, StepID: t.StepID, InitiatorName: in.InitiatorName, Since: t.CreatedAt}
		if st := stepOf(d, t.StepID); st != nil {
			ws.Step, ws.Needs = st.Title, st.Assignee
		}
		out = append(out, ws)
	}
	return out, nil
}

// Assign lets the administrator name who acts on a step nobody could act
// on: an active person holding a business role, not the initiator of an
// approval step (R10); never the administrator (R12). The reason is
// required and audited.
func (e *Engine) Assign(ctx context.Context, actor domain.Actor, taskID, personID int64, reason string) (*Instance, error) {
	const op = "flow.Assign"
	if !actor.IsAdmin() {
		return nil, domain.Forbidden(op)
	}
	var c domain.Checker
	c.Text("reason", reason, true, 2000)
	if personID == 0 {
		c.Add("person_id", "field.required")
	}
	if err := c.Err(op); err != nil {
		return nil, err
	}
	p, err := e.dir.Person(ctx, personID)
	if err != nil && !domain.IsKind(err, domain.KindNotFound) {
		return nil, err
	}
	if err != nil || !mayActInBusiness(p) {
		return nil, &domain.Error{Kind: domain.KindInvalid, Op: op, Key: "error.invalid", Fields: map[string]domain.Msg{"person_id": {Key: "flow.bad_person"}}}
	}
	for attempt := 0; attempt < 5; attempt++ {
		w, err := e.loadForTask(ctx, actor, taskID, false)
		if err != nil {
			return nil, err
		}
		t := w.findTask(taskID)
		if t == nil || t.State != TaskUnassigned {
			return nil, domain.Conflict(op, "flow.task_closed")
		}
		st := stepOf(w.def, t.StepID)
		if k := w.keptOff(st, p.ID); k != "" {
			return nil, &domain.Error{Kind: domain.KindInvalid, Op: op, Key: "error.invalid", Fields: map[string]domain.Msg{"person_id": {Key: k}}}
		}
		if err := w.fill(t, []domain.Person{p}); err != nil {
			return nil, err
		}
		w.audit("flow.assign", []audit.Change{{Field: "step", New: t.StepID}, {Field: "assignee", New: p.ID}, {Field: "assignee_name", New: p.Name}}, reason)
		w.record(ActionRecord{StepID: t.StepID, Action: "assign", TargetID: p.ID, Comment: reason})
		err = e.commit(ctx, w)
		if errors.Is(err, errStale) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return w.inst, nil
	}
	return nil, domain.Conflict(op, "error.conflict")
}

// Reassess gives the waiting steps their tasks where the organisation now
// resolves someone (a role was granted, a director appointed). It returns
// how many steps got people.
func (e *Engine) Reassess(ctx context.Context) (int, error) {
	ts, err := e.st.UnassignedTasks(ctx, 500)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, pt := range ts {
		ok, err := e.reassessOne(ctx, pt.ID)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

func (e *Engine) reassessOne(ctx context.Context, taskID int64) (bool, error) {
	for attempt := 0; attempt < 5; attempt++ {
		w, err := e.loadForTask(ctx, domain.System, taskID, false)
		if err != nil {
			return false, ignoreNotFound(err)
		}
		t := w.findTask(taskID)
		if t == nil || t.State != TaskUnassigned {
			return false, nil
		}
		st := stepOf(w.def, t.StepID)
		if st == nil {
			return false, nil
		}
		people, err := w.slotAssignees(st, t)
		if err != nil || len(people) == 0 {
			return false, err
		}
		if err := w.fill(t, people); err != nil {
			return false, err
		}
		var names []string
		for _, p := range people {
			names = append(names, p.Name)
		}
		w.audit("flow.assign", []audit.Change{{Field: "step", New: t.StepID}, {Field: "assignees", New: names}}, "organisation changed")
		w.record(ActionRecord{StepID: t.StepID, Action: "assign"})
		err = e.commit(ctx, w)
		if errors.Is(err, errStale) {
			continue
		}
		return err == nil, err
	}
	return false, domain.Conflict("flow.Reassess", "error.conflict")
}

// fill replaces the placeholder t with tasks for people, as the step's mode says.
func (w *work) fill(t *Task, people []domain.Person) error {
	idx := w.activeIndex(t.StepID, t.Round)
	if idx < 0 {
		return domain.Conflict("flow.Assign", "flow.task_closed")
	}
	w.setTask(t, TaskCancelled, "assigned")
	st := stepOf(w.def, t.StepID)
	if st.Each != "" {
		// One row's slot of a fan-out step: that slot only.
		w.newTask(st, t.Round, t.Slot, people[0], TaskSlot, 0, 0)
	} else if err := w.staff(st, idx, people); err != nil {
		return err
	}
	// The warning stays in the history of the request, marked resolved.
	for i := range w.inst.State.Warnings {
		wn := &w.inst.State.Warnings[i]
		if wn.Step == t.StepID && wn.Msg.Key == "flow.warn.no_assignee" && !strings.HasSuffix(wn.Msg.Key, ".resolved") {
			wn.Msg.Key = "flow.warn.no_assignee.resolved"
		}
	}
	return nil
}
