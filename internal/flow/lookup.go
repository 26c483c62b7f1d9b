package flow

import (
	"context"
	"time"

	"labflow/internal/domain"
)

// This file is what step and branch conditions may ask the engine: the
// organisation (a person's department, rank, rank date and hire date; a
// department's director), other instances (how many match in a window,
// whether a value is taken by another running one) and the instance's own
// history (when a step completed). The answers are read before the write
// (on the read pool, never in the group commit), like everything else the
// engine plans.

// Lookup answers the functions of step and branch conditions that ask the
// engine (expr_func.go).
type Lookup interface {
	// DepartmentOf returns the department id of a person (0 if none).
	DepartmentOf(personID int64) (int64, error)
	// DirectorOf returns the person id of a department's director (0 if none).
	DirectorOf(departmentID int64) (int64, error)
	// Person returns what conditions may know of a person on a day
	// (YYYY-MM-DD): the rank held then, since when, and the hire date.
	Person(personID int64, on string) (PersonFacts, error)
	// CountInstances counts the instances of a definition filed at or
	// after since whose field holds value, this instance excepted.
	CountInstances(definition, field string, value any, since time.Time) (int, error)
	// InUse reports whether another running instance of this definition
	// holds value in field.
	InUse(field string, value any) (bool, error)
	// CompletedAt returns when the instance last completed a step (the
	// zero time: by the change being made); false if it has not.
	CompletedAt(step string) (time.Time, bool)
}

// PersonFacts is what a condition may know of a person. Empty strings are
// unknown (no rank yet, no hire date recorded).
type PersonFacts struct {
	Rank      string // rank code, e.g. researcher_b
	RankSince string // YYYY-MM-DD: when that rank was reached
	HiredOn   string // YYYY-MM-DD
}

// maxMatched bounds the instances count_instances and in_use read: more is
// an error rather than a wrong answer.
const maxMatched = 20000

// engineLookup answers a work's conditions.
type engineLookup struct{ w *work }

func (l engineLookup) ctx() context.Context { return l.w.ctx }

func (l engineLookup) DepartmentOf(id int64) (int64, error) {
	p, err := l.w.e.dir.Person(l.ctx(), id)
	if err != nil {
		return 0, ignoreNotFound(err)
	}
	return p.DepartmentID, nil
}

func (l engineLookup) DirectorOf(dept int64) (int64, error) {
	if dept == 0 {
		return 0, nil
	}
	p, err := l.w.e.dir.DirectorOf(l.ctx(), dept)
	if err != nil {
		return 0, ignoreNotFound(err)
	}
	return p.ID, nil
}

func (l engineLookup) Person(id int64, on string) (PersonFacts, error) {
	p, err := l.w.e.dir.Person(l.ctx(), id)
	if err != nil {
		return PersonFacts{}, ignoreNotFound(err)
	}
	hist, err := l.w.e.dir.RankHistory(l.ctx(), id)
	if err != nil {
		return PersonFacts{}, ignoreNotFound(err)
	}
	f := PersonFacts{HiredOn: p.HiredOn}
	cur := currentRank(hist, on)
	if cur != nil {
		f.Rank, f.RankSince = string(cur.Rank), cur.Since
	}
	return f, nil
}

// currentRank is the entry of a rank history in force on a day: the
// latest reached on or before it (of two on the same day, the later entry).
func currentRank(hist []domain.RankEntry, on string) *domain.RankEntry {
	var cur *domain.RankEntry
	for i := range hist {
		e := &hist[i]
		if e.Since <= on && (cur == nil || e.Since >= cur.Since) {
			cur = e
		}
	}
	return cur
}

func (l engineLookup) CountInstances(key, field string, v any, since time.Time) (int, error) {
	def, ok := l.w.e.Definition(key)
	if !ok {
		return 0, domain.Wrap("flow.count_instances", errString("no definition "+key))
	}
	f := def.field(field)
	if f == nil {
		return 0, domain.Wrap("flow.count_instances", errString("definition "+key+" has no field "+field))
	}
	forms, err := l.w.e.st.InstanceForms(l.ctx(), key, since, false, maxMatched+1)
	if err != nil {
		return 0, err
	}
	if len(forms) > maxMatched {
		return 0, domain.Wrap("flow.count_instances", errString("more than "+itoa(maxMatched)+" instances of "+key+" to count"))
	}
	n := 0
	for _, x := range forms {
		if x.ID != l.w.inst.ID && sameValue(f, x.Form[field], v, l.w.e.zone()) {
			n++
		}
	}
	return n, nil
}

