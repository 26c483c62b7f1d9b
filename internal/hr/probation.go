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
// (hired 2026-03-01: the probation ends 2026-05-31; see ProbationEnd).
const ProbationMonths = 3

// PeopleFunc lists the active people (with their hire dates).
type PeopleFunc func(ctx context.Context) ([]domain.Person, error)

// RegisterSources registers the personnel date sources under their names.
// people may be nil where sources are only named, never run (lint).
func RegisterSources(reg *flow.Registry, people PeopleFunc) {
	reg.RegisterDateSource(SourceProbationEnd, ProbationEnds(people, ProbationMonths))
}

// ProbationEnd returns the last day of the probation of someone hired on
// hired (YYYY-MM-DD), or "" when hired is not a date: the day before the
// same date months later, or, when that month has no such date (hired on
// 30 November), that month's last day.
func ProbationEnd(hired string, months int) string {
	d, err := time.Parse(time.DateOnly, hired)
	if err != nil {
		return ""
	}
	first := time.Date(d.Year(), d.Month()+time.Month(months), 1, 0, 0, 0, 0, time.UTC)
	if last := first.AddDate(0, 1, -1); d.Day() > last.Day() {
		return last.Format(time.DateOnly)
	}
	return first.AddDate(0, 0, d.Day()-2).Format(time.DateOnly)
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
