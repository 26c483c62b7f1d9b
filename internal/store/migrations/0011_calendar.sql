-- The institute's working-day calendar (issue 8 §3): public holidays and
-- adjusted working days (调休), by date in the institute's zone; every
-- other day is a working day from Monday to Friday. A day is never
-- deleted: removing it sets removed_at (the record stays, sealed, with
-- its trail). At most one day in force per date.
CREATE TABLE calendar_day (
	id {{ID}},
	day TEXT NOT NULL,
	kind TEXT NOT NULL,
	name_zh TEXT NOT NULL,
	name_en TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	created_by INTEGER NOT NULL,
	removed_at TEXT NOT NULL DEFAULT '',
	removed_by INTEGER NOT NULL DEFAULT 0
){{STRICT}};
CREATE UNIQUE INDEX calendar_day_in_force ON calendar_day(day) WHERE removed_at = '';

-- shipped: whether the calendar shipped with LabFlow was loaded (once);
-- version: bumped by every change, so that each server reloads its copy.
CREATE TABLE calendar_state (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	shipped INTEGER NOT NULL,
	version INTEGER NOT NULL
){{STRICT}};
INSERT INTO calendar_state (id, shipped, version) VALUES (1, 0, 0);
