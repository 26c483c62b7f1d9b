package auth_test

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
	"time"

	"labflow/internal/auth"
	"labflow/internal/domain"
)

// Ensure ChangePassword checks the old password (a field error that counts
// toward lockout), applies the policy, and on success ends the actor's
// other sessions but keeps the current one.
func TestChangePassword(t *testing.T) {
	each(t, auth.Config{MaxFailures: 3}, func(t *testing.T, e *env) {
		id := e.person(t, "alice", "correct horse")
		s1, err := e.svc.Login(ctx, "alice", "correct horse", "", "")
		if err != nil {
			t.Fatal(err)
		}
		s2, err := e.svc.Login(ctx, "alice", "correct horse", "", "")
		if err != nil {
			t.Fatal(err)
		}
		a := s1.Actor

		err = e.svc.ChangePassword(ctx, a, "wrong horse", "new password 1")
		wantKind(t, err, domain.KindInvalid, "")
		if m, ok := domain.FieldError(err, "old_password"); !ok || m.Key != "auth.wrong_password" {
			t.Fatalf("old_password = %+v (%v)", m, err)
		}
		if n, _ := e.failedLogins(t, id); n != 1 {
			t.Fatalf("failed_logins = %d, want 1", n)
		}
		err = e.svc.ChangePassword(ctx, a, "correct horse", "short")
		if m, ok := domain.FieldError(err, "new_password"); !ok || m.Key != "field.password_short" {
			t.Fatalf("new_password = %+v (%v)", m, err)
		}
		err = e.svc.ChangePassword(ctx, a, "correct horse", "correct horse")
		if m, ok := domain.FieldError(err, "new_password"); !ok || m.Key != "auth.password_same" {
			t.Fatalf("new_password = %+v (%v)", m, err)
		}
		err = e.svc.ChangePassword(ctx, a, "", "new password 1")
		if m, ok := domain.FieldError(err, "old_password"); !ok || m.Key != "field.required" {
			t.Fatalf("old_password = %+v (%v)", m, err)
		}

		if err := e.svc.ChangePassword(auth.WithSessionToken(ctx, s1.Token), a, "correct horse", "new password 1"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Session(ctx, s1.Token); err != nil {
			t.Fatalf("current session ended: %v", err)
		}
		_, err = e.svc.Session(ctx, s2.Token)
		wantKind(t, err, domain.KindUnauthenticated, "auth.session_invalid")
		if _, err := e.svc.Login(ctx, "alice", "correct horse", "", ""); err == nil {
			t.Fatal("old password still works")
		}
		if _, err := e.svc.Login(ctx, "alice", "new password 1", "", ""); err != nil {
			t.Fatalf("new password: %v", err)
		}
		evs := e.events(t, "auth.password_change")
		if len(evs) != 1 || evs[0].ActorID != id || evs[0].EntityID != itoa(id) {
			t.Fatalf("password_change events = %+v", evs)
		}
		if c, _ := change(t, evs[0], "sessions_ended"); c.New != float64(1) {
			t.Fatalf("sessions_ended = %+v", c)
		}
		e.verify(t, s1.Token, s2.Token, "new password 1", "correct horse")
	})
}

// Ensure only a system administrator or the system may reset a password,
// that the reset unlocks the account and ends its sessions, and that the
// audit event holds no hash.
func TestSetPassword(t *testing.T) {
	each(t, auth.Config{MaxFailures: 2}, func(t *testing.T, e *env) {
		alice := e.person(t, "alice", "correct horse")
		admin := e.person(t, "admin", "admin password", domain.Grant{Role: domain.RoleSysAdmin})
		gm := e.person(t, "gm", "gm password", domain.Grant{Role: domain.RoleGM})
		s, err := e.svc.Login(ctx, "alice", "correct horse", "", "")
		if err != nil {
			t.Fatal(err)
		}
		e.svc.Login(ctx, "alice", "nope-nope", "", "")
		e.svc.Login(ctx, "alice", "nope-nope", "", "")
		if _, until := e.failedLogins(t, alice); until == "" {
			t.Fatal("not locked")
		}

		gmActor, _ := e.svc.Actor(ctx, gm)
		wantKind(t, e.svc.SetPassword(ctx, gmActor, alice, "reset password"), domain.KindForbidden, "")
		aliceActor, _ := e.svc.Actor(ctx, alice)
		wantKind(t, e.svc.SetPassword(ctx, aliceActor, alice, "reset password"), domain.KindForbidden, "")

		adminActor, err := e.svc.Actor(ctx, admin)
		if err != nil || !adminActor.IsAdmin() || adminActor.Via != "cli" {
			t.Fatalf("admin actor = %+v, %v", adminActor, err)
		}
		err = e.svc.SetPassword(ctx, adminActor, alice, "short")
		if m, ok := domain.FieldError(err, "password"); !ok || m.Key != "field.password_short" {
			t.Fatalf("new_password = %+v (%v)", m, err)
		}
		wantKind(t, e.svc.SetPassword(ctx, adminActor, 9999, "reset password"), domain.KindNotFound, "")
		if err := e.svc.SetPassword(ctx, adminActor, alice, "reset password"); err != nil {
			t.Fatal(err)
		}
		if n, until := e.failedLogins(t, alice); n != 0 || until != "" {
			t.Fatalf("after reset failed_logins=%d locked_until=%q", n, until)
		}
		_, err = e.svc.Session(ctx, s.Token)
		wantKind(t, err, domain.KindUnauthenticated, "auth.session_invalid")
		if _, err := e.svc.Login(ctx, "alice", "reset password", "", ""); err != nil {
			t.Fatalf("login after reset: %v", err)
		}
		if err := e.svc.SetPassword(ctx, domain.System, alice, "system password"); err != nil {
			t.Fatalf("system reset: %v", err)
		}
		evs := e.events(t, "auth.password_reset")
		if len(evs) != 2 || evs[0].ActorID != admin || evs[0].EntityID != itoa(alice) || evs[1].ActorID != 0 {
			t.Fatalf("password_reset events = %+v", evs)
		}
		if c, ok := change(t, evs[0], "locked_until"); !ok || c.New != "" {
			t.Fatalf("locked_until change = %+v", c)
		}
		e.verify(t, s.Token, "reset password", "system password")
	})
}

// Ensure API tokens are created for oneself (or by an administrator), work
// until revoked, are stored only as SHA-256, and are audited.
func TestTokens_CreateUseRevoke(t *testing.T) {
	each(t, auth.Config{}, func(t *testing.T, e *env) {
		alice := e.person(t, "alice", "correct horse", domain.Grant{Role: domain.RoleResearcher, DepartmentID: 1})
		bob := e.person(t, "bob", "battery staple")
		admin := e.person(t, "admin", "admin password", domain.Grant{Role: domain.RoleSysAdmin})
		aliceActor, _ := e.svc.Actor(ctx, alice)
		bobActor, _ := e.svc.Actor(ctx, bob)
		adminActor, _ := e.svc.Actor(ctx, admin)

		_, _, err := e.svc.CreateToken(ctx, aliceActor, alice, "  ")
		if m, ok := domain.FieldError(err, "name"); !ok || m.Key != "field.required" {
			t.Fatalf("name = %+v (%v)", m, err)
		}
		secret, tok, err := e.svc.CreateToken(ctx, aliceActor, alice, "lab script")
		if err != nil {
			t.Fatal(err)
		}
		if !regexp.MustCompile(`^lf_[a-z2-7]{52}$`).MatchString(secret) || !strings.HasPrefix(secret, tok.Prefix) || len(tok.Prefix) < 8 {
			t.Fatalf("secret %q, prefix %q", secret, tok.Prefix)
		}
		if tok.PersonID != alice || tok.Name != "lab script" || tok.ID == 0 || !tok.CreatedAt.Equal(e.clk.Now()) {
			t.Fatalf("token = %+v", tok)
		}
		var stored string
		e.db.R().QueryRowContext(ctx, "SELECT token_hash FROM api_token WHERE id = $1", tok.ID).Scan(&stored)
		sum := sha256.Sum256([]byte(secret))
		if stored != hex.EncodeToString(sum[:]) {
			t.Fatalf("stored %q, want the SHA-256 of the secret", stored)
		}

		_, _, err = e.svc.CreateToken(ctx, bobActor, alice, "not mine")
		wantKind(t, err, domain.KindForbidden, "")
		_, err = e.svc.Tokens(ctx, bobActor, alice)
		wantKind(t, err, domain.KindForbidden, "")
		wantKind(t, e.svc.RevokeToken(ctx, bobActor, tok.ID), domain.KindForbidden, "")
		wantKind(t, e.svc.RevokeToken(ctx, bobActor, 9999), domain.KindNotFound, "")
		_, bobTok, err := e.svc.CreateToken(ctx, adminActor, bob, "by admin")
		if err != nil || bobTok.PersonID != bob {
			t.Fatalf("admin creates for bob: %+v, %v", bobTok, err)
		}
		if _, _, err := e.svc.CreateToken(ctx, domain.System, bob, "by system"); err != nil {
			t.Fatalf("system creates for bob: %v", err)
		}

		a, err := e.svc.TokenActor(ctx, secret)
		if err != nil || a.ID != alice || a.Via != "token" || !a.HasIn(domain.RoleResearcher, 1) {
			t.Fatalf("TokenActor = %+v, %v", a, err)
		}
		e.clk.Add(5 * time.Minute)
		e.svc.TokenActor(ctx, secret)
		list, err := e.svc.Tokens(ctx, aliceActor, alice)
		if err != nil || len(list) != 1 || !list[0].LastUsedAt.Equal(e.clk.Now()) {
			t.Fatalf("Tokens = %+v, %v", list, err)
		}
		tampered := secret[:len(secret)-1] + map[bool]string{true: "b", false: "a"}[strings.HasSuffix(secret, "a")]
		for _, s := range []string{tampered, "", "lf_", secret + "a", strings.ToUpper(secret)} {
			_, err := e.svc.TokenActor(ctx, s)
			wantKind(t, err, domain.KindUnauthenticated, "auth.token_invalid")
		}

		if err := e.svc.RevokeToken(ctx, aliceActor, tok.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.TokenActor(ctx, secret)
		wantKind(t, err, domain.KindUnauthenticated, "auth.token_invalid")
		if err := e.svc.RevokeToken(ctx, adminActor, tok.ID); err != nil {
			t.Fatalf("second revoke: %v", err)
		}
		list, _ = e.svc.Tokens(ctx, adminActor, alice)
		if len(list) != 1 || list[0].RevokedAt.IsZero() {
			t.Fatalf("after revoke = %+v", list)
		}

		// A deactivated person's tokens stop working.
		bobSecret, _, err := e.svc.CreateToken(ctx, bobActor, bob, "bob's")
		if err != nil {
			t.Fatal(err)
		}
		e.change(t, "person", bob, "UPDATE person SET active = 0 WHERE id = $1", bob)
		_, err = e.svc.TokenActor(ctx, bobSecret)
		wantKind(t, err, domain.KindUnauthenticated, "auth.token_invalid")
		_, _, err = e.svc.CreateToken(ctx, adminActor, bob, "refused")
		wantKind(t, err, domain.KindConflict, "auth.person_inactive")

		creates, revokes := e.events(t, "token.create"), e.events(t, "token.revoke")
		if len(creates) != 4 || len(revokes) != 1 || creates[0].EntityID != itoa(alice) || revokes[0].ActorID != alice {
			t.Fatalf("token events: %d creates, %d revokes", len(creates), len(revokes))
		}
		if c, _ := change(t, revokes[0], "token_id"); c.New != float64(tok.ID) {
			t.Fatalf("revoke token_id = %+v", c)
		}
		e.verify(t, secret, bobSecret)
	})
}

// Ensure a signature's re-authentication needs the actual password (R8):
// a session alone, an empty or a wrong password is refused with a field
// message, and wrong passwords count toward the lockout.
func TestR8_ReauthenticateRequiresPassword(t *testing.T) {
	each(t, auth.Config{MaxFailures: 3}, func(t *testing.T, e *env) {
		id := e.person(t, "alice", "correct horse")
		s, err := e.svc.Login(ctx, "alice", "correct horse", "", "")
		if err != nil {
			t.Fatal(err)
		}
		for pw, key := range map[string]string{"": "auth.reauth_failed", "wrong horse": "auth.signature_wrong"} {
			err := e.svc.Reauthenticate(ctx, s.Actor, pw)
			wantKind(t, err, domain.KindUnauthenticated, key)
			if _, ok := domain.FieldError(err, "password"); !ok {
				t.Fatalf("no password field error: %v", err)
			}
		}
		if err := e.svc.Reauthenticate(ctx, s.Actor, "correct horse"); err != nil {
			t.Fatalf("right password: %v", err)
		}
		if n, _ := e.failedLogins(t, id); n != 0 {
			t.Fatalf("failed_logins after success = %d", n)
		}
		wantKind(t, e.svc.Reauthenticate(ctx, domain.System, "correct horse"), domain.KindUnauthenticated, "")
		e.svc.Reauthenticate(ctx, s.Actor, "wrong 1")
		e.svc.Reauthenticate(ctx, s.Actor, "wrong 2")
		wantKind(t, e.svc.Reauthenticate(ctx, s.Actor, "wrong 3"), domain.KindTooMany, "auth.signature_locked")
		wantKind(t, e.svc.Reauthenticate(ctx, s.Actor, "correct horse"), domain.KindTooMany, "auth.signature_locked")
		fails := e.events(t, "auth.reauth_failed")
		if len(fails) != 4 || fails[0].ActorID != id {
			t.Fatalf("reauth_failed events = %d", len(fails))
		}
		if len(e.events(t, "auth.lockout")) != 1 {
			t.Fatal("lockout not audited")
		}
		e.verify(t, s.Token)
	})
}

// Ensure a wrong signature password says so with the attempts left before
// the lock; the failure that locks says for how long and until when, in
// the institute's time zone; the lock stays (Part 11: it refuses the right
// password and sign-ins too), is audited, and ends with time (issue 9
// item 7).
func TestR8_SignatureMistakesSayAttemptsLeftAndLockEnd(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	each(t, auth.Config{Zone: shanghai}, func(t *testing.T, e *env) {
		id := e.person(t, "alice", "correct horse")
		s, err := e.svc.Login(ctx, "alice", "correct horse", "", "")
		if err != nil {
			t.Fatal(err)
		}
		for left := 4; left >= 1; left-- {
			de := wantKind(t, e.svc.Reauthenticate(ctx, s.Actor, "wrong"), domain.KindUnauthenticated, "auth.signature_wrong")
			if de.Args["left"] != left || de.Args["minutes"] != 15 {
				t.Fatalf("args = %v, want %d left and 15 minutes", de.Args, left)
			}
			if m, ok := domain.FieldError(de, "password"); !ok || m.Key != "auth.signature_wrong_left" || m.Args["left"] != left {
				t.Fatalf("field = %+v", m)
			}
		}
		// 08:00 UTC is 16:00 in Shanghai: locked until 16:15 there.
		de := wantKind(t, e.svc.Reauthenticate(ctx, s.Actor, "wrong"), domain.KindTooMany, "auth.signature_locked")
		if de.Args["until"] != "2026-03-02 16:15 (UTC+08:00)" || de.Args["minutes"] != 15 || de.Args["max"] != 5 {
			t.Fatalf("lock args = %v", de.Args)
		}
		if _, ok := domain.FieldError(de, "password"); !ok {
			t.Fatal("the lock names no field")
		}
		locks := e.events(t, "auth.lockout")
		if len(locks) != 1 || locks[0].EntityID != itoa(id) {
			t.Fatalf("lockout events = %+v", locks)
		}
		e.clk.Add(10 * time.Minute)
		de = wantKind(t, e.svc.Reauthenticate(ctx, s.Actor, "correct horse"), domain.KindTooMany, "auth.signature_locked")
		if de.Args["minutes"] != 5 {
			t.Fatalf("minutes left = %v, want 5", de.Args["minutes"])
		}
		_, err = e.svc.Login(ctx, "alice", "correct horse", "", "")
		if de := wantKind(t, err, domain.KindTooMany, "auth.locked"); de.Args["until"] != "2026-03-02 16:15 (UTC+08:00)" {
			t.Fatalf("sign-in lock until = %v", de.Args["until"])
		}
		e.clk.Add(6 * time.Minute)
		if err := e.svc.Reauthenticate(ctx, s.Actor, "correct horse"); err != nil {
			t.Fatalf("after the lock: %v", err)
		}
		e.verify(t, s.Token)
	})
}

// Ensure Actor loads only the grants in force and refuses deactivated people.
func TestActor_ActiveGrants(t *testing.T) {
	each(t, auth.Config{}, func(t *testing.T, e *env) {
		id := e.person(t, "alice", "correct horse",
			domain.Grant{Role: domain.RoleDirector, DepartmentID: 2}, domain.Grant{Role: domain.RoleGM})
		e.exec(t, "UPDATE role_grant SET revoked_at = $1, revoked_by = 1 WHERE person_id = $2 AND role = 'gm'", "2026-01-01T00:00:00.000000Z", id)
		a, err := e.svc.Actor(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Grants) != 1 || !a.HasIn(domain.RoleDirector, 2) || a.Has(domain.RoleGM) || a.Name != "Name of alice" {
			t.Fatalf("actor = %+v", a)
		}
		_, err = e.svc.Actor(ctx, 9999)
		wantKind(t, err, domain.KindNotFound, "")
		e.change(t, "person", id, "UPDATE person SET active = 0 WHERE id = $1", id)
		_, err = e.svc.Actor(ctx, id)
		wantKind(t, err, domain.KindUnauthenticated, "auth.inactive")
	})
}

// Ensure hashes are argon2id PHC strings with a fresh salt, and that
// CheckPassword accepts only the right password and well-formed hashes.
func TestHashPassword(t *testing.T) {
	h1, err := auth.HashPassword("correct horse")
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := auth.HashPassword("correct horse")
	phc := regexp.MustCompile(`^\$argon2id\$v=19\$m=\d+,t=\d+,p=\d+\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)
	if !phc.MatchString(h1) || h1 == h2 {
		t.Fatalf("hashes %q, %q", h1, h2)
	}
	if !auth.CheckPassword(h1, "correct horse") || !auth.CheckPassword(h2, "correct horse") {
		t.Fatal("right password rejected")
	}
	for _, pw := range []string{"correct horsE", "", "correct horse "} {
		if auth.CheckPassword(h1, pw) {
			t.Fatalf("%q accepted", pw)
		}
	}
	parts := strings.Split(h1, "$")
	for _, bad := range []string{"", "correct horse", strings.Replace(h1, "argon2id", "argon2i", 1),
		strings.Replace(h1, "v=19", "v=16", 1), "$" + strings.Join(parts[1:4], "$") + "$$" + parts[5],
		strings.Replace(h1, parts[3], "m=99999999,t=1,p=1", 1)} {
		if auth.CheckPassword(bad, "correct horse") {
			t.Fatalf("malformed hash %q accepted", bad)
		}
	}
	if got := auth.Params; defaultParams.Memory != 64*1024 || defaultParams.Time != 1 || defaultParams.Threads != 2 || got.KeyLen != 32 {
		t.Fatalf("default params = %+v", defaultParams)
	}
}

// BenchmarkHashPassword measures one hash with the production parameters
// (m=64 MiB, t=1, p=2), i.e. the server cost of one sign-in.
func BenchmarkHashPassword(b *testing.B) {
	saved := auth.Params
	auth.Params = defaultParams
	defer func() { auth.Params = saved }()
	for b.Loop() {
		if _, err := auth.HashPassword("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}
