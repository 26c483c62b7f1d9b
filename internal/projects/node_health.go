package projects

import (
	"time"

	"labflow/internal/flow"
	"labflow/internal/store"
)

// A project's health and the execution figures the reward and penalty
// rules need (PRJ-4): per node planned against actual, lateness in the
// institute's working days, tests used against plan.

// The states of a project's health.
const (
	HealthOnTime  = "on_time"
	HealthLate    = "late"
	HealthBlocked = "blocked"
	HealthClosed  = "closed"
)

// The reasons of a project's health.
const (
	ReasonNoPlan           = "no_plan"           // no plan revision signed, none under signing
	ReasonPlanSigning      = "plan_signing"      // a revision is being signed
	ReasonWaitingMaterials = "waiting_materials" // materials still block the work
	ReasonNodeLate         = "node_late"         // a node is past its planned end
)

// Health is where a project stands: on time, late or blocked, with the
// reason, and the next node due.
type Health struct {
	State string `json:"state"`
	// Reason says why a project is late or blocked ("" when on time).
	Reason string `json:"reason,omitempty"`
	// Node is the late node (the latest, by working days) and LateDays by
	// how many working days; Revision the revision being signed.
	Node     string `json:"node,omitempty"`
	LateDays int    `json:"late_days,omitempty"`
	Revision int    `json:"revision,omitempty"`
	// NextDue is the first unfinished node by planned end, if any.
	NextDue *NodeDue `json:"next_due,omitempty"`
}

// NodeDue names a node and its planned end.
type NodeDue struct {
	Name string `json:"name"`
	End  string `json:"end"`
}

// The states of a node, as of today.
const (
	NodeAhead      = "ahead"       // not started, not yet due to start
	NodeInProgress = "in_progress" // started, not finished
	NodeDone       = "done"        // finished
	NodeNotStarted = "not_started" // due to have started, not started
)

// NodeFigure is a node of the plan in force with its figures.
type NodeFigure struct {
	store.ProjectNode
	State string `json:"state"`
	// LateDays is by how many working days the node finished (or, while
	// unfinished, is) past its planned end; 0 when not late.
	LateDays int `json:"late_days"`
	// OnTime reports a node finished on or before its planned end.
	OnTime bool `json:"on_time"`
}

// Execution is what the reward and penalty rules need of a project.
type Execution struct {
	// Materials is the confirmation that starts the clock, or nil.
	Materials *store.ProjectMaterials `json:"materials,omitempty"`
	// Days is the execution time in working days: from the day the
	// materials stopped blocking to the last node's end (when every node
	// is done) or today.
	Days     int  `json:"days"`
	Finished bool `json:"finished"`
	// NodesOnTime and NodesLate count finished nodes; NodesOpen the others.
	NodesOnTime  int          `json:"nodes_on_time"`
	NodesLate    int          `json:"nodes_late"`
	NodesOpen    int          `json:"nodes_open"`
	TestsPlanned int          `json:"tests_planned"`
	TestsUsed    int          `json:"tests_used"`
	Nodes        []NodeFigure `json:"nodes"`
}

// calendar is the institute's working-day calendar.
func (s *Service) calendar() flow.Calendar {
	if s.flow == nil {
		return flow.WeekdayCalendar{}
	}
	return s.flow.Calendar()
}

// dayCounter counts working days between days from a table of running
// totals it builds once per request (a list of a thousand projects asks
// for tens of thousands of spans): cum[i] is the number of working days
// from base to base+i days, exclusive.
type dayCounter struct {
	cal  flow.Calendar
	loc  *time.Location
	base time.Time
	cum  []int
}

func (s *Service) counter(cal flow.Calendar) *dayCounter { return &dayCounter{cal: cal, loc: s.loc} }

// index is the number of days from base to t.
func (c *dayCounter) index(t time.Time) int { return int(t.Sub(c.base).Hours()/24 + 0.5) }

// ensure makes the table cover a to b.
func (c *dayCounter) ensure(a, b time.Time) {
	if c.cum == nil || a.Before(c.base) {
		end := b
		if c.cum != nil {
			end = c.base.AddDate(0, 0, len(c.cum))
		}
		if b.After(end) {
			end = b
		}
		c.base, c.cum = a.AddDate(0, 0, -31), []int{0}
		c.extend(end)
		return
	}
	c.extend(b)
}

// extend grows the table to t.
func (c *dayCounter) extend(t time.Time) {
	for n := c.index(t); len(c.cum) <= n && len(c.cum) < 40000; {
		d := c.base.AddDate(0, 0, len(c.cum)-1)
		w := 0
		if c.cal.IsWorkday(d) {
			w = 1
		}
		c.cum = append(c.cum, c.cum[len(c.cum)-1]+w)
	}
}

