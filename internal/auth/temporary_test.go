package auth_test

import (
	"testing"

	"labflow/internal/auth"
	"labflow/internal/domain"
)

// Ensure a password that an administrator (or the system) set is temporary:
// the person's actor says it must be changed, it never completes a
// re-authentication for a signature — not even when it is right — and the
// owner's own change makes it permanent again; the audit events record the
// flag. The owner's own ChangePassword is the only way to a permanent
// password for a request: SetPermanentPassword is for in-process work only.
func TestR8_TemporaryPasswordNeverReauthenticates(t *testing.T) {
	each(t, auth.Config{MaxFailures: 3}, func(t *testing.T, e *env) {
		gm := e.person(t, "gm", "gm's own secret", domain.Grant{Role: domain.RoleGM})
		admin := e.person(t, "admin", "admin password", domain.Grant{Role: domain.RoleSysAdmin})
		adminActor, _ := e.svc.Actor(ctx, admin)
		gmBefore, _ := e.svc.Actor(ctx, gm)
		if gmBefore.MustChangePassword {
			t.Fatal("a password set at creation by the test is not temporary")
		}
		if err := e.svc.Reauthenticate(ctx, gmBefore, "gm's own secret"); err != nil {
			t.Fatalf("own password: %v", err)
		}

		if err := e.svc.SetPassword(ctx, adminActor, gm, "chosen by admin"); err != nil {
			t.Fatal(err)
		}
		s, err := e.svc.Login(ctx, "gm", "chosen by admin", "10.0.0.1", "")
		if err != nil {
			t.Fatalf("sign-in with the temporary password: %v", err)
		}
		if !s.Actor.MustChangePassword {
			t.Fatal("session actor does not say the password must change")
		}
		if a, err := e.svc.Session(ctx, s.Token); err != nil || !a.MustChangePassword {
			t.Fatalf("Session = %+v, %v", a, err)
		}
		// The right (temporary) password does not sign, and a wrong one is
		// refused the same way without counting toward the lockout.
		for _, pw := range []string{"chosen by admin", "chosen by admin", "chosen by admin", "wrong one"} {
			wantKind(t, e.svc.Reauthenticate(ctx, s.Actor, pw), domain.KindForbidden, "auth.temporary_password")
		}
		// Whatever the actor value says: the stored credential decides.
		stale := s.Actor
		stale.MustChangePassword = false
		wantKind(t, e.svc.Reauthenticate(ctx, stale, "chosen by admin"), domain.KindForbidden, "auth.temporary_password")

		reset := e.events(t, "auth.password_reset")
		if c, ok := change(t, reset[len(reset)-1], "password_temporary"); !ok || c.Old != false || c.New != true {
			t.Fatalf("password_temporary change = %+v (%v)", c, ok)
		}

		// The owner changes it: now it is theirs, and signs.
		if err := e.svc.ChangePassword(auth.WithSessionToken(ctx, s.Token), s.Actor, "chosen by admin", "gm's new secret"); err != nil {
			t.Fatal(err)
		}
		a, err := e.svc.Session(ctx, s.Token)
		if err != nil || a.MustChangePassword {
			t.Fatalf("after the change: %+v, %v", a, err)
		}
		if err := e.svc.Reauthenticate(ctx, a, "gm's new secret"); err != nil {
			t.Fatalf("own new password: %v", err)
		}
		changes := e.events(t, "auth.password_change")
		if c, ok := change(t, changes[len(changes)-1], "password_temporary"); !ok || c.Old != true || c.New != false {
			t.Fatalf("password_temporary change = %+v (%v)", c, ok)
		}

		// The CLI's system actor resets temporarily too, unless it asks for
		// a permanent password; no administrator request may.
		if err := e.svc.SetPassword(ctx, domain.System, gm, "set by the cli"); err != nil {
			t.Fatal(err)
		}
		if a, _ := e.svc.Actor(ctx, gm); !a.MustChangePassword {
			t.Fatal("system reset is not temporary")
		}
		wantKind(t, e.svc.SetPermanentPassword(ctx, adminActor, gm, "admin wants it"), domain.KindForbidden, "")
		sessionAdmin := adminActor
		sessionAdmin.Via = "session"
		wantKind(t, e.svc.SetPermanentPassword(ctx, sessionAdmin, gm, "admin wants it"), domain.KindForbidden, "")
		if err := e.svc.SetPermanentPassword(ctx, domain.System, gm, "set for good"); err != nil {
			t.Fatal(err)
		}
		a, _ = e.svc.Actor(ctx, gm)
		if a.MustChangePassword {
			t.Fatal("permanent password marked temporary")
		}
		if err := e.svc.Reauthenticate(ctx, a, "set for good"); err != nil {
			t.Fatalf("permanent password: %v", err)
		}
		e.verify(t, s.Token, "chosen by admin", "gm's new secret", "set by the cli", "set for good")
	})
}
