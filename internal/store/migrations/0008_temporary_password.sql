-- A password set by anyone but its owner — an administrator's reset, an
-- administrator creating a person with a password, the CLI — is temporary
-- (COMPLIANCE R8, R12): it must be changed at the next sign-in before
-- anything else, and it never completes an electronic signature. Existing
-- passwords stay as they are (permanent).
ALTER TABLE person ADD COLUMN password_temporary INTEGER NOT NULL DEFAULT 0;

-- Failed sign-ins under names that belong to no account are counted and
-- locked like an account's (person.failed_logins, person.locked_until), so
-- that the answers to a made-up name are the same as to a real one. Keyed
-- by the lower-cased name as typed (cut to 100 characters); the service
-- keeps the table to a bounded number of rows, oldest failure out first.
CREATE TABLE login_unknown (
	username TEXT PRIMARY KEY,
	failures INTEGER NOT NULL,
	locked_until TEXT NOT NULL DEFAULT '',
	failed_at TEXT NOT NULL
){{STRICT}};
CREATE INDEX login_unknown_failed_at ON login_unknown(failed_at);
