package store

import (
	"context"

	"labflow/internal/domain"
)

// A project's stages (issue 10; SPEC PRJ-5..9): batches and their results
// (verified by a second person), closure applications, stage bonuses,
// dossier sections and the inspection checklist. Every row is sealed
// (seal.go): each write method touches what it wrote, read back and
// digested into the writer's audit event. The rules are the projects
// package's; these are its queries.

// Batch is a batch of a project's stage.
type Batch struct {
	ID        int64  `json:"id"`
	ProjectID int64  `json:"project_id"`
	Stage     string `json:"stage"`
	// Node is the plan node the batch belongs to: its test items are the
	// results the batch needs.
	Node  string `json:"node"`
	Label string `json:"label"`
	// Kind is scale_up or stability.
	Kind string `json:"kind"`
	// Site is in_house or outside; SiteInstanceID the site-loan process.
	Site           string `json:"site"`
	SiteInstanceID int64  `json:"site_instance_id,omitempty"`
	// StudyEnd is the day a stability study ends (YYYY-MM-DD).
	StudyEnd string `json:"study_end,omitempty"`
	// RetestOf is the failed batch this one re-tests.
	RetestOf  int64  `json:"retest_of,omitempty"`
	CreatedBy int64  `json:"created_by"`
	CreatedAt string `json:"created_at"`
}

const batchCols = "id, project_id, stage, node, label, kind, site, site_instance_id, study_end, retest_of, created_by, created_at"

func scanBatch(s scanner) (Batch, error) {
	var b Batch
	err := s.Scan(&b.ID, &b.ProjectID, &b.Stage, &b.Node, &b.Label, &b.Kind, &b.Site, &b.SiteInstanceID, &b.StudyEnd, &b.RetestOf, &b.CreatedBy, &b.CreatedAt)
	return b, err
}

// Result is a batch's result for one planned test item.
type Result struct {
	ID         int64  `json:"id"`
	BatchID    int64  `json:"batch_id"`
	ProjectID  int64  `json:"project_id"`
	Item       string `json:"item"`
	Value      string `json:"value"`
	Passed     bool   `json:"passed"`
	RecordedBy int64  `json:"recorded_by"`
	RecordedAt string `json:"recorded_at"`
	VerifiedBy int64  `json:"verified_by,omitempty"`
	VerifiedAt string `json:"verified_at,omitempty"`
	Decision   string `json:"decision,omitempty"`
	DecidedBy  int64  `json:"decided_by,omitempty"`
	DecidedAt  string `json:"decided_at,omitempty"`
}

const resultCols = "id, batch_id, project_id, item, value, passed, recorded_by, recorded_at, verified_by, verified_at, decision, decided_by, decided_at"

func scanResult(s scanner) (Result, error) {
	var r Result
	var passed int
	err := s.Scan(&r.ID, &r.BatchID, &r.ProjectID, &r.Item, &r.Value, &passed, &r.RecordedBy, &r.RecordedAt, &r.VerifiedBy, &r.VerifiedAt,
		&r.Decision, &r.DecidedBy, &r.DecidedAt)
	r.Passed = passed == 1
	return r, err
}

// Closure is a stage's closure application (结题申请单).
type Closure struct {
	ID        int64  `json:"id"`
	ProjectID int64  `json:"project_id"`
	Stage     string `json:"stage"`
	Summary   string `json:"summary"`
	// Files is the JSON of the attachments by kind (original_records,
	// instrument_records, climate_records: attachment ids).
	Files      string `json:"files"`
	AuthorID   int64  `json:"author_id"`
	CreatedAt  string `json:"created_at"`
	InstanceID int64  `json:"instance_id,omitempty"`
	// State is applied, confirmed, rejected or withdrawn.
	State     string `json:"state"`
	DecidedAt string `json:"decided_at,omitempty"`
}

const closureCols = "id, project_id, stage, summary, files, author_id, created_at, instance_id, state, decided_at"

func scanClosure(s scanner) (Closure, error) {
	var c Closure
	err := s.Scan(&c.ID, &c.ProjectID, &c.Stage, &c.Summary, &c.Files, &c.AuthorID, &c.CreatedAt, &c.InstanceID, &c.State, &c.DecidedAt)
	return c, err
}

