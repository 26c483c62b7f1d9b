package store

import (
	"context"
	"strconv"
	"strings"

	"labflow/internal/domain"
)

// Drug-development projects (issue 10; SPEC PRJ, DIR): the project, its
// team with dates, and its node plan revisions. Every row is sealed
// (seal.go); project_department is an index of project.departments,
// written with it. The rules (who may see and do what) are the projects
// package's; these are its queries.

// Project is a drug-development project.
type Project struct {
	ID   int64  `json:"id"`
	Code string `json:"code"`
	Name string `json:"name"`
	// Kind is api (原料药), formulation (制剂) or both.
	Kind string `json:"kind"`
	// RLD is the reference listed drug (参比制剂).
	RLD string `json:"rld,omitempty"`
	// Departments are the departments involved, ascending ids.
	Departments []int64 `json:"departments"`
	// DepartmentID is the lead department: its director's.
	DepartmentID int64  `json:"department_id"`
	DirectorID   int64  `json:"director_id"`
	Stage        string `json:"stage"`
	CreatedAt    string `json:"created_at"`
	CreatedBy    int64  `json:"created_by"`
	UpdatedAt    string `json:"updated_at"`
}

const projectCols = "id, code, name, kind, rld, departments, department_id, director_id, stage, created_at, created_by, updated_at"

// projectColsP is projectCols qualified by the alias p.
var projectColsP = "p." + strings.ReplaceAll(projectCols, ", ", ", p.")

