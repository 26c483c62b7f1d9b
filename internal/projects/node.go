package projects

import (
	"context"
	"strconv"
	"strings"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/store"
)

// The nodes of the plan in force as rows (PRJ-4: planned against actual).
// When a plan revision becomes signed its nodes are written in the same
// transaction (materialize, from follow); a later signed revision carries
// the actuals over by node name. What happened is recorded by the work
// that happens — NodeStarted, NodeFinished and TestsUsed, which the
// experiments and stages call in their own transactions — or by the
// project's director explicitly (SetActual), each change audited.

// materialize writes the nodes of the revision signed in tx as the
// project's current nodes, carrying actual dates and tests used over from
// the nodes of the same name in the revision signed before.
func materialize(ctx context.Context, tx *store.Tx, rev store.PlanRevision, by int64) error {
	plan, err := decodePlan(rev.Content)
	if err != nil {
		return err
	}
	prev, err := store.CurrentNodes(ctx, tx, rev.ProjectID)
	if err != nil {
		return err
	}
	old := map[string]store.ProjectNode{}
	for _, n := range prev {
		old[n.Name] = n
	}
	rows := make([]store.ProjectNode, len(plan.Nodes))
	for i, n := range plan.Nodes {
		rows[i] = store.ProjectNode{Revision: rev.Revision, Position: i + 1, Name: n.Name, PlannedStart: n.Start, PlannedEnd: n.End,
			PlannedTests: n.nodeTests(), Serves: n.Serves, UpdatedBy: by}
		if o, ok := old[n.Name]; ok {
			rows[i].ActualStart, rows[i].ActualEnd, rows[i].TestsUsed = o.ActualStart, o.ActualEnd, o.TestsUsed
		}
	}
	_, err = tx.ReplaceCurrentNodes(rev.ProjectID, rows)
	return err
}

// inTx runs fn in tx when one is given (the caller's transaction, whose
// audit event the caller writes too), else in a transaction of its own.
func (s *Service) inTx(ctx context.Context, tx *store.Tx, fn func(*store.Tx) error) error {
	if tx != nil {
		return fn(tx)
	}
	return s.db.Write(ctx, fn)
}

// nodeChange is one change to a current node: it reads the node in tx,
// lets change set its actuals, and writes them with an audit event.
func (s *Service) nodeChange(ctx context.Context, tx *store.Tx, op string, actor domain.Actor, projectID int64, name, action, reason string,
	change func(n *store.ProjectNode) error) (store.ProjectNode, error) {
	var out store.ProjectNode
	err := s.inTx(ctx, tx, func(tx *store.Tx) error {
		n, err := store.CurrentNode(ctx, tx, projectID, name)
		if domain.IsKind(err, domain.KindNotFound) {
			if _, _, err := s.RequireSignedPlan(ctx, projectID); err != nil {
				return err // no plan in force: say why (PRJ-2)
			}
			return invalid(op, "node", "pnodes.node_unknown", "node", name)
		} else if err != nil {
			return err
		}
		before := n
		if err := change(&n); err != nil {
			return err
		}
		if n == before {
			out = n
			return nil // nothing changed: nothing to record
		}
		if err := tx.SetNodeActual(n.ID, n.ActualStart, n.ActualEnd, n.TestsUsed, actor.ID); err != nil {
			return err
		}
		out = n
		var ch []audit.Change
		ch = append(ch, audit.Change{Field: "node", New: n.Name}, audit.Change{Field: "revision", New: strconv.Itoa(n.Revision)})
		if before.ActualStart != n.ActualStart {
			ch = append(ch, audit.Change{Field: "actual_start", Old: before.ActualStart, New: n.ActualStart})
		}
		if before.ActualEnd != n.ActualEnd {
			ch = append(ch, audit.Change{Field: "actual_end", Old: before.ActualEnd, New: n.ActualEnd})
		}
		if before.TestsUsed != n.TestsUsed {
			ch = append(ch, audit.Change{Field: "tests_used", Old: strconv.Itoa(before.TestsUsed), New: strconv.Itoa(n.TestsUsed)})
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: action, Entity: "project",
			EntityID: strconv.FormatInt(projectID, 10), Reason: reason, Changes: ch})
	})
	if err != nil {
		return out, domain.Wrap(op, err)
	}
	return out, nil
}

// checkDay refuses a day that is not a date or lies after today.
func (s *Service) checkDay(op, field, day string) error {
	var c domain.Checker
	c.Date(field, day, true)
	if err := c.Err(op); err != nil {
		return err
	}
	if day > s.today() {
		return invalid(op, field, "pnodes.future")
	}
	return nil
}