func (l engineLookup) InUse(field string, v any) (bool, error) {
	f := l.w.def.field(field)
	if f == nil {
		return false, domain.Wrap("flow.in_use", errString("definition "+l.w.def.Key+" has no field "+field))
	}
	forms, err := l.w.e.st.InstanceForms(l.ctx(), l.w.def.Key, time.Time{}, true, maxMatched+1)
	if err != nil {
		return false, err
	}
	if len(forms) > maxMatched {
		return false, domain.Wrap("flow.in_use", errString("more than "+itoa(maxMatched)+" running instances of "+l.w.def.Key))
	}
	for _, x := range forms {
		if x.ID != l.w.inst.ID && sameValue(f, x.Form[field], v, l.w.e.zone()) {
			return true, nil
		}
	}
	return false, nil
}

func (l engineLookup) CompletedAt(step string) (time.Time, bool) {
	h := l.w.inst.State.History
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Step == step {
			return h[i].At, true
		}
	}
	return time.Time{}, false
}

// sameValue reports whether a stored form value of field f is v (an
// expression value), compared as f's type: ids and numbers exactly, dates
// as days, datetimes as moments.
func sameValue(f *Field, stored, v any, loc *time.Location) bool {
	if loc == nil {
		loc = time.UTC
	}
	s, ok := as(stored, fieldType(f), loc)
	if !ok || s == nil {
		return false
	}
	return equal(s, v)
}

// env is the environment of the instance's step and branch conditions:
// its form and the engine variables.
func (w *work) env() map[string]any {
	m := make(map[string]any, len(w.inst.Form)+len(w.inst.State.Vars))
	for k, v := range w.inst.Form {
		m[k] = v
	}
	for k, v := range w.inst.State.Vars {
		m[k] = v
	}
	return m
}

// cond evaluates a step or branch condition (field is its path, for the
// message). A condition the instance's values cannot answer (a division
// by zero, a value of the wrong type) is refused with a translated message
// naming the step and, when it reads one, the field.
func (w *work) cond(src, field string) (bool, error) {
	e, err := w.def.expr(src, placeCond, "")
	if err != nil {
		return false, &domain.Error{Kind: domain.KindInternal, Op: "flow.condition", Key: "error.internal",
			Err: &condError{def: w.def.Key, field: field, err: err}}
	}
	ok, err := e.evalBool(w.env(), w.e.exprRT(engineLookup{w}))
	if err != nil {
		return false, w.condFailed(field, err)
	}
	return ok, nil
}

// effectValue evaluates the expression of a built-in effect's value
// (set_person, start) as a step completes, with the engine's clock, zone,
// calendar and lookups, as conditions are.
func (w *work) effectValue(src string) (any, error) {
	e, err := w.def.expr(src, placeEffect, "")
	if err != nil {
		return nil, err
	}
	return e.eval(w.env(), w.e.exprRT(engineLookup{w}))
}

// condFailed turns an evaluation error into the error people see.
func (w *work) condFailed(field string, err error) error {
	ee, ok := err.(*ExprError)
	if !ok || ee.Key == "" {
		if _, isDomain := err.(*domain.Error); isDomain {
			return err
		}
		return &domain.Error{Kind: domain.KindInternal, Op: "flow.condition", Key: "error.internal",
			Err: &condError{def: w.def.Key, field: field, err: err}}
	}
	step := field
	if id, _, ok := cutStepPath(field); ok {
		if st := stepOf(w.def, id); st != nil {
			step = st.Title.ZH
		}
	}
	de := &domain.Error{Kind: domain.KindInvalid, Op: "flow.condition", Key: "expr.condition_failed",
		Args: map[string]any{"step": step, "reason": ee.Key}, Err: &condError{def: w.def.Key, field: field, err: err}}
	if ee.Field != "" {
		de.Fields = map[string]domain.Msg{ee.Field: {Key: ee.Key}}
	}
	return de
}

// cutStepPath reads "steps.ID.when" (and "steps.ID.branches…").
func cutStepPath(field string) (string, string, bool) {
	const p = "steps."
	if len(field) <= len(p) || field[:len(p)] != p {
		return "", "", false
	}
	rest := field[len(p):]
	for i := 0; i < len(rest); i++ {
		if rest[i] == '.' {
			return rest[:i], rest[i+1:], true
		}
	}
	return rest, "", true
}

type condError struct {
	def, field string
	err        error
}

func (c *condError) Error() string { return c.def + ": " + c.field + ": " + c.err.Error() }
