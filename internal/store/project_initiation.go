package store

import (
	"context"
	"strings"
)

// A project's initiation, candidate routes, kick-off reports and register
// of original records (issue 10; SPEC DIR-2, PRJ-1, DIR-6, PRJ-8). Every
// row is sealed (seal.go). The rules are the projects package's; these
// are its queries.

// Initiation is a project's initiation (立项调研): its process, where the
// departments' feasibility reports are filed, and the go / no-go decision.
type Initiation struct {
	ID         int64  `json:"id"`
	ProjectID  int64  `json:"project_id"`
	InstanceID int64  `json:"instance_id"`
	State      string `json:"state"` // reporting, go, no_go, withdrawn
	Reason     string `json:"reason,omitempty"`
	DecidedBy  int64  `json:"decided_by,omitempty"`
	DecidedAt  string `json:"decided_at,omitempty"`
	CreatedAt  string `json:"created_at"`
}

const initiationCols = "id, project_id, instance_id, state, reason, decided_by, decided_at, created_at"

func scanInitiation(s scanner) (Initiation, error) {
	var i Initiation
	err := s.Scan(&i.ID, &i.ProjectID, &i.InstanceID, &i.State, &i.Reason, &i.DecidedBy, &i.DecidedAt, &i.CreatedAt)
	return i, err
}

// Initiations lists a project's initiations, oldest first.
func Initiations(ctx context.Context, r Reader, projectID int64) ([]Initiation, error) {
	return queryAll(ctx, r, "store.Initiations", "SELECT "+initiationCols+" FROM project_initiation WHERE project_id = $1 ORDER BY id", scanInitiation, projectID)
}

// GetInitiation reads an initiation by id; a missing one is KindNotFound.
func GetInitiation(ctx context.Context, r Reader, id int64) (Initiation, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	i, err := scanInitiation(r.QueryRowContext(ctx, "SELECT "+initiationCols+" FROM project_initiation WHERE id = $1", id))
	if err != nil {
		return i, notFound("store.GetInitiation", "entity.initiation", err)
	}
	return i, nil
}

