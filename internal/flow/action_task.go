package flow

import (
	"context"
	"errors"
	"slices"
	"strings"

	"labflow/internal/audit"
	"labflow/internal/domain"
)

// ActInput is what a person submits on a task or an instance.
type ActInput struct {
	Action      Action         `json:"action"`
	Comment     string         `json:"comment,omitempty"`
	Password    string         `json:"password,omitempty"`  // electronic signature (R8)
	To          string         `json:"to,omitempty"`        // return: "initiator", "previous" or a step id
	PersonID    int64          `json:"person_id,omitempty"` // transfer, delegate, add signer, copy; on approve: the person chosen for a chosen_by step
	Before      bool           `json:"before,omitempty"`    // add signer before oneself
	Form        map[string]any `json:"form,omitempty"`      // editable fields, or the resubmitted form
	Attachments []string       `json:"attachments,omitempty"`
	IdemKey     string         `json:"idem_key,omitempty"`
	Version     int64          `json:"version,omitempty"` // the task version seen (optimistic check)
}

// defaultActions are what an assignee may do when a step lists none.
var defaultActions = []Action{ActApprove, ActReject, ActReturn, ActTransfer, ActDelegate, ActAddSigner, ActComment}

func stepActions(st *Step) []Action {
	acts := st.Actions
	if len(acts) == 0 {
		acts = defaultActions
	}
	if !slices.Contains(acts, ActApprove) {
		acts = append([]Action{ActApprove}, acts...)
	}
	return acts
}

// reasonRequired are the actions that undo or refuse someone's work: a
// rejection, a return, a withdrawal or a taking back needs a reason, which
// the audit trail records with it (COMPLIANCE R4).
var reasonRequired = map[Action]bool{ActReject: true, ActReturn: true, ActWithdraw: true, ActTakeBack: true, ActDissent: true}

func (in *ActInput) check(op string) error {
	var c domain.Checker
	c.Text("comment", in.Comment, false, 2000)
	if reasonRequired[in.Action] && strings.TrimSpace(in.Comment) == "" {
		c.Add("comment", "flow.reason_required")
	}
	for _, a := range in.Attachments {
		if !attachRE.MatchString(a) {
			c.Add("attachments", "flow.bad_attachment")
		}
	}
	return c.Err(op)
}

// Act performs an action on a task: approve (complete), reject, return,
// transfer, delegate, add_signer, remove_signer (on the added signer's
// task, by who added it), comment or copy. Approving a step with a
// Signature requires the password (electronic signature). Two people
// acting on the same task at once: one wins, the other gets KindConflict.
// A repeated request with the same IdemKey returns the instance without
// acting again.
func (e *Engine) Act(ctx context.Context, actor domain.Actor, taskID int64, in ActInput) (*Instance, error) {
	const op = "flow.Act"
	if err := in.check(op); err != nil {
		return nil, err
	}
	if !actor.HasBusinessRole() || actor.IsAdmin() {
		// R12: the system administrator never approves, signs, rejects,
		// returns, completes, transfers or comments on a business step.
		return nil, domain.E(domain.KindForbidden, op, "flow.not_business")
	}
	if in.IdemKey != "" {
		if inst, ok, err := e.byIdem(ctx, actor, "act:"+in.IdemKey); ok || err != nil {
			return inst, err
		}
	}
	if err := e.checkAttachments(ctx, actor, in.Attachments); err != nil {
		return nil, err
	}
	signed := false
	useCache := true
	for attempt := 0; attempt < 10; attempt++ {
		w, err := e.loadForTask(ctx, actor, taskID, useCache)
		if err != nil {
			return nil, err
		}
		// After a first try on cached state, every try reads the database:
		// a refusal or a conflict must come from what is stored.
		useCache = false
		t := w.findTask(taskID)
		if t == nil || w.inst.Status != StatusRunning {
			if w.cached {
				continue
			}
			return nil, domain.Conflict(op, "flow.task_closed")
		}
		st := stepOf(w.def, t.StepID)
		if t.AssigneeID != actor.ID && t.AddedBy != actor.ID {
			// Someone who may not see the request learns nothing of it.
			if ok, err := e.CanView(ctx, actor, w.inst); err != nil || !ok {
				if err == nil {
					err = domain.NotFound(op, "entity.task")
				}
				return nil, err
			}
		}
		if err := w.permit(t, st, in); err != nil {
			if w.cached {
				continue
			}
			return nil, err
		}
		if st.Signature != "" && (in.Action == ActApprove || in.Action == ActDissent || in.Action == ActAddSigner && !in.Before) && t.Kind != TaskDelegated && !signed {
			if in.Password == "" {
				return nil, domain.E(domain.KindUnauthenticated, op, "flow.signature_password")
			}
			if e.auth == nil {
				return nil, domain.E(domain.KindInternal, op, "error.internal")
			}
			if err := e.auth.Reauthenticate(ctx, actor, in.Password); err != nil {
				return nil, err
			}
			signed = true
		}
		if err := w.act(t, st, in); err != nil {
			if w.cached {
				continue
			}
			return nil, err
		}
		inst, retry, err := e.commitAct(ctx, actor, w, in.IdemKey)
		if retry {
			continue
		}
		return inst, err
	}
	return nil, domain.Conflict(op, "error.conflict")
}

