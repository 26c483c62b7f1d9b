package auth

import (
	"context"
	"encoding/base32"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/store"
)

// checkNewPassword applies the password policy to a new password.
func checkNewPassword(c *domain.Checker, field, pw string) {
	n := utf8.RuneCountInString(pw)
	switch {
	case strings.TrimSpace(pw) == "":
		c.Add(field, "field.required")
	case !utf8.ValidString(pw):
		c.Add(field, "field.bad_text")
	case n < MinPasswordLength:
		c.Add(field, "field.password_short", "min", MinPasswordLength)
	case n > MaxPasswordLength:
		c.Add(field, "field.too_long", "max", MaxPasswordLength)
	}
}

// ChangePassword changes actor's own password after checking the old one.
// Input problems are KindInvalid with Fields "old_password" (required, or
// "auth.wrong_password", which also counts toward lockout) or
// "new_password" (policy, or "auth.password_same"). On success the new
// password is the owner's own, so it is permanent (a temporary one is
// cleared); the actor's other sessions end — all but the one named with
// WithSessionToken in ctx — and every API token of the actor is revoked,
// all in the write that audits "auth.password_change".
func (s *Service) ChangePassword(ctx context.Context, actor domain.Actor, oldPassword, newPassword string) error {
	const op = "auth.ChangePassword"
	var c domain.Checker
	if oldPassword == "" {
		c.Add("old_password", "field.required")
	}
	checkNewPassword(&c, "new_password", newPassword)
	if oldPassword != "" && newPassword == oldPassword {
		c.Add("new_password", "auth.password_same")
	}
	if err := c.Err(op); err != nil {
		return err
	}
	if actor.ID <= 0 {
		return unauth(op, "auth.session_invalid")
	}
	cred, err := s.checkOwnPassword(ctx, op, actor, oldPassword, "old_password", "change_password", domain.KindInvalid, "error.invalid", false)
	if err != nil {
		return err
	}
	hash, err := HashPassword(newPassword)
	if err != nil {
		return domain.Wrap(op, err)
	}
	keep := ""
	if t := sessionTokenFrom(ctx); t != "" {
		keep = sha256Hex(t)
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		if err := tx.SetPasswordHash(actor.ID, hash, &cred.PasswordHash, false); err != nil {
			return err
		}
		changes := []audit.Change{{Field: "password_changed_at", Old: store.TimeText(cred.PasswordChangedAt), New: store.TimeText(tx.Now())}}
		if cred.PasswordTemporary {
			changes = append(changes, audit.Change{Field: "password_temporary", Old: true, New: false})
		}
		ended, err := s.endAccess(tx, actor.ID, keep)
		if err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actor.Name, Action: "auth.password_change",
			Entity: "person", EntityID: idText(actor.ID), Changes: append(changes, ended...)})
	})
}

// endAccess ends a person's sessions (all but keep, a session id or "") and
// revokes all their API tokens inside tx, after a password change or
// reset: whoever held the old password may have made either. It returns
// the audit changes that say what ended.
func (s *Service) endAccess(tx *store.Tx, personID int64, keep string) ([]audit.Change, error) {
	ended, err := tx.EndPersonSessions(personID, keep)
	if err != nil {
		return nil, err
	}
	revoked, err := tx.RevokePersonTokens(personID)
	if err != nil {
		return nil, err
	}
	changes := []audit.Change{
		{Field: "sessions_ended", Old: nil, New: ended},
		{Field: "tokens_revoked", Old: nil, New: len(revoked)},
	}
	if len(revoked) > 0 {
		changes = append(changes, audit.Change{Field: "revoked_token_ids", Old: nil, New: revoked})
	}
	return changes, nil
}

// SetPassword sets a person's password without the old one: an
// administrator's reset (actor holds sysadmin) or the system's (CLI).
// Because someone other than the owner chose it, the password is temporary
// (COMPLIANCE R8, R12): the person must change it at the next sign-in
// before doing anything else, and it never completes an electronic
// signature (Reauthenticate refuses it) — so an administrator who knows it
// cannot sign in the person's name. This holds for a reset of one's own
// password too: only ChangePassword, which asks for the old one, sets a
// permanent password. SetPassword clears the failed-login count and lock,
// ends the person's sessions (except the caller's own, see
// WithSessionToken), revokes all their API tokens and audits
// "auth.password_reset" (never the hash), in one write. Others get
// KindForbidden; a bad password is KindInvalid on "password"; an unknown
// person KindNotFound.
func (s *Service) SetPassword(ctx context.Context, actor domain.Actor, personID int64, newPassword string) error {
	return s.setPassword(ctx, "auth.SetPassword", actor, personID, newPassword, true)
}

