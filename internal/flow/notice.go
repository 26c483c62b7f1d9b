package flow

import (
	"slices"
	"time"

	"labflow/internal/domain"
)

// The requester hears of every decision on their request (issue 9 item
// 4): each approval of a step ("step_approved", naming who and which
// step), a rejection that routes on ("step_rejected", with the reason), a
// return ("returned", with the reason), and the end ("approved" or
// "rejected", with the reason and the outcome). Nobody is told of their own
// decision.

// tellInitiator notifies the initiator of a decision on st by the actor,
// unless the actor is the initiator.
func (w *work) tellInitiator(kind string, st *Step, args map[string]any) {
	if w.actor.ID == w.inst.InitiatorID {
		return
	}
	if args == nil {
		args = map[string]any{}
	}
	if st != nil {
		args["step"], args["step_en"] = st.Title.ZH, st.Title.EN
	}
	w.by(args)
	w.notify(w.inst.InitiatorID, kind, nil, args)
}

// by names the acting person in a notice's arguments (not the system, whose
// timers and reassessments act for nobody).
func (w *work) by(args map[string]any) {
	if w.actor.ID != 0 && w.actor.Name != "" {
		args["by"] = w.actor.Name
	}
}

// endNotice is the initiator's notice of the end of the instance: it says
// who decided, the reason of a rejection and the outcome (outcome holds
// its arguments, or nil). The approvals told in the same change go: the
// end says it.
func (w *work) endNotice(status Status, reason string, outcome map[string]any) {
	w.notes = slices.DeleteFunc(w.notes, func(n *note) bool {
		return n.n.Kind == "step_approved" && n.n.RecipientID == w.inst.InitiatorID
	})
	args := outcome
	if args == nil {
		args = map[string]any{}
	}
	if status == StatusRejected && reason != "" {
		args["reason"] = reason
	}
	if w.actor.ID != w.inst.InitiatorID {
		w.by(args)
	}
	w.notify(w.inst.InitiatorID, string(status), nil, args)
}

// UrgeEvery is how often a task may be urged: a second urge of the same
// task within it is refused (issue 9 item 4), so that neither a double
// click nor an impatient initiator floods the assignee.
const UrgeEvery = time.Hour

// urge notifies the assignees of the open tasks, naming who urged, except
// the tasks urged within UrgeEvery; KindTooMany "flow.urge_too_soon" (with
// the minutes to wait) when every open task was. The instance keeps when
// each open task was last urged (State.Urged), so that two urges at once
// meet in the engine's version check: the second plans again and is refused.
func (w *work) urge(in ActInput) (urged []int64, err error) {
	now := w.e.st.Now()
	s := &w.inst.State
	kept := map[int64]time.Time{}
	var wait time.Duration
	for _, t := range w.tasks {
		if t.State != TaskOpen {
			continue
		}
		if at, ok := s.Urged[t.ID]; ok && now.Sub(at) < UrgeEvery {
			kept[t.ID] = at
			if left := at.Add(UrgeEvery).Sub(now); wait == 0 || left < wait {
				wait = left
			}
			continue
		}
		kept[t.ID] = now
		args := map[string]any{"comment": in.Comment}
		if st := stepOf(w.def, t.StepID); st != nil {
			args["step"], args["step_en"] = st.Title.ZH, st.Title.EN
		}
		w.by(args)
		w.notify(t.AssigneeID, "urged", t, args)
		urged = append(urged, t.ID)
	}
	if len(urged) == 0 {
		if wait == 0 {
			return nil, domain.Conflict("flow.ActOnInstance", "flow.nothing_to_urge")
		}
		return nil, domain.E(domain.KindTooMany, "flow.ActOnInstance", "flow.urge_too_soon",
			"minutes", int((wait+time.Minute-1)/time.Minute), "every", int(UrgeEvery/time.Minute))
	}
	s.Urged = kept
	return urged, nil
}
