package flow

import (
	"time"

	"labflow/internal/audit"
)

// StepWait is a step that nobody acts on: it waits for a duration, or
// until a date or time on the form, and a timer completes it.
const StepWait StepKind = "wait"

// Wait says how long a wait step waits: For a duration from when the step
// is entered, or Until the date or time in a form field; with both, For
// after that time. A step whose time has already come (or whose Until
// field is empty and that has no For) goes on at once.
type Wait struct {
	For   string `yaml:"for,omitempty" json:"for,omitempty"`
	Until string `yaml:"until,omitempty" json:"until,omitempty"`
}

// wakeAt is when a wait step entered at now goes on.
func (w *work) wakeAt(st *Step, now time.Time) time.Time {
	if st.Wait == nil {
		return now
	}
	start := now
	if st.Wait.Until != "" {
		at, ok := fieldTime(w.inst.Form[st.Wait.Until], w.e.zone(), false)
		if !ok && st.Wait.For == "" {
			return now
		}
		if ok {
			start = at
		}
	}
	return mustDuration(st.Wait.For).After(start, w.e.Calendar())
}

// enterWait activates a wait step: it waits, with a timer that completes
// it (wake), unless its time has come.
func (w *work) enterWait(st *Step, branch string, detour bool) error {
	now := w.e.st.Now()
	at := w.wakeAt(st, now)
	s := &w.inst.State
	s.Round++
	s.Active = append(s.Active, ActiveStep{Step: st.ID, Round: s.Round, Branch: branch, Waiting: true, Detour: detour})
	if !at.After(now) {
		return w.completeStep(len(s.Active) - 1)
	}
	w.timers = append(w.timers, &Timer{Kind: TimerWake, Ref: st.ID, Round: s.Round, DueAt: at})
	w.record(ActionRecord{StepID: st.ID, Action: "wait", Comment: at.UTC().Format(time.RFC3339)})
	return nil
}

// wake completes a wait step whose time has come, unless it no longer
// waits (the request was withdrawn, returned or taken back meanwhile).
func (w *work) wake(tm Timer) (bool, error) {
	idx := w.activeIndex(tm.Ref, tm.Round)
	if idx < 0 || !w.inst.State.Active[idx].Waiting || stepOf(w.def, tm.Ref) == nil || stepOf(w.def, tm.Ref).Kind != StepWait {
		return false, nil
	}
	w.record(ActionRecord{StepID: tm.Ref, Action: "wake"})
	w.audit("flow.wake", []audit.Change{{Field: "step", New: tm.Ref}, {Field: "due", New: tm.DueAt}}, "")
	return true, w.completeStep(idx)
}