// NodeStarted records that the node called name of project projectID
// (of its plan in force) started on day, unless it is recorded as started
// already on that day or earlier. It runs in tx when given (the caller's
// transaction: an experiment recorded as started starts its node with it)
// and writes its own audit event. The caller decides who may; a node the
// plan in force does not have is KindInvalid naming "node", a project
// without a plan in force KindConflict (RequireSignedPlan's reason).
func (s *Service) NodeStarted(ctx context.Context, tx *store.Tx, actor domain.Actor, projectID int64, name, day string) error {
	const op = "projects.NodeStarted"
	if err := s.checkDay(op, "day", day); err != nil {
		return err
	}
	_, err := s.nodeChange(ctx, tx, op, actor, projectID, name, "project.node_start", "", func(n *store.ProjectNode) error {
		if n.ActualStart == "" || day < n.ActualStart {
			n.ActualStart = day
		}
		return nil
	})
	return err
}

// NodeFinished records that the node called name of project projectID
// finished on day (started then too, if no start was recorded); a day
// before its recorded start is KindInvalid naming "day". As NodeStarted,
// in tx when given.
func (s *Service) NodeFinished(ctx context.Context, tx *store.Tx, actor domain.Actor, projectID int64, name, day string) error {
	const op = "projects.NodeFinished"
	if err := s.checkDay(op, "day", day); err != nil {
		return err
	}
	_, err := s.nodeChange(ctx, tx, op, actor, projectID, name, "project.node_finish", "", func(n *store.ProjectNode) error {
		if n.ActualStart == "" {
			n.ActualStart = day
		}
		if day < n.ActualStart {
			return invalid(op, "day", "pnodes.end_before_start", "start", n.ActualStart)
		}
		n.ActualEnd = day
		return nil
	})
	return err
}

// TestsUsed adds count tests (negative: a correction) to those the node
// called name of project projectID used, never below zero (KindInvalid
// naming "count"). As NodeStarted, in tx when given.
func (s *Service) TestsUsed(ctx context.Context, tx *store.Tx, actor domain.Actor, projectID int64, name string, count int) error {
	const op = "projects.TestsUsed"
	if count == 0 || count > 100000 || count < -100000 {
		return invalid(op, "count", "pnodes.bad_count")
	}
	_, err := s.nodeChange(ctx, tx, op, actor, projectID, name, "project.node_tests", "", func(n *store.ProjectNode) error {
		if n.TestsUsed+count < 0 {
			return invalid(op, "count", "pnodes.bad_count")
		}
		n.TestsUsed += count
		return nil
	})
	return err
}

// ActualInput is what the director records of a node (PRJ-4): its actual
// start and end (” for not yet), the tests used, and why.
type ActualInput struct {
	Start     string `json:"start"`
	End       string `json:"end"`
	TestsUsed *int   `json:"tests_used,omitempty"`
	Reason    string `json:"reason"`
}

// SetActual records the actual start and end (and tests used, when given)
// of the node called name of project code, as its director says, with a
// reason; audited. Only the project's director may (KindForbidden; who
// may not see the project: KindNotFound); the plan must be signed.
func (s *Service) SetActual(ctx context.Context, actor domain.Actor, code, name string, in ActualInput) (store.ProjectNode, error) {
	const op = "projects.SetActual"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return store.ProjectNode{}, err
	}
	if !directs(actor, p) {
		return store.ProjectNode{}, domain.Forbidden(op)
	}
	if _, _, err := s.RequireSignedPlan(ctx, p.ID); err != nil {
		return store.ProjectNode{}, err
	}
	in.Start, in.End, in.Reason = strings.TrimSpace(in.Start), strings.TrimSpace(in.End), strings.TrimSpace(in.Reason)
	var c domain.Checker
	c.Date("start", in.Start, in.End != "")
	c.Date("end", in.End, false)
	c.Text("reason", in.Reason, true, 2000)
	today := s.today()
	if in.Start > today && !c.Has("start") {
		c.Add("start", "pnodes.future")
	}
	if in.End > today && !c.Has("end") {
		c.Add("end", "pnodes.future")
	}
	if in.End != "" && in.End < in.Start && !c.Has("end") && !c.Has("start") {
		c.Add("end", "pnodes.end_before_start", "start", in.Start)
	}
	if in.TestsUsed != nil && (*in.TestsUsed < 0 || *in.TestsUsed > 100000) {
		c.Add("tests_used", "pnodes.bad_count")
	}
	if err := c.Err(op); err != nil {
		return store.ProjectNode{}, err
	}
	return s.nodeChange(ctx, nil, op, actor, p.ID, name, "project.node_actual", in.Reason, func(n *store.ProjectNode) error {
		n.ActualStart, n.ActualEnd = in.Start, in.End
		if in.TestsUsed != nil {
			n.TestsUsed = *in.TestsUsed
		}
		return nil
	})
}

// dayTime is a YYYY-MM-DD day at noon in loc (for the calendar).
func dayTime(day string, loc *time.Location) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, day, loc)
	if err != nil {
		return time.Time{} // days are checked on the way in
	}
	return t.Add(12 * time.Hour)
}
