package flow

import (
	"slices"
	"strconv"
	"strings"

	"labflow/internal/audit"
	"labflow/internal/domain"
)

// This file is the state machine: entering and leaving steps, countersign
// bookkeeping, completing steps and ending instances. It works on a work
// (in memory); apply writes the result.

const maxHops = 200

// activeIndex finds the active entry of a step round.
func (w *work) activeIndex(step string, round int) int {
	for i, a := range w.inst.State.Active {
		if a.Step == step && a.Round == round {
			return i
		}
	}
	return -1
}

func live(t *Task) bool {
	return t.State == TaskOpen || t.State == TaskWaiting || t.State == TaskUnassigned
}

func (w *work) findTask(id int64) *Task {
	for _, t := range w.tasks {
		if t.ID == id {
			return t
		}
	}
	return nil
}

// enter activates a step; branch is the parallel branch it runs in.
func (w *work) enter(id, branch string) error { return w.enterStep(id, branch, false) }

// enterStep activates a step; detour marks a step run from State.Detour,
// after which the detour goes on (continueDetour) instead of the step's
// own next.
func (w *work) enterStep(id, branch string, detour bool) error {
	w.hops++
	if w.hops > maxHops {
		return domain.Wrap("flow.enter", errString("definition "+w.def.Key+" loops through step "+id))
	}
	if id == "" || id == "end" {
		return w.finish(StatusApproved, "")
	}
	st := stepOf(w.def, id)
	if st == nil {
		return domain.Wrap("flow.enter", errString("definition "+w.def.Key+" has no step "+id))
	}
	w.deadlineStart(id) // definition-level deadlines that start here (deadline.go)
	if st.When != "" {
		ok, err := w.cond(st.When, "steps."+id+".when")
		if err != nil {
			return err
		}
		if !ok {
			w.skip(id)
			if detour {
				return w.continueDetour(branch)
			}
			// A passed-over step does not branch: it goes to its next.
			return w.leave(st, branch, true)
		}
	}
	w.unskip(id)
	switch st.Kind {
	case StepEnd:
		w.endOutcome = st.Outcome
		if err := w.builtins(st); err != nil {
			return err
		}
		// An end step whose outcome goes with rejected (a refusal routed
		// by on_reject, a failed test) ends the process rejected.
		status := StatusApproved
		if o, ok := w.def.OutcomeOf(st.Outcome); ok && o.Status == StatusRejected {
			status = StatusRejected
		}
		return w.finish(status, "")
	case StepParallel:
		if w.inst.State.Joins == nil {
			w.inst.State.Joins = map[string]int{}
		}
		if st.Join != "" {
			w.inst.State.Joins[st.Join] = 0
		}
		for _, p := range st.Parallel {
			if err := w.enter(p, p); err != nil {
				return err
			}
			if w.inst.Status != StatusRunning {
				return nil
			}
		}
		return nil
	case StepJoin:
		need := 1
		for i := range w.def.Steps {
			if w.def.Steps[i].Kind == StepParallel && w.def.Steps[i].Join == id {
				need = len(w.def.Steps[i].Parallel)
			}
		}
		if w.inst.State.Joins == nil {
			w.inst.State.Joins = map[string]int{}
		}
		w.inst.State.Joins[id]++
		if w.inst.State.Joins[id] < need {
			return nil
		}
		delete(w.inst.State.Joins, id)
		return w.leave(st, "", false)
	case StepSubprocess:
		return w.startChild(st, branch, detour)
	case StepAwait:
		return w.await(st, branch, detour)
	case StepWait:
		return w.enterWait(st, branch, detour)
	}
	if isExternal(st) {
		return w.enterExternal(st, branch, detour)
	}
	if st.Each != "" {
		if rows, _ := tableRows(w.inst.Form[st.Each]); len(rows) == 0 {
			// No rows, nobody to ask: the step is not needed.
			w.skip(id)
			if detour {
				return w.continueDetour(branch)
			}
			return w.leave(st, branch, true)
		}
		w.inst.State.Round++
		w.inst.State.Active = append(w.inst.State.Active, ActiveStep{Step: id, Round: w.inst.State.Round, Mode: st.Mode, Branch: branch, Detour: detour})
		return w.staffEach(st, len(w.inst.State.Active)-1)
	}
	people, err := w.assignees(st)
	if err != nil {
		return err
	}
	w.inst.State.Round++
	as := ActiveStep{Step: id, Round: w.inst.State.Round, Mode: st.Mode, Branch: branch, Detour: detour}
	if as.Mode == "" {
		as.Mode = ModeAny
	}
	w.inst.State.Active = append(w.inst.State.Active, as)
	return w.staff(st, len(w.inst.State.Active)-1, people)
}

