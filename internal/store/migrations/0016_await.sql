-- Issue 8: a step can wait for another request to end (the pilot closure
-- waits for the stability study). The waiting instance's state says what
-- it waits for; this index finds the waiters when a request ends.
CREATE TABLE flow_await (
	instance_id INTEGER NOT NULL,
	step_id TEXT NOT NULL,
	awaits_id INTEGER NOT NULL,
	PRIMARY KEY (instance_id, step_id, awaits_id)
){{STRICT}};
CREATE INDEX flow_await_awaits ON flow_await(awaits_id);
