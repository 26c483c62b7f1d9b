package projects

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// The node plan (节点计划进度表, PRJ-2, PRJ-3): nodes with planned start
// and end, per node the test items and the number of tests planned, the
// project's total, IP information, key points and difficulties, and the
// reward plan per stage. A revision's content is its canonical JSON; it is
// never changed — a change is a new revision, signed again.

// Plan is the content of a node plan revision.
type Plan struct {
	// IP is the intellectual-property information (知识产权).
	IP string `json:"ip"`
	// KeyPoints are the key points and difficulties (重点难点).
	KeyPoints string `json:"key_points"`
	Nodes     []Node `json:"nodes"`
	// TotalTests is the project's total number of tests: the sum of the
	// nodes' (0 when filing: computed).
	TotalTests int      `json:"total_tests"`
	Rewards    []Reward `json:"rewards"`
}

// Node is one node (控制节点) of the plan.
type Node struct {
	Name  string `json:"name"`
	Start string `json:"start"` // YYYY-MM-DD
	End   string `json:"end"`
	// Serves names the node of another department's plan this one serves
	// (an analytical node and the synthesis node it tests for).
	Serves string     `json:"serves,omitempty"`
	Tests  []TestItem `json:"tests"`
}

// TestItem is a test item of a node and the number of tests planned.
type TestItem struct {
	Item  string `json:"item"`
	Count int    `json:"count"`
}

// Reward is the reward planned for a stage (奖励方案).
type Reward struct {
	Stage  string  `json:"stage"`
	Amount string  `json:"amount"` // CNY, two places
	Shares []Share `json:"shares,omitempty"`
}

// Share is a recipient's share of a stage's reward, in percent.
type Share struct {
	PersonID int64 `json:"person_id"`
	Percent  int   `json:"percent"`
}

const (
	maxNodes = 200
	maxTests = 50
)

// nodeTests is the number of tests a node plans.
func (n Node) nodeTests() int {
	t := 0
	for _, x := range n.Tests {
		t += x.Count
	}
	return t
}

// nextNode is the first node (by end) whose end is on or after today.
func (p Plan) nextNode(today string) *Node {
	var best *Node
	for i := range p.Nodes {
		n := &p.Nodes[i]
		if n.End >= today && (best == nil || n.End < best.End) {
			best = n
		}
	}
	return best
}

func decodePlan(content string) (Plan, error) {
	var p Plan
	err := json.Unmarshal([]byte(content), &p)
	return p, err
}

// check validates and normalizes a plan: every problem is named by its
// field (nodes.2.end, nodes.1.tests.3.count, rewards.1.amount).
func (s *Service) check(ctx context.Context, p *Plan) error {
	const op = "projects.FilePlan"
	var c domain.Checker
	p.IP, p.KeyPoints = strings.TrimSpace(p.IP), strings.TrimSpace(p.KeyPoints)
	c.Text("ip", p.IP, false, 5000)
	c.Text("key_points", p.KeyPoints, false, 5000)
	switch {
	case len(p.Nodes) == 0:
		c.Add("nodes", "field.required")
	case len(p.Nodes) > maxNodes:
		c.Add("nodes", "projects.plan.too_many", "max", maxNodes)
	}
	names := map[string]bool{}
	sum := 0
	for i := range p.Nodes {
		n := &p.Nodes[i]
		f := "nodes." + strconv.Itoa(i+1) + "."
		n.Name, n.Start, n.End, n.Serves = strings.TrimSpace(n.Name), strings.TrimSpace(n.Start), strings.TrimSpace(n.End), strings.TrimSpace(n.Serves)
		c.Name(f+"name", n.Name, true, 200)
		if names[n.Name] && n.Name != "" {
			c.Add(f+"name", "projects.plan.node_twice")
		}
		names[n.Name] = true
		c.Date(f+"start", n.Start, true)
		c.Date(f+"end", n.End, true)
		if !c.Has(f+"start") && !c.Has(f+"end") && n.End < n.Start {
			c.Add(f+"end", "projects.plan.end_before_start", "start", n.Start)
		}
		switch {
		case len(n.Tests) == 0:
			c.Add(f+"tests", "projects.plan.tests_required")
		case len(n.Tests) > maxTests:
			c.Add(f+"tests", "projects.plan.too_many", "max", maxTests)
		}
		for j := range n.Tests {
			t := &n.Tests[j]
			tf := f + "tests." + strconv.Itoa(j+1) + "."
			t.Item = strings.TrimSpace(t.Item)
			c.Name(tf+"item", t.Item, true, 200)
			if t.Count <= 0 {
				c.Add(tf+"count", "projects.plan.count_positive")
			} else if t.Count > 100000 {
				c.Add(tf+"count", "projects.plan.count_too_large", "max", 100000)
			} else {
				sum += t.Count
			}
		}
	}
	for i, n := range p.Nodes {
		if n.Serves != "" && (n.Serves == n.Name || !names[n.Serves]) {
			c.Add("nodes."+strconv.Itoa(i+1)+".serves", "projects.plan.bad_serves")
		}
	}
	if p.TotalTests != 0 && p.TotalTests != sum && c.OK() {
		c.Add("total_tests", "projects.plan.total_mismatch", "sum", sum)
	}
	p.TotalTests = sum
	stages := map[string]bool{}
	for i := range p.Rewards {
		r := &p.Rewards[i]
		f := "rewards." + strconv.Itoa(i+1) + "."
		r.Stage = strings.TrimSpace(r.Stage)
		if r.Stage == "" {
			c.Add(f+"stage", "field.required")
		} else {
			c.OneOf(f+"stage", r.Stage, Stages...)
		}
		if stages[r.Stage] {
			c.Add(f+"stage", "projects.plan.stage_twice")
		}
		stages[r.Stage] = true
		amount, ok := money(r.Amount)
		if !ok {
			c.Add(f+"amount", "projects.plan.bad_amount")
		}
		r.Amount = amount
		total := 0
		for j := range r.Shares {
			sh := r.Shares[j]
			sf := f + "shares." + strconv.Itoa(j+1) + "."
			if sh.Percent <= 0 || sh.Percent > 100 {
				c.Add(sf+"percent", "projects.plan.bad_percent")
			}
			total += sh.Percent
			if per, err := s.ppl.Person(ctx, sh.PersonID); err != nil || !per.Active {
				c.Add(sf+"person_id", "projects.plan.bad_person")
			}
		}
		if len(r.Shares) > 0 && total != 100 {
			c.Add(f+"shares", "projects.plan.shares_total", "total", total)
		}
	}
	return c.Err(op)
}

