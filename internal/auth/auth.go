// Package auth signs people in and keeps them signed in: argon2id password
// hashes, server-side sessions keyed by the SHA-256 of a random cookie
// token, API tokens, per-account lockout (a name without an account locks
// alike) and per-address throttling, temporary passwords (set by someone
// other than their owner: to be changed first, and never signing), and
// re-authentication for electronic signatures (COMPLIANCE R8). Every
// sign-in, failure, lockout, sign-out, password change and token change is
// audited in the same write as the change (R1); hashes and secrets never
// reach the audit trail.
//
// Slow work (argon2) always happens before DB.Write: the write function runs
// on the shared group-commit goroutine and only issues SQL.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"
	"unicode/utf8"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/store"
)

// Config sets session lifetimes and sign-in limits. Zero fields take the
// defaults noted beside them.
type Config struct {
	IdleTimeout     time.Duration // a session ends after this long without use; default 30m
	AbsoluteTimeout time.Duration // a session ends this long after sign-in, whatever the use; default 12h
	MaxFailures     int           // consecutive failures per account before lockout; default 5
	Lockout         time.Duration // how long a locked account stays locked; default 15m
	IPMaxFailures   int           // failures per address within IPWindow before throttling; default 20
	IPWindow        time.Duration // the per-address counting window and block time; default 15m
	// MaxUnknownNames bounds how many names that belong to no account have
	// their failures remembered (oldest failure forgotten first); default 10000.
	MaxUnknownNames int
	// Zone is the institute's time zone, in which messages name the end of
	// a lock (stored times stay UTC); nil is UTC.
	Zone *time.Location
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.IdleTimeout, 30*time.Minute)
	def(&c.AbsoluteTimeout, 12*time.Hour)
	def(&c.Lockout, 15*time.Minute)
	def(&c.IPWindow, 15*time.Minute)
	if c.MaxFailures <= 0 {
		c.MaxFailures = 5
	}
	if c.IPMaxFailures <= 0 {
		c.IPMaxFailures = 20
	}
	if c.MaxUnknownNames <= 0 {
		c.MaxUnknownNames = 10000
	}
	if c.Zone == nil {
		c.Zone = time.UTC
	}
	return c
}

// Service authenticates people and manages their sessions, passwords and
// API tokens.
type Service struct {
	db     *store.DB
	cfg    Config
	tokens *store.PeopleCache[string, tokenOwner] // by secret hash (token_cache.go)
}

// New returns a service on db; zero fields of cfg take their defaults.
func New(db *store.DB, cfg Config) *Service {
	return &Service{db: db, cfg: cfg.withDefaults(), tokens: store.NewPeopleCache[string, tokenOwner](db, tokenCacheSize)}
}

// touchEvery is how stale last_seen_at / last_used_at may get before a read
// writes it again. Sessions therefore idle out at most this much early,
// which errs on the safe side, and most requests stay read-only.
const touchEvery = time.Minute

// MinPasswordLength and MaxPasswordLength bound new passwords, in characters.
const (
	MinPasswordLength = 8
	MaxPasswordLength = 256
)

// anonymous is the audit actor name of attempts made before anyone is signed in.
const anonymous = "anonymous"

// sessionKey carries the caller's session token in a context.
type sessionKey struct{}

// WithSessionToken returns a context that names the caller's own session
// token, so that ChangePassword keeps that session while ending the others.
// Without it, ChangePassword ends all of the actor's sessions.
func WithSessionToken(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, sessionKey{}, token)
}

