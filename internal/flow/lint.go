package flow

import (
	"errors"
	"fmt"
	"os"
)

// Lint loads each file with the same checks as Load and reports every
// problem (joined *LoadError values, "file:line:col: field: msg"), plus
// keys defined in two of the files. It is `labflow definitions lint FILE…`;
// the registry should be the one the server builds (with the domain
// packages' guards, effects and subjects registered).
func Lint(reg *Registry, files ...string) error {
	if reg == nil {
		reg = NewRegistry()
	}
	var errs []error
	var defs []*Definition
	seen := map[string]string{}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f, err))
			continue
		}
		d, err := Parse(f, src, reg)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if other, dup := seen[d.Key]; dup {
			l, c := position(mustAST(src), "key")
			errs = append(errs, &LoadError{File: f, Line: l, Column: c, Field: "key",
				Msg: fmt.Sprintf("key %q is also defined in %s", d.Key, other)})
			continue
		}
		seen[d.Key] = f
		defs = append(defs, d)
	}
	for _, e := range crossCheck(defs) {
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

// crossCheck checks what one definition says of another, among defs: the
// fields a sub-process step's returns takes from the sub-process exist
// there. (A definition named but not among defs is checked when the
// server has them all.)
func crossCheck(defs []*Definition) []*LoadError {
	byKey := map[string]*Definition{}
	for _, d := range defs {
		byKey[d.Key] = d
	}
	var out []*LoadError
	for _, d := range defs {
		for i, s := range d.Steps {
			for j, sp := range s.Start {
				other := byKey[sp.Process]
				if other == nil {
					continue
				}
				for _, k := range sortedMapKeys(sp.Values) {
					if other.field(k) == nil {
						out = append(out, &LoadError{File: d.File, Field: fmt.Sprintf("steps[%d].start[%d].values.%s", i, j, k),
							Msg: fmt.Sprintf("process %q has no field %q", other.Key, k)})
					}
				}
			}
			child := byKey[s.Subprocess]
			if child == nil {
				continue
			}
			for to, from := range s.Returns {
				if child.field(from) == nil {
					out = append(out, &LoadError{File: d.File, Field: fmt.Sprintf("steps[%d].returns.%s", i, to),
						Msg: fmt.Sprintf("sub-process %q has no field %q", child.Key, from)})
				} else if f := d.field(to); f != nil && f.Type != child.field(from).Type {
					out = append(out, &LoadError{File: d.File, Field: fmt.Sprintf("steps[%d].returns.%s", i, to),
						Msg: fmt.Sprintf("field %q is %s, sub-process field %q is %s", to, f.Type, from, child.field(from).Type)})
				}
			}
		}
	}
	return out
}
