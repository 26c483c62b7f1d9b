package flow

import (
	"fmt"
	"strings"
	"time"
)

// This file type-checks an expression at load against the form it reads:
// every identifier has the type of its field, every operator and function
// a signature, and a mismatch is a load error naming the column
// ("cannot add text and number"). The checked tree carries its types,
// which evaluation follows (expr_eval.go).

// ekind is the kind of an expression value.
type ekind uint8

// The kinds. kAny is the type of whatever is not known at load (an
// untyped expression, a field type the checker does not know); it
// matches every kind and is decided at run time.
const (
	kAny    ekind = iota
	kText         // text, longtext, select; 'literals'
	kNumber       // number and money: exact decimals
	kBool         // conditions; initiator_is_director
	kDate         // date fields: a day, "YYYY-MM-DD"
	kTime         // datetime fields, now(): a moment
	kID           // person and department fields: an id
	kList         // multiselect, files, table.column, [literals]
	kTable        // a table field: its rows
)

var kindNames = [...]string{kAny: "any value", kText: "text", kNumber: "number", kBool: "true/false", kDate: "date",
	kTime: "datetime", kID: "id", kList: "list", kTable: "table"}

// etype is a type: a kind, and for a list the kind of its items.
type etype struct {
	kind ekind
	elem ekind
}

var (
	tAny    = etype{}
	tText   = etype{kind: kText}
	tNumber = etype{kind: kNumber}
	tBool   = etype{kind: kBool}
	tDate   = etype{kind: kDate}
	tTime   = etype{kind: kTime}
	tID     = etype{kind: kID}
	tTable  = etype{kind: kTable}
)

func listOf(k ekind) etype { return etype{kind: kList, elem: k} }

func (t etype) String() string {
	if t.kind == kList && t.elem != kAny {
		return "list of " + kindNames[t.elem]
	}
	return kindNames[t.kind]
}

// fieldType is the type a form field gives its identifier. A field type
// the checker does not know is any (decided at run time).
func fieldType(f *Field) etype {
	switch f.Type {
	case FieldText, FieldLongText, FieldSelect:
		return tText
	case FieldNumber, FieldMoney:
		return tNumber
	case FieldDate:
		return tDate
	case FieldDateTime:
		return tTime
	case FieldPerson, FieldDepartment:
		return tID
	case FieldMultiSelect, FieldFiles:
		return listOf(kText)
	case FieldTable:
		return tTable
	}
	return tAny
}

// engineVarTypes are the types of EngineVars.
var engineVarTypes = map[string]etype{"initiator_id": tID, "initiator_department": tID, "initiator_is_director": tBool}

// exprScope is what an expression may read where it is used.
type exprScope struct {
	vars   map[string]etype            // field keys, "table.column", engine variables
	tables map[string]map[string]etype // table key → column key → type, for count()
	need   exprNeed                    // the most a function may need here
	where  string                      // "computed fields", "checks", for messages
	def    string                      // the definition's key (count_instances of itself)
	fields map[string]*Field           // the definition's top-level fields (in_use)
	steps  map[string]bool             // the definition's step ids (completed_at)
}

// checker type-checks one expression.
type checker struct {
	sc     *exprScope
	row    map[string]etype // the columns in scope inside count(table, …)
	idents map[string]bool  // the form fields and variables read (not row columns)
}

// check type-checks e in sc and, when it holds, marks e typed. want, when
// not any, is the type the expression must have (a condition is true/false,
// a computed field a number).
func (e *Expr) check(sc *exprScope, want etype) error {
	c := &checker{sc: sc, idents: map[string]bool{}}
	t, err := c.node(e.root)
	if err != nil {
		return err
	}
	if want.kind != kAny && t.kind != kAny && t != want {
		return &ExprError{Col: 1, Msg: fmt.Sprintf("must yield %s, not %s", want, t)}
	}
	e.typed, e.typ, e.idents = true, t, sortedKeys(c.idents)
	return nil
}

func (c *checker) errf(n *enode, format string, a ...any) error {
	return &ExprError{Col: n.pos, Msg: fmt.Sprintf(format, a...)}
}

