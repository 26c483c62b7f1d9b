-- Issue 10, nodes: the nodes of a project's signed node plan as rows
-- (planned against actual, PRJ-4) and the moment a project's materials no
-- longer block its work (the execution clock). Both are sealed GxP records.
--
-- project_node: one row per node of each signed revision, written in the
-- transaction in which the revision becomes signed. current is 1 on the
-- rows of the latest signed revision (where actuals are recorded), 0 on
-- the rows of earlier ones (kept as they stood). A new signed revision
-- carries the actuals over by node name. Days are YYYY-MM-DD in the
-- institute's zone; '' while not recorded.
CREATE TABLE project_node (
	id {{ID}},
	project_id INTEGER NOT NULL REFERENCES project(id),
	revision INTEGER NOT NULL,
	position INTEGER NOT NULL,
	name TEXT NOT NULL,
	planned_start TEXT NOT NULL,
	planned_end TEXT NOT NULL,
	planned_tests INTEGER NOT NULL,
	serves TEXT NOT NULL DEFAULT '',
	actual_start TEXT NOT NULL DEFAULT '',
	actual_end TEXT NOT NULL DEFAULT '',
	tests_used INTEGER NOT NULL DEFAULT 0,
	current INTEGER NOT NULL DEFAULT 1,
	updated_at TEXT NOT NULL,
	updated_by INTEGER NOT NULL DEFAULT 0
){{STRICT}};
CREATE UNIQUE INDEX project_node_name ON project_node(project_id, revision, name);
CREATE INDEX project_node_current ON project_node(current, project_id, position);

-- project_materials: the researcher's confirmation that materials no longer
-- block the project's work (PRJ-4), with the purchase requests it names
-- (instance ids, "12,15"); the execution time counts from ready_on. One
-- per project.
CREATE TABLE project_materials (
	id {{ID}},
	project_id INTEGER NOT NULL REFERENCES project(id),
	ready_on TEXT NOT NULL,
	requests TEXT NOT NULL DEFAULT '',
	note TEXT NOT NULL DEFAULT '',
	confirmed_by INTEGER NOT NULL,
	confirmed_name TEXT NOT NULL,
	confirmed_at TEXT NOT NULL
){{STRICT}};
CREATE UNIQUE INDEX project_materials_project ON project_materials(project_id);
