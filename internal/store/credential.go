package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"labflow/internal/domain"
)

// Credential is what sign-in needs to know about a person: identity, the
// password hash, whether the account is active and its failed-login state.
type Credential struct {
	PersonID          int64
	Username          string
	Name              string
	Lang              string
	Active            bool
	PasswordHash      string
	PasswordChangedAt time.Time
	FailedLogins      int
	LockedUntil       time.Time
	// PasswordTemporary is set while the password is one that someone other
	// than its owner set (COMPLIANCE R8): it must be changed before anything
	// else and never completes an electronic signature.
	PasswordTemporary bool
}

const credCols = "id, username, name, lang, active, password_hash, password_changed_at, failed_logins, locked_until, password_temporary"

func scanCredential(row *sql.Row) (Credential, error) {
	var c Credential
	var active, temporary int
	err := row.Scan(&c.PersonID, &c.Username, &c.Name, &c.Lang, &active, &c.PasswordHash, timeCol{&c.PasswordChangedAt}, &c.FailedLogins, timeCol{&c.LockedUntil}, &temporary)
	c.Active = active != 0
	c.PasswordTemporary = temporary != 0
	return c, err
}

// CredentialByUsername reads a person's sign-in state by login name from
// the read pool. It returns KindNotFound when there is no such person.
func (db *DB) CredentialByUsername(ctx context.Context, username string) (Credential, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	c, err := scanCredential(db.R().QueryRowContext(ctx, "SELECT "+credCols+" FROM person WHERE username = $1", username))
	return c, mapErr("store.CredentialByUsername", err)
}

// CredentialByID reads a person's sign-in state by id from the read pool.
// It returns KindNotFound when there is no such person.
func (db *DB) CredentialByID(ctx context.Context, personID int64) (Credential, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	c, err := scanCredential(db.R().QueryRowContext(ctx, "SELECT "+credCols+" FROM person WHERE id = $1", personID))
	return c, mapErr("store.CredentialByID", err)
}

// Credential reads a person's sign-in state inside the write transaction,
// locking the row on PostgreSQL so that failure counters from concurrent
// processes do not overwrite each other. KindNotFound when absent.
func (t *Tx) Credential(personID int64) (Credential, error) {
	c, err := scanCredential(t.tx.QueryRowContext(t.ctx, "SELECT "+credCols+" FROM person WHERE id = $1"+t.db.dialect.forUpdate(), personID))
	return c, mapErr("store.Tx.Credential", err)
}

// SetLoginFailures stores a person's consecutive failed-login count and the
// time until which the account is locked (zero: not locked).
func (t *Tx) SetLoginFailures(personID int64, failures int, lockedUntil time.Time) error {
	_, err := t.Exec("UPDATE person SET failed_logins = $1, locked_until = $2 WHERE id = $3",
		failures, TimeText(lockedUntil), personID)
	return mapErr("store.SetLoginFailures", err)
}

// SetPasswordHash replaces a person's password hash, records when it
// changed, whether it is temporary (set by someone other than its owner),
// and clears the failed-login count and lock. When oldHash is not nil, the
// update only happens if the stored hash still equals *oldHash; otherwise
// KindConflict is returned (someone changed it meanwhile).
func (t *Tx) SetPasswordHash(personID int64, hash string, oldHash *string, temporary bool) error {
	q := "UPDATE person SET password_hash = $1, password_changed_at = $2, failed_logins = 0, locked_until = '', updated_at = $2, password_temporary = $3 WHERE id = $4"
	args := []any{hash, TimeText(t.now), boolInt(temporary), personID}
	if oldHash != nil {
		q += " AND password_hash = $5"
		args = append(args, *oldHash)
	}
	res, err := t.Exec(q, args...)
	if err != nil {
		return mapErr("store.SetPasswordHash", err)
	}
	t.touch("person", personID)
	if n, err := res.RowsAffected(); err != nil {
		return mapErr("store.SetPasswordHash", err)
	} else if n == 0 {
		if oldHash != nil {
			return domain.Conflict("store.SetPasswordHash", "error.conflict")
		}
		return domain.NotFound("store.SetPasswordHash", "entity.person")
	}
	return nil
}

// SetPasswordTemporary marks a person's password temporary or not, for a
// password stored with the person (InsertPerson).
func (t *Tx) SetPasswordTemporary(personID int64, temporary bool) error {
	_, err := t.Exec("UPDATE person SET password_temporary = $1 WHERE id = $2", boolInt(temporary), personID)
	t.touch("person", personID)
	return mapErr("store.SetPasswordTemporary", err)
}

// IPThrottle is the per-address failed-login state.
type IPThrottle struct {
	IP          string
	Failures    int
	WindowStart time.Time
	LockedUntil time.Time
}