// permit checks that the actor may take in.Action on t now.
func (w *work) permit(t *Task, st *Step, in ActInput) error {
	const op = "flow.Act"
	if in.Version != 0 && in.Version != t.Version {
		return domain.Conflict(op, "error.conflict")
	}
	if in.Action == ActRemove {
		if t.Kind != TaskAdded || t.AddedBy != w.actor.ID || t.State != TaskOpen {
			return domain.Forbidden(op)
		}
		return nil
	}
	if t.AssigneeID != w.actor.ID {
		return domain.Forbidden(op)
	}
	if in.Action == ActComment || in.Action == ActCopy {
		return nil
	}
	if t.State != TaskOpen {
		return domain.Conflict(op, "flow.task_closed")
	}
	if k := w.keptOff(st, w.actor.ID); k != "" {
		return domain.E(domain.KindForbidden, op, k)
	}
	if t.Kind == TaskDelegated {
		if in.Action != ActApprove {
			return domain.Forbidden(op)
		}
		return nil
	}
	if !slices.Contains(stepActions(st), in.Action) {
		return domain.E(domain.KindForbidden, op, "flow.action_not_allowed", "action", string(in.Action))
	}
	return nil
}

func (w *work) act(t *Task, st *Step, in ActInput) error {
	switch in.Action {
	case ActApprove:
		return w.approve(t, st, in)
	case ActReject:
		return w.reject(t, in)
	case ActReturn:
		return w.returnTask(t, in)
	case ActTransfer, ActDelegate, ActAddSigner:
		return w.reassign(t, st, in)
	case ActRemove:
		return w.removeSigner(t)
	case ActDissent:
		return w.dissent(t, st, in)
	case ActComment:
		w.record(ActionRecord{TaskID: t.ID, StepID: t.StepID, Action: string(ActComment), Comment: in.Comment, Attachments: in.Attachments})
		w.audit("flow.comment", []audit.Change{{Field: "attachments", New: in.Attachments}}, in.Comment)
		return nil
	case ActCopy:
		return w.copyTo(in)
	}
	return domain.E(domain.KindInvalid, "flow.Act", "flow.unknown_action", "action", string(in.Action))
}

func (w *work) step(t *Task) (int, error) {
	i := w.activeIndex(t.StepID, t.Round)
	if i < 0 {
		return -1, domain.Conflict("flow.Act", "flow.task_closed")
	}
	return i, nil
}