// staff gives the active step at idx its tasks, one per assignee as its
// mode says; with nobody to act it waits for the organisation to be fixed
// (an unassigned placeholder task, a warning, and a notice to the
// initiator and the administrators).
func (w *work) staff(st *Step, idx int, people []domain.Person) error {
	as := &w.inst.State.Active[idx]
	as.Slots, as.Queue, as.Unassigned = len(people), nil, false
	if len(people) == 0 {
		as.Unassigned, as.Need = true, 1
		return w.placeholder(st, as.Round, 0, map[string]any{"step": st.Title.ZH, "step_en": st.Title.EN})
	}
	if st.RequireChair {
		chair, err := w.committeeChair(st)
		if err != nil {
			return err
		}
		if chair == 0 || !slices.ContainsFunc(people, func(p domain.Person) bool { return p.ID == chair }) {
			// No chair who may act: the decision cannot be taken; it waits
			// for the organisation to be fixed, like a step nobody resolves to.
			return w.staff(&Step{ID: st.ID, Title: st.Title}, idx, nil)
		}
		as.Chair = chair
	}
	first := people
	switch as.Mode {
	case ModeSingle:
		first, as.Need, as.Slots = people[:1], 1, 1
	case ModeSequential:
		first, as.Need = people[:1], len(people)
		for _, p := range people[1:] {
			as.Queue = append(as.Queue, p.ID)
		}
	case ModeAll:
		as.Need = len(people)
	case ModeQuorum:
		as.Need = quorum(st.Quorum, len(people))
	default:
		as.Need = 1
	}
	for i, p := range first {
		w.newTask(st, as.Round, i, p, TaskSlot, 0, 0)
	}
	return nil
}

// placeholder holds the place of a slot nobody resolved to act on: an
// unassigned task, a warning on the request, and a notice to the
// initiator and the administrators, who fix the organisation or name
// someone (Engine.Assign).
func (w *work) placeholder(st *Step, round, slot int, args map[string]any) error {
	t := &Task{StepID: st.ID, Round: round, Slot: slot, State: TaskUnassigned, Kind: TaskSlot, DefinitionKey: w.def.Key, InitiatorID: w.inst.InitiatorID}
	w.added = append(w.added, t)
	w.tasks = append(w.tasks, t)
	w.inst.State.Warnings = append(w.inst.State.Warnings, Warning{Step: st.ID, Msg: domain.Msg{Key: "flow.warn.no_assignee", Args: args}})
	w.notify(w.inst.InitiatorID, "no_assignee", nil, args)
	admins, err := w.e.dir.WithRole(w.ctx, domain.RoleSysAdmin, 0)
	if err != nil && !domain.IsKind(err, domain.KindNotFound) {
		return err
	}
	for _, a := range admins {
		w.notify(a.ID, "fix_assignee", t, args)
	}
	return nil
}

// skip records a step passed over by its condition in this pass.
func (w *work) skip(id string) {
	w.deadlineEnd(id) // a deadline that ends here ends when it is passed over too
	s := &w.inst.State
	for _, k := range s.Skipped {
		if k.Step == id {
			return
		}
	}
	s.Skipped = append(s.Skipped, Skip{Step: id, At: len(s.History)})
}