// IPThrottle reads the throttle state of ip; an address never seen has the
// zero state (and no error).
func (db *DB) IPThrottle(ctx context.Context, ip string) (IPThrottle, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	th := IPThrottle{IP: ip}
	err := db.R().QueryRowContext(ctx, "SELECT failures, window_start, locked_until FROM login_throttle WHERE ip = $1", ip).
		Scan(&th.Failures, timeCol{&th.WindowStart}, timeCol{&th.LockedUntil})
	if errors.Is(err, sql.ErrNoRows) {
		return th, nil
	}
	return th, mapErr("store.IPThrottle", err)
}

// RecordIPFailure counts one failed sign-in from ip in a window of length
// window: a window that began at or before now-window starts afresh. When
// the count reaches max the address is locked until now+window. It returns
// the new state.
func (t *Tx) RecordIPFailure(ip string, window time.Duration, max int) (IPThrottle, error) {
	now := TimeText(t.now)
	stale := TimeText(t.now.Add(-window))
	th := IPThrottle{IP: ip}
	// One statement, so that concurrent processes on PostgreSQL cannot lose
	// an increment between a read and a write.
	err := t.tx.QueryRowContext(t.ctx, `INSERT INTO login_throttle (ip, failures, window_start, locked_until) VALUES ($1, 1, $2, '')
		ON CONFLICT (ip) DO UPDATE SET
			failures = CASE WHEN login_throttle.window_start <= $3 THEN 1 ELSE login_throttle.failures + 1 END,
			window_start = CASE WHEN login_throttle.window_start <= $3 THEN $2 ELSE login_throttle.window_start END
		RETURNING failures, window_start, locked_until`, ip, now, stale).Scan(&th.Failures, timeCol{&th.WindowStart}, timeCol{&th.LockedUntil})
	if err != nil {
		return th, mapErr("store.RecordIPFailure", err)
	}
	if th.Failures >= max && !th.LockedUntil.After(t.now) {
		th.LockedUntil = t.now.Add(window)
		if _, err := t.Exec("UPDATE login_throttle SET locked_until = $1 WHERE ip = $2", TimeText(th.LockedUntil), ip); err != nil {
			return th, mapErr("store.RecordIPFailure", err)
		}
	}
	return th, nil
}

// ActorByID loads a person as an actor with the grants in force
// (role_grant rows whose revoked_at is empty), and whether the person is
// active. Via is left empty for the caller to set. KindNotFound when absent.
func (db *DB) ActorByID(ctx context.Context, personID int64) (domain.Actor, bool, error) {
	return loadActor(ctx, db.R(), personID)
}

// ActorByID is DB.ActorByID inside a write transaction.
func (t *Tx) ActorByID(personID int64) (domain.Actor, bool, error) {
	return loadActor(t.ctx, t, personID)
}

func loadActor(ctx context.Context, r Reader, personID int64) (domain.Actor, bool, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	const op = "store.ActorByID"
	// One query for the person and their active grants (one row per grant,
	// or one row with no grant): every authenticated request loads an actor.
	rows, err := r.QueryContext(ctx, `SELECT `+actorCols+`
		FROM person p LEFT JOIN role_grant g ON g.person_id = p.id AND g.revoked_at = ''
		WHERE p.id = $1 ORDER BY g.id`, personID)
	if err != nil {
		return domain.Actor{}, false, mapErr(op, err)
	}
	return scanActor(op, rows)
}

const actorCols = "p.id, p.username, p.name, p.lang, p.active, p.password_temporary, COALESCE(g.role, ''), COALESCE(g.department_id, 0)"

// scanActor reads an actor from rows of actorCols (one per active grant)
// and closes rows; lead receives the columns before actorCols of the first
// row. No row is KindNotFound.
func scanActor(op string, rows *sql.Rows, lead ...any) (domain.Actor, bool, error) {
	defer rows.Close()
	var a domain.Actor
	var active, temporary int
	found := false
	for rows.Next() {
		var role string
		var dept int64
		dest := []any{&a.ID, &a.Username, &a.Name, &a.Lang, &active, &temporary, &role, &dept}
		if !found {
			dest = append(lead, dest...)
		} else if len(lead) > 0 {
			skip := make([]any, len(lead))
			for i := range skip {
				skip[i] = new(any)
			}
			dest = append(skip, dest...)
		}
		if err := rows.Scan(dest...); err != nil {
			return a, false, mapErr(op, err)
		}
		found = true
		if role != "" {
			a.Grants = append(a.Grants, domain.Grant{Role: domain.Role(role), DepartmentID: dept})
		}
	}
	if err := rows.Err(); err != nil {
		return a, false, mapErr(op, err)
	}
	if !found {
		return a, false, domain.NotFound(op, "entity.person")
	}
	a.MustChangePassword = temporary != 0
	return a, active != 0, nil
}
