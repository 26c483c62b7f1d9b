package auth

import (
	"context"
	"encoding/base64"
	"strings"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/store"
)

// Session is a signed-in session. Token is the cookie value, known only to
// the client; the server keeps its SHA-256.
type Session struct {
	Token     string
	Actor     domain.Actor
	ExpiresAt time.Time // the absolute end; the idle timeout may end it sooner
}

// sessionTokenLen is the length of a session token: 32 random bytes in
// unpadded base64url.
var sessionTokenLen = base64.RawURLEncoding.EncodedLen(32)

// Login checks a username and password and opens a session.
//
// Every failure the client can cause — unknown user, wrong password,
// deactivated account, no password set — returns the same KindUnauthenticated
// "auth.bad_credentials", and an unknown user still costs one argon2 check,
// so neither the answer nor its timing tells which names exist. The audit
// trail records the real reason. A locked account returns KindTooMany
// "auth.locked" (argument "until"), and so does the failure that locks it;
// an address with too many recent failures gets KindTooMany "auth.throttled".
// Failures under a name that belongs to no account are counted and lock
// that name just as an account's would (countUnknownFailure), so the
// sequence of answers to repeated failures — including the lock and its
// end — is the same for a made-up name as for a real one.
//
// A person whose password is temporary (set by someone else) signs in
// normally; the session's actor has MustChangePassword set, and the web
// layer lets them do nothing but change it.
func (s *Service) Login(ctx context.Context, username, password, ip, userAgent string) (Session, error) {
	const op = "auth.Login"
	ip, userAgent = truncate(ip, 64), truncate(userAgent, 256)
	now := s.db.Now()
	th, err := s.db.IPThrottle(ctx, ip)
	if err != nil {
		return Session{}, err
	}
	if th.LockedUntil.After(now) {
		// Refused before any work, and not audited: a flood of refused
		// attempts must not be able to flood the trail either.
		return Session{}, domain.E(domain.KindTooMany, op, "auth.throttled", "until", s.untilText(th.LockedUntil))
	}

	name := strings.ToLower(strings.TrimSpace(username))
	cred, err := s.db.CredentialByUsername(ctx, name)
	known := err == nil
	if err != nil && !domain.IsKind(err, domain.KindNotFound) {
		return Session{}, err
	}
	meta := []audit.Change{{Field: "ip", Old: nil, New: ip}, {Field: "user_agent", Old: nil, New: userAgent}}
	// Who the attempt is recorded against: the person, or the name tried.
	entity, entityID, lockedUntil := "person", idText(cred.PersonID), cred.LockedUntil
	unknownName := truncate(name, 100)
	if !known {
		u, err := s.db.UnknownLogin(ctx, unknownName)
		if err != nil {
			return Session{}, err
		}
		entity, entityID, lockedUntil = "login", unknownName, u.LockedUntil
	}

	if lockedUntil.After(now) {
		// Locked: refuse without checking the password, but count the
		// attempt against the address.
		err := s.db.Write(ctx, func(tx *store.Tx) error {
			if _, err := tx.RecordIPFailure(ip, s.cfg.IPWindow, s.cfg.IPMaxFailures); err != nil {
				return err
			}
			return tx.Audit(audit.Entry{ActorName: anonymous, Action: "auth.login_failed", Entity: entity,
				EntityID: entityID, Changes: meta, Reason: "locked"})
		})
		if err != nil {
			return Session{}, err
		}
		return Session{}, s.lockedErr(op, lockedUntil)
	}

	hash := cred.PasswordHash
	if !known || hash == "" {
		hash = dummyHash()
	}
	match := CheckPassword(hash, password) // before the write: argon2 is slow
	reason := ""
	switch {
	case !known:
		reason = "unknown_user"
	case !cred.Active:
		reason = "inactive"
	case cred.PasswordHash == "":
		reason = "no_password"
	case !match:
		reason = "bad_password"
	}
	if reason != "" {
		var lockedUntil time.Time
		err := s.db.Write(ctx, func(tx *store.Tx) error {
			if _, err := tx.RecordIPFailure(ip, s.cfg.IPWindow, s.cfg.IPMaxFailures); err != nil {
				return err
			}
			var err error
			if !known {
				lockedUntil, err = s.countUnknownFailure(tx, unknownName, meta)
			} else {
				// A deactivated account counts too: it must answer as an
				// active one would.
				lockedUntil, _, err = s.countFailure(tx, cred.PersonID, 0, anonymous, "auth.login_failed", reason, meta)
			}
			return err
		})
		if err != nil {
			return Session{}, err
		}
		if !lockedUntil.IsZero() {
			return Session{}, s.lockedErr(op, lockedUntil)
		}
		return Session{}, unauth(op, "auth.bad_credentials")
	}

	raw, err := randomBytes(32)
	if err != nil {
		return Session{}, domain.Wrap(op, err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	var sess Session
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		c, err := tx.Credential(cred.PersonID)
		if err != nil {
			return err
		}
		now := tx.Now()
		if c.LockedUntil.After(now) {
			return s.lockedErr(op, c.LockedUntil)
		}
		if !c.Active || c.PasswordHash != cred.PasswordHash {
			return unauth(op, "auth.bad_credentials") // changed since we checked
		}
		changes := meta
		if c.FailedLogins != 0 || !c.LockedUntil.IsZero() {
			if err := tx.SetLoginFailures(c.PersonID, 0, time.Time{}); err != nil {
				return err
			}
			changes = append(changes, audit.Change{Field: "failed_logins", Old: c.FailedLogins, New: 0})
		}
		row := store.SessionRow{ID: sha256Hex(token), PersonID: c.PersonID, CreatedAt: now, LastSeenAt: now,
			ExpiresAt: now.Add(s.cfg.AbsoluteTimeout), IP: ip, UserAgent: userAgent}
		if err := tx.InsertSession(row); err != nil {
			return err
		}
		a, _, err := tx.ActorByID(c.PersonID)
		if err != nil {
			return err
		}
		a.Via = "session"
		sess = Session{Token: token, Actor: a, ExpiresAt: row.ExpiresAt}
		return tx.Audit(audit.Entry{ActorID: a.ID, ActorName: a.Name, Action: "auth.login", Entity: "person",
			EntityID: idText(a.ID), Changes: changes})
	})
	if err != nil {
		return Session{}, err
	}
	return sess, nil
}

