package flow

import (
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
)

// Deadlines the way the rulebook counts them (issue 8 §3): a step's SLA
// counted in hours, days or working days, from the task's creation or from
// a time on the form, or taken from the form itself; escalation in levels;
// and deadlines that span several steps or the whole request. Every
// deadline is kept by stored timers (timer.go), claimed with a lease.

// Escalation is one level of escalation: After the deadline has passed by
// this much, To (a role, or "director": the assignee's director) is given
// the task too.
type Escalation struct {
	After string `yaml:"after" json:"after"`
	To    string `yaml:"to" json:"to"`
}

// Deadline is a definition-level deadline over several steps or the whole
// request: it starts when Start is entered (when the request is filed, if
// empty) and ends when End completes (when the request ends, if empty).
// Its due time, reminder, escalation and behaviour on returns are an SLA's
// (due, due_field, from, remind, escalate_to, escalate, on_return); its
// notices go to whoever has an open task when they fire, and the
// initiator.
type Deadline struct {
	ID    string `yaml:"id" json:"id"`
	Title Text   `yaml:"title" json:"title"`
	Start string `yaml:"start,omitempty" json:"start,omitempty"`
	End   string `yaml:"end,omitempty" json:"end,omitempty"`
	SLA   `yaml:",inline"`
	// Notify lists who else hears the deadline's reminders and overdue
	// notice, besides the holders of open tasks and the initiator (the
	// owners named in a table, a director named on the form).
	Notify []Assignee `yaml:"notify,omitempty" json:"notify,omitempty"`
}

// DeadlineState is a started definition-level deadline: its due time, how
// many times it started (timers of an earlier start do nothing), and
// whether it ended (its end step completed).
type DeadlineState struct {
	Due   time.Time `json:"due,omitzero"`
	Gen   int       `json:"gen"`
	Ended bool      `json:"ended,omitempty"`
}

// The values of SLA.OnReturn.
const (
	OnReturnRestart = "restart"
	OnReturnKeep    = "keep"
)

// slaDue computes the deadline of an SLA that starts at now: the time in
// its DueField, or Due counted from its From field (or now).
func (w *work) slaDue(s *SLA, now time.Time) time.Time {
	loc := w.e.zone()
	if s.DueField != "" {
		if at, ok := fieldTime(w.inst.Form[s.DueField], loc, true); ok {
			return at
		}
	}
	d := mustDuration(s.Due)
	if d.IsZero() {
		return time.Time{}
	}
	start := now
	if s.From != "" {
		if at, ok := fieldTime(w.inst.Form[s.From], loc, false); ok {
			start = at
		}
	}
	return d.After(start, w.e.Calendar())
}

// presetDue gives a new task of a step whose SLA keeps its deadline across
// returns (on_return: keep) the deadline the step's first task got; the
// first task's is computed now and kept in the instance's state. Other
// tasks get theirs when written (apply, slaDue).
func (w *work) presetDue(t *Task, st *Step) {
	if st.SLA == nil || st.SLA.OnReturn != OnReturnKeep || t.Kind != TaskSlot {
		return
	}
	s := &w.inst.State
	if due, ok := s.Due[st.ID]; ok {
		t.DueAt = due
		return
	}
	due := w.slaDue(st.SLA, w.e.st.Now())
	if due.IsZero() {
		return
	}
	if s.Due == nil {
		s.Due = map[string]time.Time{}
	}
	s.Due[st.ID] = due
	t.DueAt = due
}

// slaTimers returns the timers of a new task with a due time: a reminder
// Remind before due, the overdue notice at due, the escalation to
// EscalateTo at due, and each escalation level its After past due.
func (w *work) slaTimers(t *Task) []*Timer {
	return deadlineTimers(t.sla, t.DueAt, w.e.Calendar(), func(tm *Timer) { tm.TaskID = t.ID })
}

func deadlineTimers(s *SLA, due time.Time, cal Calendar, set func(*Timer)) []*Timer {
	var out []*Timer
	add := func(kind string, at time.Time, level int) {
		tm := &Timer{Kind: kind, DueAt: at, Level: level}
		set(tm)
		out = append(out, tm)
	}
	if r := mustDuration(s.Remind); !r.IsZero() {
		add(TimerRemind, r.Before(due, cal), 0)
	}
	for _, x := range s.Warnings {
		if r := mustDuration(x); !r.IsZero() {
			add(TimerRemind, r.Before(due, cal), 0)
		}
	}
	add(TimerOverdue, due, 0)
	if s.EscalateTo != "" {
		add(TimerEscalate, due, 0)
	}
	for i, l := range s.Escalate {
		add(TimerEscalate, mustDuration(l.After).After(due, cal), i+1)
	}
	return out
}

