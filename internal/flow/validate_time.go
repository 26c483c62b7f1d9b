package flow

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"labflow/internal/domain"
)

// The load-time checks of time (issue 8 §3, §6): durations, deadlines
// from the form, escalation levels, definition-level deadlines, wait steps
// and schedules. Lint and the engine read durations with the same
// ParseDuration.

// duration checks a duration key; zero is allowed only when zeroOK.
func (v *vctx) duration(p, s string, zeroOK bool) (Duration, bool) {
	d, err := ParseDuration(s)
	if err != nil || d.IsZero() && !zeroOK {
		v.add(p, "%q is not a positive duration such as \"48h\", \"3d\" or \"2wd\" (working days)", s)
		return d, false
	}
	return d, true
}

// timeField checks that key names a top-level date or datetime field.
func (v *vctx) timeField(p, key string) {
	switch f := v.fields[key]; {
	case f == nil:
		v.add(p, "unknown field %q", key)
	case f.Type != FieldDate && f.Type != FieldDateTime:
		v.add(p, "field %q is not a date or datetime field", key)
	}
}

// slaRules checks an SLA: a step's, or a definition-level deadline's.
func (v *vctx) slaRules(p string, s *SLA) {
	var due Duration
	dueOK := false
	switch {
	case s.Due == "" && s.DueField == "":
		v.add(p+".due", "required: a duration such as \"48h\", \"3d\" or \"2wd\", or due_field")
	case s.Due != "":
		due, dueOK = v.duration(p+".due", s.Due, false)
	}
	if s.DueField != "" {
		v.timeField(p+".due_field", s.DueField)
	}
	if s.From != "" {
		v.timeField(p+".from", s.From)
		if s.Due == "" {
			v.add(p+".from", "from is where due counts from: set due too")
		}
	}
	if s.Remind != "" {
		if r, ok := v.duration(p+".remind", s.Remind, false); ok && dueOK && s.DueField == "" && s.From == "" {
			if c, ok := r.compare(due); ok && c >= 0 {
				v.add(p+".remind", "the reminder (before due) must be shorter than due")
			}
		}
	}
	for i, x := range s.Warnings {
		if r, ok := v.duration(fmt.Sprintf("%s.warnings[%d]", p, i), x, false); ok && dueOK && s.DueField == "" && s.From == "" {
			if c, ok := r.compare(due); ok && c >= 0 {
				v.add(fmt.Sprintf("%s.warnings[%d]", p, i), "a warning (before due) must be shorter than due")
			}
		}
	}
	target := func(tp, to string) {
		if to != "director" && !v.reg.HasRole(to) {
			v.add(tp, "unknown role %q (or \"director\")", to)
		} else if to == "sysadmin" {
			v.add(tp, "the system administrator has no business rights")
		}
	}
	if s.EscalateTo != "" {
		target(p+".escalate_to", s.EscalateTo)
	}
	var last Duration
	for i, l := range s.Escalate {
		lp := fmt.Sprintf("%s.escalate[%d]", p, i)
		if l.To == "" {
			v.add(lp+".to", "required: a role, or \"director\"")
		} else {
			target(lp+".to", l.To)
		}
		after, ok := v.duration(lp+".after", l.After, true)
		if ok && i > 0 {
			if c, cmp := after.compare(last); cmp && c <= 0 {
				v.add(lp+".after", "each level comes after the one before")
			}
		}
		last = after
	}
	switch s.OnReturn {
	case "", OnReturnKeep, OnReturnRestart:
	default:
		v.add(p+".on_return", "unknown %q (keep or restart)", s.OnReturn)
	}
}

// timeRules checks wait steps, definition-level deadlines and schedules.
func (v *vctx) timeRules() {
	d := v.d
	steps := map[string]bool{}
	for _, s := range d.Steps {
		steps[s.ID] = true
	}
	for i := range d.Steps {
		s := &d.Steps[i]
		p := fmt.Sprintf("steps[%d]", i)
		switch {
		case s.Kind == StepWait && s.Wait == nil:
			v.add(p+".wait", "a wait step says how long it waits: wait: {for: 2wd} or wait: {until: FIELD}")
		case s.Kind != StepWait && s.Wait != nil:
			v.add(p+".wait", "applies to wait steps only")
		case s.Wait != nil:
			if s.Wait.For == "" && s.Wait.Until == "" {
				v.add(p+".wait", "set for (a duration), until (a date or datetime field), or both")
			}
			if s.Wait.For != "" {
				v.duration(p+".wait.for", s.Wait.For, false)
			}
			if s.Wait.Until != "" {
				v.timeField(p+".wait.until", s.Wait.Until)
			}
		}
		if s.Kind == StepWait && s.SLA != nil {
			v.add(p+".sla", "a wait step has no deadline of its own")
		}
	}
	ids := map[string]bool{}
	for i := range d.Deadlines {
		dl := &d.Deadlines[i]
		p := fmt.Sprintf("deadlines[%d]", i)
		switch {
		case dl.ID == "":
			v.add(p+".id", "required")
		case !idRE.MatchString(dl.ID):
			v.add(p+".id", "%q: use lowercase letters, digits and underscores, starting with a letter", dl.ID)
		case ids[dl.ID]:
			v.add(p+".id", "duplicate deadline id %q", dl.ID)
		}
		ids[dl.ID] = true
		v.text(p+".title", dl.Title, true)
		if dl.Start != "" && !steps[dl.Start] {
			v.add(p+".start", "no step %q", dl.Start)
		}
		if dl.End != "" && !steps[dl.End] {
			v.add(p+".end", "no step %q", dl.End)
		}
		if dl.Start != "" && dl.Start == dl.End {
			v.add(p+".end", "a deadline that starts and ends at one step is that step's sla")
		}
		v.slaRules(p, &dl.SLA)
		for j, a := range dl.Notify {
			if a.ChosenBy != "" {
				v.add(fmt.Sprintf("%s.notify[%d].chosen_by", p, j), "a deadline's notice goes to people the form or the organisation names, not to a chosen approver")
				continue
			}
			v.assignee(fmt.Sprintf("%s.notify[%d]", p, j), a)
		}
	}
	ids = map[string]bool{}
	for i := range d.Schedule {
		v.schedule(fmt.Sprintf("schedule[%d]", i), &d.Schedule[i], ids)
	}
}