// Bonus is a stage bonus a confirmed closure created.
type Bonus struct {
	ID           int64  `json:"id"`
	ProjectID    int64  `json:"project_id"`
	ClosureID    int64  `json:"closure_id"`
	Stage        string `json:"stage"`
	PlanRevision int    `json:"plan_revision"`
	Amount       string `json:"amount"`
	// Shares is the JSON of the recipients' shares.
	Shares      string `json:"shares"`
	ReleaseDate string `json:"release_date"`
	CreatedAt   string `json:"created_at"`
	PaidBy      int64  `json:"paid_by,omitempty"`
	PaidAt      string `json:"paid_at,omitempty"`
}

const bonusCols = "id, project_id, closure_id, stage, plan_revision, amount, shares, release_date, created_at, paid_by, paid_at"

func scanBonus(s scanner) (Bonus, error) {
	var b Bonus
	err := s.Scan(&b.ID, &b.ProjectID, &b.ClosureID, &b.Stage, &b.PlanRevision, &b.Amount, &b.Shares, &b.ReleaseDate, &b.CreatedAt, &b.PaidBy, &b.PaidAt)
	return b, err
}

// DossierSection is a department's section of the registration dossier.
type DossierSection struct {
	ID           int64  `json:"id"`
	ProjectID    int64  `json:"project_id"`
	Title        string `json:"title"`
	DepartmentID int64  `json:"department_id"`
	WriterID     int64  `json:"writer_id"`
	AssignedBy   int64  `json:"assigned_by"`
	CreatedAt    string `json:"created_at"`
	InstanceID   int64  `json:"instance_id,omitempty"`
	// State is writing, review, approved, rejected or withdrawn.
	State string `json:"state"`
}

const dossierCols = "id, project_id, title, department_id, writer_id, assigned_by, created_at, instance_id, state"

func scanDossier(s scanner) (DossierSection, error) {
	var d DossierSection
	err := s.Scan(&d.ID, &d.ProjectID, &d.Title, &d.DepartmentID, &d.WriterID, &d.AssignedBy, &d.CreatedAt, &d.InstanceID, &d.State)
	return d, err
}

// InspectionCheck is a checked item of the inspection checklist.
type InspectionCheck struct {
	ID          int64  `json:"id"`
	ProjectID   int64  `json:"project_id"`
	Item        string `json:"item"`
	Note        string `json:"note,omitempty"`
	CheckedBy   int64  `json:"checked_by"`
	CheckedName string `json:"checked_name"`
	CheckedAt   string `json:"checked_at"`
}

const inspectionCols = "id, project_id, item, note, checked_by, checked_name, checked_at"

func scanInspection(s scanner) (InspectionCheck, error) {
	var c InspectionCheck
	err := s.Scan(&c.ID, &c.ProjectID, &c.Item, &c.Note, &c.CheckedBy, &c.CheckedName, &c.CheckedAt)
	return c, err
}

// ProjectBatches lists a project's batches in the order recorded.
func ProjectBatches(ctx context.Context, r Reader, projectID int64) ([]Batch, error) {
	return queryAll(ctx, r, "store.ProjectBatches", "SELECT "+batchCols+" FROM project_batch WHERE project_id = $1 ORDER BY id", scanBatch, projectID)
}

// ProjectResults lists the results of a project's batches in the order recorded.
func ProjectResults(ctx context.Context, r Reader, projectID int64) ([]Result, error) {
	return queryAll(ctx, r, "store.ProjectResults", "SELECT "+resultCols+" FROM project_result WHERE project_id = $1 ORDER BY id", scanResult, projectID)
}

// ProjectClosures lists a project's closure applications, oldest first.
func ProjectClosures(ctx context.Context, r Reader, projectID int64) ([]Closure, error) {
	return queryAll(ctx, r, "store.ProjectClosures", "SELECT "+closureCols+" FROM project_closure WHERE project_id = $1 ORDER BY id", scanClosure, projectID)
}

// ProjectBonuses lists a project's bonus records, oldest first.
func ProjectBonuses(ctx context.Context, r Reader, projectID int64) ([]Bonus, error) {
	return queryAll(ctx, r, "store.ProjectBonuses", "SELECT "+bonusCols+" FROM project_bonus WHERE project_id = $1 ORDER BY id", scanBonus, projectID)
}