func (c *checker) node(n *enode) (etype, error) {
	t, err := c.node1(n)
	n.t = t
	return t, err
}

func (c *checker) node1(n *enode) (etype, error) {
	switch n.op {
	case "num":
		return tNumber, nil
	case "str":
		return tText, nil
	case "bool":
		return tBool, nil
	case "list":
		elem := tAny
		for _, a := range n.args {
			t, err := c.node(a)
			if err != nil {
				return tAny, err
			}
			if t.kind == kList || t.kind == kTable {
				return tAny, c.errf(a, "a list cannot hold a %s", t)
			}
			if elem.kind == kAny {
				elem = t
			} else if u, ok := c.unify(elem, t, n.args[0], a); ok {
				elem = u
			} else {
				return tAny, c.errf(a, "a list cannot mix %s and %s", elem, t)
			}
		}
		// Text literals beside dates are dates.
		for _, a := range n.args {
			c.coerce(a, elem)
		}
		return listOf(elem.kind), nil
	case "ident":
		name := n.val.(string)
		if t, ok := c.row[name]; ok {
			n.row = true
			return t, nil
		}
		t, ok := c.sc.vars[name]
		if !ok {
			return tAny, c.errf(n, "unknown field %q", name)
		}
		c.idents[name] = true
		return t, nil
	case "call":
		return c.call(n)
	case "neg":
		t, err := c.node(n.args[0])
		if err != nil {
			return tAny, err
		}
		if !t.is(kNumber) {
			return tAny, c.errf(n, "cannot negate %s", t)
		}
		return tNumber, nil
	case "not":
		t, err := c.node(n.args[0])
		if err != nil {
			return tAny, err
		}
		if !t.is(kBool) {
			return tAny, c.errf(n, "'!' needs true/false, not %s", t)
		}
		return tBool, nil
	}
	l, err := c.node(n.args[0])
	if err != nil {
		return tAny, err
	}
	r, err := c.node(n.args[1])
	if err != nil {
		return tAny, err
	}
	switch n.op {
	case "&&", "||":
		if !l.is(kBool) || !r.is(kBool) {
			return tAny, c.errf(n, "%s needs true/false on both sides, not %s and %s", n.op, l, r)
		}
		return tBool, nil
	case "+":
		u, ok := c.unify(l, r, n.args[0], n.args[1])
		if ok && (u.is(kNumber) || u.is(kText)) {
			return u, nil
		}
		if l.kind == kDate || l.kind == kTime {
			return tAny, c.errf(n, "cannot add %s and %s: use add_days or add_workdays", l, r)
		}
		return tAny, c.errf(n, "cannot add %s and %s", l, r)
	case "-", "*", "/":
		if l.is(kNumber) && r.is(kNumber) {
			return tNumber, nil
		}
		verb := map[string]string{"-": "subtract", "*": "multiply", "/": "divide"}[n.op]
		if n.op == "-" && (l.kind == kDate || l.kind == kTime) {
			return tAny, c.errf(n, "cannot subtract %s and %s: use days_between or minutes_between", l, r)
		}
		return tAny, c.errf(n, "cannot %s %s and %s", verb, l, r)
	case "==", "!=":
		u, ok := c.unify(l, r, n.args[0], n.args[1])
		if !ok {
			return tAny, c.mismatch(n, l, r)
		}
		if u.kind == kTable {
			return tAny, c.errf(n, "tables cannot be compared: compare len() or count()")
		}
		return tBool, nil
	case "<", "<=", ">", ">=":
		u, ok := c.unify(l, r, n.args[0], n.args[1])
		if !ok {
			return tAny, c.mismatch(n, l, r)
		}
		switch u.kind {
		case kAny, kNumber, kText, kDate, kTime:
			return tBool, nil
		}
		return tAny, c.errf(n, "%s cannot be ordered with %s", u, n.op)
	case "in":
		if r.kind != kList && r.kind != kAny {
			return tAny, c.errf(n, "'in' needs a list on its right, not %s", r)
		}
		if l.kind == kList || l.kind == kTable {
			return tAny, c.errf(n, "'in' looks for one value in a list, not a %s", l)
		}
		if n.args[1].op == "list" && (l.kind == kDate || l.kind == kTime) {
			all := true
			for _, a := range n.args[1].args {
				all = c.coerce(a, l) && all
			}
			if all {
				r = listOf(l.kind)
				n.args[1].t = r
			}
		}
		item := etype{kind: r.elem}
		if r.kind == kAny {
			item = tAny
		}
		if _, ok := c.unify(l, item, n.args[0], nil); !ok {
			return tAny, c.errf(n, "cannot look for %s in a %s", l, r)
		}
		if n.args[1].op == "list" {
			for _, a := range n.args[1].args {
				c.coerce(a, l)
			}
		}
		return tBool, nil
	}
	return tAny, c.errf(n, "unknown operator %q", n.op)
}

