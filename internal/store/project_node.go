package store

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"labflow/internal/domain"
)

// The nodes of projects' signed node plans, planned against actual, and
// the moment a project's materials stopped blocking its work (issue 10,
// PRJ-4; migration 0021). Both tables are sealed (seal.go). The rules are
// the projects package's; these are its queries.

// ProjectNode is one node of a signed plan revision with what happened.
type ProjectNode struct {
	ID           int64  `json:"id"`
	ProjectID    int64  `json:"project_id"`
	Revision     int    `json:"revision"`
	Position     int    `json:"position"`
	Name         string `json:"name"`
	PlannedStart string `json:"planned_start"`
	PlannedEnd   string `json:"planned_end"`
	PlannedTests int    `json:"planned_tests"`
	Serves       string `json:"serves,omitempty"`
	ActualStart  string `json:"actual_start,omitempty"`
	ActualEnd    string `json:"actual_end,omitempty"`
	TestsUsed    int    `json:"tests_used"`
	// Current is true on the rows of the latest signed revision.
	Current   bool   `json:"current"`
	UpdatedAt string `json:"updated_at"`
	UpdatedBy int64  `json:"updated_by,omitempty"`
}

const projectNodeCols = "id, project_id, revision, position, name, planned_start, planned_end, planned_tests, serves, actual_start, actual_end, tests_used, current, updated_at, updated_by"

func scanNode(s scanner) (ProjectNode, error) {
	var n ProjectNode
	var cur int
	err := s.Scan(&n.ID, &n.ProjectID, &n.Revision, &n.Position, &n.Name, &n.PlannedStart, &n.PlannedEnd, &n.PlannedTests, &n.Serves,
		&n.ActualStart, &n.ActualEnd, &n.TestsUsed, &cur, &n.UpdatedAt, &n.UpdatedBy)
	n.Current = cur == 1
	return n, err
}

// CurrentNodes lists the nodes of the latest signed revision of each
// project named, by project and position.
func CurrentNodes(ctx context.Context, r Reader, projectIDs ...int64) ([]ProjectNode, error) {
	const op = "store.CurrentNodes"
	out := []ProjectNode{}
	if len(projectIDs) == 0 {
		return out, nil
	}
	return queryAll(ctx, r, op, "SELECT "+projectNodeCols+" FROM project_node WHERE current = 1 AND project_id IN ("+sqlInts(projectIDs)+") ORDER BY project_id, position", scanNode)
}

// CurrentNode reads the node called name of a project's latest signed
// revision; a missing one is KindNotFound.
func CurrentNode(ctx context.Context, r Reader, projectID int64, name string) (ProjectNode, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	n, err := scanNode(r.QueryRowContext(ctx, "SELECT "+projectNodeCols+" FROM project_node WHERE current = 1 AND project_id = $1 AND name = $2", projectID, name))
	if err != nil {
		return n, notFound("store.CurrentNode", "entity.project_node", err)
	}
	return n, nil
}

// ReplaceCurrentNodes makes nodes (of one new signed revision of
// projectID) the project's current nodes: the rows of earlier revisions
// stay, no longer current. Every row written is sealed.
func (t *Tx) ReplaceCurrentNodes(projectID int64, nodes []ProjectNode) ([]ProjectNode, error) {
	const op = "store.ReplaceCurrentNodes"
	rows, err := t.QueryContext(t.ctx, "SELECT id FROM project_node WHERE current = 1 AND project_id = $1", projectID)
	if err != nil {
		return nil, mapErr(op, err)
	}
	var old []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, mapErr(op, err)
		}
		old = append(old, id)
	}
	rows.Close()
	if _, err := t.Exec("UPDATE project_node SET current = 0 WHERE current = 1 AND project_id = $1", projectID); err != nil {
		return nil, mapErr(op, err)
	}
	for _, id := range old {
		t.touch("project_node", id)
	}
	now := TimeText(t.now)
	for i := range nodes {
		n := &nodes[i]
		n.ProjectID, n.Current, n.UpdatedAt = projectID, true, now
		err := t.QueryRowContext(t.ctx, `INSERT INTO project_node (project_id, revision, position, name, planned_start, planned_end, planned_tests, serves,
			actual_start, actual_end, tests_used, current, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 1, $12, $13) RETURNING id`,
			n.ProjectID, n.Revision, n.Position, n.Name, n.PlannedStart, n.PlannedEnd, n.PlannedTests, n.Serves, n.ActualStart, n.ActualEnd,
			n.TestsUsed, n.UpdatedAt, n.UpdatedBy).Scan(&n.ID)
		if err != nil {
			return nil, mapErr(op, err)
		}
		t.seal("project_node", n.ID, n.ID, n.ProjectID, n.Revision, n.Position, n.Name, n.PlannedStart, n.PlannedEnd, n.PlannedTests, n.Serves,
			n.ActualStart, n.ActualEnd, n.TestsUsed, 1, n.UpdatedAt, n.UpdatedBy)
	}
	return nodes, nil
}

