-- Issue 10, initiation and records (SPEC DIR-2, PRJ-1, DIR-6, PRJ-8): a
-- project's initiation (立项调研: the departments' feasibility reports and
-- the go / no-go decision, kept by its process), its candidate routes and
-- the one the director chose, its kick-off report (开题报告), and its
-- register of original records (原始记录). Every row is sealed (seal.go).

-- The initiation of a project: one row per initiation process. state:
-- reporting, go, no_go, withdrawn. The reports themselves are the rows of
-- the process's form (sealed with the instance).
CREATE TABLE project_initiation (
	id {{ID}},
	project_id INTEGER NOT NULL REFERENCES project(id),
	instance_id INTEGER NOT NULL DEFAULT 0,
	state TEXT NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	decided_by INTEGER NOT NULL DEFAULT 0,
	decided_at TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
){{STRICT}};
CREATE INDEX project_initiation_project ON project_initiation(project_id, id);

-- Candidate routes (synthesis route; formulation: prescription and
-- process; analytical: method options). files: the attachments' SHA-256
-- hashes, comma-separated. state: open, chosen, set_aside (another route
-- of the same kind was chosen).
CREATE TABLE project_route (
	id {{ID}},
	project_id INTEGER NOT NULL REFERENCES project(id),
	kind TEXT NOT NULL,
	title TEXT NOT NULL,
	description TEXT NOT NULL,
	literature TEXT NOT NULL DEFAULT '',
	patents TEXT NOT NULL DEFAULT '',
	files TEXT NOT NULL DEFAULT '',
	state TEXT NOT NULL,
	created_by INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	decided_by INTEGER NOT NULL DEFAULT 0,
	decided_at TEXT NOT NULL DEFAULT '',
	reason TEXT NOT NULL DEFAULT ''
){{STRICT}};
CREATE INDEX project_route_project ON project_route(project_id, id);

-- Kick-off reports (开题报告): the director's report on the chosen route,
-- signed by the director through its process. state: signing, signed,
-- rejected, withdrawn.
CREATE TABLE project_kickoff (
	id {{ID}},
	project_id INTEGER NOT NULL REFERENCES project(id),
	route_id INTEGER NOT NULL REFERENCES project_route(id),
	summary TEXT NOT NULL,
	files TEXT NOT NULL DEFAULT '',
	state TEXT NOT NULL,
	author_id INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	instance_id INTEGER NOT NULL DEFAULT 0,
	decided_at TEXT NOT NULL DEFAULT ''
){{STRICT}};
CREATE INDEX project_kickoff_project ON project_kickoff(project_id, id);

-- The register of original records: a notebook's pages for an experiment
-- or node, by its author, with the scanned files' hashes; reviewed and
-- signed by the director of the author's department through its process.
-- state: signing, signed, rejected, withdrawn. A signed entry is never
-- changed: a correction is a new entry that names it in supersedes.
CREATE TABLE project_record (
	id {{ID}},
	project_id INTEGER NOT NULL REFERENCES project(id),
	department_id INTEGER NOT NULL,
	notebook TEXT NOT NULL,
	page_from INTEGER NOT NULL,
	page_to INTEGER NOT NULL,
	node TEXT NOT NULL DEFAULT '',
	experiment TEXT NOT NULL DEFAULT '',
	author_id INTEGER NOT NULL,
	started_on TEXT NOT NULL,
	ended_on TEXT NOT NULL,
	files TEXT NOT NULL DEFAULT '',
	supersedes INTEGER NOT NULL DEFAULT 0,
	note TEXT NOT NULL DEFAULT '',
	state TEXT NOT NULL,
	created_by INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	instance_id INTEGER NOT NULL DEFAULT 0,
	decided_at TEXT NOT NULL DEFAULT ''
){{STRICT}};
CREATE INDEX project_record_project ON project_record(project_id, id);
