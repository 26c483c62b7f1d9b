-- Issue 10, stages (SPEC PRJ-5..9, DIR-3; COMPLIANCE §4.1): a project's
-- batches and their results, verified by a second person (R10); the
-- closure applications (结题申请单) the Technical Committee confirms; the
-- bonus records a confirmation creates; the dossier's sections (PRJ-7)
-- and the on-site inspection checklist (PRJ-8). Every row is sealed
-- (seal.go).

-- A batch of a stage (小试放大批 / 中试批 / stability study): node is the
-- name of the plan node it belongs to (its planned test items); kind is
-- scale_up or stability (study_end: the day the study ends); site is
-- in_house or outside (site_instance_id: the site-loan process);
-- retest_of is the failed batch this one re-tests.
CREATE TABLE project_batch (
	id {{ID}},
	project_id INTEGER NOT NULL REFERENCES project(id),
	stage TEXT NOT NULL,
	node TEXT NOT NULL,
	label TEXT NOT NULL,
	kind TEXT NOT NULL,
	site TEXT NOT NULL,
	site_instance_id INTEGER NOT NULL DEFAULT 0,
	study_end TEXT NOT NULL DEFAULT '',
	retest_of INTEGER NOT NULL DEFAULT 0,
	created_by INTEGER NOT NULL,
	created_at TEXT NOT NULL
){{STRICT}};
CREATE UNIQUE INDEX project_batch_label ON project_batch(project_id, stage, label);

-- A batch's result for one planned test item: recorded by a researcher
-- or analyst, verified by a second person (never the recorder); a failed
-- one carries the director's decision once made.
CREATE TABLE project_result (
	id {{ID}},
	batch_id INTEGER NOT NULL REFERENCES project_batch(id),
	project_id INTEGER NOT NULL REFERENCES project(id),
	item TEXT NOT NULL,
	value TEXT NOT NULL,
	passed INTEGER NOT NULL,
	recorded_by INTEGER NOT NULL,
	recorded_at TEXT NOT NULL,
	verified_by INTEGER NOT NULL DEFAULT 0,
	verified_at TEXT NOT NULL DEFAULT '',
	decision TEXT NOT NULL DEFAULT '',
	decided_by INTEGER NOT NULL DEFAULT 0,
	decided_at TEXT NOT NULL DEFAULT ''
){{STRICT}};
CREATE UNIQUE INDEX project_result_item ON project_result(batch_id, item);
CREATE INDEX project_result_project ON project_result(project_id, id);

-- A closure application of a stage: the summary report and the
-- attachments (JSON: original_records, instrument_records,
-- climate_records — attachment ids); state applied, confirmed, rejected
-- or withdrawn, following its process (instance_id).
CREATE TABLE project_closure (
	id {{ID}},
	project_id INTEGER NOT NULL REFERENCES project(id),
	stage TEXT NOT NULL,
	summary TEXT NOT NULL,
	files TEXT NOT NULL,
	author_id INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	instance_id INTEGER NOT NULL DEFAULT 0,
	state TEXT NOT NULL,
	decided_at TEXT NOT NULL DEFAULT ''
){{STRICT}};
CREATE INDEX project_closure_project ON project_closure(project_id, id);

-- A stage bonus: the amount of the signed plan's reward for the stage,
-- its recipients' shares (JSON), the release date; paid_at once finance
-- pays it.
CREATE TABLE project_bonus (
	id {{ID}},
	project_id INTEGER NOT NULL REFERENCES project(id),
	closure_id INTEGER NOT NULL REFERENCES project_closure(id),
	stage TEXT NOT NULL,
	plan_revision INTEGER NOT NULL,
	amount TEXT NOT NULL,
	shares TEXT NOT NULL,
	release_date TEXT NOT NULL,
	created_at TEXT NOT NULL,
	paid_by INTEGER NOT NULL DEFAULT 0,
	paid_at TEXT NOT NULL DEFAULT ''
){{STRICT}};
CREATE UNIQUE INDEX project_bonus_closure ON project_bonus(closure_id);
CREATE INDEX project_bonus_project ON project_bonus(project_id, id);

-- A section of the registration dossier (PRJ-7): a department's part,
-- written by the person its director assigned (shared sections are split
-- into one row per department, assigned_by recording the director who
-- split it); state writing, review, approved, rejected or withdrawn,
-- following its review process.
CREATE TABLE project_dossier (
	id {{ID}},
	project_id INTEGER NOT NULL REFERENCES project(id),
	title TEXT NOT NULL,
	department_id INTEGER NOT NULL,
	writer_id INTEGER NOT NULL,
	assigned_by INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	instance_id INTEGER NOT NULL DEFAULT 0,
	state TEXT NOT NULL
){{STRICT}};
CREATE INDEX project_dossier_project ON project_dossier(project_id, id);

-- An item of the on-site inspection preparation checklist (PRJ-8),
-- checked by a named person.
CREATE TABLE project_inspection (
	id {{ID}},
	project_id INTEGER NOT NULL REFERENCES project(id),
	item TEXT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	checked_by INTEGER NOT NULL,
	checked_name TEXT NOT NULL,
	checked_at TEXT NOT NULL
){{STRICT}};
CREATE UNIQUE INDEX project_inspection_item ON project_inspection(project_id, item);