// SetPermanentPassword is SetPassword for in-process work only (actors with
// Via "system": the CLI's "user passwd --permanent", seeding): the password
// is not temporary. Any other actor gets KindForbidden — no request can set
// a permanent password for someone else.
func (s *Service) SetPermanentPassword(ctx context.Context, actor domain.Actor, personID int64, newPassword string) error {
	const op = "auth.SetPermanentPassword"
	if actor.Via != domain.System.Via {
		return domain.Forbidden(op)
	}
	return s.setPassword(ctx, op, actor, personID, newPassword, false)
}

func (s *Service) setPassword(ctx context.Context, op string, actor domain.Actor, personID int64, newPassword string, temporary bool) error {
	if !isSystem(actor) && !actor.IsAdmin() {
		return domain.Forbidden(op)
	}
	var c domain.Checker
	checkNewPassword(&c, "password", newPassword)
	if err := c.Err(op); err != nil {
		return err
	}
	cred, err := s.db.CredentialByID(ctx, personID)
	if err != nil {
		if domain.IsKind(err, domain.KindNotFound) {
			return domain.NotFound(op, "entity.person")
		}
		return err
	}
	hash, err := HashPassword(newPassword)
	if err != nil {
		return domain.Wrap(op, err)
	}
	keep := ""
	if t := sessionTokenFrom(ctx); t != "" && personID == actor.ID {
		keep = sha256Hex(t)
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		old, err := tx.Credential(personID)
		if err != nil {
			return err
		}
		if err := tx.SetPasswordHash(personID, hash, nil, temporary); err != nil {
			return err
		}
		changes := []audit.Change{
			{Field: "password_changed_at", Old: store.TimeText(cred.PasswordChangedAt), New: store.TimeText(tx.Now())},
			{Field: "password_temporary", Old: old.PasswordTemporary, New: temporary},
		}
		ended, err := s.endAccess(tx, personID, keep)
		if err != nil {
			return err
		}
		changes = append(changes, ended...)
		if old.FailedLogins != 0 {
			changes = append(changes, audit.Change{Field: "failed_logins", Old: old.FailedLogins, New: 0})
		}
		if !old.LockedUntil.IsZero() {
			changes = append(changes, audit.Change{Field: "locked_until", Old: store.TimeText(old.LockedUntil), New: ""})
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actor.Name, Action: "auth.password_reset",
			Entity: "person", EntityID: idText(personID), Changes: changes})
	})
}

// Token is an API token as listed; the secret itself is shown only once,
// by CreateToken.
type Token struct {
	ID         int64
	PersonID   int64
	Name       string
	Prefix     string // the secret's first characters, to tell tokens apart
	CreatedAt  time.Time
	LastUsedAt time.Time // zero if never used
	RevokedAt  time.Time // zero while active
}

func tokenFrom(k store.APIToken) Token {
	return Token{ID: k.ID, PersonID: k.PersonID, Name: k.Name, Prefix: k.Prefix,
		CreatedAt: k.CreatedAt, LastUsedAt: k.LastUsedAt, RevokedAt: k.RevokedAt}
}

// tokenPrefix starts every API token secret, so that leaked secrets are
// easy to recognise (secret scanners, logs).
const tokenPrefix = "lf_"

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// tokenSecretLen is the length of a secret: the prefix and 32 random bytes
// in unpadded lowercase base32.
var tokenSecretLen = len(tokenPrefix) + b32.EncodedLen(32)

