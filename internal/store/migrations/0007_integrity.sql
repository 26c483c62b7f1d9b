-- Integrity (issue 7): who may see an instance beyond its tasks and copies
-- (people named in its form, people told about it, a definition's
-- viewers), and which instances reference which files, so that a file is
-- served only to someone who may see a record holding it.

CREATE TABLE flow_party (
	instance_id INTEGER NOT NULL,
	person_id INTEGER NOT NULL,
	PRIMARY KEY (instance_id, person_id)
){{STRICT}};
CREATE INDEX flow_party_person ON flow_party(person_id);

CREATE TABLE flow_file (
	instance_id INTEGER NOT NULL,
	sha256 TEXT NOT NULL,
	PRIMARY KEY (instance_id, sha256)
){{STRICT}};
CREATE INDEX flow_file_sha ON flow_file(sha256);

-- Steps nobody can act on wait as placeholder tasks (assignee 0); the
-- administrator's list of them reads this index.
CREATE INDEX flow_task_unassigned ON flow_task(state, created_at) WHERE state = 'unassigned';

-- Each audit event may carry the state of the records it wrote (a JSON
-- object "table/id" → SHA-256 of the record's canonical content), hashed
-- with the event, so that `labflow verify` proves every record is what its
-- trail says it is (COMPLIANCE R1–R3).
ALTER TABLE audit_event ADD COLUMN records TEXT NOT NULL DEFAULT '';

-- Whether the records that existed before sealing began have been sealed
-- by a baseline event (done once, at the first start after this migration).
CREATE TABLE integrity_state (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	baseline_records INTEGER NOT NULL
){{STRICT}};
INSERT INTO integrity_state (id, baseline_records) VALUES (1, -1);
