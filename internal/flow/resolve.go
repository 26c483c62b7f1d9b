package flow

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"labflow/internal/domain"
)

// assignees resolves who acts on st: deduplicated (nobody fills two slots),
// without the initiator on approval steps unless the definition allows
// self-approval (R10), and, when nobody resolves, the system
// administrators with a visible warning on the instance.
func (w *work) assignees(st *Step) ([]domain.Person, error) {
	ps, err := w.resolveOne(st, st.Assignee)
	if err != nil {
		return nil, err
	}
	var out []domain.Person
	seen := map[int64]bool{}
	for _, p := range ps {
		if p.ID == 0 || seen[p.ID] || !p.Active {
			continue
		}
		if w.fourEyes(st) && p.ID == w.inst.InitiatorID {
			continue
		}
		seen[p.ID] = true
		out = append(out, p)
	}
	if len(out) > 0 {
		return out, nil
	}
	admins, err := w.e.dir.WithRole(w.ctx, domain.RoleSysAdmin, 0)
	if err != nil && !domain.IsKind(err, domain.KindNotFound) {
		return nil, err
	}
	for _, p := range admins {
		if p.Active && !seen[p.ID] {
			seen[p.ID] = true
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, domain.E(domain.KindInvalid, "flow.assignees", "flow.no_assignee", "step", st.Title.ZH, "step_en", st.Title.EN)
	}
	w.inst.State.Warnings = append(w.inst.State.Warnings, Warning{Step: st.ID,
		Msg: domain.Msg{Key: "flow.warn.no_assignee", Args: map[string]any{"step": st.Title.ZH, "step_en": st.Title.EN}}})
	return out, nil
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
	case a.Committee:
		members, chair, err := dir.Committee(ctx)
		if err != nil {
			return nil, ignoreNotFound(err)
		}
		if chair.ID != 0 {
			members = append(members, chair)
		}
		return members, nil
	case a.Field != "":
		table, col, isColumn := strings.Cut(a.Field, ".")
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
	ps, err := w.e.dir.WithRole(ctx, domain.Role(a.Role), dept)
	return ps, ignoreNotFound(err)
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
