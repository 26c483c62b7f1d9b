package flow

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"labflow/internal/domain"
)

// assignees resolves who acts on st: active people with a business role,
// deduplicated (nobody fills two slots), without the initiator on approval
// steps unless the definition allows self-approval (R10). It may return
// nobody: the step then waits, visibly, for the organisation to be fixed
// (see staff); the system administrator never acts in the business (R12).
func (w *work) assignees(st *Step) ([]domain.Person, error) {
	ps, err := w.resolveOne(st, st.Assignee)
	if err != nil {
		return nil, err
	}
	var out []domain.Person
	seen := map[int64]bool{}
	for _, p := range ps {
		if p.ID == 0 || seen[p.ID] || !mayActInBusiness(p) {
			continue
		}
		if w.keptOff(st, p.ID) != "" {
			continue
		}
		seen[p.ID] = true
		out = append(out, p)
	}
	return out, nil
}

// mayActInBusiness: an active person holding a business role and not the
// system administrator's (R12: the two are kept apart, and the
// administrator never approves, signs, rejects or completes a step).
func mayActInBusiness(p domain.Person) bool {
	if !p.Active {
		return false
	}
	business := false
	for _, g := range p.Grants {
		if g.Role == domain.RoleSysAdmin {
			return false
		}
		if g.Role.IsBusiness() {
			business = true
		}
	}
	return business
}

// fourEyes reports whether the initiator is kept off st (R10).
func (w *work) fourEyes(st *Step) bool {
	return (st.Kind == "" || st.Kind == StepApproval) && !w.def.AllowSelfApproval
}

func ignoreNotFound(err error) error {
	if domain.IsKind(err, domain.KindNotFound) {
		return nil
	}
	return err
}

// resolveOne resolves one selector to people (possibly none).
func (w *work) resolveOne(st *Step, a Assignee) ([]domain.Person, error) {
	ctx, dir := w.ctx, w.e.dir
	one := func(p domain.Person, err error) ([]domain.Person, error) {
		if err != nil {
			return nil, ignoreNotFound(err)
		}
		return []domain.Person{p}, nil
	}
	switch {
	case a.Person != "":
		return one(dir.PersonByUsername(ctx, a.Person))
	case a.ChosenBy == "initiator" && a.Role != "":
		// Chosen when the request was filed (Start checks the choice).
		if id := w.inst.State.Chosen[st.ID]; id != 0 {
			return one(dir.Person(ctx, id))
		}
		return w.roleHolders(ctx, a)
	case a.ChosenBy == "previous" && a.Role != "":
		if id := w.inst.State.Chosen[st.ID]; id != 0 {
			return one(dir.Person(ctx, id))
		}
		if w.chosen != 0 {
			holders, err := w.roleHolders(ctx, a)
			if err != nil {
				return nil, err
			}
			for _, h := range holders {
				if h.ID == w.chosen {
					if w.inst.State.Chosen == nil {
						w.inst.State.Chosen = map[string]int64{}
					}
					w.inst.State.Chosen[st.ID] = h.ID
					return []domain.Person{h}, nil
				}
			}
			return nil, &domain.Error{Kind: domain.KindInvalid, Op: "flow.choose", Key: "error.invalid",
				Fields: map[string]domain.Msg{"person_id": {Key: "flow.not_role_holder", Args: map[string]any{"role": a.Role}}}}
		}
		return w.roleHolders(ctx, a)
	case a.Role != "":
		return w.roleHolders(ctx, a)
	case a.Relative == "initiator":
		return one(dir.Person(ctx, w.inst.InitiatorID))
	case a.Relative == "initiator_director":
		if w.inst.InitiatorDept == 0 {
			return nil, nil
		}
		return one(dir.DirectorOf(ctx, w.inst.InitiatorDept))
	case a.Relative == "previous":
		h := w.inst.State.History
		if len(h) == 0 {
			return nil, nil
		}
		return one(dir.Person(ctx, h[len(h)-1].Last))
	case a.Committee != "":
		members, chair, err := w.committee(ctx, a.Committee)
		if err != nil {
			return nil, ignoreNotFound(err)
		}
		if chair.ID != 0 {
			members = append(members, chair)
		}
		return members, nil
	case a.Field != "":
		table, col, isColumn := strings.Cut(a.Field, ".")
		if isColumn && table == w.rowTable {
			// A fan-out step: the person of this row.
			if id := personID(w.row[col]); id != 0 {
				return one(dir.Person(ctx, id))
			}
			return nil, nil
		}
		if !isColumn {
			id := personID(w.inst.Form[a.Field])
			if id == 0 {
				return nil, nil
			}
			return one(dir.Person(ctx, id))
		}
		var out []domain.Person
		seen := map[int64]bool{}
		rows, _ := tableRows(w.inst.Form[table])
		for _, row := range rows {
			id := personID(row[col])
			if id == 0 || seen[id] {
				continue
			}
			seen[id] = true
			p, err := dir.Person(ctx, id)
			if err != nil {
				if err := ignoreNotFound(err); err != nil {
					return nil, err
				}
				continue
			}
			out = append(out, p)
		}
		return out, nil
	}
	return nil, nil
}

