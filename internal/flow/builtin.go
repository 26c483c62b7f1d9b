package flow

import (
	"context"
	"encoding/json"
	"math/big"
	"slices"
	"strconv"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
)

// Built-in effects a definition names without Go code (Step.SetPerson,
// DeactivatePerson, Start): they run in the transaction of the step that
// decides, audited, with the request as their authority. Their values are
// worked out before the write (expressions over the form); the people
// changes go through People (internal/people.Service).

// People changes people for built-in effects, inside the engine's
// transaction (tx is the store transaction).
type People interface {
	SetAttributeIn(ctx context.Context, tx any, actor domain.Actor, personID int64, attribute, value string, instanceID int64, note string) error
	DeactivateIn(ctx context.Context, tx any, actor domain.Actor, personID, instanceID int64, note string) error
}

// UsePeople lets built-in effects change people; without it a definition
// that names set_person or deactivate_person fails when the step completes.
func (e *Engine) UsePeople(p People) { e.people = p }

// builtin is one built-in effect, ready to run in the transaction.
type builtin func(tx Tx, instanceID int64) error

// builtins queues the built-in effects of st, evaluating their values now.
func (w *work) builtins(st *Step) error {
	if len(st.SetPerson) == 0 && st.DeactivatePerson == "" && len(st.Start) == 0 {
		return nil
	}
	note := w.def.Title.ZH + " · " + st.Title.ZH
	for _, ch := range st.SetPerson {
		pid := w.personOf(ch.Person)
		if pid == 0 {
			continue // nobody named: nothing to set
		}
		v, err := w.exprText(ch.Value, "steps."+st.ID+".set_person")
		if err != nil {
			return err
		}
		ch := ch
		w.effects = append(w.effects, func(tx Tx, id int64) error {
			if w.e.people == nil {
				return domain.E(domain.KindInternal, "flow.set_person", "error.internal")
			}
			return w.e.people.SetAttributeIn(w.ctx, tx.Raw(), w.actor, pid, ch.Attribute, v, id, note)
		})
	}
	if st.DeactivatePerson != "" {
		if pid := w.personOf(st.DeactivatePerson); pid != 0 {
			w.effects = append(w.effects, func(tx Tx, id int64) error {
				if w.e.people == nil {
					return domain.E(domain.KindInternal, "flow.deactivate_person", "error.internal")
				}
				return w.e.people.DeactivateIn(w.ctx, tx.Raw(), w.actor, pid, id, note)
			})
		}
	}
	for _, sp := range st.Start {
		if err := w.spawn(st, sp); err != nil {
			return err
		}
	}
	return nil
}

// personOf reads a person field of the form, or the initiator.
func (w *work) personOf(key string) int64 {
	if key == "initiator" {
		return w.inst.InitiatorID
	}
	return personID(w.inst.Form[key])
}

// exprText evaluates an expression over the form to the text stored.
func (w *work) exprText(src, field string) (string, error) {
	v, err := w.effectValue(src)
	if err != nil {
		return "", &domain.Error{Kind: domain.KindInternal, Op: "flow.effect", Key: "error.internal", Err: &condError{def: w.def.Key, field: field, err: err}}
	}
	return valueText(v), nil
}

// valueText is an expression's value as form text.
func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case *big.Rat:
		return FormatDecimal(x)
	case json.Number:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		return x.Format("2006-01-02")
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// spawn starts another process, filed as sp.As, with values from this
// form; it is written with this change (w.spawned), and its start is
// audited with the request that started it.
func (w *work) spawn(st *Step, sp StartProcess) error {
	const op = "flow.start_process"
	def, ok := w.e.Definition(sp.Process)
	if !ok {
		return domain.NotFound(op, "entity.definition")
	}
	as := w.inst.InitiatorID
	if sp.As != "" {
		as = w.personOf(sp.As)
	}
	if as == 0 {
		return nil // nobody to file it
	}
	who, err := w.e.dir.Person(w.ctx, as)
	if err != nil {
		return err
	}
	if !mayActInBusiness(who) {
		return nil
	}
	form := map[string]any{}
	for _, k := range sortedMapKeys(sp.Values) {
		v, err := w.effectValue(sp.Values[k])
		if err != nil {
			return &domain.Error{Kind: domain.KindInternal, Op: op, Key: "error.internal", Err: &condError{def: w.def.Key, field: "steps." + st.ID + ".start", err: err}}
		}
		if r, ok := v.(*big.Rat); ok {
			v = json.Number(FormatDecimal(r))
		}
		form[k] = v
	}
	norm, err := ValidateForm(def, form, nil)
	if err != nil {
		return err
	}
	actor := domain.Actor{ID: who.ID, Username: who.Username, Name: who.Name, Grants: who.Grants, Via: "process"}
	isDirector := who.DepartmentID != 0 && slices.Contains(who.Grants, domain.Grant{Role: domain.RoleDirector, DepartmentID: who.DepartmentID})
	title := def.Title.ZH
	if s, ok := norm["title"].(string); ok && s != "" {
		title = s
	}
	inst := &Instance{DefinitionKey: def.Key, DefinitionVersion: def.Version, Title: title, InitiatorID: who.ID, InitiatorName: who.Name,
		InitiatorDept: who.DepartmentID, Status: StatusRunning, Form: norm,
		State: State{Vars: map[string]any{"initiator_id": who.ID, "initiator_department": who.DepartmentID, "initiator_is_director": isDirector},
			History: []StepRecord{{Step: "", Last: who.ID}}}}
	sw := w.e.newWork(w.ctx, actor, def, inst, nil)
	sw.hops = w.hops
	sw.audit("flow.start", append([]audit.Change{{Field: "definition", New: def.Key + "@" + strconv.Itoa(def.Version)},
		{Field: "title", New: title}, {Field: "status", New: string(StatusRunning)}, {Field: "started_by", New: w.inst.ID},
		{Field: "started_at_step", New: st.ID}}, formChanges(nil, norm)...), "")
	sw.record(ActionRecord{Action: "start", Comment: "#" + strconv.FormatInt(w.inst.ID, 10) + " " + w.inst.Title})
	if err := sw.enter(def.Steps[0].ID, ""); err != nil {
		return err
	}
	w.spawned = append(w.spawned, sw)
	return nil
}

func sortedMapKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
