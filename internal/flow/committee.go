package flow

import (
	"slices"

	"labflow/internal/audit"
	"labflow/internal/domain"
)

// Committee decisions as the rulebook makes them: members vote; a member
// may dissent with a reason while the decision passes (kept and shown, and
// signed with the meaning "disapproval" on a signed step, R7); a quorum
// may have to include the chair (Step.RequireChair).

// committeeChair is the chair of the committee st is assigned to (0 when
// none is named).
func (w *work) committeeChair(st *Step) (int64, error) {
	// The committee the step names: `committee: true` is the Technical
	// Committee, `committee: KEY` any other (committeeref.go).
	_, chair, err := w.committee(w.ctx, st.Assignee.Committee)
	if err != nil {
		return 0, ignoreNotFound(err)
	}
	return chair.ID, nil
}

// chairVoted reports whether the step's decision may complete as far as
// its chair is concerned: no chair is required, or the chair voted.
func (as *ActiveStep) chairVoted() bool {
	return as.Chair == 0 || slices.Contains(as.Approved, as.Chair) || slices.Contains(as.Against, as.Chair)
}

// dissent records a member's vote against, with its reason: their task is
// done ("dissented"), the step goes on while the others can still reach
// its quorum, and fails (as a rejection would) when they cannot.
func (w *work) dissent(t *Task, st *Step, in ActInput) error {
	idx, err := w.step(t)
	if err != nil {
		return err
	}
	if t.Kind != TaskSlot && t.Kind != TaskEscalation {
		return domain.E(domain.KindForbidden, "flow.Act", "flow.action_not_allowed", "action", string(ActDissent))
	}
	t.Comment = in.Comment
	w.setTask(t, TaskDone, "dissented")
	w.inst.State.Touched = true
	w.acted(t.StepID)
	changes := []audit.Change{{Field: "step", New: t.StepID}}
	var meaning Meaning
	if st.Signature != "" {
		meaning = MeaningDisapprove
		g, err := w.sign(t, meaning)
		if err != nil {
			return err
		}
		changes = append(changes, audit.Change{Field: "signature", New: string(meaning)}, audit.Change{Field: "content_hash", New: g.ContentHash})
	}
	w.record(ActionRecord{TaskID: t.ID, StepID: t.StepID, Action: string(ActDissent), Comment: in.Comment, Meaning: meaning, Attachments: in.Attachments})
	w.audit("flow.dissent", changes, in.Comment)
	return w.voteAgainst(idx, t, in.Comment)
}

// voteAgainst counts a vote against the step at idx (a dissent, or a
// rejection in mode any or quorum): while the open slots can still reach
// the step's need, the step waits for them (or completes, if the votes
// cast already decide it); otherwise the decision fails and the step is
// rejected (routed by on_reject, or the process ends rejected).
func (w *work) voteAgainst(idx int, t *Task, reason string) error {
	as := &w.inst.State.Active[idx]
	as.Rejected++
	if !slices.Contains(as.Against, w.actor.ID) {
		as.Against = append(as.Against, w.actor.ID)
	}
	slots := map[int]bool{}
	for _, o := range w.tasks {
		if o.StepID == t.StepID && o.Round == t.Round && live(o) && o.Slot != t.Slot && o.Kind != TaskAdded {
			slots[o.Slot] = true
		}
	}
	if len(as.Approved)+len(slots) >= as.Need {
		for _, o := range w.tasks {
			if o.StepID == t.StepID && o.Round == t.Round && o.Slot == t.Slot && live(o) {
				w.setTask(o, TaskCancelled, "")
			}
		}
		// The chair's vote may have been the one the quorum waited for.
		return w.maybeComplete(idx)
	}
	if st := stepOf(w.def, t.StepID); st != nil && st.OnReject != "" {
		w.tellInitiator("step_rejected", st, map[string]any{"reason": reason})
		return w.rejectTo(idx, st)
	}
	return w.finish(StatusRejected, reason)
}
