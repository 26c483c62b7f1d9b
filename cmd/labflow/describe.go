package main

import (
	"errors"
	"sort"
	"strings"

	"labflow/internal/domain"
	"labflow/internal/i18n"
)

// describeText renders an error in English with its field messages.
func describeText(err error) string {
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind == domain.KindInternal {
		return err.Error()
	}
	s := i18n.T(i18n.EN, de.Key, de.Args)
	var fs []string
	for f, m := range de.Fields {
		fs = append(fs, f+": "+i18n.T(i18n.EN, m.Key, m.Args))
	}
	sort.Strings(fs)
	if len(fs) > 0 {
		s += " (" + strings.Join(fs, "; ") + ")"
	}
	return s
}
