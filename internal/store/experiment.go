package store

import (
	"context"

	"labflow/internal/domain"
)

// Experiments of a project (issue 10; SPEC EXP-1..4): pre-check forms
// (and analytical-plan change forms) bound to their approval, and the
// experiments started under them with their result, the director's
// decision and the note it records. Both tables are sealed (seal.go); the
// rules are the projects package's, these are its queries.

// Precheck is a pre-check form (预检单) or an analytical-plan change form
// (分析方案变更单), filed for a node of the signed plan.
type Precheck struct {
	ID        int64  `json:"id"`
	ProjectID int64  `json:"project_id"`
	Node      string `json:"node"`
	// Kind is precheck or analytical_change.
	Kind      string `json:"kind"`
	Step      string `json:"step"`
	PlannedOn string `json:"planned_on"`
	Materials string `json:"materials,omitempty"`
	// Checks are the confirmed items of the form, comma-separated keys.
	Checks string `json:"checks"`
	Note   string `json:"note,omitempty"`
	// PlanRevision is the signed plan revision the node belongs to.
	PlanRevision   int    `json:"plan_revision"`
	ResearcherID   int64  `json:"researcher_id"`
	ResearcherName string `json:"researcher_name"`
	DepartmentID   int64  `json:"department_id"`
	// State is approving, approved, rejected or withdrawn.
	State      string `json:"state"`
	InstanceID int64  `json:"instance_id,omitempty"`
	CreatedAt  string `json:"created_at"`
	DecidedAt  string `json:"decided_at,omitempty"`
}

const precheckCols = "id, project_id, node, kind, step, planned_on, materials, checks, note, plan_revision, researcher_id, researcher_name, department_id, state, instance_id, created_at, decided_at"

func scanPrecheck(s scanner) (Precheck, error) {
	var p Precheck
	err := s.Scan(&p.ID, &p.ProjectID, &p.Node, &p.Kind, &p.Step, &p.PlannedOn, &p.Materials, &p.Checks, &p.Note, &p.PlanRevision,
		&p.ResearcherID, &p.ResearcherName, &p.DepartmentID, &p.State, &p.InstanceID, &p.CreatedAt, &p.DecidedAt)
	return p, err
}

// Prechecks lists a project's pre-checks, in the order filed.
func Prechecks(ctx context.Context, r Reader, projectID int64) ([]Precheck, error) {
	const op = "store.Prechecks"
	return queryAll(ctx, r, op, "SELECT "+precheckCols+" FROM experiment_precheck WHERE project_id = $1 ORDER BY id", scanPrecheck, projectID)
}

// GetPrecheck reads a pre-check by id; a missing one is KindNotFound.
func GetPrecheck(ctx context.Context, r Reader, id int64) (Precheck, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	p, err := scanPrecheck(r.QueryRowContext(ctx, "SELECT "+precheckCols+" FROM experiment_precheck WHERE id = $1", id))
	if err != nil {
		return p, notFound("store.GetPrecheck", "entity.precheck", err)
	}
	return p, nil
}

// InsertPrecheck stores a new pre-check and seals it.
func (t *Tx) InsertPrecheck(p Precheck) (Precheck, error) {
	p.CreatedAt, p.DecidedAt = TimeText(t.now), ""
	err := t.QueryRowContext(t.ctx, `INSERT INTO experiment_precheck (project_id, node, kind, step, planned_on, materials, checks, note, plan_revision,
		researcher_id, researcher_name, department_id, state, instance_id, created_at, decided_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id`,
		p.ProjectID, p.Node, p.Kind, p.Step, p.PlannedOn, p.Materials, p.Checks, p.Note, p.PlanRevision, p.ResearcherID, p.ResearcherName,
		p.DepartmentID, p.State, p.InstanceID, p.CreatedAt, p.DecidedAt).Scan(&p.ID)
	if err != nil {
		return p, mapErr("store.InsertPrecheck", err)
	}
	t.seal("experiment_precheck", p.ID, p.ID, p.ProjectID, p.Node, p.Kind, p.Step, p.PlannedOn, p.Materials, p.Checks, p.Note, p.PlanRevision,
		p.ResearcherID, p.ResearcherName, p.DepartmentID, p.State, p.InstanceID, p.CreatedAt, p.DecidedAt)
	return p, nil
}

// SetPrecheckInstance records the approval process of a pre-check.
func (t *Tx) SetPrecheckInstance(id, instanceID int64) error {
	if _, err := t.Exec("UPDATE experiment_precheck SET instance_id = $1 WHERE id = $2", instanceID, id); err != nil {
		return mapErr("store.SetPrecheckInstance", err)
	}
	t.touch("experiment_precheck", id)
	return nil
}

// SetPrecheckState records a pre-check's state and, when decided is true,
// the time of the decision.
func (t *Tx) SetPrecheckState(id int64, state string, decided bool) error {
	at := ""
	if decided {
		at = TimeText(t.now)
	}
	if _, err := t.Exec("UPDATE experiment_precheck SET state = $1, decided_at = $2 WHERE id = $3", state, at, id); err != nil {
		return mapErr("store.SetPrecheckState", err)
	}
	t.touch("experiment_precheck", id)
	return nil
}

