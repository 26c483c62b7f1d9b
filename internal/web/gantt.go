package web

import (
	"time"

	"labflow/internal/projects"
)

// ganttChart is a node plan drawn as bars on a time axis, for the SVG the
// project and plan pages render on the server (_gantt.html).
type ganttChart struct {
	Width, Height int
	Bars          []ganttBar
	Ticks         []ganttTick
	// TodayX is the x of today's line; ShowToday is false when today lies
	// outside the plan's span.
	TodayX    int
	ShowToday bool
	Today     string
}

type ganttBar struct {
	X, Y, W    int
	Name       string
	Start, End string
	Tests      int
	// State is done (ended before today), current (today within) or ahead.
	State string
}

type ganttTick struct {
	X     int
	Label string
}

const (
	ganttLabel = 180 // width of the names column
	ganttPlot  = 620 // width of the time axis
	ganttRow   = 26
	ganttTop   = 24 // room for the month ticks
)

// gantt lays out the plan's nodes from the earliest start to the latest
// end, one row each, with a tick at each month's first day and a line at
// today (a day in the institute's zone).
func gantt(p projects.Plan, today string) *ganttChart {
	if len(p.Nodes) == 0 {
		return nil
	}
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	first, last := day(p.Nodes[0].Start), day(p.Nodes[0].End)
	for _, n := range p.Nodes {
		if t := day(n.Start); t.Before(first) {
			first = t
		}
		if t := day(n.End); t.After(last) {
			last = t
		}
	}
	last = last.AddDate(0, 0, 1) // a node's end day is part of it
	span := last.Sub(first).Hours() / 24
	if span < 1 {
		span = 1
	}
	x := func(t time.Time) int { return ganttLabel + int(t.Sub(first).Hours()/24/span*ganttPlot) }
	g := &ganttChart{Width: ganttLabel + ganttPlot + 10, Height: ganttTop + ganttRow*len(p.Nodes) + 6, Today: today}
	for i, n := range p.Nodes {
		s, e := day(n.Start), day(n.End).AddDate(0, 0, 1)
		state := "ahead"
		switch {
		case n.End < today:
			state = "done"
		case n.Start <= today:
			state = "current"
		}
		name := n.Name
		if r := []rune(name); len(r) > 14 {
			name = string(r[:13]) + "…"
		}
		tests := 0
		for _, t := range n.Tests {
			tests += t.Count
		}
		g.Bars = append(g.Bars, ganttBar{X: x(s), Y: ganttTop + i*ganttRow, W: max(x(e)-x(s), 2), Name: name, Start: n.Start, End: n.End, Tests: tests, State: state})
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
