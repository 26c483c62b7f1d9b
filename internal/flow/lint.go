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
	}
	return errors.Join(errs...)
}