// Experiment is one experiment (a reaction step, a prescription change, an
// analytical plan tried) started under an approved pre-check.
type Experiment struct {
	ID         int64  `json:"id"`
	ProjectID  int64  `json:"project_id"`
	Node       string `json:"node"`
	PrecheckID int64  `json:"precheck_id"`
	// RetestOf is the failed experiment this re-test (复检) follows.
	RetestOf       int64  `json:"retest_of,omitempty"`
	ResearcherID   int64  `json:"researcher_id"`
	ResearcherName string `json:"researcher_name"`
	DepartmentID   int64  `json:"department_id"`
	// State is started, reported or decided.
	State      string `json:"state"`
	StartedOn  string `json:"started_on"`
	StartedAt  string `json:"started_at"`
	FinishedOn string `json:"finished_on,omitempty"`
	// Result is passed, failed or "" (no sample tested).
	Result     string `json:"result,omitempty"`
	TestsUsed  int    `json:"tests_used"`
	Report     string `json:"report,omitempty"`
	ReportedAt string `json:"reported_at,omitempty"`
	// Decision is the director's next step.
	Decision string `json:"decision,omitempty"`
	// Note is the experience note (passed) or the cause analysis (failed).
	Note        string `json:"note,omitempty"`
	NextPlan    string `json:"next_plan,omitempty"`
	DecidedBy   int64  `json:"decided_by,omitempty"`
	DecidedName string `json:"decided_name,omitempty"`
	DecidedAt   string `json:"decided_at,omitempty"`
}

const experimentCols = "id, project_id, node, precheck_id, retest_of, researcher_id, researcher_name, department_id, state, started_on, started_at, finished_on, result, tests_used, report, reported_at, decision, note, next_plan, decided_by, decided_name, decided_at"

func scanExperiment(s scanner) (Experiment, error) {
	var x Experiment
	err := s.Scan(&x.ID, &x.ProjectID, &x.Node, &x.PrecheckID, &x.RetestOf, &x.ResearcherID, &x.ResearcherName, &x.DepartmentID, &x.State,
		&x.StartedOn, &x.StartedAt, &x.FinishedOn, &x.Result, &x.TestsUsed, &x.Report, &x.ReportedAt, &x.Decision, &x.Note, &x.NextPlan,
		&x.DecidedBy, &x.DecidedName, &x.DecidedAt)
	return x, err
}

// Experiments lists a project's experiments, in the order started.
func Experiments(ctx context.Context, r Reader, projectID int64) ([]Experiment, error) {
	const op = "store.Experiments"
	return queryAll(ctx, r, op, "SELECT "+experimentCols+" FROM experiment WHERE project_id = $1 ORDER BY id", scanExperiment, projectID)
}

// GetExperiment reads an experiment by id; a missing one is KindNotFound.
func GetExperiment(ctx context.Context, r Reader, id int64) (Experiment, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	x, err := scanExperiment(r.QueryRowContext(ctx, "SELECT "+experimentCols+" FROM experiment WHERE id = $1", id))
	if err != nil {
		return x, notFound("store.GetExperiment", "entity.experiment", err)
	}
	return x, nil
}

// InsertExperiment stores a started experiment and seals it; a second
// experiment under the same pre-check is KindConflict (IsUnique).
func (t *Tx) InsertExperiment(x Experiment) (Experiment, error) {
	x.StartedAt = TimeText(t.now)
	err := t.QueryRowContext(t.ctx, `INSERT INTO experiment (project_id, node, precheck_id, retest_of, researcher_id, researcher_name, department_id,
		state, started_on, started_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
		x.ProjectID, x.Node, x.PrecheckID, x.RetestOf, x.ResearcherID, x.ResearcherName, x.DepartmentID, x.State, x.StartedOn, x.StartedAt).Scan(&x.ID)
	if err != nil {
		return x, mapErr("store.InsertExperiment", err)
	}
	t.seal("experiment", x.ID, x.ID, x.ProjectID, x.Node, x.PrecheckID, x.RetestOf, x.ResearcherID, x.ResearcherName, x.DepartmentID, x.State,
		x.StartedOn, x.StartedAt, "", "", 0, "", "", "", "", "", 0, "", "")
	return x, nil
}

// ReportExperiment records a started experiment's result report; one not
// in state started is KindConflict.
func (t *Tx) ReportExperiment(id int64, finishedOn, result string, testsUsed int, report string) error {
	const op = "store.ReportExperiment"
	res, err := t.Exec(`UPDATE experiment SET state = 'reported', finished_on = $1, result = $2, tests_used = $3, report = $4, reported_at = $5
		WHERE id = $6 AND state = 'started'`, finishedOn, result, testsUsed, report, TimeText(t.now), id)
	if err != nil {
		return mapErr(op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.Conflict(op, "projects.exp.not_started")
	}
	t.touch("experiment", id)
	return nil
}

// DecideExperiment records the director's decision on a reported
// experiment; one not in state reported is KindConflict.
func (t *Tx) DecideExperiment(id int64, decision, note, nextPlan string, by int64, byName string) error {
	const op = "store.DecideExperiment"
	res, err := t.Exec(`UPDATE experiment SET state = 'decided', decision = $1, note = $2, next_plan = $3, decided_by = $4, decided_name = $5,
		decided_at = $6 WHERE id = $7 AND state = 'reported'`, decision, note, nextPlan, by, byName, TimeText(t.now), id)
	if err != nil {
		return mapErr(op, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.Conflict(op, "projects.exp.not_reported")
	}
	t.touch("experiment", id)
	return nil
}