// ProjectDossier lists a project's dossier sections in the order assigned.
func ProjectDossier(ctx context.Context, r Reader, projectID int64) ([]DossierSection, error) {
	return queryAll(ctx, r, "store.ProjectDossier", "SELECT "+dossierCols+" FROM project_dossier WHERE project_id = $1 ORDER BY id", scanDossier, projectID)
}

// ProjectInspection lists the checked items of a project's inspection checklist.
func ProjectInspection(ctx context.Context, r Reader, projectID int64) ([]InspectionCheck, error) {
	return queryAll(ctx, r, "store.ProjectInspection", "SELECT "+inspectionCols+" FROM project_inspection WHERE project_id = $1 ORDER BY id", scanInspection, projectID)
}

// GetBatch reads a batch by id.
func GetBatch(ctx context.Context, r Reader, id int64) (Batch, error) {
	return getOne(ctx, r, "store.GetBatch", "entity.batch", "SELECT "+batchCols+" FROM project_batch WHERE id = $1", scanBatch, id)
}

// GetResult reads a result by id.
func GetResult(ctx context.Context, r Reader, id int64) (Result, error) {
	return getOne(ctx, r, "store.GetResult", "entity.result", "SELECT "+resultCols+" FROM project_result WHERE id = $1", scanResult, id)
}

// GetClosure reads a closure application by id.
func GetClosure(ctx context.Context, r Reader, id int64) (Closure, error) {
	return getOne(ctx, r, "store.GetClosure", "entity.closure", "SELECT "+closureCols+" FROM project_closure WHERE id = $1", scanClosure, id)
}

// GetBonus reads a bonus record by id.
func GetBonus(ctx context.Context, r Reader, id int64) (Bonus, error) {
	return getOne(ctx, r, "store.GetBonus", "entity.bonus", "SELECT "+bonusCols+" FROM project_bonus WHERE id = $1", scanBonus, id)
}

// GetDossierSection reads a dossier section by id.
func GetDossierSection(ctx context.Context, r Reader, id int64) (DossierSection, error) {
	return getOne(ctx, r, "store.GetDossierSection", "entity.dossier_section", "SELECT "+dossierCols+" FROM project_dossier WHERE id = $1", scanDossier, id)
}

// insertID runs an INSERT … RETURNING id and touches the row.
func (t *Tx) insertID(op, table, q string, args ...any) (int64, error) {
	var id int64
	if err := t.QueryRowContext(t.ctx, q, args...).Scan(&id); err != nil {
		return 0, mapErr(op, err)
	}
	t.touch(table, id)
	return id, nil
}

