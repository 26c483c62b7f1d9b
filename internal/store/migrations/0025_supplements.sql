-- Issue 10, part psupp: supplementary requests (发补, SPEC PRJ-10, DIR-10,
-- COMPLIANCE §4.3 item 7) and escalations of a major difficulty (PRJ-11).
-- Every row but the kinds is a sealed GxP record (seal.go).

-- The kinds of notice and the days each gives to answer (calendar days
-- from the notice's date): data, read when a notice is recorded; the
-- notice keeps the days it was given.
CREATE TABLE supplement_kind (
	code TEXT NOT NULL PRIMARY KEY,
	name_zh TEXT NOT NULL,
	name_en TEXT NOT NULL,
	days INTEGER NOT NULL,
	position INTEGER NOT NULL DEFAULT 0
){{STRICT}};
INSERT INTO supplement_kind (code, name_zh, name_en, days, position) VALUES
	('registration', '药品注册发补通知', 'Registration supplement notice', 80, 1),
	('consistency', '一致性评价发补通知', 'Consistency evaluation supplement notice', 80, 2),
	('rules_2007', '按2007年办法（4个月）', 'Under the 2007 rules (4 months)', 120, 3);

-- A notice (发补通知): its date, number, file (an attachment, by hash and name), the
-- days it gives and the day the response is due; state: open (answers being
-- gathered, the clock running), submitted (the response, once, being
-- approved), approved. instance_id is the response's process.
CREATE TABLE supplement (
	id {{ID}},
	project_id INTEGER NOT NULL REFERENCES project(id),
	kind TEXT NOT NULL,
	number TEXT NOT NULL DEFAULT '',
	title TEXT NOT NULL,
	notice_date TEXT NOT NULL,
	days INTEGER NOT NULL,
	due_on TEXT NOT NULL,
	file_hash TEXT NOT NULL DEFAULT '',
	file_name TEXT NOT NULL DEFAULT '',
	state TEXT NOT NULL,
	response TEXT NOT NULL DEFAULT '',
	recorded_by INTEGER NOT NULL,
	recorded_name TEXT NOT NULL,
	created_at TEXT NOT NULL,
	instance_id INTEGER NOT NULL DEFAULT 0,
	submitted_by INTEGER NOT NULL DEFAULT 0,
	submitted_at TEXT NOT NULL DEFAULT '',
	decided_at TEXT NOT NULL DEFAULT ''
){{STRICT}};
CREATE INDEX supplement_project ON supplement(project_id, id);

-- A notice's questions, tracked: owner, due day, state open → answered →
-- closed (closed and frozen when the response is submitted).
CREATE TABLE supplement_question (
	id {{ID}},
	supplement_id INTEGER NOT NULL REFERENCES supplement(id),
	project_id INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	question TEXT NOT NULL,
	owner_id INTEGER NOT NULL,
	due_on TEXT NOT NULL,
	state TEXT NOT NULL,
	answer TEXT NOT NULL DEFAULT '',
	answered_by INTEGER NOT NULL DEFAULT 0,
	answered_at TEXT NOT NULL DEFAULT '',
	closed_at TEXT NOT NULL DEFAULT ''
){{STRICT}};
CREATE UNIQUE INDEX supplement_question_seq ON supplement_question(supplement_id, seq);

-- What a question's answer rests on: a process (a new experiment, a sample
-- booking) by its id, or a file (a document) by its SHA-256.
CREATE TABLE supplement_link (
	id {{ID}},
	supplement_id INTEGER NOT NULL REFERENCES supplement(id),
	question_id INTEGER NOT NULL REFERENCES supplement_question(id),
	kind TEXT NOT NULL,
	ref TEXT NOT NULL,
	label TEXT NOT NULL,
	added_by INTEGER NOT NULL,
	added_at TEXT NOT NULL
){{STRICT}};
CREATE INDEX supplement_link_question ON supplement_link(question_id, id);

-- An escalation (PRJ-11): a major difficulty, its department topic meeting
-- (专题讨论会; formulation: 项目组会) and, if that did not resolve it, the
-- Technical Committee's decision. state: meeting, resolved, unresolved,
-- committee, decided.
CREATE TABLE project_escalation (
	id {{ID}},
	project_id INTEGER NOT NULL REFERENCES project(id),
	node TEXT NOT NULL DEFAULT '',
	title TEXT NOT NULL,
	difficulty TEXT NOT NULL,
	department_id INTEGER NOT NULL,
	state TEXT NOT NULL,
	meeting_instance_id INTEGER NOT NULL DEFAULT 0,
	committee_instance_id INTEGER NOT NULL DEFAULT 0,
	decision TEXT NOT NULL DEFAULT '',
	opened_by INTEGER NOT NULL,
	opened_name TEXT NOT NULL,
	created_at TEXT NOT NULL,
	decided_at TEXT NOT NULL DEFAULT ''
){{STRICT}};
CREATE INDEX project_escalation_project ON project_escalation(project_id, id);