// CreateToken creates an API token for personID: one's own, or anyone's as
// system administrator or domain.System (others: KindForbidden). The name
// is required, at most 100 characters (KindInvalid on "name"). It returns
// the secret, shown this once and stored only as its SHA-256, and audits
// "token.create". A deactivated person gets none (KindConflict).
func (s *Service) CreateToken(ctx context.Context, actor domain.Actor, personID int64, name string) (string, Token, error) {
	const op = "auth.CreateToken"
	if !mayManage(actor, personID) {
		return "", Token{}, domain.Forbidden(op)
	}
	name = strings.TrimSpace(name)
	var c domain.Checker
	c.Text("name", name, true, 100)
	if err := c.Err(op); err != nil {
		return "", Token{}, err
	}
	if _, active, err := s.db.ActorByID(ctx, personID); err != nil {
		return "", Token{}, err
	} else if !active {
		return "", Token{}, domain.Conflict(op, "auth.person_inactive")
	}
	raw, err := randomBytes(32)
	if err != nil {
		return "", Token{}, domain.Wrap(op, err)
	}
	secret := tokenPrefix + strings.ToLower(b32.EncodeToString(raw))
	prefix := secret[:len(tokenPrefix)+8]
	var tok Token
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		k, err := tx.InsertToken(personID, name, sha256Hex(secret), prefix)
		if err != nil {
			return err
		}
		tok = tokenFrom(k)
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actor.Name, Action: "token.create",
			Entity: "person", EntityID: idText(personID), Changes: []audit.Change{
				{Field: "token_id", Old: nil, New: k.ID},
				{Field: "name", Old: nil, New: name},
				{Field: "prefix", Old: nil, New: prefix},
			}})
	})
	if err != nil {
		return "", Token{}, err
	}
	return secret, tok, nil
}

// Tokens lists personID's tokens, revoked ones included: one's own, or
// anyone's as system administrator or domain.System (others: KindForbidden).
func (s *Service) Tokens(ctx context.Context, actor domain.Actor, personID int64) ([]Token, error) {
	if !mayManage(actor, personID) {
		return nil, domain.Forbidden("auth.Tokens")
	}
	ks, err := s.db.TokensOf(ctx, personID)
	if err != nil {
		return nil, err
	}
	out := make([]Token, len(ks))
	for i, k := range ks {
		out[i] = tokenFrom(k)
	}
	return out, nil
}

// RevokeToken revokes a token: one's own, or anyone's as system
// administrator or domain.System (others: KindForbidden), and audits
// "token.revoke". Revoking a revoked token does nothing; an unknown id is
// KindNotFound.
func (s *Service) RevokeToken(ctx context.Context, actor domain.Actor, tokenID int64) error {
	const op = "auth.RevokeToken"
	k, err := s.db.TokenByID(ctx, tokenID)
	if domain.IsKind(err, domain.KindNotFound) {
		return domain.NotFound(op, "entity.token")
	} else if err != nil {
		return err
	}
	if !mayManage(actor, k.PersonID) {
		return domain.Forbidden(op)
	}
	return s.db.Write(ctx, func(tx *store.Tx) error {
		revoked, err := tx.RevokeToken(tokenID)
		if err != nil || !revoked {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actor.Name, Action: "token.revoke",
			Entity: "person", EntityID: idText(k.PersonID), Changes: []audit.Change{
				{Field: "token_id", Old: nil, New: k.ID},
				{Field: "name", Old: nil, New: k.Name},
				{Field: "revoked_at", Old: "", New: store.TimeText(tx.Now())},
			}})
	})
}

// TokenActor returns the owner of an API token secret (Via "token"). It
// returns KindUnauthenticated ("auth.token_invalid") for unknown, malformed
// or revoked tokens and for deactivated people. Use is recorded in
// last_used_at at most once a minute.
func (s *Service) TokenActor(ctx context.Context, secret string) (domain.Actor, error) {
	const op = "auth.TokenActor"
	if len(secret) != tokenSecretLen || !strings.HasPrefix(secret, tokenPrefix) {
		return domain.Actor{}, unauth(op, "auth.token_invalid")
	}
	hash := sha256Hex(secret)
	e, ok := s.tokens.Get(hash)
	if !ok {
		stamp := s.tokens.Stamp() // before the read (store.PeopleCache)
		k, a, active, err := s.db.TokenActor(ctx, hash)
		if domain.IsKind(err, domain.KindNotFound) {
			return domain.Actor{}, unauth(op, "auth.token_invalid")
		} else if err != nil {
			return domain.Actor{}, err
		}
		if !k.RevokedAt.IsZero() || !active {
			return domain.Actor{}, unauth(op, "auth.token_invalid")
		}
		e = tokenOwner{token: k, actor: a}
		s.tokens.Put(hash, e, stamp)
	}
	if now := s.db.Now(); now.Sub(e.token.LastUsedAt) >= touchEvery {
		if err := s.db.Write(ctx, func(tx *store.Tx) error { return tx.TouchToken(e.token.ID) }); err != nil {
			return domain.Actor{}, err
		}
		s.tokens.Update(hash, func(o *tokenOwner) { o.token.LastUsedAt = now })
	}
	a := e.actor
	a.Grants = slices.Clone(a.Grants)
	a.Via = "token"
	return a, nil
}