func sessionTokenFrom(ctx context.Context) string {
	t, _ := ctx.Value(sessionKey{}).(string)
	return t
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func randomBytes(n int) ([]byte, error) {
	b := make([]byte, n)
	_, err := rand.Read(b)
	return b, err
}

func idText(id int64) string { return strconv.FormatInt(id, 10) }

// truncate cuts s to at most n runes (and valid UTF-8), for values that
// come from clients and land in rows or audit events.
func truncate(s string, n int) string {
	if !utf8.ValidString(s) {
		s = string([]rune(s)) // replaces invalid bytes
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// untilLayout names the end of a lock or a block in messages: the
// institute's local time with its offset from UTC, e.g.
// "2026-12-01 18:30 (UTC+08:00)".
const untilLayout = "2006-01-02 15:04 (UTC-07:00)"

// untilText is t in the institute's zone (Config.Zone), as messages show it.
func (s *Service) untilText(t time.Time) string { return t.In(s.cfg.Zone).Format(untilLayout) }

func (s *Service) lockedErr(op string, until time.Time) error {
	return domain.E(domain.KindTooMany, op, "auth.locked", "until", s.untilText(until))
}

// minutesUntil is how many whole minutes, rounded up, are left until t.
func minutesUntil(now, t time.Time) int {
	d := t.Sub(now)
	if d <= 0 {
		return 0
	}
	return int((d + time.Minute - 1) / time.Minute)
}

func unauth(op, key string) error { return domain.E(domain.KindUnauthenticated, op, key) }

// isSystem reports whether a is domain.System (CLI and internal work).
func isSystem(a domain.Actor) bool { return a.ID == 0 && a.Via == domain.System.Via }

// mayManage reports whether actor may manage personID's tokens: their own,
// or anyone's as system administrator or the system.
func mayManage(actor domain.Actor, personID int64) bool {
	return isSystem(actor) || actor.IsAdmin() || (actor.ID > 0 && actor.ID == personID)
}

// Actor returns a person with the grants in force, for the CLI and tests
// (Via "cli"). KindNotFound when there is no such person; KindUnauthenticated
// ("auth.inactive") when the person is deactivated.
func (s *Service) Actor(ctx context.Context, personID int64) (domain.Actor, error) {
	a, active, err := s.db.ActorByID(ctx, personID)
	if err != nil {
		return domain.Actor{}, err
	}
	if !active {
		return domain.Actor{}, unauth("auth.Actor", "auth.inactive")
	}
	a.Via = "cli"
	return a, nil
}

// countFailure records one more failed password check for a person inside
// tx (attempted by byID/byName: anonymous at sign-in), locking the account
// when the count reaches MaxFailures, and audits it (action with reason;
// "auth.lockout" when the account locks). The
// person's failed-login count stays at its value while locked, so after
// the lock ends one more failure locks again until a success resets it.
// It returns the lock end when the account is (now) locked, and the count
// of consecutive failures.
func (s *Service) countFailure(tx *store.Tx, personID, byID int64, byName, action, reason string, extra []audit.Change) (time.Time, int, error) {
	c, err := tx.Credential(personID)
	if err != nil {
		return time.Time{}, 0, err
	}
	now := tx.Now()
	if c.LockedUntil.After(now) {
		return c.LockedUntil, c.FailedLogins, nil // locked meanwhile by a concurrent attempt
	}
	n := c.FailedLogins + 1
	var until time.Time
	if n >= s.cfg.MaxFailures {
		until = now.Add(s.cfg.Lockout)
	}
	if err := tx.SetLoginFailures(personID, n, until); err != nil {
		return time.Time{}, 0, err
	}
	changes := append([]audit.Change{{Field: "failed_logins", Old: c.FailedLogins, New: n}}, extra...)
	if err := tx.Audit(audit.Entry{ActorID: byID, ActorName: byName, Action: action, Entity: "person", EntityID: idText(personID),
		Changes: changes, Reason: reason}); err != nil {
		return time.Time{}, 0, err
	}
	if until.IsZero() {
		return until, n, nil
	}
	return until, n, tx.Audit(audit.Entry{ActorName: "system", Action: "auth.lockout", Entity: "person", EntityID: idText(personID),
		Changes: []audit.Change{
			{Field: "locked_until", Old: store.TimeText(c.LockedUntil), New: store.TimeText(until)},
			{Field: "failed_logins", Old: c.FailedLogins, New: n},
		},
		Reason: strconv.Itoa(n) + " consecutive failed password checks"})
}

// countUnknownFailure is countFailure for a sign-in under a name that
// belongs to no account (audit entity "login", id the name): the same
// count, the same lock at MaxFailures for the same Lockout, the same
// re-lock after it ends, so that the answers to a made-up name follow the
// sequence a real account's would. Only as many names as MaxUnknownNames
// are remembered; the one whose last failure is oldest goes first.
func (s *Service) countUnknownFailure(tx *store.Tx, name string, extra []audit.Change) (time.Time, error) {
	before, after, err := tx.RecordUnknownLoginFailure(name)
	if err != nil {
		return time.Time{}, err
	}
	now := tx.Now()
	if after.LockedUntil.After(now) {
		return after.LockedUntil, nil // locked meanwhile by a concurrent attempt
	}
	if before.Failures == 0 {
		if _, err := tx.PruneUnknownLogins(s.cfg.MaxUnknownNames, name); err != nil {
			return time.Time{}, err
		}
	}
	var until time.Time
	if after.Failures >= s.cfg.MaxFailures {
		until = now.Add(s.cfg.Lockout)
		if err := tx.LockUnknownLogin(name, until); err != nil {
			return time.Time{}, err
		}
	}
	changes := append([]audit.Change{{Field: "failed_logins", Old: before.Failures, New: after.Failures}}, extra...)
	if err := tx.Audit(audit.Entry{ActorName: anonymous, Action: "auth.login_failed", Entity: "login", EntityID: name,
		Changes: changes, Reason: "unknown_user"}); err != nil {
		return time.Time{}, err
	}
	if until.IsZero() {
		return until, nil
	}
	return until, tx.Audit(audit.Entry{ActorName: "system", Action: "auth.lockout", Entity: "login", EntityID: name,
		Changes: []audit.Change{
			{Field: "locked_until", Old: store.TimeText(before.LockedUntil), New: store.TimeText(until)},
			{Field: "failed_logins", Old: before.Failures, New: after.Failures},
		},
		Reason: strconv.Itoa(after.Failures) + " consecutive failed sign-ins under a name that belongs to no account"})
}