func (v *vctx) schedule(p string, s *Schedule, ids map[string]bool) {
	switch {
	case s.ID == "":
		v.add(p+".id", "required")
	case !idRE.MatchString(s.ID):
		v.add(p+".id", "%q: use lowercase letters, digits and underscores, starting with a letter", s.ID)
	case ids[s.ID]:
		v.add(p+".id", "duplicate schedule id %q", s.ID)
	}
	ids[s.ID] = true
	if _, _, ok := parseClock(s.At); !ok {
		v.add(p+".at", "%q is not a time of day such as \"08:30\"", s.At)
	}
	switch {
	case s.Every == "" && s.Source == "":
		v.add(p, "set every (day, workday, week, month) or source (a date source)")
	case s.Every != "" && s.Source != "":
		v.add(p, "set every or source, not both")
	case s.Every != "":
		switch s.Every {
		case "day", "workday", "week", "month":
		default:
			v.add(p+".every", "unknown %q (day, workday, week or month)", s.Every)
		}
		if _, ok := weekdays[s.Weekday]; s.Every == "week" && !ok {
			v.add(p+".weekday", "every week needs a weekday: monday … sunday")
		} else if s.Every != "week" && s.Weekday != "" {
			v.add(p+".weekday", "applies to every: week only")
		}
		if s.Every == "month" {
			n, err := strconv.Atoi(s.Day)
			if s.Day != "last" && s.Day != "last_workday" && (err != nil || n < 1 || n > 31) {
				v.add(p+".day", "every month needs a day: 1–31, last or last_workday")
			}
		} else if s.Day != "" {
			v.add(p+".day", "applies to every: month only")
		}
		if s.Before != "" {
			v.add(p+".before", "applies to a source's dates only")
		}
		if s.PersonField != "" {
			v.add(p+".person_field", "applies to a source's dates only")
		}
	default:
		if _, ok := v.reg.DateSource(s.Source); !ok {
			v.add(p+".source", "unknown date source %q (a domain package registers it)", s.Source)
		}
		if s.Before != "" {
			v.duration(p+".before", s.Before, true)
		}
	}
	if s.PersonField != "" {
		if f := v.fields[s.PersonField]; f == nil || f.Type != FieldPerson {
			v.add(p+".person_field", "%q is not a person field", s.PersonField)
		}
	}
	if s.DateField != "" {
		if f := v.fields[s.DateField]; f == nil || f.Type != FieldDate {
			v.add(p+".date_field", "%q is not a date field", s.DateField)
		}
	}
	a := s.Initiator
	switch {
	case a.Relative != "" || a.IsCommittee() || a.Field != "" || a.ChosenBy != "":
		v.add(p+".initiator", "an initiator is a person or the holders of a role")
	case a.Person == "" && a.Role == "":
		v.add(p+".initiator", "set person or role: on whose behalf the system starts it")
	default:
		v.assignee(p+".initiator", a)
		if a.Role == "sysadmin" {
			v.add(p+".initiator.role", "the system administrator has no business rights")
		}
		if a.Department == "initiator" {
			v.add(p+".initiator.department", "a scheduled request has no initiator yet: name a department code or department_from")
		}
	}
	start := map[string]bool{}
	for _, k := range v.d.StartFields() {
		start[k] = true
	}
	for k := range s.Form {
		switch {
		case v.fields[k] == nil:
			v.add(p+".form."+k, "unknown field %q", k)
		case !start[k]:
			v.add(p+".form."+k, "field %q is filled by a later step, not when the request is filed", k)
		}
	}
	// The form it files must be valid (the person and date stand in).
	if _, err := ValidateForm(v.d, s.formWith(1, "2026-01-01"), nil); err != nil {
		var fields []string
		for k, m := range errFieldsOf(err) {
			fields = append(fields, k+" ("+m+")")
		}
		if len(fields) > 0 {
			sort.Strings(fields)
			v.add(p+".form", "the form a scheduled request is filed with is not valid: %s", strings.Join(fields, ", "))
		}
	}
}

// errFieldsOf returns the field messages of a validation error, by field.
func errFieldsOf(err error) map[string]string {
	out := map[string]string{}
	var de *domain.Error
	if errors.As(err, &de) {
		for k, m := range de.Fields {
			out[k] = m.Key
		}
	}
	return out
}