// unskip forgets that a step was passed over (it runs now).
func (w *work) unskip(id string) {
	s := &w.inst.State
	for i, k := range s.Skipped {
		if k.Step == id {
			s.Skipped = append(s.Skipped[:i:i], s.Skipped[i+1:]...)
			return
		}
	}
}

// forgetAfter drops what this pass recorded after the history's first n
// records (a return or take-back to there): passed-over steps the walk will
// meet again, and any detour.
func (w *work) forgetAfter(n int) {
	s := &w.inst.State
	kept := s.Skipped[:0:0]
	for _, k := range s.Skipped {
		if k.At <= n {
			kept = append(kept, k)
		}
	}
	s.Skipped, s.Detour, s.Resume = kept, nil, ""
}

// continueDetour enters the next step of the detour, or, when it is done,
// the step the process was going on to.
func (w *work) continueDetour(branch string) error {
	s := &w.inst.State
	if len(s.Detour) > 0 {
		id := s.Detour[0]
		s.Detour = s.Detour[1:]
		return w.enterStep(id, branch, true)
	}
	next := s.Resume
	s.Resume = ""
	return w.enter(next, branch)
}

type errString string

func (e errString) Error() string { return string(e) }

// quorum turns "2", "60%" or "2/3" into a number of approvals out of m.
func quorum(q string, m int) int {
	q = strings.TrimSpace(q)
	n := m
	switch {
	case strings.HasSuffix(q, "%"):
		if p, err := strconv.Atoi(strings.TrimSuffix(q, "%")); err == nil {
			n = (m*p + 99) / 100
		}
	case strings.Contains(q, "/"):
		a, b, _ := strings.Cut(q, "/")
		x, err1 := strconv.Atoi(a)
		y, err2 := strconv.Atoi(b)
		if err1 == nil && err2 == nil && y > 0 {
			n = (m*x + y - 1) / y
		}
	default:
		if v, err := strconv.Atoi(q); err == nil {
			n = v
		}
	}
	if n < 1 {
		n = 1
	}
	if n > m {
		n = m
	}
	return n
}

func (w *work) newTask(st *Step, round, slot int, p domain.Person, kind TaskKind, parent, addedBy int64) *Task {
	t := &Task{StepID: st.ID, Round: round, Slot: slot, AssigneeID: p.ID, AssigneeName: p.Name, State: TaskOpen, Kind: kind,
		ParentTaskID: parent, AddedBy: addedBy, DefinitionKey: w.def.Key, InitiatorID: w.inst.InitiatorID, sla: st.SLA}
	w.presetDue(t, st) // a deadline kept across returns (deadline.go)
	w.added = append(w.added, t)
	w.tasks = append(w.tasks, t)
	w.notify(p.ID, "task", t, map[string]any{"step": st.Title.ZH, "step_en": st.Title.EN})
	return t
}

// leave goes on from a step that completed, or that was passed over.
func (w *work) leave(st *Step, branch string, passedOver bool) error {
	next, err := w.nextStep(st, passedOver)
	if err != nil {
		return err
	}
	return w.enter(next, branch)
}

// nextStep is where the process goes after st: the first branch whose
// condition holds, else Next, else the following step in the list (or
// "end"). A step passed over by its condition does not branch: it goes to
// Next or the following step.
func (w *work) nextStep(st *Step, passedOver bool) (string, error) {
	for i, b := range st.Branches {
		if passedOver {
			break
		}
		ok, err := w.cond(b.When, "steps."+st.ID+".branches["+strconv.Itoa(i)+"].when")
		if err != nil {
			return "", err
		}
		if ok {
			return b.To, nil
		}
	}
	if st.Next != "" {
		return st.Next, nil
	}
	for i := range w.def.Steps {
		if w.def.Steps[i].ID == st.ID && i+1 < len(w.def.Steps) {
			return w.def.Steps[i+1].ID, nil
		}
	}
	return "end", nil
}

