package auth_test

import (
	"crypto/sha256"
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
	"time"

	"labflow/internal/auth"
	"labflow/internal/domain"
)

// Ensure a correct password opens a server-side session, stored only by the
// SHA-256 of its token, and audits "auth.login".
func TestLogin_OK(t *testing.T) {
	each(t, auth.Config{}, func(t *testing.T, e *env) {
		id := e.person(t, "alice", "correct horse", domain.Grant{Role: domain.RoleAnalyst, DepartmentID: 3})
		s, err := e.svc.Login(ctx, " Alice ", "correct horse", "10.0.0.1", "test-agent")
		if err != nil {
			t.Fatal(err)
		}
		if s.Actor.ID != id || s.Actor.Username != "alice" || s.Actor.Via != "session" || !s.Actor.HasIn(domain.RoleAnalyst, 3) {
			t.Fatalf("actor = %+v", s.Actor)
		}
		if got, want := s.ExpiresAt, e.clk.Now().Add(12*time.Hour); !got.Equal(want) {
			t.Fatalf("ExpiresAt = %v, want %v", got, want)
		}
		if len(s.Token) < 43 {
			t.Fatalf("token %q too short", s.Token)
		}
		sum := sha256.Sum256([]byte(s.Token))
		var n int
		e.db.R().QueryRowContext(ctx, "SELECT COUNT(*) FROM session WHERE id = $1", hex.EncodeToString(sum[:])).Scan(&n)
		if n != 1 {
			t.Fatalf("sessions stored by hash = %d, want 1", n)
		}
		e.db.R().QueryRowContext(ctx, "SELECT COUNT(*) FROM session WHERE id = $1", s.Token).Scan(&n)
		if n != 0 {
			t.Fatal("raw token stored")
		}
		a, err := e.svc.Session(ctx, s.Token)
		if err != nil || a.ID != id || a.Via != "session" {
			t.Fatalf("Session = %+v, %v", a, err)
		}
		evs := e.events(t, "auth.login")
		if len(evs) != 1 || evs[0].ActorID != id || evs[0].Entity != "person" || evs[0].EntityID != itoa(id) || evs[0].ActorName != "Name of alice" {
			t.Fatalf("auth.login events = %+v", evs)
		}
		if c, ok := change(t, evs[0], "ip"); !ok || c.New != "10.0.0.1" {
			t.Fatalf("ip change = %+v", c)
		}
		e.verify(t, s.Token)
	})
}

// Ensure a wrong password, an unknown user, a deactivated account and an
// account without a password all get the very same answer, while the audit
// trail records the real reason.
func TestLogin_NoUserEnumeration(t *testing.T) {
	each(t, auth.Config{}, func(t *testing.T, e *env) {
		alice := e.person(t, "alice", "correct horse")
		bob := e.person(t, "bob", "battery staple")
		e.person(t, "carol", "")
		e.change(t, "person", bob, "UPDATE person SET active = 0 WHERE id = $1", bob)

		_, errWrong := e.svc.Login(ctx, "alice", "wrong password", "10.0.0.1", "")
		_, errUnknown := e.svc.Login(ctx, "nobody", "whatever pw", "10.0.0.1", "")
		_, errInactive := e.svc.Login(ctx, "bob", "battery staple", "10.0.0.1", "")
		_, errNoPw := e.svc.Login(ctx, "carol", "", "10.0.0.1", "")
		want := wantKind(t, errWrong, domain.KindUnauthenticated, "auth.bad_credentials")
		for _, err := range []error{errUnknown, errInactive, errNoPw} {
			got := wantKind(t, err, domain.KindUnauthenticated, "auth.bad_credentials")
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("error %#v differs from %#v", got, want)
			}
		}
		reasons := map[string]string{}
		for _, ev := range e.events(t, "auth.login_failed") {
			reasons[ev.Entity+":"+ev.EntityID] = ev.Reason
		}
		if reasons["person:"+itoa(alice)] != "bad_password" || reasons["login:nobody"] != "unknown_user" ||
			reasons["person:"+itoa(bob)] != "inactive" || len(reasons) != 4 {
			t.Fatalf("reasons = %v", reasons)
		}
		if n, _ := e.failedLogins(t, alice); n != 1 {
			t.Fatalf("failed_logins = %d, want 1", n)
		}
		// A very long attempted name is cut to 100 runes in the audit trail.
		long := strings.Repeat("张", 150)
		e.svc.Login(ctx, long, "x", "10.0.0.2", "")
		evs := e.events(t, "auth.login_failed")
		if last := evs[len(evs)-1]; last.EntityID != strings.Repeat("张", 100) {
			t.Fatalf("entity id = %q", last.EntityID)
		}
		e.verify(t)
	})
}

