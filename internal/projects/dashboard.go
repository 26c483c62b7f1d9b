package projects

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"labflow/internal/domain"
	"labflow/internal/store"
)

// Dashboards (issue 10): a director's — their departments' projects with
// health and lateness, the open tasks on them by process (pending
// pre-checks among them), the load of the people on them — and the
// Business Dean's: every project, what is late and why. Open tasks are
// counted generically: those of the processes bound to a project's
// records, whatever the kind, as the parts register them (RecordTable).

var tableName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

// RecordTable declares that processes bound to records of kind (a
// flow.SubjectKind name) belong to the project their table's project_id
// names (the table has the columns id and project_id): the dashboards
// count their open tasks. A bad table name panics (a programming error,
// caught at start).
func (s *Service) RecordTable(kind, table string) {
	if !tableName.MatchString(table) {
		panic("projects: bad record table " + table)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tables == nil {
		s.tables = map[string]string{}
	}
	s.tables[kind] = table
}

// recordTables is a copy of the registered record tables.
func (s *Service) recordTables() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]string{SubjectPlan: "project_plan", SubjectPrecheck: "experiment_precheck",
		SubjectInitiation: "project_initiation", SubjectKickoff: "project_kickoff", SubjectRecord: "project_record",
		SubjectClosure: "project_closure", SubjectDossier: "project_dossier",
		SubjectSupplement: "supplement", SubjectEscalation: "project_escalation"}
	for k, v := range s.tables {
		out[k] = v
	}
	return out
}

// ProcessCount is how many open tasks one process has.
type ProcessCount struct {
	Definition string `json:"definition"`
	Count      int    `json:"count"`
}

// PersonLoad is a person's load: open tasks on the projects shown and the
// projects whose team they are on today.
type PersonLoad struct {
	PersonID  int64  `json:"person_id"`
	Name      string `json:"name"`
	OpenTasks int    `json:"open_tasks"`
	Projects  int    `json:"projects"`
}

// DashboardProject is a project on a dashboard.
type DashboardProject struct {
	Summary
	// OpenTasks counts the open tasks of the processes on its records.
	OpenTasks int `json:"open_tasks"`
}

// dashboardRows is how many projects a dashboard lists: those that need
// attention first; the counts cover every project.
const dashboardRows = 100

// DirectorDashboard is a director's view of their departments' projects.
type DirectorDashboard struct {
	Departments []int64 `json:"departments"`
	// Total counts the departments' projects.
	Total int `json:"total"`
	// Projects are the first of them by attention: late (most late first),
	// blocked, then on time by next due; at most a hundred.
	Projects []DashboardProject `json:"projects"`
	// More counts the projects not listed.
	More int `json:"more"`
	// ByHealth counts the projects by health state.
	ByHealth map[string]int `json:"by_health"`
	// Processes counts open tasks by process (pre-checks among them).
	Processes []ProcessCount `json:"processes"`
	Load      []PersonLoad   `json:"load"`
}

// BusinessDashboard is every project, what is late and why.
type BusinessDashboard struct {
	Total    int            `json:"total"`
	ByHealth map[string]int `json:"by_health"`
	// Attention are the projects late or blocked, the latest first; at
	// most a hundred.
	Attention []Summary `json:"attention"`
	// More counts the projects late or blocked not listed.
	More int `json:"more"`
}

var attentionRank = map[string]int{HealthLate: 0, HealthBlocked: 1, HealthOnTime: 2, HealthClosed: 3}

// byAttention orders summaries as the dashboards list them: late (most
// working days first), blocked, on time by next due, closed; then by code.
func byAttention(a, b Summary) int {
	if ra, rb := attentionRank[a.Health.State], attentionRank[b.Health.State]; ra != rb {
		return ra - rb
	}
	if a.Health.LateDays != b.Health.LateDays {
		return b.Health.LateDays - a.Health.LateDays
	}
	if a.Health.NextDue != nil && b.Health.NextDue != nil && a.Health.NextDue.End != b.Health.NextDue.End {
		return strings.Compare(a.Health.NextDue.End, b.Health.NextDue.End)
	}
	return strings.Compare(a.Code, b.Code)
}

