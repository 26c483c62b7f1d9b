package flow

import (
	"context"

	"labflow/internal/audit"
	"labflow/internal/domain"
)

// ActOnInstance performs an instance-level action: withdraw (撤回, the
// initiator, until the next person acts), take_back (拿回, the last
// approver, until the next person acts), urge (催办, the initiator),
// comment and copy (anyone who may see the instance), resubmit (the
// initiator, after a return or withdrawal, with the edited form).
func (e *Engine) ActOnInstance(ctx context.Context, actor domain.Actor, instanceID int64, in ActInput) (*Instance, error) {
	const op = "flow.ActOnInstance"
	if err := in.check(op); err != nil {
		return nil, err
	}
	if in.IdemKey != "" {
		if inst, ok, err := e.byIdem(ctx, actor, "act:"+in.IdemKey); ok || err != nil {
			return inst, err
		}
	}
	if err := e.checkAttachments(ctx, actor, in.Attachments); err != nil {
		return nil, err
	}
	for attempt := 0; attempt < 10; attempt++ {
		w, err := e.load(ctx, actor, instanceID)
		if err != nil {
			return nil, err
		}
		if ok, err := e.CanView(ctx, actor, w.inst); err != nil || !ok {
			if err == nil {
				err = domain.NotFound(op, "entity.instance")
			}
			return nil, err
		}
		if err := w.instanceAct(in); err != nil {
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

// canWithdraw: the initiator, while nobody acted since submission, or
// while the request is returned to them; never when the definition
// forbids withdrawal, nor for a subprocess (its parent decides).
func (w *work) canWithdraw() bool {
	if !w.def.Withdrawable() || w.actor.ID != w.inst.InitiatorID || w.inst.ParentID != 0 {
		return false
	}
	if w.inst.Status == StatusReturned {
		return true
	}
	h := w.inst.State.History
	return w.inst.Status == StatusRunning && len(h) > 0 && h[len(h)-1].Step == "" && !w.inst.State.Touched
}

// canTakeBack: the person who completed the last step, while nobody acted since.
func (w *work) canTakeBack() bool {
	h := w.inst.State.History
	return w.inst.Status == StatusRunning && len(h) > 0 && h[len(h)-1].Step != "" && h[len(h)-1].Last == w.actor.ID &&
		!w.inst.State.Touched && len(w.inst.State.Active) > 0
}

func (w *work) instanceAct(in ActInput) error {
	const op = "flow.ActOnInstance"
	s := &w.inst.State
	switch in.Action {
	case ActWithdraw:
		if !w.canWithdraw() {
			switch {
			case w.actor.ID != w.inst.InitiatorID:
				return domain.Forbidden(op)
			case !w.def.Withdrawable():
				return domain.E(domain.KindForbidden, op, "flow.withdraw_forbidden")
			}
			return domain.Conflict(op, "flow.too_late")
		}
		for _, t := range w.cancelLive() {
			w.notify(t.AssigneeID, "withdrawn", nil, nil)
		}
		old := w.inst.Status
		s.Active, s.Joins = nil, nil
		w.forgetAfter(0)
		s.ReturnedFrom = ""
		w.inst.Status = StatusWithdrawn
		w.life(LifeWithdrawn, "")
		w.record(ActionRecord{Action: string(ActWithdraw), Comment: in.Comment})
		w.audit("flow.withdraw", []audit.Change{{Field: "status", Old: string(old), New: string(StatusWithdrawn)}}, in.Comment)
		return nil
	case ActTakeBack:
		if !w.canTakeBack() {
			return domain.Conflict(op, "flow.too_late")
		}
		last := s.History[len(s.History)-1]
		st := stepOf(w.def, last.Step)
		if st == nil {
			return domain.Conflict(op, "flow.too_late")
		}
		// Inside a parallel block the other branches go on (cancelFor).
		cancelled, b := w.cancelFor(last.Branch, 0)
		for _, t := range cancelled {
			w.notify(t.AssigneeID, "taken_back", nil, nil)
		}
		s.History = s.History[:len(s.History)-1]
		w.forgetAfter(len(s.History))
		if err := w.resume(b); err != nil {
			return err
		}
		me, err := w.e.dir.Person(w.ctx, w.actor.ID)
		if err != nil {
			return err
		}
		s.Round++
		as := ActiveStep{Step: st.ID, Round: s.Round, Mode: last.Mode, Need: last.Need, Slots: last.Slots, Branch: last.Branch}
		if as.Need == 0 {
			as.Need = 1
		}
		for _, id := range last.By {
			if id != w.actor.ID {
				as.Approved = append(as.Approved, id)
			}
		}
		s.Active = append(s.Active, as)
		w.newTask(st, as.Round, 0, me, TaskSlot, 0, 0)
		w.record(ActionRecord{StepID: st.ID, Action: string(ActTakeBack), Comment: in.Comment})
		w.audit("flow.take_back", []audit.Change{{Field: "step", New: st.ID}}, in.Comment)
		return nil
	case ActUrge:
		if w.actor.ID != w.inst.InitiatorID {
			return domain.Forbidden(op)
		}
		if w.inst.Status != StatusRunning {
			return domain.Conflict(op, "flow.not_running")
		}
		urged, err := w.urge(in)
		if err != nil {
			return err
		}
		w.record(ActionRecord{Action: string(ActUrge), Comment: in.Comment})
		w.audit("flow.urge", []audit.Change{{Field: "tasks", New: urged}}, in.Comment)
		return nil
	case ActComment:
		if in.Comment == "" && len(in.Attachments) == 0 {
			return &domain.Error{Kind: domain.KindInvalid, Op: op, Key: "error.invalid", Fields: map[string]domain.Msg{"comment": {Key: "field.required"}}}
		}
		w.record(ActionRecord{Action: string(ActComment), Comment: in.Comment, Attachments: in.Attachments})
		w.audit("flow.comment", []audit.Change{{Field: "attachments", New: in.Attachments}}, in.Comment)
		return nil
	case ActCopy:
		return w.copyTo(in)
	case ActResubmit:
		if w.actor.ID != w.inst.InitiatorID {
			return domain.Forbidden(op)
		}
		if w.inst.Status != StatusReturned && w.inst.Status != StatusWithdrawn {
			return domain.Conflict(op, "flow.not_returned")
		}
		var changes []audit.Change
		if in.Form != nil {
			norm, err := w.resubmitForm(in.Form)
			if err != nil {
				return err
			}
			changes = formChanges(w.inst.Form, norm)
			w.inst.Form = norm
			w.formChanged = true
			if t, ok := norm["title"].(string); ok && t != "" {
				w.inst.Title = t
			}
		}
		if err := w.guards(w.def.Guards, ""); err != nil {
			return err
		}
		old := w.inst.Status
		w.inst.Status = StatusRunning
		w.life(LifeStarted, "")
		s.Active, s.Joins, s.Touched = nil, nil, false
		s.Detour, s.Resume = nil, ""
		w.record(ActionRecord{Action: string(ActResubmit), Comment: in.Comment, Attachments: in.Attachments})
		from := s.ReturnedFrom
		s.ReturnedFrom = ""
		if old == StatusReturned && from != "" && w.def.Resubmit != ResubmitRestart && stepOf(w.def, from) != nil {
			return w.resumeAt(from, append(changes, audit.Change{Field: "status", Old: string(old), New: string(StatusRunning)},
				audit.Change{Field: "resume", New: from}), in.Comment)
		}
		s.History = []StepRecord{{Step: "", Last: w.actor.ID}}
		s.Skipped = nil
		w.audit("flow.resubmit", append(changes, audit.Change{Field: "status", Old: string(old), New: string(StatusRunning)}), in.Comment)
		return w.enter(w.def.Steps[0].ID, "")
	}
	return domain.E(domain.KindInvalid, op, "flow.unknown_action", "action", string(in.Action))
}

// resumeAt goes on with a resubmitted request at the step that returned
// it: the steps completed before stand, except those whose signature the
// change invalidated (signed again first, R9) and passed-over steps whose
// condition now holds (run first), as after any change of the form.
func (w *work) resumeAt(from string, changes []audit.Change, comment string) error {
	s := &w.inst.State
	s.History = append(s.History, StepRecord{Step: "", Last: w.actor.ID})
	more, err := w.recheck(nil)
	if err != nil {
		return err
	}
	w.audit("flow.resubmit", append(changes, more...), comment)
	if len(s.Detour) > 0 {
		s.Resume = from
		return w.continueDetour("")
	}
	return w.enter(from, "")
}
