package flow

import (
	"context"
	"errors"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
)

func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	return time.ParseDuration(s)
}

// slaTimers returns the timers of a new task with a due time: a reminder
// Remind before due, the overdue notice at due, and an escalation at due.
func slaTimers(sla *SLA, t *Task) []*Timer {
	var out []*Timer
	if r, err := parseDuration(sla.Remind); err == nil && r > 0 {
		out = append(out, &Timer{TaskID: t.ID, Kind: TimerRemind, DueAt: t.DueAt.Add(-r)})
	}
	out = append(out, &Timer{TaskID: t.ID, Kind: TimerOverdue, DueAt: t.DueAt})
	if sla.EscalateTo != "" {
		out = append(out, &Timer{TaskID: t.ID, Kind: TimerEscalate, DueAt: t.DueAt})
	}
	return out
}

var errFired = errors.New("flow: timer already fired")

// RunTimers fires the SLA timers due at now, each once: reminders and
// overdue notices to the assignee, escalation as an extra task for the
// step's EscalateTo role or the assignee's director. Timers are stored, so
// a restart loses none; a timer fired by another process is skipped. It
// returns how many fired.
func (e *Engine) RunTimers(ctx context.Context, now time.Time) (int, error) {
	n := 0
	for {
		timers, err := e.st.DueTimers(ctx, now, 200)
		if err != nil {
			return n, err
		}
		if len(timers) == 0 {
			return n, nil
		}
		progress := false
		for _, tm := range timers {
			ok, err := e.fire(ctx, tm)
			if err != nil {
				return n, err
			}
			if ok {
				n++
			}
			progress = true
		}
		if !progress || len(timers) < 200 {
			return n, nil
		}
	}
}

func (e *Engine) fire(ctx context.Context, tm Timer) (bool, error) {
	for attempt := 0; attempt < 8; attempt++ {
		w, err := e.load(ctx, domain.System, tm.InstanceID)
		if err != nil && !domain.IsKind(err, domain.KindNotFound) {
			return false, err
		}
		var t *Task
		if w != nil {
			t = w.findTask(tm.TaskID)
		}
		if w == nil || t == nil || t.State != TaskOpen || w.inst.Status != StatusRunning {
			// Nothing to do any more: just mark it fired.
			err := e.st.Write(ctx, func(tx Tx) error {
				_, err := tx.FireTimer(tm.ID, tx.Now())
				return err
			})
			return false, err
		}
		st := stepOf(w.def, t.StepID)
		args := map[string]any{"step": st.Title.ZH, "step_en": st.Title.EN, "due": t.DueAt}
		switch tm.Kind {
		case TimerRemind:
			w.notify(t.AssigneeID, "due_soon", t, args)
			w.audit("flow.remind", []audit.Change{{Field: "task", New: t.ID}}, "")
		case TimerOverdue:
			w.notify(t.AssigneeID, "overdue", t, args)
			w.audit("flow.overdue", []audit.Change{{Field: "task", New: t.ID}}, "")
		case TimerEscalate:
			if err := w.escalate(t, st); err != nil {
				return false, err
			}
		}
		w.fire = tm.ID
		err = e.commit(ctx, w)
		if errors.Is(err, errStale) {
			continue
		}
		if errors.Is(err, errFired) {
			return false, nil
		}
		return err == nil, err
	}
	return false, domain.Conflict("flow.RunTimers", "error.conflict")
}

func (w *work) escalate(t *Task, st *Step) error {
	var people []domain.Person
	if st.SLA.EscalateTo == "director" {
		p, err := w.e.dir.Person(w.ctx, t.AssigneeID)
		if err != nil {
			return ignoreNotFound(err)
		}
		if p.DepartmentID != 0 {
			d, err := w.e.dir.DirectorOf(w.ctx, p.DepartmentID)
			if err != nil {
				if ignoreNotFound(err) != nil {
					return err
				}
			} else {
				people = append(people, d)
			}
		}
	} else {
		ps, err := w.e.dir.WithRole(w.ctx, domain.Role(st.SLA.EscalateTo), 0)
		if err != nil && ignoreNotFound(err) != nil {
			return err
		}
		people = ps
	}
	added := 0
	for _, p := range people {
		if !mayActInBusiness(p) || w.inStep(t.StepID, t.Round, p.ID) || w.keptOff(st, p.ID) != "" {
			continue
		}
		w.newTask(st, t.Round, t.Slot, p, TaskEscalation, 0, 0).sla = nil
		w.notify(p.ID, "escalated", nil, map[string]any{"step": st.Title.ZH, "step_en": st.Title.EN})
		added++
	}
	w.audit("flow.escalate", []audit.Change{{Field: "task", New: t.ID}, {Field: "added", New: added}}, "")
	return nil
}

// inStep reports whether person already holds a live task of the step
// round or approved it (the same person never fills two slots).
func (w *work) inStep(step string, round int, person int64) bool {
	for _, t := range w.tasks {
		if t.StepID == step && t.Round == round && live(t) && t.AssigneeID == person {
			return true
		}
	}
	if i := w.activeIndex(step, round); i >= 0 {
		for _, id := range w.inst.State.Active[i].Approved {
			if id == person {
				return true
			}
		}
	}
	return false
}
