-- Roles, committees and standing proxies as data (issue 8 §4).
--
-- role_def: the roles the administrator defines (客服专员, 人事专员, 办公室主任 …)
-- beside the built-in ones, which the server seeds at start (audited) and
-- which cannot be changed or retired. A grant names a role by its key.
CREATE TABLE role_def (
	id {{ID}},
	key TEXT NOT NULL UNIQUE,
	name_zh TEXT NOT NULL,
	name_en TEXT NOT NULL,
	scoped INTEGER NOT NULL DEFAULT 0,
	builtin INTEGER NOT NULL DEFAULT 0,
	active INTEGER NOT NULL DEFAULT 1,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
){{STRICT}};

-- committee: the Technical Committee (built in: its members are the
-- holders of the committee and committee_chair roles) and any other
-- (a tender committee, a decision committee), whose members and chair are
-- committee_member rows. A membership row runs from added_at to removed_at
-- and is never deleted; a new chair ends the old rows and adds new ones.
CREATE TABLE committee (
	id {{ID}},
	key TEXT NOT NULL UNIQUE,
	name_zh TEXT NOT NULL,
	name_en TEXT NOT NULL,
	builtin INTEGER NOT NULL DEFAULT 0,
	active INTEGER NOT NULL DEFAULT 1,
	created_at TEXT NOT NULL,
	updated_at TEXT NOT NULL
){{STRICT}};

CREATE TABLE committee_member (
	id {{ID}},
	committee_id INTEGER NOT NULL REFERENCES committee(id),
	person_id INTEGER NOT NULL REFERENCES person(id),
	chair INTEGER NOT NULL DEFAULT 0,
	added_at TEXT NOT NULL,
	added_by INTEGER NOT NULL,
	removed_at TEXT NOT NULL DEFAULT '',
	removed_by INTEGER NOT NULL DEFAULT 0
){{STRICT}};
CREATE UNIQUE INDEX committee_member_active ON committee_member(committee_id, person_id) WHERE removed_at = '';
CREATE UNIQUE INDEX committee_member_chair ON committee_member(committee_id) WHERE removed_at = '' AND chair = 1;
CREATE INDEX committee_member_person ON committee_member(person_id) WHERE removed_at = '';

-- person_proxy: a standing proxy (出差/休假代理). person_id's tasks arriving
-- between starts_at and ends_at (UTC) for the listed definitions (a comma-
-- separated list of keys; '' for all) go to proxy_id while status is
-- 'active'. One set by an administrator is 'pending' until approver_id
-- (the person's director) approves it; then 'active', or 'refused';
-- 'cancelled' when withdrawn or ended early.
CREATE TABLE person_proxy (
	id {{ID}},
	person_id INTEGER NOT NULL REFERENCES person(id),
	proxy_id INTEGER NOT NULL REFERENCES person(id),
	starts_at TEXT NOT NULL,
	ends_at TEXT NOT NULL,
	definitions TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	created_by INTEGER NOT NULL,
	created_at TEXT NOT NULL,
	approver_id INTEGER NOT NULL DEFAULT 0,
	decided_by INTEGER NOT NULL DEFAULT 0,
	decided_at TEXT NOT NULL DEFAULT '',
	decision_reason TEXT NOT NULL DEFAULT '',
	updated_at TEXT NOT NULL
){{STRICT}};
CREATE INDEX person_proxy_person ON person_proxy(person_id, ends_at);
CREATE INDEX person_proxy_status ON person_proxy(status, ends_at);
CREATE INDEX person_proxy_approver ON person_proxy(approver_id, status);

-- flow_task_proxy: a task that went to a standing proxy, keyed by the
-- task's id: on whose behalf (代) its assignee acts, and which proxy rule
-- sent it there.
CREATE TABLE flow_task_proxy (
	id INTEGER PRIMARY KEY,
	instance_id INTEGER NOT NULL,
	on_behalf_of INTEGER NOT NULL,
	on_behalf_name TEXT NOT NULL,
	proxy_rule INTEGER NOT NULL
){{STRICT}};
CREATE INDEX flow_task_proxy_person ON flow_task_proxy(on_behalf_of, id);
CREATE INDEX flow_task_proxy_instance ON flow_task_proxy(instance_id);