// Session returns the actor of an open session (Via "session") and slides
// its idle timeout. It returns KindUnauthenticated ("auth.session_invalid")
// when the token is unknown or malformed, the session was ended, has been
// idle for IdleTimeout, is older than AbsoluteTimeout, or its person was
// deactivated.
func (s *Service) Session(ctx context.Context, token string) (domain.Actor, error) {
	const op = "auth.Session"
	if len(token) != sessionTokenLen {
		return domain.Actor{}, unauth(op, "auth.session_invalid")
	}
	id := sha256Hex(token)
	row, err := s.db.SessionByID(ctx, id)
	if domain.IsKind(err, domain.KindNotFound) {
		return domain.Actor{}, unauth(op, "auth.session_invalid")
	} else if err != nil {
		return domain.Actor{}, err
	}
	now := s.db.Now()
	if !row.EndedAt.IsZero() || !now.Before(row.ExpiresAt) || !now.Before(row.LastSeenAt.Add(s.cfg.IdleTimeout)) {
		return domain.Actor{}, unauth(op, "auth.session_invalid")
	}
	a, active, err := s.db.ActorByID(ctx, row.PersonID)
	if err != nil {
		return domain.Actor{}, err
	}
	if !active {
		return domain.Actor{}, unauth(op, "auth.session_invalid")
	}
	if now.Sub(row.LastSeenAt) >= touchEvery {
		// Activity bookkeeping, not a record change: not audited.
		if err := s.db.Write(ctx, func(tx *store.Tx) error { return tx.TouchSession(id) }); err != nil {
			return domain.Actor{}, err
		}
	}
	a.Via = "session"
	return a, nil
}

// Logout ends the session of token and audits "auth.logout". An unknown or
// already ended session is not an error.
func (s *Service) Logout(ctx context.Context, token string) error {
	if len(token) != sessionTokenLen {
		return nil
	}
	id := sha256Hex(token)
	row, err := s.db.SessionByID(ctx, id)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	a, _, err := s.db.ActorByID(ctx, row.PersonID)
	if err != nil {
		return err
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		ended, err := tx.EndSession(id)
		if err != nil || !ended {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: a.ID, ActorName: a.Name, Action: "auth.logout", Entity: "person",
			EntityID: idText(a.ID), Changes: []audit.Change{{Field: "session_created_at", Old: nil, New: store.TimeText(row.CreatedAt)}}})
	})
}