// idList writes ids as the departments column holds them: "1,3".
func idList(ids []int64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func parseIDList(s string) []int64 {
	out := []int64{}
	for _, p := range strings.Split(s, ",") {
		if n, err := strconv.ParseInt(p, 10, 64); err == nil {
			out = append(out, n)
		}
	}
	return out
}

func scanProject(s scanner) (Project, error) {
	var p Project
	var depts string
	err := s.Scan(&p.ID, &p.Code, &p.Name, &p.Kind, &p.RLD, &depts, &p.DepartmentID, &p.DirectorID, &p.Stage, &p.CreatedAt, &p.CreatedBy, &p.UpdatedAt)
	p.Departments = parseIDList(depts)
	return p, err
}

// ProjectFilter selects projects. Unless All, only the projects a
// director of one of Departments, the project's director PersonID or a
// team member PersonID on day Today may see are listed (SPEC PRJ-12);
// Department, Stage and Director narrow further.
type ProjectFilter struct {
	All         bool
	Departments []int64
	PersonID    int64
	Today       string
	Department  int64
	Stage       string
	Director    int64
	// Q matches the code or the name (a substring).
	Q      string
	Limit  int
	Offset int
}

// where builds the filter's condition and its arguments.
func (f ProjectFilter) where() (string, []any) {
	var conds []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if seen := f.seen(arg); seen == "1 = 0" {
		return seen, nil
	} else if seen != "" {
		conds = append(conds, seen)
	}
	if f.Department != 0 {
		conds = append(conds, "EXISTS (SELECT 1 FROM project_department fd WHERE fd.project_id = p.id AND fd.department_id = "+arg(f.Department)+")")
	}
	if f.Stage != "" {
		conds = append(conds, "p.stage = "+arg(f.Stage))
	}
	if f.Director != 0 {
		conds = append(conds, "p.director_id = "+arg(f.Director))
	}
	if f.Q != "" {
		q := arg("%" + strings.NewReplacer("%", "", "_", "").Replace(f.Q) + "%")
		conds = append(conds, "(p.code LIKE "+q+" OR p.name LIKE "+q+")")
	}
	if len(conds) == 0 {
		return "1 = 1", args
	}
	return strings.Join(conds, " AND "), args
}

// seen is the visibility part of the filter (SPEC PRJ-12), a condition on
// the project aliased p: "" when All, "1 = 0" when it selects nothing.
func (f ProjectFilter) seen(arg func(any) string) string {
	if f.All {
		return ""
	}
	var or []string
	if len(f.Departments) > 0 {
		ins := make([]string, len(f.Departments))
		for i, d := range f.Departments {
			ins[i] = arg(d)
		}
		or = append(or, "EXISTS (SELECT 1 FROM project_department d WHERE d.project_id = p.id AND d.department_id IN ("+strings.Join(ins, ", ")+"))")
	}
	if f.PersonID != 0 {
		me, today := arg(f.PersonID), arg(f.Today)
		or = append(or, "p.director_id = "+me,
			"EXISTS (SELECT 1 FROM project_member m WHERE m.project_id = p.id AND m.person_id = "+me+
				" AND m.from_date <= "+today+" AND (m.to_date = '' OR m.to_date >= "+today+"))")
	}
	if len(or) == 0 {
		return "1 = 0"
	}
	return "(" + strings.Join(or, " OR ") + ")"
}

// RecordVisibleWhere is ProjectVisible in SQL, for lists of other rows:
// the condition that the row of table (a project's record, with a
// project_id column; or project itself) whose id is the SQL expression id
// belongs to a project f may see (its narrowing filters aside), binding
// values with arg. table is a constant of the caller, never input.
func (f ProjectFilter) RecordVisibleWhere(table, id string, arg func(any) string) string {
	q := "EXISTS (SELECT 1 FROM project p WHERE p.id = " + id
	if table != "project" {
		q = "EXISTS (SELECT 1 FROM " + table + " r JOIN project p ON p.id = r.project_id WHERE r.id = " + id
	}
	if seen := f.seen(arg); seen != "" {
		q += " AND " + seen
	}
	return q + ")"
}

// FindProjects lists the projects f selects, by code, and how many there
// are in all.
func FindProjects(ctx context.Context, r Reader, f ProjectFilter) ([]Project, int, error) {
	const op = "store.FindProjects"
	ctx, cancel := bound(ctx, r)
	defer cancel()
	where, args := f.where()
	var total int
	if err := r.QueryRowContext(ctx, "SELECT COUNT(*) FROM project p WHERE "+where, args...).Scan(&total); err != nil {
		return nil, 0, mapErr(op, err)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	q := "SELECT " + projectColsP + " FROM project p WHERE " + where + " ORDER BY p.code LIMIT " + strconv.Itoa(limit) + " OFFSET " + strconv.Itoa(max(f.Offset, 0))
	rows, err := r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, mapErr(op, err)
	}
	defer rows.Close()
	out := []Project{}
	for rows.Next() {
		p, err := scanProject(rows)
		if err != nil {
			return nil, 0, mapErr(op, err)
		}
		out = append(out, p)
	}
	return out, total, mapErr(op, rows.Err())
}

// AllProjects lists every project f selects (its limit and offset aside),
// in no order: what the dashboards count.
func AllProjects(ctx context.Context, r Reader, f ProjectFilter) ([]Project, error) {
	const op = "store.AllProjects"
	where, args := f.where()
	return queryAll(ctx, r, op, "SELECT "+projectColsP+" FROM project p WHERE "+where, scanProject, args...)
}

// ProjectVisible reports whether f (without narrowing filters) selects
// project id.
func ProjectVisible(ctx context.Context, r Reader, f ProjectFilter, id int64) (bool, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	where, args := f.where()
	args = append(args, id)
	var n int
	err := r.QueryRowContext(ctx, "SELECT COUNT(*) FROM project p WHERE p.id = $"+strconv.Itoa(len(args))+" AND "+where, args...).Scan(&n)
	return n > 0, mapErr("store.ProjectVisible", err)
}

// GetProject reads a project by id; a missing one is KindNotFound.
func GetProject(ctx context.Context, r Reader, id int64) (Project, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	p, err := scanProject(r.QueryRowContext(ctx, "SELECT "+projectCols+" FROM project WHERE id = $1", id))
	if err != nil {
		return p, notFound("store.GetProject", "entity.project", err)
	}
	return p, nil
}

// ProjectByCode reads a project by its code; a missing one is KindNotFound.
func ProjectByCode(ctx context.Context, r Reader, code string) (Project, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	p, err := scanProject(r.QueryRowContext(ctx, "SELECT "+projectCols+" FROM project WHERE code = $1", code))
	if err != nil {
		return p, notFound("store.ProjectByCode", "entity.project", err)
	}
	return p, nil
}

// InsertProject stores a new project (a taken code is KindConflict,
// IsUnique) with its departments' index rows, and seals it.
func (t *Tx) InsertProject(p Project) (Project, error) {
	const op = "store.InsertProject"
	now := TimeText(t.now)
	p.CreatedAt, p.UpdatedAt = now, now
	depts := idList(p.Departments)
	err := t.QueryRowContext(t.ctx, `INSERT INTO project (code, name, kind, rld, departments, department_id, director_id, stage, created_at, created_by, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9) RETURNING id`,
		p.Code, p.Name, p.Kind, p.RLD, depts, p.DepartmentID, p.DirectorID, p.Stage, now, p.CreatedBy).Scan(&p.ID)
	if err != nil {
		return p, mapErr(op, err)
	}
	for _, d := range p.Departments {
		if _, err := t.Exec("INSERT INTO project_department (project_id, department_id) VALUES ($1, $2)", p.ID, d); err != nil {
			return p, mapErr(op, err)
		}
	}
	t.seal("project", p.ID, p.ID, p.Code, p.Name, p.Kind, p.RLD, depts, p.DepartmentID, p.DirectorID, p.Stage, p.CreatedAt, p.CreatedBy, p.UpdatedAt)
	return p, nil
}

// ProjectMember is one period of a person on a project's team.
type ProjectMember struct {
	ID        int64  `json:"id"`
	ProjectID int64  `json:"project_id"`
	PersonID  int64  `json:"person_id"`
	Role      string `json:"role"` // researcher or analyst
	From      string `json:"from"` // YYYY-MM-DD
	To        string `json:"to,omitempty"`
	AddedBy   int64  `json:"added_by"`
	AddedAt   string `json:"added_at"`
	EndedBy   int64  `json:"ended_by,omitempty"`
	EndedAt   string `json:"ended_at,omitempty"`
}

const projectMemberCols = "id, project_id, person_id, role, from_date, to_date, added_by, added_at, ended_by, ended_at"

func scanMember(s scanner) (ProjectMember, error) {
	var m ProjectMember
	err := s.Scan(&m.ID, &m.ProjectID, &m.PersonID, &m.Role, &m.From, &m.To, &m.AddedBy, &m.AddedAt, &m.EndedBy, &m.EndedAt)
	return m, err
}

// ProjectMembers lists a project's team, every period, in the order added.
func ProjectMembers(ctx context.Context, r Reader, projectID int64) ([]ProjectMember, error) {
	const op = "store.ProjectMembers"
	return queryAll(ctx, r, op, "SELECT "+projectMemberCols+" FROM project_member WHERE project_id = $1 ORDER BY id", scanMember, projectID)
}

// GetProjectMember reads one membership; a missing one is KindNotFound.
func GetProjectMember(ctx context.Context, r Reader, id int64) (ProjectMember, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	m, err := scanMember(r.QueryRowContext(ctx, "SELECT "+projectMemberCols+" FROM project_member WHERE id = $1", id))
	if err != nil {
		return m, notFound("store.GetProjectMember", "entity.project_member", err)
	}
	return m, nil
}

// InsertProjectMember stores a membership and seals it.
func (t *Tx) InsertProjectMember(m ProjectMember) (ProjectMember, error) {
	m.AddedAt, m.EndedBy, m.EndedAt = TimeText(t.now), 0, ""
	err := t.QueryRowContext(t.ctx, `INSERT INTO project_member (project_id, person_id, role, from_date, to_date, added_by, added_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, m.ProjectID, m.PersonID, m.Role, m.From, m.To, m.AddedBy, m.AddedAt).Scan(&m.ID)
	if err != nil {
		return m, mapErr("store.InsertProjectMember", err)
	}
	t.seal("project_member", m.ID, m.ID, m.ProjectID, m.PersonID, m.Role, m.From, m.To, m.AddedBy, m.AddedAt, m.EndedBy, m.EndedAt)
	return m, nil
}

// EndProjectMember sets a membership's last day; one ended already (or
// missing) is KindNotFound.
func (t *Tx) EndProjectMember(id int64, to string, by int64) error {
	res, err := t.Exec("UPDATE project_member SET to_date = $1, ended_by = $2, ended_at = $3 WHERE id = $4 AND ended_at = ''", to, by, TimeText(t.now), id)
	if err != nil {
		return mapErr("store.EndProjectMember", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.NotFound("store.EndProjectMember", "entity.project_member")
	}
	t.touch("project_member", id)
	return nil
}

// PlanRevision is one revision of a project's node plan.
type PlanRevision struct {
	ID          int64  `json:"id"`
	ProjectID   int64  `json:"project_id"`
	Revision    int    `json:"revision"`
	State       string `json:"state"` // signing, signed, rejected, withdrawn
	Content     string `json:"-"`     // canonical JSON
	ContentHash string `json:"content_hash"`
	Reason      string `json:"reason,omitempty"`
	AuthorID    int64  `json:"author_id"`
	AuthorName  string `json:"author_name"`
	CreatedAt   string `json:"created_at"`
	InstanceID  int64  `json:"instance_id,omitempty"`
	DecidedAt   string `json:"decided_at,omitempty"`
}

const planCols = "id, project_id, revision, state, content, content_hash, reason, author_id, author_name, created_at, instance_id, decided_at"

func scanPlan(s scanner) (PlanRevision, error) {
	var p PlanRevision
	err := s.Scan(&p.ID, &p.ProjectID, &p.Revision, &p.State, &p.Content, &p.ContentHash, &p.Reason, &p.AuthorID, &p.AuthorName,
		&p.CreatedAt, &p.InstanceID, &p.DecidedAt)
	return p, err
}

// PlanRevisions lists the plan revisions of the projects named, oldest
// first per project.
func PlanRevisions(ctx context.Context, r Reader, projectIDs ...int64) ([]PlanRevision, error) {
	const op = "store.PlanRevisions"
	if len(projectIDs) == 0 {
		return []PlanRevision{}, nil
	}
	return queryAll(ctx, r, op, "SELECT "+planCols+" FROM project_plan WHERE project_id IN ("+sqlInts(projectIDs)+") ORDER BY project_id, revision", scanPlan)
}

// GetPlanRevision reads a plan revision by id; a missing one is KindNotFound.
func GetPlanRevision(ctx context.Context, r Reader, id int64) (PlanRevision, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	p, err := scanPlan(r.QueryRowContext(ctx, "SELECT "+planCols+" FROM project_plan WHERE id = $1", id))
	if err != nil {
		return p, notFound("store.GetPlanRevision", "entity.plan_revision", err)
	}
	return p, nil
}

// InsertPlanRevision stores a new revision (a revision number taken
// already is KindConflict, IsUnique) and seals it.
func (t *Tx) InsertPlanRevision(p PlanRevision) (PlanRevision, error) {
	p.CreatedAt = TimeText(t.now)
	err := t.QueryRowContext(t.ctx, `INSERT INTO project_plan (project_id, revision, state, content, content_hash, reason, author_id, author_name, created_at, instance_id, decided_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		p.ProjectID, p.Revision, p.State, p.Content, p.ContentHash, p.Reason, p.AuthorID, p.AuthorName, p.CreatedAt, p.InstanceID, p.DecidedAt).Scan(&p.ID)
	if err != nil {
		return p, mapErr("store.InsertPlanRevision", err)
	}
	t.seal("project_plan", p.ID, p.ID, p.ProjectID, p.Revision, p.State, textHash(p.Content), p.ContentHash, p.Reason, p.AuthorID,
		p.AuthorName, p.CreatedAt, p.InstanceID, p.DecidedAt)
	return p, nil
}

// SetPlanInstance records the process signing a revision.
func (t *Tx) SetPlanInstance(id, instanceID int64) error {
	if _, err := t.Exec("UPDATE project_plan SET instance_id = $1 WHERE id = $2", instanceID, id); err != nil {
		return mapErr("store.SetPlanInstance", err)
	}
	t.touch("project_plan", id)
	return nil
}

// SetPlanState records a revision's state and, when decided is true, the
// time of the decision.
func (t *Tx) SetPlanState(id int64, state string, decided bool) error {
	at := ""
	if decided {
		at = TimeText(t.now)
	}
	if _, err := t.Exec("UPDATE project_plan SET state = $1, decided_at = $2 WHERE id = $3", state, at, id); err != nil {
		return mapErr("store.SetPlanState", err)
	}
	t.touch("project_plan", id)
	return nil
}
