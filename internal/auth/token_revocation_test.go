package auth_test

import (
	"testing"

	"labflow/internal/auth"
	"labflow/internal/domain"
)

// Ensure a password change and a reset both revoke all of the person's API
// tokens, in the write that audits them, naming how many and which.
func TestR8_PasswordChangeRevokesTokens(t *testing.T) {
	each(t, auth.Config{}, func(t *testing.T, e *env) {
		alice := e.person(t, "alice", "correct horse")
		bob := e.person(t, "bob", "battery staple")
		admin := e.person(t, "admin", "admin password", domain.Grant{Role: domain.RoleSysAdmin})
		aliceActor, _ := e.svc.Actor(ctx, alice)
		adminActor, _ := e.svc.Actor(ctx, admin)
		bobActor, _ := e.svc.Actor(ctx, bob)

		s1, t1, err := e.svc.CreateToken(ctx, aliceActor, alice, "one")
		if err != nil {
			t.Fatal(err)
		}
		s2, t2, _ := e.svc.CreateToken(ctx, aliceActor, alice, "two")
		bobSecret, _, _ := e.svc.CreateToken(ctx, bobActor, bob, "bob's")
		if err := e.svc.RevokeToken(ctx, aliceActor, t1.ID); err != nil {
			t.Fatal(err)
		}
		s3, t3, _ := e.svc.CreateToken(ctx, aliceActor, alice, "three")

		if err := e.svc.SetPassword(ctx, adminActor, alice, "reset password"); err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{s1, s2, s3} {
			_, err := e.svc.TokenActor(ctx, s)
			wantKind(t, err, domain.KindUnauthenticated, "auth.token_invalid")
		}
		if _, err := e.svc.TokenActor(ctx, bobSecret); err != nil {
			t.Fatalf("someone else's token: %v", err)
		}
		reset := e.events(t, "auth.password_reset")
		if c, _ := change(t, reset[0], "tokens_revoked"); c.New != float64(2) {
			t.Fatalf("tokens_revoked = %+v", c)
		}
		ids, _ := change(t, reset[0], "revoked_token_ids")
		if got, ok := ids.New.([]any); !ok || len(got) != 2 || got[0] != float64(t2.ID) || got[1] != float64(t3.ID) {
			t.Fatalf("revoked_token_ids = %+v", ids)
		}

		// Bob changes his own password: his token goes too.
		if err := e.svc.ChangePassword(ctx, bobActor, "battery staple", "staple battery"); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.TokenActor(ctx, bobSecret)
		wantKind(t, err, domain.KindUnauthenticated, "auth.token_invalid")
		ch := e.events(t, "auth.password_change")
		if c, _ := change(t, ch[0], "tokens_revoked"); c.New != float64(1) {
			t.Fatalf("tokens_revoked = %+v", c)
		}
		// Nothing left to revoke: the count says so, without ids.
		if err := e.svc.SetPassword(ctx, adminActor, bob, "another reset"); err != nil {
			t.Fatal(err)
		}
		reset = e.events(t, "auth.password_reset")
		if c, _ := change(t, reset[1], "tokens_revoked"); c.New != float64(0) {
			t.Fatalf("tokens_revoked = %+v", c)
		}
		if _, ok := change(t, reset[1], "revoked_token_ids"); ok {
			t.Fatal("revoked_token_ids without revoked tokens")
		}
		e.verify(t, s1, s2, s3, bobSecret)
	})
}
