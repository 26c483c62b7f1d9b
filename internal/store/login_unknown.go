package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// UnknownLogin is the failed sign-in state of a name that belongs to no
// account, kept like an account's so that the answers do not tell the two
// apart.
type UnknownLogin struct {
	Username    string
	Failures    int
	LockedUntil time.Time // zero: not locked
	FailedAt    time.Time // the last counted failure
}

// UnknownLogin reads the state of a name from the read pool; a name never
// seen has the zero state (and no error).
func (db *DB) UnknownLogin(ctx context.Context, username string) (UnknownLogin, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	u := UnknownLogin{Username: username}
	err := db.R().QueryRowContext(ctx, "SELECT failures, locked_until, failed_at FROM login_unknown WHERE username = $1", username).
		Scan(&u.Failures, timeCol{&u.LockedUntil}, timeCol{&u.FailedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return u, nil
	}
	return u, mapErr("store.UnknownLogin", err)
}

// RecordUnknownLoginFailure counts one more failed sign-in under a name
// that belongs to no account, unless the name is locked at the
// transaction's time, and returns the state before and after. One
// statement, so that concurrent processes on PostgreSQL cannot lose an
// increment.
func (t *Tx) RecordUnknownLoginFailure(username string) (before, after UnknownLogin, err error) {
	const op = "store.RecordUnknownLoginFailure"
	now := TimeText(t.now)
	after = UnknownLogin{Username: username}
	err = t.tx.QueryRowContext(t.ctx, `INSERT INTO login_unknown (username, failures, locked_until, failed_at) VALUES ($1, 1, '', $2)
		ON CONFLICT (username) DO UPDATE SET
			failures = CASE WHEN login_unknown.locked_until > $2 THEN login_unknown.failures ELSE login_unknown.failures + 1 END,
			failed_at = CASE WHEN login_unknown.locked_until > $2 THEN login_unknown.failed_at ELSE $2 END
		RETURNING failures, locked_until, failed_at`, username, now).Scan(&after.Failures, timeCol{&after.LockedUntil}, timeCol{&after.FailedAt})
	if err != nil {
		return before, after, mapErr(op, err)
	}
	before = after
	if !after.LockedUntil.After(t.now) {
		before.Failures--
	}
	return before, after, nil
}

// LockUnknownLogin locks a name that belongs to no account until the given time.
func (t *Tx) LockUnknownLogin(username string, until time.Time) error {
	_, err := t.Exec("UPDATE login_unknown SET locked_until = $1 WHERE username = $2", TimeText(until), username)
	return mapErr("store.LockUnknownLogin", err)
}

// PruneUnknownLogins keeps at most max names in the table, deleting those
// whose last failure is oldest (never the name keep), and returns how many
// it deleted.
func (t *Tx) PruneUnknownLogins(max int, keep string) (int64, error) {
	const op = "store.PruneUnknownLogins"
	var n int
	if err := t.tx.QueryRowContext(t.ctx, "SELECT COUNT(*) FROM login_unknown").Scan(&n); err != nil {
		return 0, mapErr(op, err)
	}
	if n <= max {
		return 0, nil
	}
	res, err := t.Exec(`DELETE FROM login_unknown WHERE username IN (
		SELECT username FROM login_unknown WHERE username <> $1 ORDER BY failed_at, username LIMIT $2)`, keep, n-max)
	if err != nil {
		return 0, mapErr(op, err)
	}
	d, err := res.RowsAffected()
	return d, mapErr(op, err)
}