// escalationTarget is who level escalates to (0: EscalateTo).
func escalationTarget(s *SLA, level int) string {
	if level == 0 {
		return s.EscalateTo
	}
	if level <= len(s.Escalate) {
		return s.Escalate[level-1].To
	}
	return ""
}

// deadlineStart starts (or, as on_return says, restarts) the definition's
// deadlines that start at step id; an empty Start starts when the request
// is filed or resubmitted (its first step entered with nothing done yet).
func (w *work) deadlineStart(id string) {
	if len(w.def.Deadlines) == 0 {
		return
	}
	s := &w.inst.State
	filed := len(w.def.Steps) > 0 && id == w.def.Steps[0].ID && len(s.History) == 1 && s.History[0].Step == ""
	for i := range w.def.Deadlines {
		d := &w.def.Deadlines[i]
		if d.Start != id && !(d.Start == "" && filed) {
			continue
		}
		if s.Deadlines == nil {
			s.Deadlines = map[string]*DeadlineState{}
		}
		ds := s.Deadlines[d.ID]
		var due time.Time
		switch {
		case ds == nil || d.OnReturn != OnReturnKeep:
			due = w.slaDue(&d.SLA, w.e.st.Now())
		case !ds.Ended:
			continue // kept, and still running
		default:
			due = ds.Due // kept: back inside its span after it ended
		}
		gen := 1
		if ds != nil {
			gen = ds.Gen + 1
		}
		s.Deadlines[d.ID] = &DeadlineState{Due: due, Gen: gen}
		if !due.IsZero() {
			w.timers = append(w.timers, deadlineTimers(&d.SLA, due, w.e.Calendar(), func(tm *Timer) { tm.Ref, tm.Round = d.ID, gen })...)
		}
	}
}

// deadlineEnd ends the definition's deadlines that end when step id
// completes (or is passed over).
func (w *work) deadlineEnd(id string) {
	if len(w.def.Deadlines) == 0 {
		return
	}
	for i := range w.def.Deadlines {
		d := &w.def.Deadlines[i]
		if ds := w.inst.State.Deadlines[d.ID]; d.End == id && ds != nil {
			ds.Ended = true
		}
	}
}

// deadlineOf returns the definition's deadline with id.
func (d *Definition) deadlineOf(id string) *Deadline {
	for i := range d.Deadlines {
		if d.Deadlines[i].ID == id {
			return &d.Deadlines[i]
		}
	}
	return nil
}

// fireTask fires a task's timer: the reminder or the overdue notice to its
// assignee, or an escalation level. Each is recorded in the audit trail
// and on the timeline. It reports false when there is nothing to do any
// more (the task is closed).
func (w *work) fireTask(tm Timer) (bool, error) {
	t := w.findTask(tm.TaskID)
	if t == nil || t.State != TaskOpen {
		return false, nil
	}
	st := stepOf(w.def, t.StepID)
	if st == nil || st.SLA == nil {
		return false, nil
	}
	args := map[string]any{"step": st.Title.ZH, "step_en": st.Title.EN, "due": t.DueAt}
	switch tm.Kind {
	case TimerRemind:
		w.notify(t.AssigneeID, "due_soon", t, args)
		w.record(ActionRecord{TaskID: t.ID, StepID: t.StepID, Action: "remind", TargetID: t.AssigneeID})
		w.audit("flow.remind", []audit.Change{{Field: "task", New: t.ID}, {Field: "due", New: t.DueAt}}, "")
	case TimerOverdue:
		w.notify(t.AssigneeID, "overdue", t, args)
		w.record(ActionRecord{TaskID: t.ID, StepID: t.StepID, Action: "overdue", TargetID: t.AssigneeID})
		w.audit("flow.overdue", []audit.Change{{Field: "task", New: t.ID}, {Field: "due", New: t.DueAt}}, "")
	case TimerEscalate:
		to := escalationTarget(st.SLA, tm.Level)
		if to == "" {
			return false, nil
		}
		if err := w.escalateTo(t, st, to, tm.Level, ""); err != nil {
			return false, err
		}
	default:
		return false, nil
	}
	return true, nil
}