func (w *work) roleHolders(ctx context.Context, a Assignee) ([]domain.Person, error) {
	var dept int64
	if a.DepartmentFrom != "" {
		d, err := w.departmentFrom(ctx, a.DepartmentFrom)
		if err != nil || d == 0 {
			return nil, err // no department on the form: nobody resolves
		}
		return w.scoped(ctx, a.Role, d)
	}
	switch a.Department {
	case "":
	case "initiator":
		dept = w.inst.InitiatorDept
	default:
		if n, err := strconv.ParseInt(a.Department, 10, 64); err == nil {
			dept = n
		} else if dd, ok := w.e.dir.(DepartmentDirectory); ok {
			d, err := dd.DepartmentByCode(ctx, a.Department)
			if err != nil {
				return nil, ignoreNotFound(err)
			}
			dept = d.ID
		} else {
			return nil, nil
		}
	}
	return w.scoped(ctx, a.Role, dept)
}

func (w *work) scoped(ctx context.Context, role string, dept int64) ([]domain.Person, error) {
	ps, err := w.e.dir.WithRole(ctx, domain.Role(role), dept)
	return ps, ignoreNotFound(err)
}

// departmentFrom reads a department from the form: a department field's
// value, or the department of the person in a person field (e.g. the
// director of the person being promoted, ORG-4).
func (w *work) departmentFrom(ctx context.Context, key string) (int64, error) {
	v, f, isColumn := w.rowValue(key)
	if !isColumn {
		v, f = w.inst.Form[key], w.def.field(key)
	}
	if f == nil {
		return 0, nil
	}
	id := personID(v)
	if id == 0 {
		return 0, nil
	}
	if f.Type == FieldDepartment {
		return id, nil
	}
	p, err := w.e.dir.Person(ctx, id)
	if err != nil {
		return 0, ignoreNotFound(err)
	}
	return p.DepartmentID, nil
}

// personID reads a person id from a form value.
// tableRows reads a table field's rows, as normalized ([]map[string]any)
// or as read back from storage ([]any of maps); ok is false for a value
// that is not a table.
func tableRows(v any) ([]map[string]any, bool) {
	switch x := v.(type) {
	case []map[string]any:
		return x, true
	case []any:
		out := make([]map[string]any, 0, len(x))
		for _, r := range x {
			if m, ok := r.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out, true
	}
	return nil, false
}

func personID(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int:
		return int64(x)
	case float64:
		return int64(x)
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	case fmt.Stringer:
		n, _ := strconv.ParseInt(x.String(), 10, 64)
		return n
	}
	return 0
}

// accepts reports whether the step's assignee rule accepts person (for
// transferring or delegating a signed step).
func (w *work) accepts(st *Step, person int64) (bool, error) {
	a := st.Assignee
	a.ChosenBy = "" // any holder of the role, not only the one chosen
	ps, err := w.resolveOne(st, a)
	if err != nil {
		return false, err
	}
	for _, p := range ps {
		if p.ID == person && mayActInBusiness(p) && w.keptOff(st, p.ID) == "" {
			return true, nil
		}
	}
	return false, nil
}