// reachable walks the definition from its first step the way the form as
// it stands would take it — conditions pass steps over, branches choose —
// and returns the steps it would enter. ok is false when a condition cannot
// be evaluated yet (a field still empty), so that nothing is called not
// needed on a guess.
func (w *work) reachable() (reach map[string]bool, ok bool) {
	reach = map[string]bool{}
	visited := map[string]bool{}
	var walk func(id, stop string) bool
	walk = func(id, stop string) bool {
		for id != "" && id != "end" && id != stop && !visited[id] {
			visited[id] = true
			st := stepOf(w.def, id)
			if st == nil {
				return true
			}
			enter := true
			if st.When != "" {
				holds, err := w.cond(st.When, "steps."+id+".when")
				if err != nil {
					return false
				}
				enter = holds
			}
			if enter {
				reach[id] = true
				switch st.Kind {
				case StepEnd:
					return true
				case StepParallel:
					for _, p := range st.Parallel {
						if !walk(p, st.Join) {
							return false
						}
					}
					id = st.Join
					continue
				}
			}
			next, err := w.nextStep(st, !enter)
			if err != nil {
				return false
			}
			id = next
		}
		return true
	}
	if len(w.def.Steps) == 0 {
		return reach, true
	}
	return reach, walk(w.def.Steps[0].ID, "")
}

// maybeComplete completes the active step when its mode is satisfied and
// no added signer is still pending.
func (w *work) maybeComplete(idx int) error {
	as := w.inst.State.Active[idx]
	if len(as.Approved) < as.Need || len(as.Queue) > 0 || !as.chairVoted() {
		return nil
	}
	for _, t := range w.tasks {
		if t.StepID == as.Step && t.Round == as.Round && t.Kind == TaskAdded && live(t) {
			return nil
		}
	}
	return w.completeStep(idx)
}

// guards runs the named guards on the instance's form; stepID is "" for
// the definition's own (start and resubmit).
func (w *work) guards(names []string, stepID string) error {
	for _, g := range names {
		f, ok := w.e.reg.Guard(g)
		if !ok {
			return domain.E(domain.KindInternal, "flow.guard", "error.internal", "guard", g)
		}
		if err := f(w.ctx, GuardInput{DefinitionKey: w.def.Key, StepID: stepID, Form: w.inst.Form, Actor: w.actor,
			InitiatorID: w.inst.InitiatorID}); err != nil {
			return err
		}
	}
	return nil
}

// completeStep runs the guards, closes the step and moves on.
func (w *work) completeStep(idx int) error {
	as := w.inst.State.Active[idx]
	st := stepOf(w.def, as.Step)
	if err := w.guards(st.Guards, st.ID); err != nil {
		return err
	}
	for _, t := range w.tasks {
		if t.StepID == as.Step && t.Round == as.Round && live(t) {
			w.setTask(t, TaskCancelled, "")
		}
	}
	w.deadlineEnd(as.Step) // definition-level deadlines that end here (deadline.go)
	s := &w.inst.State
	s.Active = append(s.Active[:idx:idx], s.Active[idx+1:]...)
	s.History = append(s.History, StepRecord{Step: as.Step, By: as.Approved, Last: w.actor.ID, Mode: as.Mode, Need: as.Need, Slots: as.Slots,
		Branch: as.Branch, Against: as.Against})
	s.Touched = false
	next := ""
	if !as.Detour {
		var err error
		if next, err = w.nextStep(st, false); err != nil {
			return err
		}
		if next == st.ID && len(s.Detour) == 0 {
			// Back to itself: the step runs again (a new round); it has
			// not completed, so nobody is copied or told, and no effect runs.
			return w.enter(next, as.Branch)
		}
	}
	for _, a := range st.CC {
		ps, err := w.resolveOne(st, a)
		if err != nil {
			return err
		}
		for _, p := range ps {
			w.ccs = append(w.ccs, p.ID)
			w.notify(p.ID, "copied", nil, nil)
		}
	}
	informed := map[int64]bool{}
	for _, a := range st.Notify {
		ps, err := w.resolveOne(st, a)
		if err != nil {
			return err
		}
		for _, p := range ps {
			if !informed[p.ID] {
				informed[p.ID] = true
				w.parties = append(w.parties, p.ID)
				w.notify(p.ID, "step_done", nil, map[string]any{"step": st.Title.ZH, "step_en": st.Title.EN})
			}
		}
	}
	for _, name := range st.Effects {
		w.effs = append(w.effs, st.ID+"\x00"+name)
	}
	w.life(LifeStepDone, st.ID)
	if err := w.builtins(st); err != nil {
		return err
	}
	if as.Detour {
		return w.continueDetour(as.Branch)
	}
	if len(s.Detour) > 0 {
		s.Resume = next
		return w.continueDetour(as.Branch)
	}
	return w.enter(next, as.Branch)
}