// between counts the working days from day a (inclusive) to day b
// (exclusive), YYYY-MM-DD; 0 when b is not after a.
func (c *dayCounter) between(a, b string) int {
	if b <= a {
		return 0
	}
	ta, tb := dayTime(a, c.loc), dayTime(b, c.loc)
	if ta.IsZero() || tb.IsZero() || tb.Sub(ta) > 40000*24*time.Hour {
		return 0
	}
	c.ensure(ta, tb)
	ia, ib := c.index(ta), c.index(tb)
	if ia < 0 || ib >= len(c.cum) {
		return 0
	}
	return c.cum[ib] - c.cum[ia]
}

// nextDay is the day after day.
func nextDay(day string) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return day
	}
	return t.AddDate(0, 0, 1).Format(time.DateOnly)
}

// lateDays counts the working days after planned end up to and including
// day ("" or not after: 0).
func (c *dayCounter) lateDays(plannedEnd, day string) int {
	if day <= plannedEnd || plannedEnd == "" {
		return 0
	}
	return c.between(nextDay(plannedEnd), nextDay(day))
}

// figures computes the execution figures of nodes (a project's current
// nodes, by position) and m (its materials confirmation, or nil) today.
func (s *Service) figures(cal *dayCounter, nodes []store.ProjectNode, m *store.ProjectMaterials, today string) Execution {
	x := Execution{Materials: m, Nodes: make([]NodeFigure, len(nodes)), Finished: len(nodes) > 0}
	last := ""
	for i, n := range nodes {
		f := NodeFigure{ProjectNode: n}
		switch {
		case n.ActualEnd != "":
			f.State = NodeDone
			f.LateDays = cal.lateDays(n.PlannedEnd, n.ActualEnd)
			f.OnTime = f.LateDays == 0 && n.ActualEnd <= n.PlannedEnd
			if f.OnTime {
				x.NodesOnTime++
			} else {
				x.NodesLate++
			}
			last = max(last, n.ActualEnd)
		case n.ActualStart != "":
			f.State = NodeInProgress
			f.LateDays = cal.lateDays(n.PlannedEnd, today)
		case n.PlannedStart < today:
			f.State = NodeNotStarted
			f.LateDays = cal.lateDays(n.PlannedEnd, today)
		default:
			f.State = NodeAhead
		}
		if f.State != NodeDone {
			x.NodesOpen++
			x.Finished = false
		}
		x.TestsPlanned += n.PlannedTests
		x.TestsUsed += n.TestsUsed
		x.Nodes[i] = f
	}
	if m != nil {
		end := today
		if x.Finished && last != "" {
			end = last
		}
		x.Days = cal.between(m.ReadyOn, nextDay(end))
	}
	return x
}

// health is the health of project p from its revisions (oldest first),
// the figures of its current nodes, and whether its materials are ready.
func health(p store.Project, revs []store.PlanRevision, x Execution) Health {
	var next *NodeFigure
	for i := range x.Nodes {
		if f := &x.Nodes[i]; f.State != NodeDone && (next == nil || f.PlannedEnd < next.PlannedEnd) {
			next = f
		}
	}
	h := headOf(p, revs)
	h.Materials = x.Materials != nil
	if next != nil {
		h.NextName, h.NextEnd = next.Name, next.PlannedEnd
	}
	late := 0
	if next != nil && next.State != NodeAhead {
		late = next.LateDays
	}
	return judge(p, h, late)
}

// headOf is the head of project p as its revisions (oldest first) make it.
func headOf(p store.Project, revs []store.PlanRevision) store.ProjectHead {
	h := store.ProjectHead{ProjectID: p.ID}
	if n := len(revs); n > 0 {
		h.Latest, h.LatestState = revs[n-1].Revision, revs[n-1].State
	}
	if f := inForce(revs); f != nil {
		h.InForce = f.Revision
	}
	return h
}

// judge decides a project's health from its head and by how many working
// days its first unfinished node (by planned end) is late: the node most
// late, since lateness only grows as the planned end is earlier. The
// project page (every node's figures) and the lists (the heads, read
// without the nodes) decide by this one rule.
func judge(p store.Project, h store.ProjectHead, lateDays int) Health {
	out := Health{State: HealthOnTime}
	if h.NextName != "" {
		out.NextDue = &NodeDue{Name: h.NextName, End: h.NextEnd}
	}
	switch {
	case p.Stage == "closed":
		return Health{State: HealthClosed}
	case h.InForce == 0:
		out.State, out.Reason = HealthBlocked, ReasonNoPlan
		if h.Latest > 0 && h.LatestState == PlanSigning {
			out.Reason, out.Revision = ReasonPlanSigning, h.Latest
		}
		return out
	case !h.Materials:
		out.State, out.Reason = HealthBlocked, ReasonWaitingMaterials
		return out
	case lateDays > 0:
		out.State, out.Reason, out.Node, out.LateDays = HealthLate, ReasonNodeLate, h.NextName, lateDays
	}
	return out
}

// dayOf is t's day in the institute's zone.
func (s *Service) dayOf(t time.Time) string { return t.In(s.loc).Format(time.DateOnly) }
