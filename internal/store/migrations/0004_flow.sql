-- Process engine (issue 3): definition versions, instances, tasks, the
-- timeline, electronic signatures (COMPLIANCE R7–R9), SLA timers,
-- copies (抄送), idempotency keys and the notification outbox.
-- JSON is kept as TEXT; times are UTC TEXT (store.TimeText).

CREATE TABLE flow_definition (
	id {{ID}},
	key TEXT NOT NULL,
	version INTEGER NOT NULL,
	hash TEXT NOT NULL,
	body TEXT NOT NULL,
	created_at TEXT NOT NULL
){{STRICT}};
CREATE UNIQUE INDEX flow_definition_version ON flow_definition(key, version);
CREATE UNIQUE INDEX flow_definition_hash ON flow_definition(key, hash);

CREATE TABLE flow_instance (
	id {{ID}},
	def_key TEXT NOT NULL,
	def_version INTEGER NOT NULL,
	title TEXT NOT NULL,
	initiator_id INTEGER NOT NULL,
	initiator_name TEXT NOT NULL,
	initiator_dept INTEGER NOT NULL DEFAULT 0,
	status TEXT NOT NULL,
	form TEXT NOT NULL,
	state TEXT NOT NULL,
	search TEXT NOT NULL DEFAULT '',
	parent_id INTEGER NOT NULL DEFAULT 0,
	parent_step TEXT NOT NULL DEFAULT '',
	version INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL,
	ended_at TEXT NOT NULL DEFAULT ''
){{STRICT}};
CREATE INDEX flow_instance_initiator ON flow_instance(initiator_id, created_at);
CREATE INDEX flow_instance_parent ON flow_instance(parent_id) WHERE parent_id <> 0;

CREATE TABLE flow_task (
	id {{ID}},
	instance_id INTEGER NOT NULL,
	step_id TEXT NOT NULL,
	round INTEGER NOT NULL,
	slot INTEGER NOT NULL DEFAULT 0,
	assignee_id INTEGER NOT NULL,
	assignee_name TEXT NOT NULL,
	state TEXT NOT NULL,
	kind TEXT NOT NULL,
	parent_task_id INTEGER NOT NULL DEFAULT 0,
	added_by INTEGER NOT NULL DEFAULT 0,
	outcome TEXT NOT NULL DEFAULT '',
	comment TEXT NOT NULL DEFAULT '',
	def_key TEXT NOT NULL,
	initiator_id INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	acted_at TEXT NOT NULL DEFAULT '',
	due_at TEXT NOT NULL DEFAULT '',
	version INTEGER NOT NULL DEFAULT 1
){{STRICT}};
-- 待办: one user's open tasks, newest first, from the index alone.
CREATE INDEX flow_task_inbox ON flow_task(assignee_id, state, created_at);
-- 已办: what one user acted on.
CREATE INDEX flow_task_done ON flow_task(assignee_id, acted_at) WHERE acted_at <> '';
CREATE INDEX flow_task_instance ON flow_task(instance_id);

CREATE TABLE flow_action (
	id {{ID}},
	instance_id INTEGER NOT NULL,
	task_id INTEGER NOT NULL DEFAULT 0,
	step_id TEXT NOT NULL DEFAULT '',
	actor_id INTEGER NOT NULL,
	actor_name TEXT NOT NULL,
	action TEXT NOT NULL,
	target_id INTEGER NOT NULL DEFAULT 0,
	comment TEXT NOT NULL DEFAULT '',
	meaning TEXT NOT NULL DEFAULT '',
	attachments TEXT NOT NULL DEFAULT '[]',
	at TEXT NOT NULL
){{STRICT}};
CREATE INDEX flow_action_instance ON flow_action(instance_id, id);

CREATE TABLE flow_signature (
	id {{ID}},
	instance_id INTEGER NOT NULL,
	task_id INTEGER NOT NULL,
	step_id TEXT NOT NULL,
	signer_id INTEGER NOT NULL,
	signer_name TEXT NOT NULL,
	meaning TEXT NOT NULL,
	signed_at TEXT NOT NULL,
	content_hash TEXT NOT NULL
){{STRICT}};
CREATE INDEX flow_signature_instance ON flow_signature(instance_id, id);

CREATE TABLE flow_timer (
	id {{ID}},
	instance_id INTEGER NOT NULL,
	task_id INTEGER NOT NULL,
	kind TEXT NOT NULL,
	due_at TEXT NOT NULL,
	fired_at TEXT NOT NULL DEFAULT ''
){{STRICT}};
CREATE INDEX flow_timer_due ON flow_timer(due_at) WHERE fired_at = '';

CREATE TABLE flow_cc (
	instance_id INTEGER NOT NULL,
	person_id INTEGER NOT NULL,
	by_id INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	PRIMARY KEY (instance_id, person_id)
){{STRICT}};
CREATE INDEX flow_cc_person ON flow_cc(person_id, created_at);

CREATE TABLE flow_idem (
	actor_id INTEGER NOT NULL,
	key TEXT NOT NULL,
	instance_id INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	PRIMARY KEY (actor_id, key)
){{STRICT}};

-- The outbox: every notification is written here in the same transaction
-- as the change that caused it. In-app notifications are read from it
-- (channel "inapp"); other channels deliver rows and set sent_at.
CREATE TABLE flow_outbox (
	id {{ID}},
	channel TEXT NOT NULL,
	recipient_id INTEGER NOT NULL,
	kind TEXT NOT NULL,
	instance_id INTEGER NOT NULL DEFAULT 0,
	task_id INTEGER NOT NULL DEFAULT 0,
	args TEXT NOT NULL DEFAULT '{}',
	created_at TEXT NOT NULL,
	read_at TEXT NOT NULL DEFAULT '',
	sent_at TEXT NOT NULL DEFAULT ''
){{STRICT}};
CREATE INDEX flow_outbox_recipient ON flow_outbox(recipient_id, channel, id);