// mismatch is the error of comparing values of two types.
func (c *checker) mismatch(n *enode, l, r etype) error {
	if l.kind == kDate && r.kind == kTime || l.kind == kTime && r.kind == kDate {
		return c.errf(n, "cannot compare %s and %s: date(x) is the date of a datetime", l, r)
	}
	return c.errf(n, "cannot compare %s and %s", l, r)
}

// is reports whether t is of kind k or decided at run time.
func (t etype) is(k ekind) bool { return t.kind == k || t.kind == kAny }

// unify returns the common type of a and b (nodes x and y, which may be
// nil), or false when they do not go together. Money and numbers are the
// same type; ids compare with numbers (they are whole numbers); a text
// literal that reads as a date (or a datetime) is one beside a date (a
// datetime).
func (c *checker) unify(a, b etype, x, y *enode) (etype, bool) {
	switch {
	case a.kind == kAny:
		return b, true
	case b.kind == kAny:
		return a, true
	case a == b:
		return a, true
	case a.kind == kID && b.kind == kNumber || a.kind == kNumber && b.kind == kID:
		return tID, true
	case a.kind == kList && b.kind == kList && (a.elem == kAny || b.elem == kAny):
		return listOf(max(a.elem, b.elem)), true
	}
	if b.kind == kText && (a.kind == kDate || a.kind == kTime) && c.coerce(y, a) {
		return a, true
	}
	if a.kind == kText && (b.kind == kDate || b.kind == kTime) && c.coerce(x, b) {
		return b, true
	}
	return tAny, false
}

// coerce turns a text literal into a date or time literal when want is a
// date or time and the text reads as one; it reports whether n is (now) of
// type want.
func (c *checker) coerce(n *enode, want etype) bool {
	if n == nil {
		return false
	}
	if n.t == want {
		return true
	}
	if n.op != "str" || n.t.kind != kText {
		return false
	}
	s := n.val.(string)
	switch want.kind {
	case kDate:
		if _, err := time.Parse(time.DateOnly, s); err != nil || len(s) != 10 {
			return false
		}
	case kTime:
		if _, ok := parseTime(s, time.UTC); !ok {
			return false
		}
	default:
		return false
	}
	n.t = want
	return true
}

