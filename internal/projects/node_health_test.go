package projects

import (
	"testing"
	"time"

	"labflow/internal/flow"
	"labflow/internal/store"
)

// holidayCalendar is Monday to Friday but for the days listed.
type holidayCalendar struct {
	flow.WeekdayCalendar
	off map[string]bool
}

func (c holidayCalendar) IsWorkday(d time.Time) bool {
	return c.WeekdayCalendar.IsWorkday(d) && !c.off[d.Format(time.DateOnly)]
}

func (c holidayCalendar) WorkdaysBetween(a, b time.Time) int {
	n := 0
	for d := a; d.Format(time.DateOnly) < b.Format(time.DateOnly); d = d.AddDate(0, 0, 1) {
		if c.IsWorkday(d) {
			n++
		}
	}
	return n
}

// Ensure lateness counts the institute's working days after the planned
// end — weekends and holidays are not late days — and the figures count
// nodes on time, late and open, tests used against plan, and the
// execution time from the materials day (PRJ-4).
func TestPRJ4_LatenessInWorkingDays(t *testing.T) {
	s := &Service{loc: time.UTC}
	// 2026-11-27 is a Friday; 2026-11-30 a Monday, a holiday here.
	cal := holidayCalendar{off: map[string]bool{"2026-11-30": true}}
	nodes := []store.ProjectNode{
		{Name: "A", PlannedStart: "2026-11-02", PlannedEnd: "2026-11-27", PlannedTests: 4, ActualStart: "2026-11-02", ActualEnd: "2026-12-01", TestsUsed: 5},
		{Name: "B", PlannedStart: "2026-11-02", PlannedEnd: "2026-11-27", PlannedTests: 3, ActualStart: "2026-11-03", ActualEnd: "2026-11-30", TestsUsed: 3},
		{Name: "C", PlannedStart: "2026-11-20", PlannedEnd: "2026-11-26", PlannedTests: 2},
		{Name: "D", PlannedStart: "2026-12-10", PlannedEnd: "2026-12-20", PlannedTests: 1},
		{Name: "E", PlannedStart: "2026-11-02", PlannedEnd: "2026-11-27", PlannedTests: 1, ActualStart: "2026-11-02", ActualEnd: "2026-11-27"},
	}
	m := &store.ProjectMaterials{ReadyOn: "2026-11-26"}
	x := s.figures(s.counter(cal), nodes, m, "2026-12-02")
	want := []struct {
		state string
		late  int
	}{{NodeDone, 1}, {NodeDone, 0}, {NodeNotStarted, 3}, {NodeAhead, 0}, {NodeDone, 0}}
	for i, w := range want {
		if x.Nodes[i].State != w.state || x.Nodes[i].LateDays != w.late {
			t.Errorf("node %s: %s late %d, want %s late %d", x.Nodes[i].Name, x.Nodes[i].State, x.Nodes[i].LateDays, w.state, w.late)
		}
	}
	// C: 11-27 Fri, (weekend, holiday), 12-01 Tue, 12-02 Wed — 3 working days.
	// B ended on a holiday after its planned end: no working day late, but
	// not on time either.
	if x.Nodes[1].OnTime || !x.Nodes[4].OnTime || x.NodesOnTime != 1 || x.NodesLate != 2 || x.NodesOpen != 2 {
		t.Errorf("counts: %+v", x)
	}
	if x.TestsPlanned != 11 || x.TestsUsed != 8 {
		t.Errorf("tests %d/%d", x.TestsUsed, x.TestsPlanned)
	}
	// 11-26 Thu, 11-27 Fri, (weekend, holiday), 12-01 Tue, 12-02 Wed: 4.
	if x.Days != 4 {
		t.Errorf("execution days %d, want 4", x.Days)
	}
	h := health(store.Project{Stage: "lab"}, []store.PlanRevision{{Revision: 1, State: PlanSigned}}, x)
	if h.State != HealthLate || h.Node != "C" || h.LateDays != 3 || h.NextDue == nil || h.NextDue.Name != "C" {
		t.Errorf("health: %+v", h)
	}
	if h := health(store.Project{Stage: "closed"}, nil, x); h.State != HealthClosed {
		t.Errorf("closed: %+v", h)
	}
}
