package flow

import (
	"strings"

	"labflow/internal/domain"
)

// Fan-out (Step.Each): one task per row of a table field, slot i for row
// i, with the assignee resolved for that row; a task edits its own row
// only and needs its own row's required values.

// staffEach gives the active step at idx one task per row of st.Each. A
// row nobody resolves for waits, visibly, with a placeholder task of its
// own (the administrator names someone, or the organisation is fixed).
func (w *work) staffEach(st *Step, idx int) error {
	as := &w.inst.State.Active[idx]
	rows, _ := tableRows(w.inst.Form[st.Each])
	as.Slots, as.Queue, as.Unassigned = len(rows), nil, false
	switch as.Mode {
	case ModeQuorum:
		as.Need = quorum(st.Quorum, len(rows))
	case ModeAny:
		as.Need = 1
	default:
		as.Mode, as.Need = ModeAll, len(rows)
	}
	for i, row := range rows {
		p, err := w.rowAssignee(st, row)
		if err != nil {
			return err
		}
		if p.ID != 0 {
			w.newTask(st, as.Round, i, p, TaskSlot, 0, 0)
			continue
		}
		if err := w.placeholder(st, as.Round, i, map[string]any{"step": st.Title.ZH, "step_en": st.Title.EN, "row": i + 1}); err != nil {
			return err
		}
	}
	return nil
}

// rowAssignee resolves the assignee of st for one row of its table: the
// first person who may act.
func (w *work) rowAssignee(st *Step, row map[string]any) (domain.Person, error) {
	w.row, w.rowTable = row, st.Each
	defer func() { w.row, w.rowTable = nil, "" }()
	ps, err := w.assignees(st)
	if err != nil || len(ps) == 0 {
		return domain.Person{}, err
	}
	return ps[0], nil
}

// slotAssignees is who may now fill the waiting slot of t: for a fan-out
// step, the person its row resolves to; otherwise the step's assignees.
func (w *work) slotAssignees(st *Step, t *Task) ([]domain.Person, error) {
	if st.Each == "" {
		return w.assignees(st)
	}
	rows, _ := tableRows(w.inst.Form[st.Each])
	if t.Slot >= len(rows) {
		return nil, nil
	}
	p, err := w.rowAssignee(st, rows[t.Slot])
	if err != nil || p.ID == 0 {
		return nil, err
	}
	return []domain.Person{p}, nil
}

// rowValue reads "table.column" of the row being resolved (nil outside
// a fan-out of that table).
func (w *work) rowValue(key string) (any, *Field, bool) {
	table, col, ok := strings.Cut(key, ".")
	if !ok {
		return nil, nil, false
	}
	f := w.def.field(table)
	if f == nil {
		return nil, nil, true
	}
	for i := range f.Columns {
		if f.Columns[i].Key == col {
			if table != w.rowTable {
				return nil, &f.Columns[i], true
			}
			return w.row[col], &f.Columns[i], true
		}
	}
	return nil, nil, true
}

// eachRowOnly refuses an edit of a fan-out step's task that changes
// another row than its own.
func (w *work) eachRowOnly(st *Step, t *Task, old, now map[string]any) error {
	if st.Each == "" {
		return nil
	}
	before, _ := tableRows(old[st.Each])
	after, _ := tableRows(now[st.Each])
	var c domain.Checker
	if len(before) != len(after) {
		c.Add(st.Each, "flow.field.not_editable")
		return c.Err("flow.Act")
	}
	for i := range before {
		if i != t.Slot && !sameJSON(before[i], after[i]) {
			c.Add(st.Each+"."+itoa(i+1), "flow.each.other_row")
		}
	}
	return c.Err("flow.Act")
}