// call checks a function's arguments and gives its result type.
func (c *checker) call(n *enode) (etype, error) {
	name := n.val.(string)
	spec := exprFuncs[name]
	if spec.need > c.sc.need {
		switch spec.need {
		case needClock:
			return tAny, c.errf(n, "%s() reads the clock: %s cannot use it (their value must not change by itself)", name, c.sc.where)
		default:
			return tAny, c.errf(n, "%s looks up the organisation, other requests or the history: only step and branch conditions may use it", name)
		}
	}
	if name == "count" {
		return c.count(n)
	}
	args := make([]etype, len(n.args))
	for i, a := range n.args {
		t, err := c.node(a)
		if err != nil {
			return tAny, err
		}
		args[i] = t
	}
	want := func(i int, what string, ok bool) error {
		if ok {
			return nil
		}
		return c.errf(n.args[i], "%s needs %s, not %s", name, what, args[i])
	}
	timeLike := func(i int) bool {
		return args[i].kind == kDate || args[i].kind == kTime || args[i].kind == kAny ||
			c.coerce(n.args[i], tDate) || c.coerce(n.args[i], tTime)
	}
	literal := func(i int, what string) (string, error) {
		if n.args[i].op != "str" {
			return "", c.errf(n.args[i], "%s needs %s written as 'text'", name, what)
		}
		return n.args[i].val.(string), nil
	}
	switch name {
	case "sum":
		return tNumber, want(0, "a list of numbers (such as items.amount)", args[0].kind == kAny || args[0].kind == kList && (args[0].elem == kNumber || args[0].elem == kAny))
	case "len":
		return tNumber, want(0, "text, a list or a table", args[0].kind == kAny || args[0].kind == kText || args[0].kind == kList || args[0].kind == kTable)
	case "min", "max":
		if len(args) == 1 {
			a := args[0]
			if a.kind == kAny {
				return tAny, nil
			}
			if a.kind == kList && orderable(a.elem) {
				return etype{kind: a.elem}, nil
			}
			return tAny, want(0, "a list of numbers, dates or times, or several values", false)
		}
		u := tAny
		for i, a := range args {
			v, ok := c.unify(u, a, n.args[0], n.args[i])
			if !ok {
				return tAny, c.errf(n.args[i], "%s cannot mix %s and %s", name, u, a)
			}
			u = v
		}
		for _, a := range n.args {
			c.coerce(a, u) // quoted dates beside dates
		}
		if u.kind == kID {
			return tAny, c.errf(n, "%s needs numbers, dates or times, not ids", name)
		}
		if !orderable(u.kind) {
			return tAny, c.errf(n, "%s needs numbers, dates or times, not %s", name, u)
		}
		return u, nil
	case "abs":
		return tNumber, want(0, "a number", args[0].is(kNumber))
	case "round":
		if err := want(0, "a number", args[0].is(kNumber)); err != nil {
			return tAny, err
		}
		if len(args) == 2 {
			if err := want(1, "a number of decimal places", args[1].is(kNumber)); err != nil {
				return tAny, err
			}
			if n.args[1].op == "num" {
				if p, ok := wholeIn(n.args[1].val, 0, maxNumberPlaces); !ok {
					return tAny, c.errf(n.args[1], "round keeps 0 to %d decimal places, not %v", maxNumberPlaces, p)
				}
			}
		}
		return tNumber, nil
	case "if":
		if err := want(0, "a condition (true/false) first", args[0].is(kBool)); err != nil {
			return tAny, err
		}
		u, ok := c.unify(args[1], args[2], n.args[1], n.args[2])
		if !ok {
			return tAny, c.errf(n, "if gives %s or %s: both must have one type", args[1], args[2])
		}
		return u, nil
	case "empty":
		return tBool, nil
	case "date":
		return tDate, want(0, "a datetime", args[0].is(kTime) || args[0].kind == kDate || c.coerce(n.args[0], tTime))
	case "today":
		return tDate, nil
	case "now":
		return tTime, nil
	case "days_between", "minutes_between", "workdays_between":
		for i := range args {
			if err := want(i, "dates or datetimes", timeLike(i)); err != nil {
				return tAny, err
			}
		}
		return tNumber, nil
	case "add_days", "add_workdays":
		if err := want(0, "a date or a datetime", timeLike(0)); err != nil {
			return tAny, err
		}
		if err := want(1, "a number of days", args[1].is(kNumber)); err != nil {
			return tAny, err
		}
		if n.args[0].t.kind == kAny {
			return tAny, nil
		}
		return n.args[0].t, nil
	case "completed_at":
		id, err := literal(0, "a step id")
		if err != nil {
			return tAny, err
		}
		if c.sc.steps != nil && !c.sc.steps[id] {
			return tAny, c.errf(n.args[0], "no step %q", id)
		}
		return tTime, nil
	case "department_of", "rank_of", "rank_since", "hired_on":
		if err := want(0, "a person", args[0].is(kID) || args[0].kind == kNumber); err != nil {
			return tAny, err
		}
		switch name {
		case "department_of":
			return tID, nil
		case "rank_of":
			return tText, nil
		}
		return tDate, nil
	case "director_of":
		return tID, want(0, "a department", args[0].is(kID) || args[0].kind == kNumber)
	case "count_instances":
		key, err := literal(0, "a definition key")
		if err != nil {
			return tAny, err
		}
		if !defKeyRE.MatchString(key) {
			return tAny, c.errf(n.args[0], "%q is not a definition key", key)
		}
		field, err := literal(1, "a field key")
		if err != nil {
			return tAny, err
		}
		if !idRE.MatchString(field) {
			return tAny, c.errf(n.args[1], "%q is not a field key", field)
		}
		if err := want(2, "one value", args[2].kind != kList && args[2].kind != kTable && args[2].kind != kBool); err != nil {
			return tAny, err
		}
		if key == c.sc.def && c.sc.fields != nil {
			if err := c.matchField(n, n.args[1], n.args[2], field, args[2]); err != nil {
				return tAny, err
			}
		}
		if err := want(3, "a number of days", args[3].is(kNumber)); err != nil {
			return tAny, err
		}
		if n.args[3].op == "num" {
			if d, ok := wholeIn(n.args[3].val, 1, maxWindowDays); !ok {
				return tAny, c.errf(n.args[3], "count_instances looks back 1 to %d days, not %v", maxWindowDays, d)
			}
		}
		return tNumber, nil
	case "in_use":
		field, err := literal(0, "a field key")
		if err != nil {
			return tAny, err
		}
		if c.sc.fields != nil {
			if err := c.matchField(n, n.args[0], n.args[1], field, args[1]); err != nil {
				return tAny, err
			}
		}
		return tBool, nil
	}
	return tAny, c.errf(n, "unknown function %q", name)
}

