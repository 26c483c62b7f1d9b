-- Issue 8: a person outside the institute (a customer) takes part in one
-- step by a one-time link with an expiry. Each link is a sealed record:
-- only the SHA-256 of its token is kept; who it was for and where it
-- went; until when it held; and, once used, what the outsider entered,
-- from which address and browser. The timeline keeps the same entry with
-- the action that completed the step.
CREATE TABLE flow_external_link (
	id {{ID}},
	instance_id INTEGER NOT NULL,
	step_id TEXT NOT NULL,
	round INTEGER NOT NULL,
	task_id INTEGER NOT NULL,
	token_hash TEXT NOT NULL,
	name TEXT NOT NULL DEFAULT '',
	contact TEXT NOT NULL DEFAULT '',
	state TEXT NOT NULL,
	created_at TEXT NOT NULL,
	created_by INTEGER NOT NULL DEFAULT 0,
	created_by_name TEXT NOT NULL DEFAULT '',
	expires_at TEXT NOT NULL,
	closed_at TEXT NOT NULL DEFAULT '',
	closed_by INTEGER NOT NULL DEFAULT 0,
	closed_by_name TEXT NOT NULL DEFAULT '',
	submitted_name TEXT NOT NULL DEFAULT '',
	ip TEXT NOT NULL DEFAULT '',
	user_agent TEXT NOT NULL DEFAULT '',
	submitted TEXT NOT NULL DEFAULT ''
){{STRICT}};
CREATE UNIQUE INDEX flow_external_link_token ON flow_external_link(token_hash);
CREATE INDEX flow_external_link_instance ON flow_external_link(instance_id, id);
CREATE INDEX flow_external_link_due ON flow_external_link(expires_at) WHERE state = 'open';
CREATE INDEX flow_external_link_task ON flow_external_link(task_id) WHERE state = 'open';

ALTER TABLE flow_action ADD COLUMN external_entry TEXT NOT NULL DEFAULT '';
