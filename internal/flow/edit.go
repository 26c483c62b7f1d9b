package flow

import (
	"context"
	"strings"

	"labflow/internal/audit"
	"labflow/internal/domain"
)

// This file is who writes which value of a form. A value is written only
// when the request is filed (the start fields, Definition.StartFields) or
// by a step that lists it as editable; anything else is refused with a
// message naming the field. Every check that runs at filing — the form's
// validation and cross-field checks, the person fields' holders, the
// definition's guards — runs on every write.

// checkStartKeys refuses values for fields the initiator does not fill:
// optional fields that a later step fills (a mentor's rating, a manager's
// decision, a supplier). stored, when not nil, is the form as it stands
// (a resubmission): a later-step field sent unchanged is accepted.
func checkStartKeys(d *Definition, form, stored map[string]any) error {
	start := map[string]bool{}
	for _, k := range d.StartFields() {
		start[k] = true
	}
	var c domain.Checker
	for k, v := range form {
		f := d.field(k)
		if f == nil || start[k] || f.Computed != "" {
			continue // unknown and computed keys: ValidateForm says so / ignores them
		}
		if stored != nil && sameJSON(normalizedValue(d, k, v), stored[k]) {
			continue
		}
		c.Add(k, "flow.field.later_step")
	}
	return c.Err("flow.checkStartKeys")
}

// normalizedValue returns v as ValidateForm would store it, for comparing a
// resubmitted value with the stored one (nil when it does not validate).
func normalizedValue(d *Definition, key string, v any) any {
	out, err := ValidateForm(d, map[string]any{key: v}, []string{key})
	if err != nil {
		return nil
	}
	return out[key]
}

// formChanges lists the fields whose values differ between old and new, as
// audit changes ("form.KEY", old, new); unchanged values are not changes.
func formChanges(old, new map[string]any) []audit.Change {
	keys := map[string]bool{}
	for k := range old {
		keys[k] = true
	}
	for k := range new {
		keys[k] = true
	}
	var out []audit.Change
	for _, k := range sortedKeys(keys) {
		o, n := old[k], new[k]
		if o == nil && n != nil || o != nil && n == nil || !sameJSON(o, n) {
			out = append(out, audit.Change{Field: "form." + k, Old: o, New: n})
		}
	}
	return out
}

// edit applies a step's edit of its editable fields to the instance's
// form: only those fields (at the granularity named: "items.unit_price" is
// that column, not the rows or other columns), validated as a whole, with
// the person fields it changes checked and the definition's guards run. It
// then checks again what the change bears on (recheck): signatures it
// invalidates and passed-over steps whose condition now holds. It returns
// the audit changes.
func (w *work) edit(st *Step, t *Task, form map[string]any) ([]audit.Change, error) {
	old := w.inst.Form
	merged, err := mergeEditAt(w.def, old, form, st.Editable, w.e.exprRT(nil))
	if err != nil {
		return nil, err
	}
	if err := w.eachRowOnly(st, t, old, merged); err != nil {
		return nil, err
	}
	if err := w.e.checkPeople(w.ctx, w.def, merged, old); err != nil {
		return nil, err
	}
	if err := w.e.checkRefs(w.ctx, w.actor, w.def, merged, old); err != nil {
		return nil, err
	}
	if err := w.e.checkFiles(w.ctx, w.actor, w.def, merged, old); err != nil {
		return nil, err
	}
	w.inst.Form = merged
	w.formChanged = true
	if err := w.guards(w.def.Guards, ""); err != nil {
		return nil, err
	}
	changes := formChanges(old, merged)
	if len(changes) > 0 {
		more, err := w.recheck(st)
		if err != nil {
			return nil, err
		}
		changes = append(changes, more...)
	}
	return changes, nil
}

// requireValues checks that the step's Required fields hold values before
// t completes: a field, or "table.column" for every row of the table (of
// a fan-out step's own table: t's row).
func (w *work) requireValues(st *Step, t *Task) error {
	var c domain.Checker
	for _, key := range st.Required {
		table, col, isColumn := strings.Cut(key, ".")
		if !isColumn {
			if isEmpty(w.inst.Form[key]) || isEmptyList(w.inst.Form[key]) {
				c.Add(key, "flow.field.required_at_step")
			}
			continue
		}
		rows, _ := tableRows(w.inst.Form[table])
		if len(rows) == 0 {
			c.Add(table, "flow.field.required_at_step")
		}
		for i, row := range rows {
			if table == st.Each && i != t.Slot {
				continue
			}
			if isEmpty(row[col]) {
				c.Add(table+"."+itoa(i+1)+"."+col, "flow.field.required_at_step")
			}
		}
	}
	return c.Err("flow.requireValues")
}

func isEmptyList(v any) bool {
	rows, ok := tableRows(v)
	return ok && len(rows) == 0
}

