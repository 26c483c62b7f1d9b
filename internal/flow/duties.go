package flow

import "slices"

// Separation of duties (COMPLIANCE R10): the initiator is kept off the
// approval steps of their own request (four eyes), and a step may keep off
// whoever acted on named earlier steps (Step.Exclude): the analyst who
// entered results may not verify them. One rule, keptOff, decides it for
// every way someone comes to act on a step: resolution, transfer,
// delegation, added signers, the administrator naming someone, and the
// action itself.

// ExcludeInitiator in Step.Exclude keeps the initiator off a step kind
// task too (approval steps keep them off unless allow_self_approval).
const ExcludeInitiator = "initiator"

// keptOff returns the message key saying why person may not act on st, or
// "" when they may.
func (w *work) keptOff(st *Step, person int64) string {
	if person == w.inst.InitiatorID && (w.fourEyes(st) || slices.Contains(st.Exclude, ExcludeInitiator)) {
		return "flow.four_eyes"
	}
	for _, id := range st.Exclude {
		if slices.Contains(w.inst.State.Acted[id], person) {
			return "flow.excluded"
		}
	}
	return ""
}

// acted records that the actor acted on a step (approved, completed, or
// entered its values), for Step.Exclude. Unlike the history, it is never
// cut back by a return or a take-back: whoever once entered the results
// may not verify them, whichever round.
func (w *work) acted(step string) {
	s := &w.inst.State
	if slices.Contains(s.Acted[step], w.actor.ID) {
		return
	}
	if s.Acted == nil {
		s.Acted = map[string][]int64{}
	}
	s.Acted[step] = append(s.Acted[step], w.actor.ID)
}
