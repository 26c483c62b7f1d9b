package flow

import "labflow/internal/audit"

// outcome is the outcome an instance ending with status takes: the one
// the end step reached names, else the one the last completed step names,
// else, ending approved, the value of the definition's OutcomeFrom field,
// else the only declared outcome that goes with status. A definition
// without outcomes has none.
func (w *work) outcome(status Status) string {
	d := w.def
	if len(d.Outcomes) == 0 {
		return ""
	}
	fits := func(k string) bool {
		o, ok := d.OutcomeOf(k)
		return ok && o.Status == status
	}
	if k := w.endOutcome; k != "" && fits(k) {
		return k
	}
	h := w.inst.State.History
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Rejected || h[i].Step == "" {
			continue
		}
		if st := stepOf(d, h[i].Step); st != nil && st.Outcome != "" {
			if fits(st.Outcome) {
				return st.Outcome
			}
			break
		}
	}
	if status == StatusApproved && d.OutcomeFrom != "" {
		if k, ok := w.inst.Form[d.OutcomeFrom].(string); ok && fits(k) {
			return k
		}
	}
	only := ""
	for _, o := range d.Outcomes {
		if fits(o.Key) {
			if only != "" {
				return ""
			}
			only = o.Key
		}
	}
	return only
}

// setOutcome records on the instance the outcome it ends with, in the
// event that ends it, and returns the notice arguments that name it.
func (w *work) setOutcome(status Status, ev *audit.Entry) map[string]any {
	k := w.outcome(status)
	w.inst.Outcome = k
	if k == "" {
		return nil
	}
	ev.Changes = append(ev.Changes, audit.Change{Field: "outcome", New: k})
	return map[string]any{"outcome": w.def.OutcomeLabel(k, "zh"), "outcome_en": w.def.OutcomeLabel(k, "en")}
}

// rejectTo routes a rejection of the active step at idx to its on_reject
// step instead of ending the process: the step is closed as rejected (in
// the history, so that a return or take-back can come back to it) and the
// process goes on at st.OnReject, in the same parallel branch.
func (w *work) rejectTo(idx int, st *Step) error {
	as := w.inst.State.Active[idx]
	for _, t := range w.tasks {
		if t.StepID == as.Step && t.Round == as.Round && live(t) {
			w.setTask(t, TaskCancelled, "")
		}
	}
	s := &w.inst.State
	s.Active = append(s.Active[:idx:idx], s.Active[idx+1:]...)
	s.History = append(s.History, StepRecord{Step: as.Step, By: as.Approved, Last: w.actor.ID, Mode: as.Mode, Need: as.Need, Slots: as.Slots,
		Branch: as.Branch, Rejected: true})
	s.Touched = false
	s.Detour, s.Resume = nil, ""
	return w.enter(st.OnReject, as.Branch)
}