// money normalizes a non-negative CNY amount to two places.
func money(s string) (string, bool) {
	s = strings.TrimSpace(s)
	r, ok := new(big.Rat).SetString(s)
	if !ok || s == "" || r.Sign() < 0 || strings.ContainsAny(s, "eE/") {
		return s, false
	}
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 > 2 {
		return s, false
	}
	return r.FloatString(2), true
}

// canonical is a plan's canonical JSON and its SHA-256 (hex).
func canonical(p Plan) (string, string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(p); err != nil {
		return "", "", err
	}
	s := strings.TrimSuffix(b.String(), "\n")
	sum := sha256.Sum256([]byte(s))
	return s, hex.EncodeToString(sum[:]), nil
}

// PlanInput is a plan revision as the director files it.
type PlanInput struct {
	Plan
	// Reason says why the plan changes (required from the second
	// revision on).
	Reason string `json:"reason,omitempty"`
}

// FilePlan files a new revision of the node plan of project code and
// starts its signing by the Technical Committee (the node-plan process),
// in one transaction (PRJ-2, PRJ-3). Only the project's director may
// (KindForbidden; KindNotFound for who may not see the project). A revision
// under signing must end first (KindConflict). Bad content is KindInvalid
// naming each field.
func (s *Service) FilePlan(ctx context.Context, actor domain.Actor, code string, in PlanInput) (store.PlanRevision, *flow.Instance, error) {
	const op = "projects.FilePlan"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return store.PlanRevision{}, nil, err
	}
	if !directs(actor, p) {
		return store.PlanRevision{}, nil, domain.Forbidden(op)
	}
	if p.Stage == "closed" {
		return store.PlanRevision{}, nil, domain.Conflict(op, "projects.closed")
	}
	// A route chosen and its kick-off report signed first (PRJ-1;
	// initiation_routes.go).
	if err := s.requireKickoff(ctx, p); err != nil {
		return store.PlanRevision{}, nil, err
	}
	plan := in.Plan
	if err := s.check(ctx, &plan); err != nil {
		return store.PlanRevision{}, nil, err
	}
	in.Reason = strings.TrimSpace(in.Reason)
	content, hash, err := canonical(plan)
	if err != nil {
		return store.PlanRevision{}, nil, domain.Wrap(op, err)
	}
	revs, err := store.PlanRevisions(ctx, s.db.R(), p.ID)
	if err != nil {
		return store.PlanRevision{}, nil, domain.Wrap(op, err)
	}
	if len(revs) > 0 {
		if last := revs[len(revs)-1]; last.State == PlanSigning {
			return store.PlanRevision{}, nil, domain.Conflict(op, "projects.plan_in_signing", "revision", last.Revision)
		}
		if in.Reason == "" {
			return store.PlanRevision{}, nil, invalid(op, "reason", "projects.plan.reason_required")
		}
		if last := revs[len(revs)-1]; last.ContentHash == hash {
			return store.PlanRevision{}, nil, invalid(op, "nodes", "projects.plan.unchanged", "revision", last.Revision)
		}
	}
	var c domain.Checker
	c.Text("reason", in.Reason, false, 2000)
	if err := c.Err(op); err != nil {
		return store.PlanRevision{}, nil, err
	}
	var rev store.PlanRevision
	create := func(ctx context.Context, t any) (int64, error) {
		tx := t.(*store.Tx)
		// The revision number and the rule that one revision is signed
		// at a time are settled in the transaction: two filings racing
		// each other cannot both pass.
		var n int
		var open int
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(MAX(revision), 0), COALESCE(SUM(CASE WHEN state = 'signing' THEN 1 ELSE 0 END), 0) FROM project_plan WHERE project_id = $1", p.ID).Scan(&n, &open); err != nil {
			return 0, err
		}
		if open > 0 {
			return 0, domain.Conflict(op, "projects.plan_in_signing", "revision", n)
		}
		var err error
		rev, err = tx.InsertPlanRevision(store.PlanRevision{ProjectID: p.ID, Revision: n + 1, State: PlanSigning, Content: content,
			ContentHash: hash, Reason: in.Reason, AuthorID: actor.ID, AuthorName: actorName(actor)})
		if err != nil {
			return 0, err
		}
		return rev.ID, tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.plan_file", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Reason: in.Reason, Changes: []audit.Change{
				{Field: "revision", New: strconv.Itoa(rev.Revision)}, {Field: "content_hash", New: hash}, {Field: "content", New: content}}})
	}
	inst, err := s.flow.StartWith(ctx, actor, DefinitionPlan, flow.StartInput{
		Form:    map[string]any{"summary": p.Code + " " + p.Name + "：" + summaryOf(plan)},
		Subject: &flow.SubjectRef{Kind: SubjectPlan, Create: create},
	})
	if err != nil {
		return store.PlanRevision{}, nil, err
	}
	rev.InstanceID = inst.ID
	return rev, inst, nil
}