// SetNodeActual records a current node's actual start, end and tests used.
func (t *Tx) SetNodeActual(id int64, start, end string, tests int, by int64) error {
	res, err := t.Exec("UPDATE project_node SET actual_start = $1, actual_end = $2, tests_used = $3, updated_at = $4, updated_by = $5 WHERE id = $6 AND current = 1",
		start, end, tests, TimeText(t.now), by, id)
	if err != nil {
		return mapErr("store.SetNodeActual", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.NotFound("store.SetNodeActual", "entity.project_node")
	}
	t.touch("project_node", id)
	return nil
}

// ProjectMaterials is the confirmation that a project's materials no
// longer block its work: the execution clock's start (PRJ-4).
type ProjectMaterials struct {
	ID        int64 `json:"id"`
	ProjectID int64 `json:"project_id"`
	// ReadyOn is the day the materials stopped blocking the work.
	ReadyOn string `json:"ready_on"`
	// Requests are the purchase requests (instance ids) the confirmation names.
	Requests      []int64 `json:"requests"`
	Note          string  `json:"note,omitempty"`
	ConfirmedBy   int64   `json:"confirmed_by"`
	ConfirmedName string  `json:"confirmed_name"`
	ConfirmedAt   string  `json:"confirmed_at"`
}

const projectMaterialsCols = "id, project_id, ready_on, requests, note, confirmed_by, confirmed_name, confirmed_at"

func scanMaterials(s scanner) (ProjectMaterials, error) {
	var m ProjectMaterials
	var reqs string
	err := s.Scan(&m.ID, &m.ProjectID, &m.ReadyOn, &reqs, &m.Note, &m.ConfirmedBy, &m.ConfirmedName, &m.ConfirmedAt)
	m.Requests = []int64{}
	if reqs != "" {
		m.Requests = parseIDList(reqs)
	}
	return m, err
}

// MaterialsOf lists the materials confirmations of the projects named.
func MaterialsOf(ctx context.Context, r Reader, projectIDs ...int64) ([]ProjectMaterials, error) {
	const op = "store.MaterialsOf"
	out := []ProjectMaterials{}
	if len(projectIDs) == 0 {
		return out, nil
	}
	return queryAll(ctx, r, op, "SELECT "+projectMaterialsCols+" FROM project_materials WHERE project_id IN ("+sqlInts(projectIDs)+")", scanMaterials)
}

// InsertMaterials stores a project's materials confirmation (a second one
// is KindConflict, IsUnique) and seals it.
func (t *Tx) InsertMaterials(m ProjectMaterials) (ProjectMaterials, error) {
	m.ConfirmedAt = TimeText(t.now)
	reqs := idList(m.Requests)
	err := t.QueryRowContext(t.ctx, `INSERT INTO project_materials (project_id, ready_on, requests, note, confirmed_by, confirmed_name, confirmed_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, m.ProjectID, m.ReadyOn, reqs, m.Note, m.ConfirmedBy, m.ConfirmedName, m.ConfirmedAt).Scan(&m.ID)
	if err != nil {
		return m, mapErr("store.InsertMaterials", err)
	}
	t.seal("project_materials", m.ID, m.ID, m.ProjectID, m.ReadyOn, reqs, m.Note, m.ConfirmedBy, m.ConfirmedName, m.ConfirmedAt)
	return m, nil
}

// openTasksOn is a query of cols (of the record r, its instance i and the
// open task t) over the open tasks of the instances bound to the records
// of tables (kind → table) that cond (on r) selects; args are cond's, the
// kinds' are appended. From the records (by project, from the index on
// project_id), to their instances (the partial index on the subject), to
// their open tasks (flow_task_open): CROSS JOIN keeps SQLite to this
// order, which never reads a record's row or a closed task.
func openTasksOn(tables map[string]string, cols, cond string, args []any) (string, []any) {
	kinds := make([]string, 0, len(tables))
	for k := range tables {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	parts := make([]string, 0, len(kinds))
	for _, kind := range kinds {
		args = append(args, kind)
		parts = append(parts, "SELECT "+cols+" FROM "+tables[kind]+" r CROSS JOIN flow_instance i CROSS JOIN flow_task t WHERE "+cond+
			" AND i.subject_kind <> '' AND i.subject_kind = $"+strconv.Itoa(len(args))+" AND i.subject_id = r.id AND t.instance_id = i.id AND t.state = 'open'")
	}
	return strings.Join(parts, " UNION ALL "), args
}

// ProjectTaskCount is how many open tasks one person has on one project's
// records of one process.
type ProjectTaskCount struct {
	ProjectID     int64  `json:"project_id"`
	DefinitionKey string `json:"definition_key"`
	AssigneeID    int64  `json:"assignee_id"`
	AssigneeName  string `json:"assignee_name"`
	Count         int    `json:"count"`
}

// ProjectTaskCounts counts the open tasks of the instances bound to the
// records of projects named, by project, process and assignee. tables maps
// each kind of record (flow_instance.subject_kind) to its table, which has
// the columns id and project_id; the names are the caller's constants.
func ProjectTaskCounts(ctx context.Context, r Reader, tables map[string]string, projectIDs []int64) ([]ProjectTaskCount, error) {
	const op = "store.ProjectTaskCounts"
	out := []ProjectTaskCount{}
	if len(projectIDs) == 0 || len(tables) == 0 {
		return out, nil
	}
	ctx, cancel := bound(ctx, r)
	defer cancel()
	union, args := openTasksOn(tables, "r.project_id, i.def_key, t.assignee_id, t.assignee_name", "r.project_id IN ("+sqlInts(projectIDs)+")", nil)
	q := "SELECT project_id, def_key, assignee_id, assignee_name, COUNT(*) FROM (" + union +
		") x GROUP BY project_id, def_key, assignee_id, assignee_name ORDER BY project_id, def_key, assignee_id"
	rows, err := r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c ProjectTaskCount
		if err := rows.Scan(&c.ProjectID, &c.DefinitionKey, &c.AssigneeID, &c.AssigneeName, &c.Count); err != nil {
			return nil, mapErr(op, err)
		}
		out = append(out, c)
	}
	return out, mapErr(op, rows.Err())
}

// CurrentMemberCounts counts, for each person named, the projects whose
// team they are on today.
func CurrentMemberCounts(ctx context.Context, r Reader, today string, personIDs []int64) (map[int64]int, error) {
	const op = "store.CurrentMemberCounts"
	out := map[int64]int{}
	if len(personIDs) == 0 {
		return out, nil
	}
	ctx, cancel := bound(ctx, r)
	defer cancel()
	rows, err := r.QueryContext(ctx, "SELECT person_id, COUNT(DISTINCT project_id) FROM project_member WHERE from_date <= $1 AND (to_date = '' OR to_date >= $1) AND person_id IN ("+
		sqlInts(personIDs)+") GROUP BY person_id", today)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, mapErr(op, err)
		}
		out[id] = n
	}
	return out, mapErr(op, rows.Err())
}

// CurrentMembers lists the people on the team of any of the projects
// named today, each once.
func CurrentMembers(ctx context.Context, r Reader, today string, projectIDs []int64) ([]int64, error) {
	const op = "store.CurrentMembers"
	out := []int64{}
	if len(projectIDs) == 0 {
		return out, nil
	}
	ctx, cancel := bound(ctx, r)
	defer cancel()
	rows, err := r.QueryContext(ctx, "SELECT DISTINCT person_id FROM project_member WHERE from_date <= $1 AND (to_date = '' OR to_date >= $1) AND project_id IN ("+
		sqlInts(projectIDs)+") ORDER BY person_id", today)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, mapErr(op, err)
		}
		out = append(out, id)
	}
	return out, mapErr(op, rows.Err())
}

// ProjectOpenTask is an open task on a process bound to one of a
// project's records.
type ProjectOpenTask struct {
	TaskID        int64  `json:"task_id"`
	InstanceID    int64  `json:"instance_id"`
	Title         string `json:"title"`
	DefinitionKey string `json:"definition_key"`
	StepID        string `json:"step_id"`
	AssigneeID    int64  `json:"assignee_id"`
	AssigneeName  string `json:"assignee_name"`
	// Since is when the task was opened.
	Since time.Time `json:"since"`
}

// ProjectOpenTasks lists the open tasks of the instances bound to the
// records of project projectID, oldest first (tables as for
// ProjectTaskCounts), at most 200.
func ProjectOpenTasks(ctx context.Context, r Reader, tables map[string]string, projectID int64) ([]ProjectOpenTask, error) {
	const op = "store.ProjectOpenTasks"
	out := []ProjectOpenTask{}
	if len(tables) == 0 {
		return out, nil
	}
	ctx, cancel := bound(ctx, r)
	defer cancel()
	union, args := openTasksOn(tables, "t.id, i.id AS instance_id, i.title, i.def_key, t.step_id, t.assignee_id, t.assignee_name, t.created_at", "r.project_id = $1", []any{projectID})
	rows, err := r.QueryContext(ctx, "SELECT * FROM ("+union+") x ORDER BY created_at, id LIMIT 200", args...)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var t ProjectOpenTask
		var since string
		if err := rows.Scan(&t.TaskID, &t.InstanceID, &t.Title, &t.DefinitionKey, &t.StepID, &t.AssigneeID, &t.AssigneeName, &since); err != nil {
			return nil, mapErr(op, err)
		}
		t.Since = ParseTime(since)
		out = append(out, t)
	}
	return out, mapErr(op, rows.Err())
}