// checkPeople checks what ValidateForm cannot: that every person field of a
// normalized form names an existing, active person holding the field's
// Role (e.g. the researcher to be promoted, the sender of a sample), in
// top-level fields and table columns. With old (an edit), only values
// that changed are checked: each value is checked when it is written.
func (e *Engine) checkPeople(ctx context.Context, d *Definition, norm, old map[string]any) error {
	var c domain.Checker
	check := func(field string, f *Field, v, was any) error {
		id := personID(v)
		if id == 0 || old != nil && personID(was) == id {
			return nil
		}
		p, err := e.dir.Person(ctx, id)
		if domain.IsKind(err, domain.KindNotFound) {
			c.Add(field, "flow.field.bad_person")
			return nil
		}
		if err != nil {
			return err
		}
		if !p.Active || !mayActInBusiness(p) {
			c.Add(field, "flow.field.bad_person")
		} else if f.Role != "" && !holds(p, domain.Role(f.Role)) {
			c.Add(field, "flow.field.not_role_holder", "role", "people.role."+f.Role)
		}
		return nil
	}
	for i := range d.Form {
		f := &d.Form[i]
		switch f.Type {
		case FieldPerson:
			if err := check(f.Key, f, norm[f.Key], old[f.Key]); err != nil {
				return err
			}
		case FieldTable:
			rows, _ := tableRows(norm[f.Key])
			was, _ := tableRows(old[f.Key])
			for ri, row := range rows {
				for ci := range f.Columns {
					col := &f.Columns[ci]
					if col.Type != FieldPerson {
						continue
					}
					var prev any
					if ri < len(was) {
						prev = was[ri][col.Key]
					}
					if err := check(f.Key+"."+itoa(ri+1)+"."+col.Key, col, row[col.Key], prev); err != nil {
						return err
					}
				}
			}
		}
	}
	return c.Err("flow.checkPeople")
}

func holds(p domain.Person, role domain.Role) bool {
	for _, g := range p.Grants {
		if g.Role == role {
			return true
		}
	}
	return false
}

// resubmitForm is the form of a resubmission: the initiator's start fields
// as sent (those left out as they were), and the values later steps filled, kept as they are (sent back
// unchanged they are accepted; changed, refused).
func (w *work) resubmitForm(form map[string]any) (map[string]any, error) {
	if err := checkStartKeys(w.def, form, w.inst.Form); err != nil {
		return nil, err
	}
	start := map[string]bool{}
	for _, k := range w.def.StartFields() {
		start[k] = true
	}
	// Only what changed need be sent: a start field left out keeps its
	// value (null clears it).
	merged := map[string]any{}
	for k, v := range w.inst.Form {
		merged[k] = v
	}
	for k, v := range form {
		if start[k] || w.def.field(k) == nil {
			merged[k] = v
		}
	}
	norm, err := validateFormAt(w.def, merged, nil, w.e.exprRT(nil))
	if err != nil {
		return nil, err
	}
	if err := w.e.checkPeople(w.ctx, w.def, norm, w.inst.Form); err != nil {
		return nil, err
	}
	if err := w.e.checkRefs(w.ctx, w.actor, w.def, norm, w.inst.Form); err != nil {
		return nil, err
	}
	if err := w.e.checkFiles(w.ctx, w.actor, w.def, norm, w.inst.Form); err != nil {
		return nil, err
	}
	return norm, nil
}

// choose records the initiator's choices of assignees for the steps whose
// assignee is chosen_by: initiator. Each is required (unless the step's
// condition rules it out at filing) and must be an active holder of the
// step's role whom the step would accept.
func (w *work) choose(chosen map[string]int64) error {
	var c domain.Checker
	for k := range chosen {
		if st := stepOf(w.def, k); st == nil || st.Assignee.ChosenBy != "initiator" {
			c.Add("chosen."+k, "field.unknown")
		}
	}
	for i := range w.def.Steps {
		st := &w.def.Steps[i]
		if st.Assignee.ChosenBy != "initiator" {
			continue
		}
		field := "chosen." + st.ID
		id := chosen[st.ID]
		if id == 0 {
			needed := true
			if st.When != "" {
				ok, err := w.cond(st.When, "steps."+st.ID+".when")
				if err != nil {
					return err
				}
				needed = ok
			}
			if needed {
				c.Add(field, "field.required")
			}
			continue
		}
		a := st.Assignee
		a.ChosenBy = ""
		holders, err := w.resolveOne(st, a)
		if err != nil {
			return err
		}
		ok := false
		for _, h := range holders {
			if h.ID == id && mayActInBusiness(h) && w.keptOff(st, h.ID) == "" {
				ok = true
			}
		}
		if !ok {
			c.Add(field, "flow.not_role_holder", "role", a.Role)
			continue
		}
		if w.inst.State.Chosen == nil {
			w.inst.State.Chosen = map[string]int64{}
		}
		w.inst.State.Chosen[st.ID] = id
	}
	return c.Err("flow.Start")
}