// summaryOf is a one-line summary of a plan for the signing request.
func summaryOf(p Plan) string {
	first, last := "", ""
	for _, n := range p.Nodes {
		if first == "" || n.Start < first {
			first = n.Start
		}
		if n.End > last {
			last = n.End
		}
	}
	return fmt.Sprintf("节点 %d 个，%s 至 %s，检测 %d 次", len(p.Nodes), first, last, p.TotalTests)
}

// PlanView is a plan revision as pages show it.
type PlanView struct {
	Revision store.PlanRevision `json:"revision"`
	Plan     Plan               `json:"plan"`
	// Changes are what differs from the revision before (none for the first).
	Changes []Change `json:"changes"`
	// InForce reports whether this is the plan in force (the latest signed).
	InForce bool `json:"in_force"`
	// Processes are the processes bound to the revision the viewer may see
	// (its signing).
	Processes []*flow.Instance `json:"processes"`
	// ProjectVisible reports whether the viewer may see the project (a
	// committee member who signs may see the plan only).
	ProjectVisible bool `json:"project_visible"`
}

// Plan returns revision rev of the node plan of project code. Who may see
// the project sees its plans; a committee member asked to sign one sees
// that revision through the request (KindNotFound otherwise).
func (s *Service) Plan(ctx context.Context, actor domain.Actor, code string, rev int) (PlanView, error) {
	const op = "projects.Plan"
	p, err := store.ProjectByCode(ctx, s.db.R(), code)
	if err != nil {
		return PlanView{}, domain.Wrap(op, err)
	}
	revs, err := store.PlanRevisions(ctx, s.db.R(), p.ID)
	if err != nil {
		return PlanView{}, domain.Wrap(op, err)
	}
	v, err := s.view(ctx, actor, p, revs, rev)
	if err != nil {
		return v, err
	}
	ok, err := s.visible(ctx, actor, p.ID)
	if err != nil {
		return v, domain.Wrap(op, err)
	}
	if !ok && len(v.Processes) == 0 {
		return PlanView{}, domain.NotFound(op, "entity.project")
	}
	v.ProjectVisible = ok
	return v, nil
}