// DirectorDashboard returns the dashboard of actor, a department director
// (KindForbidden otherwise): the projects their departments are involved
// in (PRJ-12: what they may see).
func (s *Service) DirectorDashboard(ctx context.Context, actor domain.Actor) (DirectorDashboard, error) {
	const op = "projects.DirectorDashboard"
	d := DirectorDashboard{Departments: []int64{}, Projects: []DashboardProject{}, ByHealth: map[string]int{}, Processes: []ProcessCount{}, Load: []PersonLoad{}}
	for _, g := range actor.Grants {
		if g.Role == domain.RoleDirector && g.DepartmentID != 0 && !slices.Contains(d.Departments, g.DepartmentID) {
			d.Departments = append(d.Departments, g.DepartmentID)
		}
	}
	if len(d.Departments) == 0 {
		return d, domain.Forbidden(op)
	}
	ps, err := store.AllProjects(ctx, s.db.R(), store.ProjectFilter{Departments: d.Departments})
	if err != nil {
		return d, domain.Wrap(op, err)
	}
	sums, err := s.summaries(ctx, ps, false)
	if err != nil {
		return d, domain.Wrap(op, err)
	}
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	counts, err := store.ProjectTaskCounts(ctx, s.db.R(), s.recordTables(), ids)
	if err != nil {
		return d, domain.Wrap(op, err)
	}
	byProject, byDef := map[int64]int{}, map[string]int{}
	load := map[int64]*PersonLoad{}
	for _, c := range counts {
		byProject[c.ProjectID] += c.Count
		byDef[c.DefinitionKey] += c.Count
		if load[c.AssigneeID] == nil {
			load[c.AssigneeID] = &PersonLoad{PersonID: c.AssigneeID, Name: c.AssigneeName}
		}
		load[c.AssigneeID].OpenTasks += c.Count
	}
	slices.SortFunc(sums, byAttention)
	d.Total = len(sums)
	for i, sm := range sums {
		d.ByHealth[sm.Health.State]++
		if i < dashboardRows {
			d.Projects = append(d.Projects, DashboardProject{Summary: sm, OpenTasks: byProject[sm.ID]})
		}
	}
	d.More = d.Total - len(d.Projects)
	for k, n := range byDef {
		d.Processes = append(d.Processes, ProcessCount{Definition: k, Count: n})
	}
	slices.SortFunc(d.Processes, func(a, b ProcessCount) int { return b.Count - a.Count })
	// The load of the people on the teams today, and of whoever holds tasks.
	today := s.today()
	members, err := store.CurrentMembers(ctx, s.db.R(), today, ids)
	if err != nil {
		return d, domain.Wrap(op, err)
	}
	for _, id := range members {
		if load[id] == nil {
			load[id] = &PersonLoad{PersonID: id}
		}
	}
	people := make([]int64, 0, len(load))
	for id := range load {
		people = append(people, id)
	}
	on, err := store.CurrentMemberCounts(ctx, s.db.R(), today, people)
	if err != nil {
		return d, domain.Wrap(op, err)
	}
	for _, l := range load {
		l.Projects = on[l.PersonID]
		if per, err := s.ppl.Person(ctx, l.PersonID); err == nil {
			l.Name = per.Name
		}
		d.Load = append(d.Load, *l)
	}
	slices.SortFunc(d.Load, func(a, b PersonLoad) int {
		if a.OpenTasks != b.OpenTasks {
			return b.OpenTasks - a.OpenTasks
		}
		return int(a.PersonID - b.PersonID)
	})
	return d, nil
}

// BusinessDashboard returns every project's health, with those late or
// blocked and why: the Business Dean's and the GM's (KindForbidden for
// anyone else).
func (s *Service) BusinessDashboard(ctx context.Context, actor domain.Actor) (BusinessDashboard, error) {
	const op = "projects.BusinessDashboard"
	b := BusinessDashboard{ByHealth: map[string]int{}, Attention: []Summary{}}
	if !actor.HasBusinessRole() || !(actor.Has(domain.RoleGM) || actor.Has(domain.RoleBusinessDean)) {
		return b, domain.Forbidden(op)
	}
	ps, err := store.AllProjects(ctx, s.db.R(), store.ProjectFilter{All: true})
	if err != nil {
		return b, domain.Wrap(op, err)
	}
	b.Total = len(ps)
	for from := 0; from < len(ps); from += 1000 {
		sums, err := s.summaries(ctx, ps[from:min(from+1000, len(ps))], false)
		if err != nil {
			return b, domain.Wrap(op, err)
		}
		for _, sm := range sums {
			b.ByHealth[sm.Health.State]++
			if sm.Health.State == HealthLate || sm.Health.State == HealthBlocked {
				b.Attention = append(b.Attention, sm)
			}
		}
	}
	slices.SortFunc(b.Attention, byAttention)
	if len(b.Attention) > dashboardRows {
		b.More, b.Attention = len(b.Attention)-dashboardRows, b.Attention[:dashboardRows]
	}
	return b, nil
}
