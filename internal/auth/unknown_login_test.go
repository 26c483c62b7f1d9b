package auth_test

import (
	"errors"
	"reflect"
	"strconv"
	"testing"
	"time"

	"labflow/internal/auth"
	"labflow/internal/domain"
	"labflow/internal/store"
)

// Ensure repeated failed sign-ins give the very same sequence of errors for
// a real account, a deactivated one, one without a password and a name that
// belongs to no account: the same failures before the lock, the same lock
// time, the same refusal while locked and the same re-lock after it ends;
// and that the unknown name's failures and lock are audited like an
// account's.
func TestR8_UnknownAndInactiveNamesLockLikeAccounts(t *testing.T) {
	each(t, auth.Config{MaxFailures: 3, Lockout: 10 * time.Minute, IPMaxFailures: 1000}, func(t *testing.T, e *env) {
		e.person(t, "alice", "correct horse")
		bob := e.person(t, "bob", "battery staple")
		e.change(t, "person", bob, "UPDATE person SET active = 0 WHERE id = $1", bob)
		e.person(t, "carol", "")
		names := []string{"alice", "bob", "carol", "nosuchuser"}

		step := func(what string) {
			t.Helper()
			var first *domain.Error
			for i, n := range names {
				_, err := e.svc.Login(ctx, n, "wrong password", "10.0.0."+strconv.Itoa(i), "agent")
				var de *domain.Error
				if !errors.As(err, &de) {
					t.Fatalf("%s %s: %v", what, n, err)
				}
				de.Op = ""
				if first == nil {
					first = de
				} else if !reflect.DeepEqual(de, first) {
					t.Fatalf("%s: %s answers %#v, alice %#v", what, n, de, first)
				}
			}
		}
		for i := 1; i <= 2; i++ {
			step("failure " + strconv.Itoa(i))
		}
		step("the locking failure")
		step("while locked")
		e.clk.Add(11 * time.Minute)
		step("first failure after the lock") // locks again at once, for all
		step("locked again")

		fails := 0
		for _, ev := range e.events(t, "auth.login_failed") {
			if ev.Entity == "login" && ev.EntityID == "nosuchuser" {
				fails++
			}
		}
		if fails != 6 {
			t.Fatalf("unknown name's failures audited: %d, want 6", fails)
		}
		var locks []string
		for _, ev := range e.events(t, "auth.lockout") {
			locks = append(locks, ev.Entity+":"+ev.EntityID)
		}
		if len(locks) != 8 || !contains(locks, "login:nosuchuser") || !contains(locks, "person:"+itoa(bob)) {
			t.Fatalf("lockouts = %v", locks)
		}
		e.verify(t)
	})
}

// Ensure concurrent failures under one unknown name are all counted, and
// that only MaxUnknownNames names are remembered, the oldest failure
// forgotten first.
func TestR8_UnknownNamesCountedAndBounded(t *testing.T) {
	each(t, auth.Config{MaxFailures: 100, IPMaxFailures: 1000, MaxUnknownNames: 3}, func(t *testing.T, e *env) {
		const n = 12
		done := make(chan error, n)
		for i := 0; i < n; i++ {
			go func() {
				_, err := e.svc.Login(ctx, "ghost", "nope-nope", "10.0.0.1", "")
				done <- err
			}()
		}
		for i := 0; i < n; i++ {
			wantKind(t, <-done, domain.KindUnauthenticated, "auth.bad_credentials")
		}
		if u, err := e.db.UnknownLogin(ctx, "ghost"); err != nil || u.Failures != n {
			t.Fatalf("ghost = %+v, %v; want %d failures", u, err, n)
		}
		for _, name := range []string{"Ghost2 ", "ghost3", "ghost4"} {
			e.clk.Add(time.Minute)
			e.svc.Login(ctx, name, "nope-nope", "10.0.0.1", "")
		}
		var rows []string
		r, err := e.db.R().QueryContext(ctx, "SELECT username FROM login_unknown ORDER BY username")
		if err != nil {
			t.Fatal(err)
		}
		for r.Next() {
			var s string
			r.Scan(&s)
			rows = append(rows, s)
		}
		r.Close()
		if !reflect.DeepEqual(rows, []string{"ghost2", "ghost3", "ghost4"}) {
			t.Fatalf("remembered names = %v", rows)
		}
		if u, _ := e.db.UnknownLogin(ctx, "ghost"); u != (store.UnknownLogin{Username: "ghost"}) {
			t.Fatalf("forgotten name = %+v", u)
		}
	})
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
