-- A password set by anyone but its owner — an administrator's reset, an
-- administrator creating a person with a password, the CLI — is temporary
-- (COMPLIANCE R8, R12): it must be changed at the next sign-in before
-- anything else, and it never completes an electronic signature. Existing
-- passwords stay as they are (permanent).
ALTER TABLE person ADD COLUMN password_temporary INTEGER NOT NULL DEFAULT 0;