// Ensure an account locks after MaxFailures consecutive failures, the lock
// is audited and refuses even the right password, and it ends with time.
func TestLogin_LockoutAndUnlock(t *testing.T) {
	each(t, auth.Config{MaxFailures: 3, Lockout: 15 * time.Minute}, func(t *testing.T, e *env) {
		id := e.person(t, "alice", "correct horse")
		for i := 1; i <= 2; i++ {
			_, err := e.svc.Login(ctx, "alice", "nope-nope", "10.0.0.1", "")
			wantKind(t, err, domain.KindUnauthenticated, "auth.bad_credentials")
		}
		_, err := e.svc.Login(ctx, "alice", "nope-nope", "10.0.0.1", "")
		de := wantKind(t, err, domain.KindTooMany, "auth.locked")
		until := e.clk.Now().Add(15 * time.Minute)
		if de.Args["until"] != until.Format("2006-01-02 15:04 (UTC-07:00)") {
			t.Fatalf("until = %v", de.Args["until"])
		}
		locks := e.events(t, "auth.lockout")
		if len(locks) != 1 || locks[0].EntityID != itoa(id) {
			t.Fatalf("lockout events = %+v", locks)
		}
		if c, _ := change(t, locks[0], "failed_logins"); c.New != float64(3) {
			t.Fatalf("failed_logins change = %+v", c)
		}
		e.clk.Add(14 * time.Minute)
		_, err = e.svc.Login(ctx, "alice", "correct horse", "10.0.0.1", "")
		wantKind(t, err, domain.KindTooMany, "auth.locked")

		e.clk.Add(2 * time.Minute)
		if _, err := e.svc.Login(ctx, "alice", "correct horse", "10.0.0.1", ""); err != nil {
			t.Fatalf("after lockout: %v", err)
		}
		if n, until := e.failedLogins(t, id); n != 0 || until != "" {
			t.Fatalf("after success failed_logins=%d locked_until=%q", n, until)
		}
		e.verify(t)
	})
}

