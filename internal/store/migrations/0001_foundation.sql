-- Foundation: organization (SPEC ORG-1..3), accounts, sessions, tokens,
-- attachments and the hash-chained audit trail (COMPLIANCE R1, R2, R5, R13).
-- Times are TEXT in UTC, fixed width (store.TimeText); dates YYYY-MM-DD.

CREATE TABLE department (
	id {{ID}},
	code TEXT NOT NULL UNIQUE,
	name_zh TEXT NOT NULL,
	name_en TEXT NOT NULL,
	active INTEGER NOT NULL DEFAULT 1,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
){{STRICT}};

CREATE TABLE person (
	id {{ID}},
	username TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	email TEXT NOT NULL DEFAULT '',
	phone TEXT NOT NULL DEFAULT '',
	department_id INTEGER REFERENCES department(id),
	hired_on TEXT NOT NULL DEFAULT '',
	lang TEXT NOT NULL DEFAULT '',
	active INTEGER NOT NULL DEFAULT 1,
	password_hash TEXT NOT NULL DEFAULT '',
	password_changed_at TEXT NOT NULL DEFAULT '',
	failed_logins INTEGER NOT NULL DEFAULT 0,
	locked_until TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
){{STRICT}};
CREATE INDEX person_department ON person(department_id);

CREATE TABLE role_grant (
	id {{ID}},
	person_id INTEGER NOT NULL REFERENCES person(id),
	role TEXT NOT NULL,
	department_id INTEGER NOT NULL DEFAULT 0,
	granted_at TEXT NOT NULL,
	granted_by INTEGER NOT NULL,
	revoked_at TEXT NOT NULL DEFAULT '',
	revoked_by INTEGER NOT NULL DEFAULT 0
){{STRICT}};
CREATE UNIQUE INDEX role_grant_active ON role_grant(person_id, role, department_id) WHERE revoked_at = '';
CREATE INDEX role_grant_role ON role_grant(role, department_id) WHERE revoked_at = '';

CREATE TABLE rank_history (
	id {{ID}},
	person_id INTEGER NOT NULL REFERENCES person(id),
	rank TEXT NOT NULL,
	since TEXT NOT NULL,
	note TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
){{STRICT}};
CREATE INDEX rank_history_person ON rank_history(person_id, since);

-- Sessions are stored by the SHA-256 of their cookie value, so a database
-- reader cannot take one over.
CREATE TABLE session (
	id TEXT PRIMARY KEY,
	person_id INTEGER NOT NULL REFERENCES person(id),
	created_at TEXT NOT NULL,
	last_seen_at TEXT NOT NULL,
	expires_at TEXT NOT NULL,
	ip TEXT NOT NULL DEFAULT '',
	user_agent TEXT NOT NULL DEFAULT '',
	ended_at TEXT NOT NULL DEFAULT ''
){{STRICT}};
CREATE INDEX session_person ON session(person_id);

CREATE TABLE api_token (
	id {{ID}},
	person_id INTEGER NOT NULL REFERENCES person(id),
	name TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	prefix TEXT NOT NULL,
	created_at TEXT NOT NULL,
	last_used_at TEXT NOT NULL DEFAULT '',
	revoked_at TEXT NOT NULL DEFAULT ''
){{STRICT}};
CREATE INDEX api_token_person ON api_token(person_id);

-- Per-IP login throttling; per-account counters live on person.
CREATE TABLE login_throttle (
	ip TEXT PRIMARY KEY,
	failures INTEGER NOT NULL,
	window_start TEXT NOT NULL,
	locked_until TEXT NOT NULL DEFAULT ''
){{STRICT}};

CREATE TABLE attachment (
	id {{ID}},
	sha256 TEXT NOT NULL,
	size INTEGER NOT NULL,
	content_type TEXT NOT NULL,
	name TEXT NOT NULL,
	uploaded_by INTEGER NOT NULL,
	uploaded_at TEXT NOT NULL,
	entity TEXT NOT NULL DEFAULT '',
	entity_id TEXT NOT NULL DEFAULT ''
){{STRICT}};
CREATE INDEX attachment_sha ON attachment(sha256);
CREATE INDEX attachment_entity ON attachment(entity, entity_id);

CREATE TABLE audit_event (
	seq INTEGER PRIMARY KEY,
	at TEXT NOT NULL,
	actor_id INTEGER NOT NULL,
	actor_name TEXT NOT NULL,
	action TEXT NOT NULL,
	entity TEXT NOT NULL,
	entity_id TEXT NOT NULL,
	changes TEXT NOT NULL,
	reason TEXT NOT NULL,
	prev_hash TEXT NOT NULL,
	hash TEXT NOT NULL
){{STRICT}};
CREATE INDEX audit_event_entity ON audit_event(entity, entity_id, seq);
CREATE INDEX audit_event_actor ON audit_event(actor_id, seq);
CREATE INDEX audit_event_at ON audit_event(at);

CREATE TABLE audit_head (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	seq INTEGER NOT NULL,
	hash TEXT NOT NULL
){{STRICT}};
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');

-- The trail is append-only (R2): the database itself refuses updates and
-- deletes, whatever path they come from.
-- sqlite:
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
-- postgres:
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'audit_event is append-only'; END; $$;
CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_event
FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
-- both:
