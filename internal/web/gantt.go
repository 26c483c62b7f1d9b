package web

import (
	"time"

	"labflow/internal/projects"
)

// ganttChart is a node plan drawn as bars on a time axis, for the SVG the
// project and plan pages render on the server (_gantt.html): per node the
// planned bar and, below it, the actual one (to today while in progress).
type ganttChart struct {
	Width, Height int
	Bars          []ganttBar
	Ticks         []ganttTick
	// TodayX is the x of today's line; ShowToday is false when today lies
	// outside the chart's span.
	TodayX    int
	ShowToday bool
	Today     string
}

type ganttBar struct {
	X, Y, W int
	// Name is the node's name as shown (shortened); Node is its whole name
	// (the row's data-node, which tests and scripts find it by).
	Name, Node string
	Start, End string
	Tests      int
	// State is the node's state: done, in_progress, not_started or ahead
	// (planned only: done, current or ahead by the dates).
	State string
	// Actual is the actual bar: from the actual start to the actual end, or
	// to today while in progress (InProgress).
	Actual                 bool
	AX, AW                 int
	ActualStart, ActualEnd string
	InProgress             bool
	TestsUsed, LateDays    int
}

type ganttTick struct {
	X     int
	Label string
}

const (
	ganttLabel = 180 // width of the names column
	ganttPlot  = 620 // width of the time axis
	ganttRow   = 30
	ganttTop   = 24 // room for the month ticks
)

// gantt lays out a plan's nodes (planned only: a revision not yet in
// force, or one of the past).
func gantt(p projects.Plan, today string) *ganttChart {
	figs := make([]projects.NodeFigure, len(p.Nodes))
	for i, n := range p.Nodes {
		f := projects.NodeFigure{State: "ahead"}
		f.Name, f.PlannedStart, f.PlannedEnd = n.Name, n.Start, n.End
		for _, t := range n.Tests {
			f.PlannedTests += t.Count
		}
		switch {
		case n.End < today:
			f.State = "done"
		case n.Start <= today:
			f.State = "current"
		}
		figs[i] = f
	}
	return ganttNodes(figs, today)
}

// ganttNodes lays out nodes from the earliest day (planned or actual) to
// the latest, one row each, with a tick at each month's first day and a
// line at today (a day in the institute's zone).
func ganttNodes(nodes []projects.NodeFigure, today string) *ganttChart {
	if len(nodes) == 0 {
		return nil
	}
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	first, last := day(nodes[0].PlannedStart), day(nodes[0].PlannedEnd)
	widen := func(s string) {
		if s == "" {
			return
		}
		if t := day(s); t.Before(first) {
			first = t
		} else if t.After(last) {
			last = t
		}
	}
	for _, n := range nodes {
		widen(n.PlannedStart)
		widen(n.PlannedEnd)
		widen(n.ActualStart)
		widen(n.ActualEnd)
		if n.ActualStart != "" && n.ActualEnd == "" {
			widen(today)
		}
	}
	last = last.AddDate(0, 0, 1) // a node's end day is part of it
	span := last.Sub(first).Hours() / 24
	if span < 1 {
		span = 1
	}
	x := func(t time.Time) int { return ganttLabel + int(t.Sub(first).Hours()/24/span*ganttPlot) }
	g := &ganttChart{Width: ganttLabel + ganttPlot + 10, Height: ganttTop + ganttRow*len(nodes) + 6, Today: today}
	for i, n := range nodes {
		s, e := day(n.PlannedStart), day(n.PlannedEnd).AddDate(0, 0, 1)
		name := n.Name
		if r := []rune(name); len(r) > 14 {
			name = string(r[:13]) + "…"
		}
		b := ganttBar{X: x(s), Y: ganttTop + i*ganttRow, W: max(x(e)-x(s), 2), Name: name, Node: n.Name, Start: n.PlannedStart, End: n.PlannedEnd,
			Tests: n.PlannedTests, State: n.State, TestsUsed: n.TestsUsed, LateDays: n.LateDays}
		if n.ActualStart != "" {
			end := n.ActualEnd
			if end == "" {
				end, b.InProgress = max(today, n.ActualStart), true
			}
			as, ae := day(n.ActualStart), day(end).AddDate(0, 0, 1)
			b.Actual, b.AX, b.AW, b.ActualStart, b.ActualEnd = true, x(as), max(x(ae)-x(as), 2), n.ActualStart, n.ActualEnd
		}
		g.Bars = append(g.Bars, b)
	}
	for m := time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, time.UTC); m.Before(last); m = m.AddDate(0, 1, 0) {
		if !m.Before(first) {
			g.Ticks = append(g.Ticks, ganttTick{X: x(m), Label: m.Format("2006-01")})
		}
	}
	if t := day(today); !t.Before(first) && t.Before(last) {
		g.TodayX, g.ShowToday = x(t), true
	}
	return g
}