// InsertInitiation stores a new initiation and seals it.
func (t *Tx) InsertInitiation(i Initiation) (Initiation, error) {
	i.CreatedAt = TimeText(t.now)
	err := t.QueryRowContext(t.ctx, `INSERT INTO project_initiation (project_id, instance_id, state, reason, decided_by, decided_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, i.ProjectID, i.InstanceID, i.State, i.Reason, i.DecidedBy, i.DecidedAt, i.CreatedAt).Scan(&i.ID)
	if err != nil {
		return i, mapErr("store.InsertInitiation", err)
	}
	t.seal("project_initiation", i.ID, i.ID, i.ProjectID, i.InstanceID, i.State, i.Reason, i.DecidedBy, i.DecidedAt, i.CreatedAt)
	return i, nil
}

// SetInitiationInstance records the process of an initiation.
func (t *Tx) SetInitiationInstance(id, instanceID int64) error {
	if _, err := t.Exec("UPDATE project_initiation SET instance_id = $1 WHERE id = $2", instanceID, id); err != nil {
		return mapErr("store.SetInitiationInstance", err)
	}
	t.touch("project_initiation", id)
	return nil
}

// DecideInitiation records the end of an initiation: its state, the
// reason and who decided, now.
func (t *Tx) DecideInitiation(id int64, state, reason string, by int64) error {
	if _, err := t.Exec("UPDATE project_initiation SET state = $1, reason = $2, decided_by = $3, decided_at = $4 WHERE id = $5",
		state, reason, by, TimeText(t.now), id); err != nil {
		return mapErr("store.DecideInitiation", err)
	}
	t.touch("project_initiation", id)
	return nil
}

// MoveProjectFromInitiation sets the stage of a project still in
// initiation (the go / no-go decision moves it on or closes it); a
// project no longer in initiation is left as it is (false).
func (t *Tx) MoveProjectFromInitiation(id int64, stage string) (bool, error) {
	res, err := t.Exec("UPDATE project SET stage = $1, updated_at = $2 WHERE id = $3 AND stage = 'initiation'", stage, TimeText(t.now), id)
	if err != nil {
		return false, mapErr("store.MoveProjectFromInitiation", err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		t.touch("project", id)
	}
	return n > 0, nil
}

// Route is a candidate route of a project (PRJ-1): a synthesis route, a
// formulation's prescription and process, or an analytical method option.
type Route struct {
	ID          int64    `json:"id"`
	ProjectID   int64    `json:"project_id"`
	Kind        string   `json:"kind"` // synthesis, formulation, analytical
	Title       string   `json:"title"`
	Description string   `json:"description"`
	Literature  string   `json:"literature,omitempty"`
	Patents     string   `json:"patents,omitempty"`
	Files       []string `json:"files"` // SHA-256 of the attachments
	State       string   `json:"state"` // open, chosen, set_aside
	CreatedBy   int64    `json:"created_by"`
	CreatedAt   string   `json:"created_at"`
	DecidedBy   int64    `json:"decided_by,omitempty"`
	DecidedAt   string   `json:"decided_at,omitempty"`
	Reason      string   `json:"reason,omitempty"`
}

const routeCols = "id, project_id, kind, title, description, literature, patents, files, state, created_by, created_at, decided_by, decided_at, reason"

func splitFiles(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

func scanRoute(s scanner) (Route, error) {
	var r Route
	var files string
	err := s.Scan(&r.ID, &r.ProjectID, &r.Kind, &r.Title, &r.Description, &r.Literature, &r.Patents, &files, &r.State, &r.CreatedBy,
		&r.CreatedAt, &r.DecidedBy, &r.DecidedAt, &r.Reason)
	r.Files = splitFiles(files)
	return r, err
}

// Routes lists a project's candidate routes in the order filed.
func Routes(ctx context.Context, r Reader, projectID int64) ([]Route, error) {
	return queryAll(ctx, r, "store.Routes", "SELECT "+routeCols+" FROM project_route WHERE project_id = $1 ORDER BY id", scanRoute, projectID)
}

// InsertRoute stores a candidate route and seals it.
func (t *Tx) InsertRoute(r Route) (Route, error) {
	r.CreatedAt = TimeText(t.now)
	files := strings.Join(r.Files, ",")
	err := t.QueryRowContext(t.ctx, `INSERT INTO project_route (project_id, kind, title, description, literature, patents, files, state, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		r.ProjectID, r.Kind, r.Title, r.Description, r.Literature, r.Patents, files, r.State, r.CreatedBy, r.CreatedAt).Scan(&r.ID)
	if err != nil {
		return r, mapErr("store.InsertRoute", err)
	}
	t.seal("project_route", r.ID, r.ID, r.ProjectID, r.Kind, r.Title, r.Description, r.Literature, r.Patents, files, r.State, r.CreatedBy,
		r.CreatedAt, r.DecidedBy, r.DecidedAt, r.Reason)
	return r, nil
}

// DecideRoute sets a route's state (chosen or set_aside) with who decided
// and why, now; only a route still open changes (false otherwise).
func (t *Tx) DecideRoute(id int64, state, reason string, by int64) (bool, error) {
	res, err := t.Exec("UPDATE project_route SET state = $1, reason = $2, decided_by = $3, decided_at = $4 WHERE id = $5 AND state = 'open'",
		state, reason, by, TimeText(t.now), id)
	if err != nil {
		return false, mapErr("store.DecideRoute", err)
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		t.touch("project_route", id)
	}
	return n > 0, nil
}

// Kickoff is a kick-off report (开题报告) on a project's chosen route.
type Kickoff struct {
	ID         int64    `json:"id"`
	ProjectID  int64    `json:"project_id"`
	RouteID    int64    `json:"route_id"`
	Summary    string   `json:"summary"`
	Files      []string `json:"files"`
	State      string   `json:"state"` // signing, signed, rejected, withdrawn
	AuthorID   int64    `json:"author_id"`
	CreatedAt  string   `json:"created_at"`
	InstanceID int64    `json:"instance_id,omitempty"`
	DecidedAt  string   `json:"decided_at,omitempty"`
}

const kickoffCols = "id, project_id, route_id, summary, files, state, author_id, created_at, instance_id, decided_at"

func scanKickoff(s scanner) (Kickoff, error) {
	var k Kickoff
	var files string
	err := s.Scan(&k.ID, &k.ProjectID, &k.RouteID, &k.Summary, &files, &k.State, &k.AuthorID, &k.CreatedAt, &k.InstanceID, &k.DecidedAt)
	k.Files = splitFiles(files)
	return k, err
}

// Kickoffs lists a project's kick-off reports, oldest first.
func Kickoffs(ctx context.Context, r Reader, projectID int64) ([]Kickoff, error) {
	return queryAll(ctx, r, "store.Kickoffs", "SELECT "+kickoffCols+" FROM project_kickoff WHERE project_id = $1 ORDER BY id", scanKickoff, projectID)
}

// GetKickoff reads a kick-off report by id; a missing one is KindNotFound.
func GetKickoff(ctx context.Context, r Reader, id int64) (Kickoff, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	k, err := scanKickoff(r.QueryRowContext(ctx, "SELECT "+kickoffCols+" FROM project_kickoff WHERE id = $1", id))
	if err != nil {
		return k, notFound("store.GetKickoff", "entity.kickoff", err)
	}
	return k, nil
}

// InsertKickoff stores a kick-off report and seals it.
func (t *Tx) InsertKickoff(k Kickoff) (Kickoff, error) {
	k.CreatedAt = TimeText(t.now)
	files := strings.Join(k.Files, ",")
	err := t.QueryRowContext(t.ctx, `INSERT INTO project_kickoff (project_id, route_id, summary, files, state, author_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, k.ProjectID, k.RouteID, k.Summary, files, k.State, k.AuthorID, k.CreatedAt).Scan(&k.ID)
	if err != nil {
		return k, mapErr("store.InsertKickoff", err)
	}
	t.seal("project_kickoff", k.ID, k.ID, k.ProjectID, k.RouteID, k.Summary, files, k.State, k.AuthorID, k.CreatedAt, k.InstanceID, k.DecidedAt)
	return k, nil
}

// OriginalRecord is an entry of a project's register of original records
// (原始记录登记, DIR-6, PRJ-8).
type OriginalRecord struct {
	ID           int64    `json:"id"`
	ProjectID    int64    `json:"project_id"`
	DepartmentID int64    `json:"department_id"`
	Notebook     string   `json:"notebook"`
	PageFrom     int      `json:"page_from"`
	PageTo       int      `json:"page_to"`
	Node         string   `json:"node,omitempty"`
	Experiment   string   `json:"experiment,omitempty"`
	AuthorID     int64    `json:"author_id"`
	StartedOn    string   `json:"started_on"`
	EndedOn      string   `json:"ended_on"`
	Files        []string `json:"files"`
	Supersedes   int64    `json:"supersedes,omitempty"`
	Note         string   `json:"note,omitempty"`
	State        string   `json:"state"` // signing, signed, rejected, withdrawn
	CreatedBy    int64    `json:"created_by"`
	CreatedAt    string   `json:"created_at"`
	InstanceID   int64    `json:"instance_id,omitempty"`
	DecidedAt    string   `json:"decided_at,omitempty"`
}

const recordCols = "id, project_id, department_id, notebook, page_from, page_to, node, experiment, author_id, started_on, ended_on, files, supersedes, note, state, created_by, created_at, instance_id, decided_at"

func scanRecord(s scanner) (OriginalRecord, error) {
	var o OriginalRecord
	var files string
	err := s.Scan(&o.ID, &o.ProjectID, &o.DepartmentID, &o.Notebook, &o.PageFrom, &o.PageTo, &o.Node, &o.Experiment, &o.AuthorID, &o.StartedOn,
		&o.EndedOn, &files, &o.Supersedes, &o.Note, &o.State, &o.CreatedBy, &o.CreatedAt, &o.InstanceID, &o.DecidedAt)
	o.Files = splitFiles(files)
	return o, err
}

// OriginalRecords lists a project's register, in the order entered.
func OriginalRecords(ctx context.Context, r Reader, projectID int64) ([]OriginalRecord, error) {
	return queryAll(ctx, r, "store.OriginalRecords", "SELECT "+recordCols+" FROM project_record WHERE project_id = $1 ORDER BY id", scanRecord, projectID)
}

// GetOriginalRecord reads an entry by id; a missing one is KindNotFound.
func GetOriginalRecord(ctx context.Context, r Reader, id int64) (OriginalRecord, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	o, err := scanRecord(r.QueryRowContext(ctx, "SELECT "+recordCols+" FROM project_record WHERE id = $1", id))
	if err != nil {
		return o, notFound("store.GetOriginalRecord", "entity.original_record", err)
	}
	return o, nil
}

// InsertOriginalRecord stores an entry of the register and seals it.
func (t *Tx) InsertOriginalRecord(o OriginalRecord) (OriginalRecord, error) {
	o.CreatedAt = TimeText(t.now)
	files := strings.Join(o.Files, ",")
	err := t.QueryRowContext(t.ctx, `INSERT INTO project_record (project_id, department_id, notebook, page_from, page_to, node, experiment, author_id,
		started_on, ended_on, files, supersedes, note, state, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
		o.ProjectID, o.DepartmentID, o.Notebook, o.PageFrom, o.PageTo, o.Node, o.Experiment, o.AuthorID, o.StartedOn, o.EndedOn, files,
		o.Supersedes, o.Note, o.State, o.CreatedBy, o.CreatedAt).Scan(&o.ID)
	if err != nil {
		return o, mapErr("store.InsertOriginalRecord", err)
	}
	t.seal("project_record", o.ID, o.ID, o.ProjectID, o.DepartmentID, o.Notebook, o.PageFrom, o.PageTo, o.Node, o.Experiment, o.AuthorID,
		o.StartedOn, o.EndedOn, files, o.Supersedes, o.Note, o.State, o.CreatedBy, o.CreatedAt, o.InstanceID, o.DecidedAt)
	return o, nil
}

// setSigned records the process and state of a signed record of table
// (project_kickoff, project_record): its instance when it starts, its
// state as the signing goes, the time of the decision when it ends.
func (t *Tx) setSigned(op, table string, id, instanceID int64, state string, decided bool) error {
	at := ""
	if decided {
		at = TimeText(t.now)
	}
	q := "UPDATE " + table + " SET state = $1, decided_at = $2 WHERE id = $3"
	args := []any{state, at, id}
	if instanceID != 0 {
		q = "UPDATE " + table + " SET state = $1, decided_at = $2, instance_id = $4 WHERE id = $3"
		args = append(args, instanceID)
	}
	if _, err := t.Exec(q, args...); err != nil {
		return mapErr(op, err)
	}
	t.touch(table, id)
	return nil
}

// SetKickoffState records a kick-off report's signing: its process (when
// instanceID is not 0), its state and, when decided, the time.
func (t *Tx) SetKickoffState(id, instanceID int64, state string, decided bool) error {
	return t.setSigned("store.SetKickoffState", "project_kickoff", id, instanceID, state, decided)
}

// SetOriginalRecordState records an entry's signing: its process (when
// instanceID is not 0), its state and, when decided, the time.
func (t *Tx) SetOriginalRecordState(id, instanceID int64, state string, decided bool) error {
	return t.setSigned("store.SetOriginalRecordState", "project_record", id, instanceID, state, decided)
}