// Ensure a successful sign-in resets the consecutive-failure count.
func TestLogin_SuccessResetsCounter(t *testing.T) {
	each(t, auth.Config{MaxFailures: 3}, func(t *testing.T, e *env) {
		e.person(t, "alice", "correct horse")
		for round := 0; round < 3; round++ {
			for i := 0; i < 2; i++ {
				_, err := e.svc.Login(ctx, "alice", "nope-nope", "10.0.0.1", "")
				wantKind(t, err, domain.KindUnauthenticated, "auth.bad_credentials")
			}
			if _, err := e.svc.Login(ctx, "alice", "correct horse", "10.0.0.1", ""); err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	})
}

// Ensure an address with IPMaxFailures failures within IPWindow is
// throttled, for every account, while other addresses are not.
func TestLogin_IPThrottle(t *testing.T) {
	each(t, auth.Config{IPMaxFailures: 3, IPWindow: 10 * time.Minute}, func(t *testing.T, e *env) {
		e.person(t, "alice", "correct horse")
		for _, u := range []string{"x1", "x2", "alice"} {
			_, err := e.svc.Login(ctx, u, "nope-nope", "10.9.9.9", "")
			wantKind(t, err, domain.KindUnauthenticated, "auth.bad_credentials")
		}
		_, err := e.svc.Login(ctx, "alice", "correct horse", "10.9.9.9", "")
		wantKind(t, err, domain.KindTooMany, "auth.throttled")
		if _, err := e.svc.Login(ctx, "alice", "correct horse", "10.0.0.1", ""); err != nil {
			t.Fatalf("other address: %v", err)
		}
		e.clk.Add(11 * time.Minute)
		if _, err := e.svc.Login(ctx, "alice", "correct horse", "10.9.9.9", ""); err != nil {
			t.Fatalf("after the window: %v", err)
		}
		// Failures spread over more than a window do not add up.
		for i := 0; i < 4; i++ {
			e.svc.Login(ctx, "nobody", "nope-nope", "10.8.8.8", "")
			e.clk.Add(6 * time.Minute)
		}
		if _, err := e.svc.Login(ctx, "alice", "correct horse", "10.8.8.8", ""); err != nil {
			t.Fatalf("spread failures: %v", err)
		}
	})
}

// Ensure a session ends after IdleTimeout without use, and that use slides it.
func TestSession_IdleExpiry(t *testing.T) {
	each(t, auth.Config{IdleTimeout: 30 * time.Minute}, func(t *testing.T, e *env) {
		e.person(t, "alice", "correct horse")
		s, err := e.svc.Login(ctx, "alice", "correct horse", "", "")
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 4; i++ { // 4 × 29 minutes, each time in use
			e.clk.Add(29 * time.Minute)
			if _, err := e.svc.Session(ctx, s.Token); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
		e.clk.Add(31 * time.Minute)
		_, err = e.svc.Session(ctx, s.Token)
		wantKind(t, err, domain.KindUnauthenticated, "auth.session_invalid")
	})
}

// Ensure a session ends AbsoluteTimeout after sign-in however busy it is.
func TestSession_AbsoluteExpiry(t *testing.T) {
	each(t, auth.Config{IdleTimeout: 30 * time.Minute, AbsoluteTimeout: 2 * time.Hour}, func(t *testing.T, e *env) {
		e.person(t, "alice", "correct horse")
		s, err := e.svc.Login(ctx, "alice", "correct horse", "", "")
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 5; i++ { // 100 minutes
			e.clk.Add(20 * time.Minute)
			if _, err := e.svc.Session(ctx, s.Token); err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
		}
		e.clk.Add(20 * time.Minute) // 120 minutes
		_, err = e.svc.Session(ctx, s.Token)
		wantKind(t, err, domain.KindUnauthenticated, "auth.session_invalid")
	})
}

// Ensure tampered, truncated and made-up tokens are unauthenticated.
func TestSession_TamperedToken(t *testing.T) {
	each(t, auth.Config{}, func(t *testing.T, e *env) {
		e.person(t, "alice", "correct horse")
		s, err := e.svc.Login(ctx, "alice", "correct horse", "", "")
		if err != nil {
			t.Fatal(err)
		}
		b := []byte(s.Token)
		if b[5] == 'A' {
			b[5] = 'B'
		} else {
			b[5] = 'A'
		}
		for _, tok := range []string{string(b), s.Token[:42], s.Token + "x", "", strings.Repeat("A", 43)} {
			_, err := e.svc.Session(ctx, tok)
			wantKind(t, err, domain.KindUnauthenticated, "auth.session_invalid")
		}
	})
}

// Ensure deactivating a person ends the use of their sessions.
func TestSession_DeactivatedPerson(t *testing.T) {
	each(t, auth.Config{}, func(t *testing.T, e *env) {
		id := e.person(t, "alice", "correct horse")
		s, err := e.svc.Login(ctx, "alice", "correct horse", "", "")
		if err != nil {
			t.Fatal(err)
		}
		e.change(t, "person", id, "UPDATE person SET active = 0 WHERE id = $1", id)
		_, err = e.svc.Session(ctx, s.Token)
		wantKind(t, err, domain.KindUnauthenticated, "auth.session_invalid")
	})
}

// Ensure Logout ends the session and is audited once.
func TestLogout(t *testing.T) {
	each(t, auth.Config{}, func(t *testing.T, e *env) {
		id := e.person(t, "alice", "correct horse")
		s, err := e.svc.Login(ctx, "alice", "correct horse", "", "")
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.Logout(ctx, s.Token); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Session(ctx, s.Token)
		wantKind(t, err, domain.KindUnauthenticated, "auth.session_invalid")
		if err := e.svc.Logout(ctx, s.Token); err != nil {
			t.Fatalf("second logout: %v", err)
		}
		if err := e.svc.Logout(ctx, "garbage"); err != nil {
			t.Fatalf("unknown token: %v", err)
		}
		evs := e.events(t, "auth.logout")
		if len(evs) != 1 || evs[0].ActorID != id || evs[0].EntityID != itoa(id) {
			t.Fatalf("logout events = %+v", evs)
		}
		e.verify(t, s.Token)
	})
}

// Ensure concurrent failed sign-ins are all counted (the counter is read
// and written inside the write transaction, not from a stale read).
func TestLogin_ConcurrentFailuresCounted(t *testing.T) {
	each(t, auth.Config{MaxFailures: 100, IPMaxFailures: 100}, func(t *testing.T, e *env) {
		id := e.person(t, "alice", "correct horse")
		const n = 12
		done := make(chan error, n)
		for i := 0; i < n; i++ {
			go func() {
				_, err := e.svc.Login(ctx, "alice", "nope-nope", "10.0.0.1", "")
				done <- err
			}()
		}
		for i := 0; i < n; i++ {
			wantKind(t, <-done, domain.KindUnauthenticated, "auth.bad_credentials")
		}
		if got, _ := e.failedLogins(t, id); got != n {
			t.Fatalf("failed_logins = %d, want %d", got, n)
		}
		var ipFailures int
		e.db.R().QueryRowContext(ctx, "SELECT failures FROM login_throttle WHERE ip = $1", "10.0.0.1").Scan(&ipFailures)
		if ipFailures != n {
			t.Fatalf("ip failures = %d, want %d", ipFailures, n)
		}
		e.verify(t)
	})
}