// view builds the view of revision rev from revs (oldest first).
func (s *Service) view(ctx context.Context, actor domain.Actor, p store.Project, revs []store.PlanRevision, rev int) (PlanView, error) {
	const op = "projects.Plan"
	i := slices.IndexFunc(revs, func(r store.PlanRevision) bool { return r.Revision == rev })
	if i < 0 {
		return PlanView{}, domain.NotFound(op, "entity.plan_revision")
	}
	plan, err := decodePlan(revs[i].Content)
	if err != nil {
		return PlanView{}, domain.Wrap(op, err)
	}
	v := PlanView{Revision: revs[i], Plan: plan, Changes: []Change{}}
	if f := inForce(revs); f != nil && f.Revision == rev {
		v.InForce = true
	}
	if i > 0 {
		if prev, err := decodePlan(revs[i-1].Content); err == nil {
			v.Changes = Diff(prev, plan)
		}
	}
	if s.flow != nil {
		if v.Processes, err = s.flow.Bound(ctx, actor, SubjectPlan, revs[i].ID); err != nil {
			return v, err
		}
	}
	if v.Processes == nil {
		v.Processes = []*flow.Instance{}
	}
	return v, nil
}

// RequireSignedPlan returns the plan in force of project id — the latest
// revision the Technical Committee signed — or refuses, saying why
// (PRJ-2: no pre-check, sample booking or stage work on a project before
// its plan is signed): KindConflict projects.plan_not_signed (no plan, or
// none signed yet; with the revision under signing, if any), or
// projects.plan_altered when the signed revision is no longer what was
// signed.
func (s *Service) RequireSignedPlan(ctx context.Context, projectID int64) (store.PlanRevision, Plan, error) {
	const op = "projects.RequireSignedPlan"
	p, err := store.GetProject(ctx, s.db.R(), projectID)
	if err != nil {
		return store.PlanRevision{}, Plan{}, domain.Wrap(op, err)
	}
	revs, err := store.PlanRevisions(ctx, s.db.R(), projectID)
	if err != nil {
		return store.PlanRevision{}, Plan{}, domain.Wrap(op, err)
	}
	f := inForce(revs)
	if f == nil {
		if n := len(revs); n > 0 && revs[n-1].State == PlanSigning {
			return store.PlanRevision{}, Plan{}, domain.Conflict(op, "projects.plan_signing", "code", p.Code, "revision", revs[n-1].Revision)
		}
		return store.PlanRevision{}, Plan{}, domain.Conflict(op, "projects.plan_not_signed", "code", p.Code)
	}
	sum := sha256.Sum256([]byte(f.Content))
	plan, err := decodePlan(f.Content)
	if err != nil || hex.EncodeToString(sum[:]) != f.ContentHash {
		return store.PlanRevision{}, Plan{}, domain.Conflict(op, "projects.plan_altered", "code", p.Code, "revision", f.Revision)
	}
	return *f, plan, nil
}

// follow sets a plan revision's state as its signing goes (the engine
// calls it in the transaction of each change).
func follow(ctx context.Context, ev flow.LifeEvent) error {
	tx, ok := ev.Tx.(*store.Tx)
	if !ok {
		return domain.Wrap("projects.follow", fmt.Errorf("transaction of type %T", ev.Tx))
	}
	var state string
	switch ev.Point {
	case flow.LifeStarted:
		if err := tx.SetPlanInstance(ev.SubjectID, ev.Instance.ID); err != nil {
			return err
		}
		state = PlanSigning
	case flow.LifeApproved:
		state = PlanSigned
	case flow.LifeRejected:
		state = PlanRejected
	case flow.LifeWithdrawn:
		state = PlanWithdrawn
	default:
		return nil
	}
	rev, err := store.GetPlanRevision(ctx, tx, ev.SubjectID)
	if err != nil {
		return err
	}
	if err := tx.SetPlanState(ev.SubjectID, state, state != PlanSigning); err != nil {
		return err
	}
	if state == PlanSigned {
		// The signed plan's nodes become rows, in this transaction (PRJ-4).
		if err := materialize(ctx, tx, rev, ev.Actor.ID); err != nil {
			return err
		}
	}
	return tx.Audit(audit.Entry{ActorID: ev.Actor.ID, ActorName: actorName(ev.Actor), Action: "project.plan_" + state, Entity: "project",
		EntityID: strconv.FormatInt(rev.ProjectID, 10), Changes: []audit.Change{{Field: "revision", New: strconv.Itoa(rev.Revision)},
			{Field: "state", Old: rev.State, New: state}, {Field: "instance_id", New: strconv.FormatInt(ev.Instance.ID, 10)}}})
}
