package auth_test

import (
	"strconv"
	"testing"
	"time"

	"labflow/internal/audit"
	"labflow/internal/auth"
	"labflow/internal/domain"
	"labflow/internal/store"
)

// Ensure a token's owner, kept between requests, gives way at once to every
// change of what it was read from: a grant given or taken, a new name, a
// deactivation, the token's revocation and a password change (R8: a revoked
// token stops working from the next request).
func TestR8_CachedTokenOwnerGivesWayToEveryChange(t *testing.T) {
	each(t, auth.Config{}, func(t *testing.T, e *env) {
		alice := e.person(t, "alice", "correct horse", domain.Grant{Role: domain.RoleResearcher, DepartmentID: 1})
		aliceActor, _ := e.svc.Actor(ctx, alice)
		secret, tok, err := e.svc.CreateToken(ctx, aliceActor, alice, "script")
		if err != nil {
			t.Fatal(err)
		}
		use := func() domain.Actor {
			t.Helper()
			a, err := e.svc.TokenActor(ctx, secret)
			if err != nil {
				t.Fatalf("TokenActor: %v", err)
			}
			return a
		}
		write := func(f func(tx *store.Tx) error) {
			t.Helper()
			err := e.db.Write(ctx, func(tx *store.Tx) error {
				if err := f(tx); err != nil {
					return err
				}
				return tx.Audit(audit.Entry{ActorName: "test", Action: "test.change", Entity: "person", EntityID: strconv.FormatInt(alice, 10)})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		use()
		if a := use(); a.ID != alice || !a.HasIn(domain.RoleResearcher, 1) || a.Via != "token" {
			t.Fatalf("actor = %+v", a)
		}
		// A caller changing the actor it got changes nothing kept.
		a := use()
		a.Grants[0].Role = domain.RoleGM
		if a := use(); a.Grants[0].Role != domain.RoleResearcher {
			t.Fatalf("kept grants changed through a returned actor: %+v", a.Grants)
		}

		write(func(tx *store.Tx) error {
			_, err := tx.InsertGrant(alice, domain.Grant{Role: domain.RoleDirector, DepartmentID: 1}, 0)
			return err
		})
		if a := use(); !a.HasIn(domain.RoleDirector, 1) {
			t.Fatalf("a new grant is not seen at once: %+v", a.Grants)
		}
		write(func(tx *store.Tx) error {
			_, err := tx.RevokeGrant(alice, domain.Grant{Role: domain.RoleDirector, DepartmentID: 1}, 0)
			return err
		})
		if a := use(); a.HasIn(domain.RoleDirector, 1) {
			t.Fatalf("a revoked grant is still seen: %+v", a.Grants)
		}

		p, err := store.PersonFull(ctx, e.db.R(), alice, "")
		if err != nil {
			t.Fatal(err)
		}
		p.Name = "Alice Renamed"
		write(func(tx *store.Tx) error { _, err := tx.UpdatePerson(p); return err })
		if a := use(); a.Name != "Alice Renamed" {
			t.Fatalf("name = %q after a rename", a.Name)
		}
		p.Active = false
		write(func(tx *store.Tx) error { _, err := tx.UpdatePerson(p); return err })
		_, err = e.svc.TokenActor(ctx, secret)
		wantKind(t, err, domain.KindUnauthenticated, "auth.token_invalid")
		p.Active = true
		write(func(tx *store.Tx) error { _, err := tx.UpdatePerson(p); return err })
		use()

		// Used again a minute later, the token's last use is recorded.
		e.clk.Add(2 * time.Minute)
		use()
		if list, _ := e.svc.Tokens(ctx, aliceActor, alice); len(list) != 1 || !list[0].LastUsedAt.Equal(e.clk.Now()) {
			t.Fatalf("last use = %+v", list)
		}

		if err := e.svc.RevokeToken(ctx, aliceActor, tok.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.TokenActor(ctx, secret)
		wantKind(t, err, domain.KindUnauthenticated, "auth.token_invalid")

		second, _, err := e.svc.CreateToken(ctx, aliceActor, alice, "second")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.TokenActor(ctx, second); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.ChangePassword(ctx, aliceActor, "correct horse", "horse correct"); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.TokenActor(ctx, second)
		wantKind(t, err, domain.KindUnauthenticated, "auth.token_invalid")
	})
}

// Ensure a token revoked by another process on the same database stops
// working on this one at once: on PostgreSQL (which several servers share)
// the owner is read on every request; on SQLite the other process (a
// command of the labflow binary) moves the people mark the cache checks.
func TestR8_TokenRevokedElsewhereStopsHere(t *testing.T) {
	each(t, auth.Config{}, func(t *testing.T, e *env) {
		alice := e.person(t, "alice", "correct horse")
		aliceActor, _ := e.svc.Actor(ctx, alice)
		secret, tok, err := e.svc.CreateToken(ctx, aliceActor, alice, "script")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.TokenActor(ctx, secret); err != nil {
			t.Fatal(err)
		}
		cfg := e.cfg
		cfg.Now = e.clk.Now
		other, err := store.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Close()
		if err := auth.New(other, auth.Config{}).RevokeToken(ctx, aliceActor, tok.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.TokenActor(ctx, secret)
		wantKind(t, err, domain.KindUnauthenticated, "auth.token_invalid")
	})
}