// cancelLive cancels every open or waiting task of the instance.
func (w *work) cancelLive() []*Task {
	var out []*Task
	for _, t := range w.tasks {
		if live(t) {
			w.setTask(t, TaskCancelled, "")
			out = append(out, t)
		}
	}
	return out
}

// forkOf returns the parallel step that has branch among its branches.
func forkOf(d *Definition, branch string) *Step {
	if branch == "" {
		return nil
	}
	for i := range d.Steps {
		if d.Steps[i].Kind == StepParallel && slices.Contains(d.Steps[i].Parallel, branch) {
			return &d.Steps[i]
		}
	}
	return nil
}

// block is what a return or take-back to a step of a parallel branch keeps
// of the rest of the block: the other branches go on.
type block struct {
	fork    *Step
	arrived int          // other branches that had reached the join
	keep    []ActiveStep // other branches' active steps, kept with their tasks
	again   []ActiveStep // other branches' active steps to enter again (the returner's own)
}

// cancelFor cancels the live work before a return or take-back to a step
// of branch. Outside a parallel block that is all of it. Inside one, the
// other branches' active steps keep their tasks, except the step of the
// returner's task (round own), which is entered again by resume.
func (w *work) cancelFor(branch string, own int) ([]*Task, block) {
	s := &w.inst.State
	b := block{fork: forkOf(w.def, branch)}
	kept := map[int]bool{}
	if b.fork != nil {
		busy := map[string]bool{}
		for _, a := range s.Active {
			if a.Branch == "" || a.Branch == branch || !slices.Contains(b.fork.Parallel, a.Branch) {
				continue
			}
			busy[a.Branch] = true
			if a.Round == own && !a.Waiting {
				b.again = append(b.again, a)
			} else {
				b.keep = append(b.keep, a)
				kept[a.Round] = true
			}
		}
		for _, p := range b.fork.Parallel {
			if p != branch && !busy[p] {
				b.arrived++
			}
		}
	}
	var out []*Task
	for _, t := range w.tasks {
		if live(t) && !kept[t.Round] {
			w.setTask(t, TaskCancelled, "")
			out = append(out, t)
		}
	}
	s.Active, s.Joins = nil, nil
	return out, b
}

// resume restores the rest of a parallel block after cancelFor, before the
// step returned or taken back to is entered again.
func (w *work) resume(b block) error {
	if b.fork == nil {
		return nil
	}
	s := &w.inst.State
	s.Active = append(s.Active, b.keep...)
	s.Joins = map[string]int{b.fork.Join: b.arrived}
	for _, a := range b.again {
		if err := w.enter(a.Step, a.Branch); err != nil {
			return err
		}
	}
	return nil
}