// matchField checks that field (named by node fn) is a field of this
// definition that in_use and count_instances can match, and that the
// value (node x, of type v) is of its type.
func (c *checker) matchField(n, fn, x *enode, field string, v etype) error {
	f := c.sc.fields[field]
	if f == nil {
		return c.errf(fn, "no field %q", field)
	}
	ft := fieldType(f)
	switch ft.kind {
	case kList, kTable, kBool:
		return c.errf(n, "%s compares one value: field %q is a %s", n.val, field, ft)
	}
	if _, ok := c.unify(ft, v, nil, x); !ok {
		return c.errf(x, "field %q holds %s, not %s", field, ft, v)
	}
	return nil
}

// count checks count(table, condition): the condition is checked with the
// table's columns in scope, by their keys.
func (c *checker) count(n *enode) (etype, error) {
	tn := n.args[0]
	if tn.op != "ident" {
		return tAny, c.errf(tn, "count needs a table field first, such as count(items, quantity > 10)")
	}
	name := tn.val.(string)
	cols, ok := c.sc.tables[name]
	if !ok {
		t, known := c.sc.vars[name]
		if !known {
			return tAny, c.errf(tn, "unknown field %q", name)
		}
		if t.kind != kAny {
			return tAny, c.errf(tn, "count needs a table field first: %q is %s", name, t)
		}
	}
	c.idents[name] = true
	tn.t = tTable
	if c.row != nil {
		return tAny, c.errf(n, "count cannot be nested in count")
	}
	c.row = cols
	if cols == nil {
		c.row = map[string]etype{}
	}
	t, err := c.node(n.args[1])
	c.row = nil
	if err != nil {
		return tAny, err
	}
	if !t.is(kBool) {
		return tAny, c.errf(n.args[1], "count needs a condition (true/false) on each row, not %s", t)
	}
	return tNumber, nil
}

func orderable(k ekind) bool { return k == kNumber || k == kDate || k == kTime || k == kAny }

// maxWindowDays bounds how far back count_instances looks, and how many
// days add_days and add_workdays move.
const maxWindowDays = 3660

// wholeIn reads a literal number and reports whether it is a whole number
// in [lo, hi].
func wholeIn(v any, lo, hi int64) (string, bool) {
	r, ok := num(v)
	if !ok {
		return fmt.Sprint(v), false
	}
	s := FormatDecimal(r)
	if !r.IsInt() || !r.Num().IsInt64() {
		return s, false
	}
	n := r.Num().Int64()
	return s, n >= lo && n <= hi
}

// describe names a type mismatch in a definition for lint: the expression
// and the problem, such as "title + 5": column 7: cannot add text and number.
func describe(src string, err error) string {
	return fmt.Sprintf("%q: %s", strings.TrimSpace(src), err)
}