// Reauthenticate checks actor's password again, for electronic signatures
// (COMPLIANCE R8): a session alone never signs. A temporary password — one
// that someone other than its owner set (SetPassword) — never signs either:
// while the stored password is temporary it returns KindForbidden
// "auth.temporary_password" without checking it, so that nobody can sign
// with a password an administrator chose. An empty password returns
// KindUnauthenticated "auth.reauth_failed" with Fields["password"].
//
// A wrong password counts toward the account lockout (the lockout Part 11
// asks for: the same count as sign-ins) and is audited as
// "auth.reauth_failed". It says so, and how many attempts are left before
// the lock: KindUnauthenticated "auth.signature_wrong" (arguments left,
// minutes) with Fields["password"] "auth.signature_wrong_left". The
// failure that locks the account, and any attempt while it is locked,
// return KindTooMany "auth.signature_locked" (arguments until — the end of
// the lock in the institute's zone, Config.Zone —, minutes left, and max,
// the failures that lock), also with Fields["password"]; the lock itself
// is audited as "auth.lockout".
func (s *Service) Reauthenticate(ctx context.Context, actor domain.Actor, password string) error {
	const op = "auth.Reauthenticate"
	_, err := s.checkOwnPassword(ctx, op, actor, password, "password", "reauthenticate", domain.KindUnauthenticated, "auth.reauth_failed", true)
	return err
}

// signatureLocked is the refusal of a signature while the account is
// locked until until.
func (s *Service) signatureLocked(op string, now, until time.Time) error {
	args := map[string]any{"until": s.untilText(until), "minutes": minutesUntil(now, until), "max": s.cfg.MaxFailures}
	return &domain.Error{Kind: domain.KindTooMany, Op: op, Key: "auth.signature_locked", Args: args,
		Fields: map[string]domain.Msg{"password": {Key: "auth.signature_locked_field", Args: args}}}
}

// checkOwnPassword verifies actor's current password, counting a failure
// toward lockout, and returns the credential it checked. A failure is an
// error of kind with Fields[field]. With refuseTemporary, a temporary
// password is refused (KindForbidden "auth.temporary_password") before it
// is checked.
func (s *Service) checkOwnPassword(ctx context.Context, op string, actor domain.Actor, password, field, purpose string, kind domain.Kind, errKey string, refuseTemporary bool) (store.Credential, error) {
	fail := func(key string) error {
		return &domain.Error{Kind: kind, Op: op, Key: errKey, Fields: map[string]domain.Msg{field: {Key: key}}}
	}
	if actor.ID <= 0 {
		return store.Credential{}, fail("auth.wrong_password")
	}
	cred, err := s.db.CredentialByID(ctx, actor.ID)
	if domain.IsKind(err, domain.KindNotFound) {
		return cred, fail("auth.wrong_password")
	} else if err != nil {
		return cred, err
	}
	if !cred.Active {
		return cred, unauth(op, "auth.session_invalid")
	}
	if refuseTemporary && cred.PasswordTemporary {
		return cred, domain.E(domain.KindForbidden, op, "auth.temporary_password")
	}
	signing := purpose == "reauthenticate"
	if now := s.db.Now(); cred.LockedUntil.After(now) {
		if signing {
			return cred, s.signatureLocked(op, now, cred.LockedUntil)
		}
		return cred, s.lockedErr(op, cred.LockedUntil)
	}
	if password == "" {
		return cred, fail("field.required")
	}
	hash := cred.PasswordHash
	if hash == "" {
		hash = dummyHash()
	}
	if CheckPassword(hash, password) && cred.PasswordHash != "" {
		if cred.FailedLogins == 0 {
			return cred, nil
		}
		return cred, s.db.Write(ctx, func(tx *store.Tx) error { return tx.SetLoginFailures(actor.ID, 0, time.Time{}) })
	}
	var until, now time.Time
	var failures int
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		now = tx.Now()
		until, failures, err = s.countFailure(tx, actor.ID, actor.ID, actor.Name, "auth.reauth_failed", "bad_password",
			[]audit.Change{{Field: "purpose", Old: nil, New: purpose}})
		return err
	})
	if err != nil {
		return cred, err
	}
	switch {
	case !until.IsZero() && signing:
		return cred, s.signatureLocked(op, now, until)
	case !until.IsZero():
		return cred, s.lockedErr(op, until)
	case signing:
		// Say that the password was wrong, and how many attempts are left
		// before the lock.
		args := map[string]any{"left": s.cfg.MaxFailures - failures, "minutes": minutesUntil(now, now.Add(s.cfg.Lockout))}
		return cred, &domain.Error{Kind: kind, Op: op, Key: "auth.signature_wrong", Args: args,
			Fields: map[string]domain.Msg{field: {Key: "auth.signature_wrong_left", Args: args}}}
	}
	return cred, fail("auth.wrong_password")
}