func (w *work) approve(t *Task, st *Step, in ActInput) error {
	idx, err := w.step(t)
	if err != nil {
		return err
	}
	var changes []audit.Change
	if len(in.Form) > 0 {
		if len(st.Editable) == 0 || t.Kind == TaskDelegated {
			return domain.E(domain.KindForbidden, "flow.Act", "flow.field.not_editable")
		}
		if changes, err = w.edit(st, t, in.Form); err != nil {
			return err
		}
	}
	if t.Kind != TaskDelegated && t.Kind != TaskAdded {
		if err := w.requireValues(st, t); err != nil {
			return err
		}
	}
	t.Comment = in.Comment
	w.setTask(t, TaskDone, "approved")
	w.inst.State.Touched = true
	w.acted(t.StepID)
	w.chosen = in.PersonID
	var meaning Meaning
	if st.Signature != "" && t.Kind != TaskDelegated {
		meaning = st.Signature
		g, err := w.sign(t, meaning)
		if err != nil {
			return err
		}
		changes = append(changes, audit.Change{Field: "signature", New: string(meaning)}, audit.Change{Field: "content_hash", New: g.ContentHash})
	}
	w.record(ActionRecord{TaskID: t.ID, StepID: t.StepID, Action: string(ActApprove), Comment: in.Comment, Meaning: meaning, Attachments: in.Attachments})
	w.audit("flow.approve", append(changes, audit.Change{Field: "step", New: t.StepID}), in.Comment)
	if t.Kind != TaskDelegated {
		w.tellInitiator("step_approved", st, map[string]any{"comment": in.Comment})
	}
	switch t.Kind {
	case TaskDelegated, TaskAdded:
		if t.ParentTaskID != 0 {
			if p := w.findTask(t.ParentTaskID); p != nil && p.State == TaskWaiting {
				w.setTask(p, TaskOpen, "")
				w.notify(p.AssigneeID, "task", p, map[string]any{"step": st.Title.ZH, "step_en": st.Title.EN})
			}
			return nil
		}
		return w.maybeComplete(idx)
	}
	// A slot task: others holding the same slot (escalation, transfer) are done.
	for _, o := range w.tasks {
		if o != t && o.StepID == t.StepID && o.Round == t.Round && o.Slot == t.Slot && live(o) && (o.Kind == TaskSlot || o.Kind == TaskEscalation) {
			w.setTask(o, TaskCancelled, "")
		}
	}
	as := &w.inst.State.Active[idx]
	as.Approved = append(as.Approved, w.actor.ID)
	if as.Mode == ModeSequential && len(as.Queue) > 0 {
		next := as.Queue[0]
		as.Queue = as.Queue[1:]
		p, err := w.e.dir.Person(w.ctx, next)
		if err != nil {
			return err
		}
		w.newTask(st, t.Round, t.Slot+1, p, TaskSlot, 0, 0)
		return nil
	}
	return w.maybeComplete(idx)
}

func (w *work) reject(t *Task, in ActInput) error {
	idx, err := w.step(t)
	if err != nil {
		return err
	}
	t.Comment = in.Comment
	w.setTask(t, TaskDone, "rejected")
	w.inst.State.Touched = true
	w.record(ActionRecord{TaskID: t.ID, StepID: t.StepID, Action: string(ActReject), Comment: in.Comment, Attachments: in.Attachments})
	w.audit("flow.reject", []audit.Change{{Field: "step", New: t.StepID}}, in.Comment)
	as := &w.inst.State.Active[idx]
	if (as.Mode == ModeAny || as.Mode == ModeQuorum) && t.Kind != TaskAdded {
		// Others may still reach the quorum.
		return w.voteAgainst(idx, t, in.Comment)
	}
	if st := stepOf(w.def, t.StepID); st != nil && st.OnReject != "" {
		w.tellInitiator("step_rejected", st, map[string]any{"reason": in.Comment})
		return w.rejectTo(idx, st)
	}
	return w.finish(StatusRejected, in.Comment)
}

func (w *work) returnTask(t *Task, in ActInput) error {
	t.Comment = in.Comment
	w.setTask(t, TaskDone, "returned")
	w.record(ActionRecord{TaskID: t.ID, StepID: t.StepID, Action: string(ActReturn), Comment: in.Comment, Attachments: in.Attachments})
	to := in.To
	if to == "" {
		to = "initiator"
	}
	w.audit("flow.return", []audit.Change{{Field: "step", New: t.StepID}, {Field: "to", New: to}}, in.Comment)
	return w.returnTo(to, in.Comment, t.Round)
}

