-- Issue 10, experiments (SPEC EXP-1..4): the pre-check form (预检单) filed
-- before each reaction step or prescription change, and its analytical
-- equivalent, the analytical-plan change form (分析方案变更单), each bound
-- to the approval of the filer's department director; and the experiment
-- record: started only under an approved pre-check, its result reported
-- to the director, who records the next-step decision with the experience
-- note (passed) or the cause analysis and next plan (failed) that a
-- re-test (复检) references. Both tables are sealed (seal.go).

-- kind: precheck or analytical_change. checks: the confirmed items of the
-- form, comma-separated keys. state follows the approval: approving,
-- approved, rejected, withdrawn. department_id is the filer's department,
-- whose director approves and decides.
CREATE TABLE experiment_precheck (
	id {{ID}},
	project_id INTEGER NOT NULL REFERENCES project(id),
	node TEXT NOT NULL,
	kind TEXT NOT NULL,
	step TEXT NOT NULL,
	planned_on TEXT NOT NULL,
	materials TEXT NOT NULL DEFAULT '',
	checks TEXT NOT NULL DEFAULT '',
	note TEXT NOT NULL DEFAULT '',
	plan_revision INTEGER NOT NULL,
	researcher_id INTEGER NOT NULL,
	researcher_name TEXT NOT NULL,
	department_id INTEGER NOT NULL,
	state TEXT NOT NULL,
	instance_id INTEGER NOT NULL DEFAULT 0,
	created_at TEXT NOT NULL,
	decided_at TEXT NOT NULL DEFAULT ''
){{STRICT}};
CREATE INDEX experiment_precheck_project ON experiment_precheck(project_id, id);

-- One experiment per approved pre-check (the unique index settles two
-- starts racing each other). state: started, reported, decided. result:
-- passed, failed, or '' (no tested sample). retest_of is the failed
-- experiment whose cause analysis this re-test follows (0: none).
CREATE TABLE experiment (
	id {{ID}},
	project_id INTEGER NOT NULL REFERENCES project(id),
	node TEXT NOT NULL,
	precheck_id INTEGER NOT NULL REFERENCES experiment_precheck(id),
	retest_of INTEGER NOT NULL DEFAULT 0,
	researcher_id INTEGER NOT NULL,
	researcher_name TEXT NOT NULL,
	department_id INTEGER NOT NULL,
	state TEXT NOT NULL,
	started_on TEXT NOT NULL,
	started_at TEXT NOT NULL,
	finished_on TEXT NOT NULL DEFAULT '',
	result TEXT NOT NULL DEFAULT '',
	tests_used INTEGER NOT NULL DEFAULT 0,
	report TEXT NOT NULL DEFAULT '',
	reported_at TEXT NOT NULL DEFAULT '',
	decision TEXT NOT NULL DEFAULT '',
	note TEXT NOT NULL DEFAULT '',
	next_plan TEXT NOT NULL DEFAULT '',
	decided_by INTEGER NOT NULL DEFAULT 0,
	decided_name TEXT NOT NULL DEFAULT '',
	decided_at TEXT NOT NULL DEFAULT ''
){{STRICT}};
CREATE UNIQUE INDEX experiment_precheck_once ON experiment(precheck_id);
CREATE INDEX experiment_project ON experiment(project_id, id);