// update runs an UPDATE of row id of table, where cond (if any) also
// holds; none changed is KindConflict (the row moved on meanwhile).
func (t *Tx) update(op, table string, id int64, set, cond string, args ...any) error {
	args = append(args, id)
	q := "UPDATE " + table + " SET " + set + " WHERE id = $" + itoa(len(args))
	if cond != "" {
		q += " AND " + cond
	}
	res, err := t.Exec(q, args...)
	if err != nil {
		return mapErr(op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.Conflict(op, "error.conflict")
	}
	t.touch(table, id)
	return nil
}

// InsertBatch stores a new batch (a label taken in the stage is IsUnique).
func (t *Tx) InsertBatch(b Batch) (Batch, error) {
	b.CreatedAt = TimeText(t.now)
	var err error
	b.ID, err = t.insertID("store.InsertBatch", "project_batch", `INSERT INTO project_batch (project_id, stage, node, label, kind, site, site_instance_id, study_end, retest_of, created_by, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		b.ProjectID, b.Stage, b.Node, b.Label, b.Kind, b.Site, b.SiteInstanceID, b.StudyEnd, b.RetestOf, b.CreatedBy, b.CreatedAt)
	return b, err
}

// InsertResult stores a batch's result for an item (one recorded already
// is IsUnique).
func (t *Tx) InsertResult(r Result) (Result, error) {
	r.RecordedAt, r.VerifiedBy, r.VerifiedAt = TimeText(t.now), 0, ""
	passed := 0
	if r.Passed {
		passed = 1
	}
	var err error
	r.ID, err = t.insertID("store.InsertResult", "project_result", `INSERT INTO project_result (batch_id, project_id, item, value, passed, recorded_by, recorded_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, r.BatchID, r.ProjectID, r.Item, r.Value, passed, r.RecordedBy, r.RecordedAt)
	return r, err
}

// VerifyResult records the second person's verification of a result not
// verified yet, and never by its recorder (R10, kept here too).
func (t *Tx) VerifyResult(id, by int64) error {
	return t.update("store.VerifyResult", "project_result", id, "verified_by = $1, verified_at = $2",
		"verified_at = '' AND recorded_by <> $1", by, TimeText(t.now))
}

// DecideResult records the director's decision on a failed result.
func (t *Tx) DecideResult(id, by int64, decision string) error {
	return t.update("store.DecideResult", "project_result", id, "decision = $1, decided_by = $2, decided_at = $3", "decided_at = '' AND passed = 0", decision, by, TimeText(t.now))
}

// InsertClosure stores a closure application.
func (t *Tx) InsertClosure(c Closure) (Closure, error) {
	c.CreatedAt = TimeText(t.now)
	var err error
	c.ID, err = t.insertID("store.InsertClosure", "project_closure", `INSERT INTO project_closure (project_id, stage, summary, files, author_id, created_at, instance_id, state)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, c.ProjectID, c.Stage, c.Summary, c.Files, c.AuthorID, c.CreatedAt, c.InstanceID, c.State)
	return c, err
}

// SetClosureInstance records the process deciding a closure application.
func (t *Tx) SetClosureInstance(id, instanceID int64) error {
	return t.update("store.SetClosureInstance", "project_closure", id, "instance_id = $1", "", instanceID)
}

// SetClosureState records a closure application's state and, when
// decided, the time.
func (t *Tx) SetClosureState(id int64, state string, decided bool) error {
	at := ""
	if decided {
		at = TimeText(t.now)
	}
	return t.update("store.SetClosureState", "project_closure", id, "state = $1, decided_at = $2", "", state, at)
}

// InsertBonus stores a bonus record (one per closure: IsUnique).
func (t *Tx) InsertBonus(b Bonus) (Bonus, error) {
	b.CreatedAt = TimeText(t.now)
	var err error
	b.ID, err = t.insertID("store.InsertBonus", "project_bonus", `INSERT INTO project_bonus (project_id, closure_id, stage, plan_revision, amount, shares, release_date, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, b.ProjectID, b.ClosureID, b.Stage, b.PlanRevision, b.Amount, b.Shares, b.ReleaseDate, b.CreatedAt)
	return b, err
}

// PayBonus records that finance paid a bonus not paid yet.
func (t *Tx) PayBonus(id, by int64) error {
	return t.update("store.PayBonus", "project_bonus", id, "paid_by = $1, paid_at = $2", "paid_at = ''", by, TimeText(t.now))
}

// SetProjectStage moves a project from stage from to stage to; a project
// no longer at from is KindConflict.
func (t *Tx) SetProjectStage(id int64, from, to string) error {
	return t.update("store.SetProjectStage", "project", id, "stage = $1, updated_at = $2", "stage = $3", to, TimeText(t.now), from)
}

// InsertDossierSection stores a dossier section.
func (t *Tx) InsertDossierSection(d DossierSection) (DossierSection, error) {
	d.CreatedAt = TimeText(t.now)
	var err error
	d.ID, err = t.insertID("store.InsertDossierSection", "project_dossier", `INSERT INTO project_dossier (project_id, title, department_id, writer_id, assigned_by, created_at, instance_id, state)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, d.ProjectID, d.Title, d.DepartmentID, d.WriterID, d.AssignedBy, d.CreatedAt, d.InstanceID, d.State)
	return d, err
}

// SetDossierSection records a dossier section's process and state.
func (t *Tx) SetDossierSection(id, instanceID int64, state string) error {
	return t.update("store.SetDossierSection", "project_dossier", id, "instance_id = $1, state = $2", "", instanceID, state)
}

// InsertInspectionCheck stores a checked inspection item (one checked
// already is IsUnique).
func (t *Tx) InsertInspectionCheck(c InspectionCheck) (InspectionCheck, error) {
	c.CheckedAt = TimeText(t.now)
	var err error
	c.ID, err = t.insertID("store.InsertInspectionCheck", "project_inspection", `INSERT INTO project_inspection (project_id, item, note, checked_by, checked_name, checked_at)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, c.ProjectID, c.Item, c.Note, c.CheckedBy, c.CheckedName, c.CheckedAt)
	return c, err
}