// returnTo sends the instance back (驳回): to the initiator, the previous
// step, or a named step completed earlier. own is the round of the
// returner's task. A return to a step of a parallel branch resumes that
// branch; the other branches go on (see cancelFor).
func (w *work) returnTo(to, reason string, own int) error {
	s := &w.inst.State
	target := -1
	switch to {
	case "initiator":
	case "previous":
		for i := len(s.History) - 1; i >= 0; i-- {
			if s.History[i].Step != "" {
				target = i
				break
			}
		}
	default:
		for i := len(s.History) - 1; i >= 0; i-- {
			if s.History[i].Step == to {
				target = i
				break
			}
		}
		if target < 0 {
			return &domain.Error{Kind: domain.KindInvalid, Op: "flow.Act", Key: "error.invalid",
				Fields: map[string]domain.Msg{"to": {Key: "flow.bad_return_target"}}}
		}
	}
	if target < 0 {
		// A resubmission resumes at the returning step, unless it ran in a
		// parallel branch (the block then starts again).
		s.ReturnedFrom = ""
		for _, a := range s.Active {
			if a.Round == own && a.Branch == "" {
				s.ReturnedFrom = a.Step
			}
		}
		w.cancelLive()
		s.Detour, s.Resume = nil, ""
		s.Active, s.Joins, s.Touched = nil, nil, false
		w.inst.Status = StatusReturned
		w.life(LifeReturned, "")
		args := map[string]any{"reason": reason}
		if st := stepOf(w.def, s.ReturnedFrom); st != nil {
			args["step"], args["step_en"] = st.Title.ZH, st.Title.EN
		}
		w.by(args)
		w.notify(w.inst.InitiatorID, "returned", nil, args)
		return nil
	}
	rec := s.History[target]
	_, b := w.cancelFor(rec.Branch, own)
	s.Touched = false
	// Keep the records of the other branches of the block, which stand.
	hist := s.History[:target:target]
	for _, h := range s.History[target+1:] {
		if b.fork != nil && h.Branch != "" && h.Branch != rec.Branch && slices.Contains(b.fork.Parallel, h.Branch) {
			hist = append(hist, h)
		}
	}
	s.History = hist
	w.forgetAfter(target)
	if err := w.resume(b); err != nil {
		return err
	}
	return w.enter(rec.Step, rec.Branch)
}

// reassign transfers (转办), delegates (委派) or adds a signer (加签).
func (w *work) reassign(t *Task, st *Step, in ActInput) error {
	const op = "flow.Act"
	if in.PersonID == 0 {
		return &domain.Error{Kind: domain.KindInvalid, Op: op, Key: "error.invalid", Fields: map[string]domain.Msg{"person_id": {Key: "field.required"}}}
	}
	p, err := w.e.dir.Person(w.ctx, in.PersonID)
	if err != nil && !domain.IsKind(err, domain.KindNotFound) {
		return err
	}
	if err != nil || !mayActInBusiness(p) {
		return &domain.Error{Kind: domain.KindInvalid, Op: op, Key: "error.invalid", Fields: map[string]domain.Msg{"person_id": {Key: "flow.bad_person"}}}
	}
	if st.Signature != "" && (in.Action == ActTransfer || in.Action == ActDelegate) {
		// A signed step goes only to someone its assignee rule accepts: a
		// director's approval is not a researcher's to sign.
		ok, err := w.accepts(st, p.ID)
		if err != nil {
			return err
		}
		if !ok {
			return &domain.Error{Kind: domain.KindInvalid, Op: op, Key: "error.invalid", Fields: map[string]domain.Msg{"person_id": {Key: "flow.not_step_assignee"}}}
		}
	}
	if w.inStep(t.StepID, t.Round, p.ID) || p.ID == w.actor.ID {
		return &domain.Error{Kind: domain.KindInvalid, Op: op, Key: "error.invalid", Fields: map[string]domain.Msg{"person_id": {Key: "flow.already_assignee"}}}
	}
	if k := w.keptOff(st, p.ID); k != "" {
		return &domain.Error{Kind: domain.KindInvalid, Op: op, Key: "error.invalid", Fields: map[string]domain.Msg{"person_id": {Key: k}}}
	}
	w.inst.State.Touched = true
	w.record(ActionRecord{TaskID: t.ID, StepID: t.StepID, Action: string(in.Action), TargetID: p.ID, Comment: in.Comment, Attachments: in.Attachments})
	changes := []audit.Change{{Field: "step", New: t.StepID}, {Field: "to", New: p.ID}}
	switch in.Action {
	case ActTransfer:
		t.Comment = in.Comment
		w.setTask(t, TaskDone, "transferred")
		// The deadline goes with the task: the new assignee has what was left.
		w.newTask(st, t.Round, t.Slot, p, t.Kind, t.ParentTaskID, t.AddedBy).inherit(t)
		w.audit("flow.transfer", changes, in.Comment)
	case ActDelegate:
		w.setTask(t, TaskWaiting, "")
		w.newTask(st, t.Round, t.Slot, p, TaskDelegated, t.ID, w.actor.ID).inherit(t)
		w.audit("flow.delegate", changes, in.Comment)
	case ActAddSigner:
		if in.Before {
			w.setTask(t, TaskWaiting, "")
			w.newTask(st, t.Round, t.Slot, p, TaskAdded, t.ID, w.actor.ID)
			w.audit("flow.add_signer", append(changes, audit.Change{Field: "before", New: true}), in.Comment)
			return nil
		}
		w.newTask(st, t.Round, t.Slot, p, TaskAdded, 0, w.actor.ID)
		w.audit("flow.add_signer", append(changes, audit.Change{Field: "before", New: false}), in.Comment)
		// Adding after oneself is one's own approval too.
		in.Action = ActApprove
		return w.approve(t, st, in)
	}
	return nil
}

