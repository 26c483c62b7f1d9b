package flow

import (
	"slices"
	"sort"
)

// What definitions name of the organisation (issue 8 §4): the roles and
// committees a definition depends on, so that the server can warn when
// nobody holds a role a definition names, and the organisation service can
// refuse to retire one in use.

// RolesNamed returns the sorted roles a definition names: its initiators,
// the roles of its assignees, copies, notices and viewers, its person
// fields' roles and its escalation targets.
func RolesNamed(d *Definition) []string {
	seen := map[string]bool{}
	add := func(r string) {
		if r != "" {
			seen[r] = true
		}
	}
	for _, r := range d.Initiators {
		add(r)
	}
	var fields func(fs []Field)
	fields = func(fs []Field) {
		for _, f := range fs {
			add(f.Role)
			fields(f.Columns)
		}
	}
	fields(d.Form)
	eachAssignee(d, func(a Assignee) { add(a.Role) })
	for _, s := range d.Steps {
		if s.SLA != nil && s.SLA.EscalateTo != "director" {
			add(s.SLA.EscalateTo)
		}
	}
	return namesOf(seen)
}

// CommitteesNamed returns the sorted keys of the committees a definition
// names ("technical" for `committee: true`).
func CommitteesNamed(d *Definition) []string {
	seen := map[string]bool{}
	eachAssignee(d, func(a Assignee) {
		if a.Committee != "" {
			seen[string(a.Committee)] = true
		}
	})
	return namesOf(seen)
}

func eachAssignee(d *Definition, f func(Assignee)) {
	for _, a := range d.Viewers {
		f(a)
	}
	for _, s := range d.Steps {
		f(s.Assignee)
		for _, a := range s.CC {
			f(a)
		}
		for _, a := range s.Notify {
			f(a)
		}
	}
}

func namesOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Naming returns the keys of the current definitions that name a role
// (kind "role") or a committee (kind "committee").
func (e *Engine) Naming(kind, key string) []string {
	var out []string
	for _, d := range e.Definitions() {
		names := RolesNamed(d)
		if kind == "committee" {
			names = CommitteesNamed(d)
		}
		if slices.Contains(names, key) {
			out = append(out, d.Key)
		}
	}
	return out
}

// NamedRoles returns, for every role the current definitions name, the
// keys of the definitions naming it.
func (e *Engine) NamedRoles() map[string][]string {
	out := map[string][]string{}
	for _, d := range e.Definitions() {
		for _, r := range RolesNamed(d) {
			out[r] = append(out[r], d.Key)
		}
	}
	return out
}

// NamedCommittees returns, for every committee the current definitions
// name, the keys of the definitions naming it.
func (e *Engine) NamedCommittees() map[string][]string {
	out := map[string][]string{}
	for _, d := range e.Definitions() {
		for _, c := range CommitteesNamed(d) {
			out[c] = append(out[c], d.Key)
		}
	}
	return out
}
