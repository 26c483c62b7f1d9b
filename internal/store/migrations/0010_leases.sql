-- Timers and jobs with leases (issue 8 §6): several servers on one
-- database run each exactly once. A server claims due rows for a while
-- (owner, lease_until); the row is marked fired or done in the same
-- transaction as its effect; an expired lease lets another server take it
-- over. attempts counts claims, so that a row that keeps failing is given
-- up rather than tried for ever.

-- A timer also serves definition-level deadlines (ref: the deadline's id,
-- round: its start count) and wait steps (kind wake; ref: the step, round:
-- its round); level is an escalation level.
ALTER TABLE flow_timer ADD COLUMN ref TEXT NOT NULL DEFAULT '';
ALTER TABLE flow_timer ADD COLUMN round INTEGER NOT NULL DEFAULT 0;
ALTER TABLE flow_timer ADD COLUMN level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE flow_timer ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE flow_timer ADD COLUMN lease_until TEXT NOT NULL DEFAULT '';
ALTER TABLE flow_timer ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;

-- Scheduled starts: one row per occurrence and initiator (key is unique,
-- so servers planning at once record it once).
CREATE TABLE flow_job (
	id {{ID}},
	key TEXT NOT NULL,
	def_key TEXT NOT NULL,
	schedule_id TEXT NOT NULL,
	occurrence TEXT NOT NULL,
	person_id INTEGER NOT NULL,
	form TEXT NOT NULL DEFAULT '{}',
	due_at TEXT NOT NULL,
	owner TEXT NOT NULL DEFAULT '',
	lease_until TEXT NOT NULL DEFAULT '',
	attempts INTEGER NOT NULL DEFAULT 0,
	done_at TEXT NOT NULL DEFAULT '',
	instance_id INTEGER NOT NULL DEFAULT 0,
	error TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
){{STRICT}};
CREATE UNIQUE INDEX flow_job_key ON flow_job(key);
CREATE INDEX flow_job_due ON flow_job(due_at) WHERE done_at = '';
