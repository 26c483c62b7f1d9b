package hr

import (
	"context"
	"testing"

	"labflow/internal/domain"
)

// Ensure a probation ends the day before the same date three months after
// the hire date, and the source lists the active people whose probation
// ends in the window asked for (REL-3).
func TestREL3_ProbationEnds(t *testing.T) {
	for hired, want := range map[string]string{"2026-03-01": "2026-05-31", "2026-11-30": "2027-02-28", "2026-01-31": "2026-04-30", "x": ""} {
		if got := ProbationEnd(hired, ProbationMonths); got != want {
			t.Errorf("hired %s: ends %q, want %q", hired, got, want)
		}
	}
	people := []domain.Person{
		{ID: 1, HiredOn: "2026-03-01", Active: true},
		{ID: 2, HiredOn: "2026-03-02", Active: true},
		{ID: 3, HiredOn: "2026-03-01", Active: false},
		{ID: 4, Active: true},
	}
	src := ProbationEnds(func(context.Context) ([]domain.Person, error) { return people, nil }, ProbationMonths)
	items, err := src(context.Background(), "2026-05-01", "2026-05-31")
	if err != nil || len(items) != 1 || items[0].PersonID != 1 || items[0].Date != "2026-05-31" || items[0].Key != "person:1" {
		t.Fatalf("items %+v, %v", items, err)
	}
	if items, _ := ProbationEnds(nil, 3)(context.Background(), "2026-01-01", "2026-12-31"); items != nil {
		t.Fatal("a source without people lists some")
	}
}
