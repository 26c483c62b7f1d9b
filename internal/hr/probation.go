package hr

import (
	"context"
	"strconv"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
)

// SourceProbationEnd is the date source of probation ends (issue 8 §6): a
// definition's schedule names it to start, say, the confirmation review 14
// days before a new employee's probation ends.
const SourceProbationEnd = "hr.probation_end"

// ProbationMonths is the probation period: a person's probation ends on
// the day before the same date this many months after their hire date
// (hired 2026-03-01: the probation ends 2026-05-31).
const ProbationMonths = 3

// PeopleFunc lists the active people (with their hire dates).
type PeopleFunc func(ctx context.Context) ([]domain.Person, error)

// RegisterSources registers the personnel date sources under their names.
// people may be nil where sources are only named, never run (lint).
func RegisterSources(reg *flow.Registry, people PeopleFunc) {
	reg.RegisterDateSource(SourceProbationEnd, ProbationEnds(people, ProbationMonths))
}

// ProbationEnd returns the last day of the probation of someone hired on
// hired (YYYY-MM-DD), or "" when hired is not a date.
func ProbationEnd(hired string, months int) string {
	d, err := time.Parse(time.DateOnly, hired)
	if err != nil {
		return ""
	}
	return d.AddDate(0, months, -1).Format(time.DateOnly)
}

// ProbationEnds is the date source of the probation ends of the active
// people with a hire date: one item per person ("person:ID"), dated the
// probation's last day.
func ProbationEnds(people PeopleFunc, months int) flow.DateSource {
	return func(ctx context.Context, from, to string) ([]flow.DatedItem, error) {
		if people == nil {
			return nil, nil
		}
		ps, err := people(ctx)
		if err != nil {
			return nil, err
		}
		var out []flow.DatedItem
		for _, p := range ps {
			end := ProbationEnd(p.HiredOn, months)
			if !p.Active || end == "" || end < from || end > to {
				continue
			}
			out = append(out, flow.DatedItem{Key: "person:" + strconv.FormatInt(p.ID, 10), Date: end, PersonID: p.ID})
		}
		return out, nil
	}
}