// removeSigner removes a signer one added (减签) while they have not acted.
func (w *work) removeSigner(t *Task) error {
	idx, err := w.step(t)
	if err != nil {
		return err
	}
	w.setTask(t, TaskCancelled, "removed")
	w.record(ActionRecord{TaskID: t.ID, StepID: t.StepID, Action: string(ActRemove), TargetID: t.AssigneeID})
	w.audit("flow.remove_signer", []audit.Change{{Field: "step", New: t.StepID}, {Field: "person", New: t.AssigneeID}}, "")
	if t.ParentTaskID != 0 {
		if p := w.findTask(t.ParentTaskID); p != nil && p.State == TaskWaiting {
			w.setTask(p, TaskOpen, "")
		}
		return nil
	}
	return w.maybeComplete(idx)
}

func (w *work) copyTo(in ActInput) error {
	p, err := w.e.dir.Person(w.ctx, in.PersonID)
	if err != nil && !domain.IsKind(err, domain.KindNotFound) {
		return err
	}
	if err != nil || !mayActInBusiness(p) {
		return &domain.Error{Kind: domain.KindInvalid, Op: "flow.Act", Key: "error.invalid", Fields: map[string]domain.Msg{"person_id": {Key: "flow.bad_person"}}}
	}
	w.ccs = append(w.ccs, p.ID)
	args := map[string]any{"comment": in.Comment}
	w.by(args)
	w.notify(p.ID, "copied", nil, args)
	w.record(ActionRecord{Action: string(ActCopy), TargetID: p.ID, Comment: in.Comment})
	w.audit("flow.copy", []audit.Change{{Field: "to", New: p.ID}}, in.Comment)
	return nil
}

// commitAct commits an action's work under its idempotency key. A stale
// plan (someone acted meanwhile) asks the caller to plan again; a failure
// after which the key turns out to have committed (a concurrent repeat of
// the same request) answers that result.
func (e *Engine) commitAct(ctx context.Context, actor domain.Actor, w *work, idemKey string) (*Instance, bool, error) {
	if idemKey != "" {
		w.idem = "act:" + idemKey
	}
	err := e.commit(ctx, w)
	if errors.Is(err, errStale) {
		return nil, true, nil
	}
	if err != nil {
		if idemKey != "" {
			if inst, ok, err2 := e.byIdem(ctx, actor, "act:"+idemKey); ok && err2 == nil {
				return inst, false, nil
			}
		}
		return nil, false, err
	}
	return w.inst, false, nil
}
