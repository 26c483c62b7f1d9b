package flow

import (
	"fmt"
	"slices"
	"strings"

	"labflow/internal/domain"
)

// The values of built-in effects (Step.SetPerson, Step.Start) are typed
// like every other expression: lint checks a set_person value against the
// attribute it sets, and Load checks a start value against the field of
// the definition it starts.

// attributeType is the type a person attribute takes, and its choices.
func attributeType(attr string) (etype, []string) {
	a, ok := domain.Attributes[attr]
	if !ok {
		return tAny, nil
	}
	switch a.Type {
	case domain.AttrDate:
		return tDate, nil
	case domain.AttrChoice:
		return tText, a.Choices
	case domain.AttrRank:
		return tText, nil
	}
	return tAny, nil
}

// effectTypeError says why the checked expression e does not yield want
// (a text literal not among choices, when there are any), or "".
func effectTypeError(e *Expr, want etype, choices []string) string {
	if !e.typed {
		return ""
	}
	c := &checker{sc: &exprScope{}}
	// A text literal that reads as a date fits a date ('2026-07-01').
	if _, ok := c.unify(want, e.typ, nil, e.root); !ok || want.kind == kTable || e.typ.kind == kTable {
		return fmt.Sprintf("gives %s, not %s", e.typ, want)
	}
	if s, ok := e.root.val.(string); ok && e.root.op == "str" && len(choices) > 0 && !slices.Contains(choices, s) {
		return fmt.Sprintf("%q is not one of %s", s, strings.Join(choices, ", "))
	}
	return ""
}

// startRefErrors checks the start effects of d's steps against the
// definitions loaded with it (byKey): the definition must exist, and each
// value must name one of its fields and yield that field's type.
func startRefErrors(d *Definition, byKey map[string]*Definition) []*LoadError {
	var out []*LoadError
	add := func(path, msg string) {
		l, col := position(mustAST(d.Source), path)
		out = append(out, &LoadError{File: d.File, Line: l, Column: col, Field: path, Msg: msg})
	}
	for i, s := range d.Steps {
		for j, sp := range s.Start {
			p := fmt.Sprintf("steps[%d].start[%d]", i, j)
			other := byKey[sp.Process]
			if other == nil {
				add(p+".process", fmt.Sprintf("no definition with key %q", sp.Process))
				continue
			}
			for _, k := range sortedMapKeys(sp.Values) {
				f := other.field(k)
				if f == nil {
					add(p+".values", fmt.Sprintf("definition %q has no field %q", sp.Process, k))
					continue
				}
				src := sp.Values[k]
				e, err := d.compileIn(src, placeEffect, "")
				if err != nil {
					continue // lint reports it
				}
				if msg := effectTypeError(e, fieldType(f), nil); msg != "" {
					add(p+".values."+k, describe(src, fmt.Errorf("field %q of %q: %s", k, sp.Process, msg)))
				}
			}
		}
	}
	return out
}