// fireDeadline fires a timer of a definition-level deadline: its reminder
// and overdue notice go to whoever holds an open task now and to the
// initiator; an escalation level adds the level's people to every step
// that is open. A timer of a deadline that ended, or that started again
// since, does nothing.
func (w *work) fireDeadline(tm Timer) (bool, error) {
	d := w.def.deadlineOf(tm.Ref)
	ds := w.inst.State.Deadlines[tm.Ref]
	if d == nil || ds == nil || ds.Ended || ds.Gen != tm.Round {
		return false, nil
	}
	label := d.Title.ZH
	if d.Title.EN != "" && d.Title.EN != d.Title.ZH {
		label += " / " + d.Title.EN
	}
	args := map[string]any{"step": d.Title.ZH, "step_en": d.Title.EN, "due": ds.Due}
	changes := []audit.Change{{Field: "deadline", New: d.ID}, {Field: "due", New: ds.Due}}
	switch tm.Kind {
	case TimerRemind, TimerOverdue:
		kind, action := "due_soon", "remind"
		if tm.Kind == TimerOverdue {
			kind, action = "overdue", "overdue"
		}
		told := map[int64]bool{}
		for _, t := range w.tasks {
			if t.State == TaskOpen && !told[t.AssigneeID] {
				told[t.AssigneeID] = true
				w.notify(t.AssigneeID, kind, t, args)
			}
		}
		if !told[w.inst.InitiatorID] {
			told[w.inst.InitiatorID] = true
			w.notify(w.inst.InitiatorID, kind, nil, args)
		}
		for _, a := range d.Notify {
			ps, err := w.resolveOne(&Step{ID: d.ID}, a)
			if err != nil {
				return false, err
			}
			for _, p := range ps {
				if !told[p.ID] {
					told[p.ID] = true
					w.notify(p.ID, kind, nil, args)
				}
			}
		}
		w.record(ActionRecord{Action: action, Comment: label})
		w.audit("flow."+action, changes, "")
	case TimerEscalate:
		to := escalationTarget(&d.SLA, tm.Level)
		if to == "" {
			return false, nil
		}
		var open []*Task
		for _, t := range w.tasks {
			if t.State == TaskOpen && (t.Kind == TaskSlot || t.Kind == TaskAdded) {
				open = append(open, t)
			}
		}
		if len(open) == 0 {
			w.record(ActionRecord{Action: "escalate", Comment: label})
			w.audit("flow.escalate", append(changes, audit.Change{Field: "level", New: tm.Level}, audit.Change{Field: "to", New: to},
				audit.Change{Field: "added", New: 0}), "")
		}
		for _, t := range open {
			if err := w.escalateTo(t, stepOf(w.def, t.StepID), to, tm.Level, label); err != nil {
				return false, err
			}
		}
	default:
		return false, nil
	}
	return true, nil
}

// escalateTo gives task t's step an escalation task for each person that
// to names (a role's holders, or "director": the assignee's director) who
// may act on it; the person acts for t's slot. The escalation and each
// person added are recorded in the audit trail and on the timeline, and
// the people are told. deadline is the label of a definition-level
// deadline ("" for the step's own).
func (w *work) escalateTo(t *Task, st *Step, to string, level int, deadline string) error {
	if st == nil {
		return nil
	}
	var people []domain.Person
	if to == "director" {
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
		ps, err := w.e.dir.WithRole(w.ctx, domain.Role(to), 0)
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
		w.record(ActionRecord{TaskID: t.ID, StepID: t.StepID, Action: "escalate", TargetID: p.ID, Comment: deadline})
		added++
	}
	if added == 0 {
		w.record(ActionRecord{TaskID: t.ID, StepID: t.StepID, Action: "escalate", Comment: deadline})
	}
	changes := []audit.Change{{Field: "task", New: t.ID}, {Field: "level", New: level}, {Field: "to", New: to}, {Field: "added", New: added}}
	if deadline != "" {
		changes = append(changes, audit.Change{Field: "deadline", New: deadline})
	}
	w.audit("flow.escalate", changes, "")
	return nil
}
