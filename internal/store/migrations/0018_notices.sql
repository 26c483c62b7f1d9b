-- Issue 9: notices that reach people. The outbox (flow_outbox) keeps every
-- notice in-app; a background worker fans each row out, once, to the
-- channels its reader chose — e-mail over SMTP, the department's DingTalk,
-- WeCom or Feishu group robot — as deliveries, each sent at most once per
-- channel, with retries and back-off.

-- dispatched: the row has been fanned out to its deliveries (or to none).
-- Rows written before this migration were read in the app already.
ALTER TABLE flow_outbox ADD COLUMN dispatched INTEGER NOT NULL DEFAULT 0;
UPDATE flow_outbox SET dispatched = 1;
CREATE INDEX flow_outbox_dispatch ON flow_outbox(id) WHERE dispatched = 0;

-- The administrator's settings (one row, id 1, written at the first
-- save): the address readers reach LabFlow at (for links) and the SMTP
-- server. The password is never shown again, nor sealed.
CREATE TABLE notice_settings (
	id INTEGER PRIMARY KEY,
	base_url TEXT NOT NULL DEFAULT '',
	smtp_enabled INTEGER NOT NULL DEFAULT 0,
	smtp_host TEXT NOT NULL DEFAULT '',
	smtp_port INTEGER NOT NULL DEFAULT 0,
	smtp_tls TEXT NOT NULL DEFAULT '',
	smtp_from TEXT NOT NULL DEFAULT '',
	smtp_username TEXT NOT NULL DEFAULT '',
	smtp_password TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL DEFAULT '',
	updated_by INTEGER NOT NULL DEFAULT 0
){{STRICT}};

-- One group robot per department (DingTalk, WeCom or Feishu): its webhook
-- address and, for DingTalk and Feishu, the signing secret.
CREATE TABLE notice_robot (
	id {{ID}},
	department_id INTEGER NOT NULL,
	platform TEXT NOT NULL,
	webhook TEXT NOT NULL,
	secret TEXT NOT NULL DEFAULT '',
	enabled INTEGER NOT NULL DEFAULT 1,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
){{STRICT}};
CREATE UNIQUE INDEX notice_robot_department ON notice_robot(department_id);

-- Each person's channels besides in-app (none stored: both on).
CREATE TABLE notice_pref (
	id {{ID}},
	person_id INTEGER NOT NULL,
	email INTEGER NOT NULL DEFAULT 1,
	chat INTEGER NOT NULL DEFAULT 1,
	updated_at TEXT NOT NULL
){{STRICT}};
CREATE UNIQUE INDEX notice_pref_person ON notice_pref(person_id);

-- One delivery per outbox row, channel and target (an address, or a
-- department's robot): claimed with a lease, sent at most once.
CREATE TABLE notice_delivery (
	id {{ID}},
	outbox_id INTEGER NOT NULL,
	channel TEXT NOT NULL,
	target TEXT NOT NULL,
	recipient_id INTEGER NOT NULL,
	instance_id INTEGER NOT NULL DEFAULT 0,
	subject TEXT NOT NULL,
	body TEXT NOT NULL,
	state TEXT NOT NULL DEFAULT 'pending',
	attempts INTEGER NOT NULL DEFAULT 0,
	next_at TEXT NOT NULL,
	owner TEXT NOT NULL DEFAULT '',
	lease_until TEXT NOT NULL DEFAULT '',
	last_error TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	sent_at TEXT NOT NULL DEFAULT ''
){{STRICT}};
CREATE UNIQUE INDEX notice_delivery_once ON notice_delivery(outbox_id, channel, target);
CREATE INDEX notice_delivery_due ON notice_delivery(next_at, id) WHERE state = 'pending';
CREATE INDEX notice_delivery_state ON notice_delivery(state, id);
