package projects

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// CreateInput is a new project as its director files it (DIR-2).
type CreateInput struct {
	Code string `json:"code"`
	Name string `json:"name"`
	// Kind is api (原料药), formulation (制剂) or both.
	Kind string `json:"kind"`
	// RLD is the reference listed drug (参比制剂).
	RLD string `json:"rld,omitempty"`
	// Departments are the departments involved (ids); the director's own
	// is always one of them.
	Departments []int64 `json:"departments"`
	// Stage is where a project taken over from paper records stands
	// (default initiation).
	Stage string `json:"stage,omitempty"`
}

var codePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{1,31}$`)

// leadDepartment is the department actor directs (the first one, when
// several), or 0.
func leadDepartment(actor domain.Actor) int64 {
	for _, g := range actor.Grants {
		if g.Role == domain.RoleDirector && g.DepartmentID != 0 {
			return g.DepartmentID
		}
	}
	return 0
}

// Create files a new project directed by actor, a department director
// (KindForbidden otherwise). Bad input is KindInvalid naming each field;
// a code taken already is refused on code.
func (s *Service) Create(ctx context.Context, actor domain.Actor, in CreateInput) (store.Project, error) {
	const op = "projects.Create"
	lead := leadDepartment(actor)
	if lead == 0 {
		return store.Project{}, domain.Forbidden(op)
	}
	in.Code, in.Name, in.RLD = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name), strings.TrimSpace(in.RLD)
	in.Kind, in.Stage = strings.TrimSpace(in.Kind), strings.TrimSpace(in.Stage)
	if in.Stage == "" {
		in.Stage = Stages[0]
	}
	var c domain.Checker
	switch {
	case in.Code == "":
		c.Add("code", "field.required")
	case !codePattern.MatchString(in.Code):
		c.Add("code", "projects.bad_code")
	}
	c.Name("name", in.Name, true, 200)
	if in.Kind == "" {
		c.Add("kind", "field.required")
	} else {
		c.OneOf("kind", in.Kind, KindAPI, KindFormulation, KindBoth)
	}
	c.Text("rld", in.RLD, false, 200)
	c.OneOf("stage", in.Stage, Stages...)
	depts := []int64{lead}
	all, err := s.ppl.Departments(ctx, false)
	if err != nil {
		return store.Project{}, domain.Wrap(op, err)
	}
	for _, d := range in.Departments {
		if !slices.ContainsFunc(all, func(x domain.Department) bool { return x.ID == d }) {
			c.Add("departments", "projects.bad_department")
			break
		}
		if !slices.Contains(depts, d) {
			depts = append(depts, d)
		}
	}
	slices.Sort(depts)
	if err := c.Err(op); err != nil {
		return store.Project{}, err
	}
	p := store.Project{Code: in.Code, Name: in.Name, Kind: in.Kind, RLD: in.RLD, Departments: depts, DepartmentID: lead,
		DirectorID: actor.ID, Stage: in.Stage, CreatedBy: actor.ID}
	insert := func(tx *store.Tx) error {
		var err error
		if p, err = tx.InsertProject(p); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "project.create", Entity: "project",
			EntityID: strconv.FormatInt(p.ID, 10), Changes: []audit.Change{{Field: "code", New: p.Code}, {Field: "name", New: p.Name},
				{Field: "kind", New: p.Kind}, {Field: "rld", New: p.RLD}, {Field: "departments", New: deptText(depts)},
				{Field: "director_id", New: strconv.FormatInt(p.DirectorID, 10)}, {Field: "stage", New: p.Stage}}})
	}
	if p.Stage == Stages[0] && s.flow != nil {
		// A project in initiation starts its feasibility reports with it
		// (DIR-2; initiation.go).
		err = s.startInitiation(ctx, actor, &p, insert)
	} else {
		err = s.db.Write(ctx, insert)
	}
	if store.IsUnique(err) {
		return p, invalid(op, "code", "projects.code_taken")
	}
	return p, domain.Wrap(op, err)
}

func deptText(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

// Filter narrows the list of projects.
type Filter struct {
	Department int64
	Stage      string
	Director   int64
	Q          string
	Limit      int
	Offset     int
}

// Summary is a project as lists show it: with the plan in force and its
// next node due.
type Summary struct {
	store.Project
	// PlanRevision is the revision in force (the latest signed one), or 0.
	PlanRevision int `json:"plan_revision,omitempty"`
	// PlanState is the state of the latest revision ("" without a plan).
	PlanState string `json:"plan_state,omitempty"`
	// NextNode is the next node due in the plan in force (or the latest
	// revision, before one is signed): the first whose end is today or later.
	NextNode *Node `json:"next_node,omitempty"`
	// Health is on time, late or blocked, with the reason and the next
	// node due (PRJ-4).
	Health Health `json:"health"`
}

// List returns the projects actor may see (PRJ-12) that f selects, by code,
// with the total.
func (s *Service) List(ctx context.Context, actor domain.Actor, f Filter) ([]Summary, int, error) {
	const op = "projects.List"
	sf := s.scope(actor)
	sf.Department, sf.Stage, sf.Director, sf.Q, sf.Limit, sf.Offset = f.Department, f.Stage, f.Director, f.Q, f.Limit, f.Offset
	ps, total, err := store.FindProjects(ctx, s.db.R(), sf)
	if err != nil {
		return nil, 0, domain.Wrap(op, err)
	}
	out, err := s.summaries(ctx, ps, true)
	if err != nil {
		return nil, 0, domain.Wrap(op, err)
	}
	return out, total, nil
}

// summaries reads what lists show of ps: the plan, the health and the next
// node due, from the projects' heads (three queries, whatever the number
// of projects and nodes); with next, also the next node of the plan's
// content (its test items), for a page of a list.
func (s *Service) summaries(ctx context.Context, ps []store.Project, next bool) ([]Summary, error) {
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	heads, err := store.ProjectHeads(ctx, s.db.R(), PlanSigned, ids...)
	if err != nil {
		return nil, err
	}
	today, cal := s.today(), s.counter(s.calendar())
	out := make([]Summary, len(ps))
	for i, p := range ps {
		h := heads[p.ID]
		out[i] = Summary{Project: p, PlanRevision: h.InForce, PlanState: h.LatestState}
		out[i].Health = judge(p, *h, cal.lateDays(h.NextEnd, today))
	}
	if !next {
		return out, nil
	}
	revs, err := store.PlanRevisions(ctx, s.db.R(), ids...)
	if err != nil {
		return nil, err
	}
	byProject := map[int64][]store.PlanRevision{}
	for _, r := range revs {
		byProject[r.ProjectID] = append(byProject[r.ProjectID], r)
	}
	for i, p := range ps {
		rs := byProject[p.ID]
		if len(rs) == 0 {
			continue
		}
		cur := inForce(rs)
		if cur == nil {
			cur = &rs[len(rs)-1]
		}
		if plan, err := decodePlan(cur.Content); err == nil {
			out[i].NextNode = plan.nextNode(today)
		}
	}
	return out, nil
}

// inForce is the latest signed revision of rs (oldest first), or nil.
func inForce(rs []store.PlanRevision) *store.PlanRevision {
	for i := len(rs) - 1; i >= 0; i-- {
		if rs[i].State == PlanSigned {
			return &rs[i]
		}
	}
	return nil
}

// Member is a team membership with the person's name.
type Member struct {
	store.ProjectMember
	Name string `json:"name"`
	// Current reports whether the period includes today.
	Current bool `json:"current"`
	// MayEnd reports whether the viewer may end the membership (it is not
	// ended yet and they may manage its person's department on the team).
	MayEnd bool `json:"may_end"`
}

// StageView is a stage as the project page shows it.
type StageView struct {
	Key   string `json:"key"`
	State string `json:"state"` // done, current or ahead
}

// Detail is a project with its team, stages and plan.
type Detail struct {
	store.Project
	Stages []StageView `json:"stages"`
	Team   []Member    `json:"team"`
	// Revisions are every plan revision, oldest first.
	Revisions []store.PlanRevision `json:"revisions"`
	// Plan is the plan in force (the latest signed revision), or nil.
	Plan *PlanView `json:"plan,omitempty"`
	// Latest is the latest revision when it is not the one in force (a
	// revision under signing), or nil.
	Latest *PlanView `json:"latest,omitempty"`
	// Processes are the processes bound to the project's records that the
	// viewer may see (the plans' signing), newest first.
	Processes []*flow.Instance `json:"processes"`
	// MayDirect reports whether the viewer directs the project (files
	// plans, manages the team).
	MayDirect bool `json:"may_direct"`
	// MayAssign reports whether the viewer may put people on the team:
	// the project's director, or the director of a department it involves
	// (for that department's people).
	MayAssign bool `json:"may_assign"`
	// Health is on time, late or blocked, with the reason (PRJ-4).
	Health Health `json:"health"`
	// Execution is the plan in force's nodes planned against actual, with
	// the figures the reward and penalty rules need (PRJ-4).
	Execution Execution `json:"execution"`
	// MayConfirmMaterials reports whether the viewer, a current member of
	// the team, may confirm the materials ready (once).
	MayConfirmMaterials bool `json:"may_confirm_materials"`
}

// Get returns the project with code as actor may see it (KindNotFound
// when they may not).
func (s *Service) Get(ctx context.Context, actor domain.Actor, code string) (Detail, error) {
	const op = "projects.Get"
	p, err := s.load(ctx, op, actor, code)
	if err != nil {
		return Detail{}, err
	}
	d := Detail{Project: p, MayDirect: directs(actor, p)}
	cur := slices.Index(Stages, p.Stage)
	for i, st := range Stages {
		state := "ahead"
		switch {
		case i < cur:
			state = "done"
		case i == cur:
			state = "current"
		}
		d.Stages = append(d.Stages, StageView{Key: st, State: state})
	}
	if d.Team, err = s.team(ctx, p.ID); err != nil {
		return d, domain.Wrap(op, err)
	}
	d.MayAssign = d.MayDirect || slices.ContainsFunc(p.Departments, func(dept int64) bool { return actor.HasIn(domain.RoleDirector, dept) })
	for i, m := range d.Team {
		if d.MayAssign && m.EndedAt == "" {
			per, err := s.ppl.Person(ctx, m.PersonID)
			d.Team[i].MayEnd = err == nil && mayAssign(actor, p, per.DepartmentID)
		}
	}
	if d.Revisions, err = store.PlanRevisions(ctx, s.db.R(), p.ID); err != nil {
		return d, domain.Wrap(op, err)
	}
	if d.Execution, d.Health, err = s.execution(ctx, p); err != nil {
		return d, domain.Wrap(op, err)
	}
	if d.Execution.Materials == nil {
		d.MayConfirmMaterials = slices.ContainsFunc(d.Team, func(m Member) bool { return m.Current && m.PersonID == actor.ID })
	}
	if f := inForce(d.Revisions); f != nil {
		v, err := s.view(ctx, actor, p, d.Revisions, f.Revision)
		if err != nil {
			return d, err
		}
		d.Plan = &v
	}
	d.Processes = []*flow.Instance{}
	for i := len(d.Revisions) - 1; i >= 0 && s.flow != nil; i-- {
		ins, err := s.flow.Bound(ctx, actor, SubjectPlan, d.Revisions[i].ID)
		if err != nil {
			return d, err
		}
		d.Processes = append(d.Processes, ins...)
	}
	if n := len(d.Revisions); n > 0 && (d.Plan == nil || d.Plan.Revision.Revision != d.Revisions[n-1].Revision) {
		v, err := s.view(ctx, actor, p, d.Revisions, d.Revisions[n-1].Revision)
		if err != nil {
			return d, err
		}
		d.Latest = &v
	}
	return d, nil
}

// team lists a project's memberships with names, current ones first.
func (s *Service) team(ctx context.Context, projectID int64) ([]Member, error) {
	ms, err := store.ProjectMembers(ctx, s.db.R(), projectID)
	if err != nil {
		return nil, err
	}
	today := s.today()
	out := make([]Member, 0, len(ms))
	for _, m := range ms {
		name := "#" + strconv.FormatInt(m.PersonID, 10)
		if p, err := s.ppl.Person(ctx, m.PersonID); err == nil {
			name = p.Name
		}
		out = append(out, Member{ProjectMember: m, Name: name, Current: m.From <= today && (m.To == "" || m.To >= today)})
	}
	slices.SortStableFunc(out, func(a, b Member) int {
		if a.Current != b.Current {
			if a.Current {
				return -1
			}
			return 1
		}
		return 0
	})
	return out, nil
}
