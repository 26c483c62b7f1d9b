-- Issue 10: drug-development projects (SPEC PRJ, DIR). A project, its team
-- with dates (who was on it when: DIR-3, PRJ-1) and its node plan
-- revisions (PRJ-2, PRJ-3). Every row is sealed (seal.go): project,
-- project_member and project_plan are GxP records. A plan revision's
-- content is never updated: a change is a new revision.
CREATE TABLE project (
	id {{ID}},
	code TEXT NOT NULL,
	name TEXT NOT NULL,
	kind TEXT NOT NULL,
	rld TEXT NOT NULL DEFAULT '',
	departments TEXT NOT NULL,
	department_id INTEGER NOT NULL,
	director_id INTEGER NOT NULL,
	stage TEXT NOT NULL,
	created_at TEXT NOT NULL,
	created_by INTEGER NOT NULL,
	updated_at TEXT NOT NULL
){{STRICT}};
CREATE UNIQUE INDEX project_code ON project(code);
CREATE INDEX project_stage ON project(stage, id);
CREATE INDEX project_director ON project(director_id, id);

-- The departments a project involves, one row each: an index of
-- project.departments (which is sealed with the project) for the
-- visibility and filter queries, written with it.
CREATE TABLE project_department (
	project_id INTEGER NOT NULL REFERENCES project(id),
	department_id INTEGER NOT NULL,
	PRIMARY KEY (project_id, department_id)
){{STRICT}};
CREATE INDEX project_department_dept ON project_department(department_id, project_id);

-- Team membership: from_date and to_date are days (YYYY-MM-DD) in the
-- institute's zone, to_date '' while it lasts. Ending a membership sets
-- to_date; the row stays.
CREATE TABLE project_member (
	id {{ID}},
	project_id INTEGER NOT NULL REFERENCES project(id),
	person_id INTEGER NOT NULL,
	role TEXT NOT NULL,
	from_date TEXT NOT NULL,
	to_date TEXT NOT NULL DEFAULT '',
	added_by INTEGER NOT NULL,
	added_at TEXT NOT NULL,
	ended_by INTEGER NOT NULL DEFAULT 0,
	ended_at TEXT NOT NULL DEFAULT ''
){{STRICT}};
CREATE INDEX project_member_project ON project_member(project_id, id);
CREATE INDEX project_member_person ON project_member(person_id, project_id);

-- Node plan revisions (节点计划): content is the canonical JSON of the
-- plan, the record a committee signature covers. state: signing, signed,
-- rejected, withdrawn. instance_id is the signing process.
CREATE TABLE project_plan (
	id {{ID}},
	project_id INTEGER NOT NULL REFERENCES project(id),
	revision INTEGER NOT NULL,
	state TEXT NOT NULL,
	content TEXT NOT NULL,
	content_hash TEXT NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	author_id INTEGER NOT NULL,
	author_name TEXT NOT NULL,
	created_at TEXT NOT NULL,
	instance_id INTEGER NOT NULL DEFAULT 0,
	decided_at TEXT NOT NULL DEFAULT ''
){{STRICT}};
CREATE UNIQUE INDEX project_plan_revision ON project_plan(project_id, revision);
