package flow

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// This file compiles a definition's expressions against its form: the
// scope each place gives (which identifiers, of which types, and which
// functions), and a cache of the checked expressions by definition,
// place and source, used by lint (validate.go) and at run time alike, so
// that lint and the engine agree.

// exprPlace is where in a definition an expression is used.
type exprPlace uint8

const (
	placeComputed exprPlace = iota // a computed field (top level) or column (table ≠ "")
	placeCheck                     // a check's expr or when
	placeCond                      // a step's or branch's when
	placeEffect                    // a built-in effect's value (set_person, start): any type
)

// scope returns the identifiers and functions an expression may use at
// place (table: the table of a computed column).
func (d *Definition) scope(place exprPlace, table string) *exprScope {
	sc := &exprScope{vars: map[string]etype{}, tables: map[string]map[string]etype{}, def: d.Key,
		fields: map[string]*Field{}, steps: map[string]bool{}}
	for i := range d.Form {
		f := &d.Form[i]
		if f.Key == "" {
			continue
		}
		if _, dup := sc.fields[f.Key]; dup {
			continue
		}
		sc.fields[f.Key] = f
		sc.vars[f.Key] = fieldType(f)
		if f.Type == FieldTable {
			cols := map[string]etype{}
			for j := range f.Columns {
				c := &f.Columns[j]
				if c.Key == "" {
					continue
				}
				ct := fieldType(c)
				cols[c.Key] = ct
				switch {
				case ct.kind == kAny:
					sc.vars[f.Key+"."+c.Key] = tAny
				case ct.kind == kList:
					sc.vars[f.Key+"."+c.Key] = listOf(kList)
				default:
					sc.vars[f.Key+"."+c.Key] = listOf(ct.kind)
				}
			}
			sc.tables[f.Key] = cols
		}
	}
	for _, s := range d.Steps {
		sc.steps[s.ID] = true
	}
	switch place {
	case placeComputed:
		sc.need, sc.where = needNothing, "computed fields"
		if cols, ok := sc.tables[table]; ok {
			// A computed column reads its row's cells by their keys.
			for k, t := range cols {
				sc.vars[k] = t
			}
		}
	case placeCheck:
		sc.need, sc.where = needClock, "checks"
	case placeCond, placeEffect:
		sc.need, sc.where = needEngine, "step and branch conditions"
		for k, t := range engineVarTypes {
			sc.vars[k] = t
		}
	}
	return sc
}

// want is the type an expression must have at place.
func (p exprPlace) want() etype {
	switch p {
	case placeComputed:
		return tNumber
	case placeEffect:
		return tAny
	}
	return tBool
}

// compileIn compiles src and type-checks it at place of d.
func (d *Definition) compileIn(src string, place exprPlace, table string) (*Expr, error) {
	e, err := Compile(src)
	if err != nil {
		return nil, err
	}
	if err := e.check(d.scope(place, table), place.want()); err != nil {
		return nil, err
	}
	return e, nil
}

type defExprKey struct {
	d     *Definition
	place exprPlace
	table string
	src   string
}

var (
	defExprs  sync.Map // defExprKey → *Expr
	defExprsN atomic.Int64
)

// expr returns src compiled and checked at place of d, from the cache. A
// definition that passed lint always checks; one stored before
// expressions were typed, which does not, runs its expression untyped
// (as it was written for), so that its running instances finish.
func (d *Definition) expr(src string, place exprPlace, table string) (*Expr, error) {
	k := defExprKey{d, place, table, src}
	if e, ok := defExprs.Load(k); ok {
		return e.(*Expr), nil
	}
	e, err := d.compileIn(src, place, table)
	if err != nil {
		if e, err = Compile(src); err != nil {
			return nil, err
		}
	}
	if defExprsN.Add(1) > maxCachedExprs {
		// Definitions are few; many more means many short-lived ones
		// (tests): start over rather than grow.
		defExprs.Clear()
		defExprsN.Store(1)
	}
	defExprs.Store(k, e)
	return e, nil
}

// countRefErrors checks the count_instances calls of d's step and branch
// conditions and of its built-in effects' values against the definitions loaded with it (byKey): the
// definition must exist and have the field, of the type of the value
// compared with it. Load reports them, as it does subprocess keys.
func countRefErrors(d *Definition, byKey map[string]*Definition) []*LoadError {
	var out []*LoadError
	check := func(path, src string, place exprPlace) {
		e, err := d.expr(src, place, "")
		if err != nil || !e.typed {
			return
		}
		e.root.walk(func(n *enode) {
			if n.op != "call" || n.val != "count_instances" || len(n.args) != 4 {
				return
			}
			key, _ := n.args[0].val.(string)
			field, _ := n.args[1].val.(string)
			var msg string
			other := byKey[key]
			f := (*Field)(nil)
			if other != nil {
				f = other.field(field)
			}
			switch {
			case other == nil:
				msg = fmt.Sprintf("count_instances: no definition with key %q", key)
			case f == nil:
				msg = fmt.Sprintf("count_instances: definition %q has no field %q", key, field)
			default:
				c := &checker{sc: &exprScope{}}
				if _, ok := c.unify(fieldType(f), n.args[2].t, nil, n.args[2]); !ok || fieldType(f).kind == kList || fieldType(f).kind == kTable {
					msg = fmt.Sprintf("count_instances: field %q of %q holds %s, not %s", field, key, fieldType(f), n.args[2].t)
				}
			}
			if msg != "" {
				l, col := position(mustAST(d.Source), path)
				out = append(out, &LoadError{File: d.File, Line: l, Column: col, Field: path, Msg: fmt.Sprintf("%q: %s", src, msg)})
			}
		})
	}
	for i, s := range d.Steps {
		if s.When != "" {
			check(fmt.Sprintf("steps[%d].when", i), s.When, placeCond)
		}
		for j, b := range s.Branches {
			check(fmt.Sprintf("steps[%d].branches[%d].when", i, j), b.When, placeCond)
		}
		for j, ch := range s.SetPerson {
			check(fmt.Sprintf("steps[%d].set_person[%d].value", i, j), ch.Value, placeEffect)
		}
		for j, sp := range s.Start {
			for _, k := range sortedMapKeys(sp.Values) {
				check(fmt.Sprintf("steps[%d].start[%d].values.%s", i, j, k), sp.Values[k], placeEffect)
			}
		}
	}
	return out
}

// walk calls fn on n and every node below it.
func (n *enode) walk(fn func(*enode)) {
	fn(n)
	for _, a := range n.args {
		a.walk(fn)
	}
}
