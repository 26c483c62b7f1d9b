-- Issue 8: a person's employment attributes, set by processes (a probation
-- review confirms, extends or ends the probation) or the administrator:
-- a history like rank_history, the latest entry of each attribute being
-- its value. Sealed like every record of people.
CREATE TABLE person_attribute (
	id {{ID}},
	person_id INTEGER NOT NULL REFERENCES person(id),
	attribute TEXT NOT NULL,
	value TEXT NOT NULL,
	instance_id INTEGER NOT NULL DEFAULT 0,
	note TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	created_by INTEGER NOT NULL DEFAULT 0
){{STRICT}};
CREATE INDEX person_attribute_person ON person_attribute(person_id, attribute, id);
CREATE INDEX person_attribute_value ON person_attribute(attribute, value);
