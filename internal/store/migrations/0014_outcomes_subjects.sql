-- Issue 8: a process ends with a named outcome (转正 / 延长试用 / 辞退) and
-- may be bound to a domain record (a project's node plan): the record's
-- kind and id. Both are sealed with the instance.
ALTER TABLE flow_instance ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
ALTER TABLE flow_instance ADD COLUMN subject_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE flow_instance ADD COLUMN subject_id INTEGER NOT NULL DEFAULT 0;
CREATE INDEX flow_instance_subject ON flow_instance(subject_kind, subject_id) WHERE subject_kind <> '';