// finish ends the instance and, for a subprocess, resumes its parent.
func (w *work) finish(status Status, reason string) error {
	if w.inst.Status != StatusRunning {
		return nil
	}
	w.cancelLive()
	old := w.inst.Status
	w.inst.Status = status
	w.inst.State.Active = nil
	w.inst.State.Joins = nil
	// The status change joins the event of the action that caused it (one
	// event per transition); an end without one gets its own "flow.end".
	change := audit.Change{Field: "status", Old: string(old), New: string(status)}
	if n := len(w.audits); n > 0 {
		w.audits[n-1].Changes = append(w.audits[n-1].Changes, change)
	} else {
		w.audits = append(w.audits, audit.Entry{ActorID: w.actor.ID, ActorName: w.actor.Name, Action: "flow.end", Entity: "instance",
			Changes: []audit.Change{change}, Reason: reason})
	}
	w.endNotice(status, reason, w.setOutcome(status, &w.audits[len(w.audits)-1]))
	if status == StatusApproved {
		w.life(LifeApproved, "")
	} else {
		w.life(LifeRejected, "")
	}
	w.life(LifeEnded, "")
	if err := w.resumeWaiters(); err != nil {
		return err
	}
	var pw *work
	if w.parent != nil {
		pw = w.parent
	} else if w.inst.ParentID != 0 {
		var err error
		pw, err = w.e.load(w.ctx, w.actor, w.inst.ParentID)
		if err != nil {
			return err
		}
		w.extra = append(w.extra, pw)
	}
	if pw == nil || pw.inst.Status != StatusRunning {
		return nil
	}
	for i, a := range pw.inst.State.Active {
		if a.Step == w.inst.ParentStep && a.Waiting {
			changes := []audit.Change{{Field: "child", New: w.inst.DefinitionKey}, {Field: "status", New: string(status)}}
			if status == StatusApproved {
				changes = append(changes, pw.handBack(a.Step, w.inst.Form)...)
			}
			pw.audit("flow.subprocess_end", changes, "")
			if status == StatusApproved {
				return pw.completeStep(i)
			}
			return pw.finish(StatusRejected, reason)
		}
	}
	return nil
}

// startChild starts the subprocess of st and waits for it.
func (w *work) startChild(st *Step, branch string, detour bool) error {
	cdef, ok := w.e.Definition(st.Subprocess)
	if !ok {
		return domain.NotFound("flow.subprocess", "entity.definition")
	}
	w.inst.State.Round++
	w.inst.State.Active = append(w.inst.State.Active, ActiveStep{Step: st.ID, Round: w.inst.State.Round, Branch: branch, Waiting: true, Detour: detour})
	form := map[string]any{}
	for _, f := range cdef.Form {
		if v, ok := w.inst.Form[f.Key]; ok {
			form[f.Key] = v
		}
	}
	child := &Instance{DefinitionKey: cdef.Key, DefinitionVersion: cdef.Version, Title: cdef.Title.ZH, InitiatorID: w.inst.InitiatorID,
		InitiatorName: w.inst.InitiatorName, InitiatorDept: w.inst.InitiatorDept, Status: StatusRunning, Form: form, ParentStep: st.ID,
		State: State{Vars: w.inst.State.Vars, History: []StepRecord{{Step: "", Last: w.inst.InitiatorID}}}}
	cw := w.e.newWork(w.ctx, w.actor, cdef, child, nil)
	cw.parent = w
	cw.hops = w.hops
	w.kids = append(w.kids, cw)
	cw.audit("flow.start", append([]audit.Change{{Field: "definition", New: cdef.Key + "@" + strconv.Itoa(cdef.Version)}, {Field: "parent_step", New: st.ID},
		{Field: "title", New: child.Title}, {Field: "status", New: string(StatusRunning)}}, formChanges(nil, form)...), "")
	cw.record(ActionRecord{Action: "start"})
	return cw.enter(cdef.Steps[0].ID, "")
}

// inherit gives a task made by a transfer or delegation the deadline of
// the task it replaces (with timers at the same times), so that passing
// work on never drops or restarts its deadline.
func (t *Task) inherit(old *Task) {
	t.DueAt = old.DueAt
	if old.DueAt.IsZero() {
		t.sla = nil
	}
}
