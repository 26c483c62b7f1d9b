package auth_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"labflow/internal/audit"
	"labflow/internal/auth"
	"labflow/internal/domain"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// defaultParams are the production hashing parameters, kept for the benchmark.
var defaultParams = auth.Params

func TestMain(m *testing.M) {
	// Tests hash many passwords; a small memory cost keeps them fast. The
	// production parameters are exercised by BenchmarkHashPassword.
	auth.Params.Memory = 1024
	auth.Params.Threads = 1
	os.Exit(m.Run())
}

// env is one test database with a fake clock and an auth service on it.
type env struct {
	db  *store.DB
	cfg store.Config // db's, to open it a second time (another server)
	clk *storetest.Clock
	svc *auth.Service
}

var ctx = context.Background()

// each runs f on SQLite and (when TEST_DATABASE_URL is set) PostgreSQL,
// with a fake clock and a service configured by cfg.
func each(t *testing.T, cfg auth.Config, f func(t *testing.T, e *env)) {
	t.Helper()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			sc := storetest.Config(t, d)
			clk := storetest.NewClock(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
			sc.Now = clk.Now
			db, err := store.Open(ctx, sc)
			if err != nil {
				t.Fatalf("open %s: %v", d, err)
			}
			t.Cleanup(func() { db.Close() })
			f(t, &env{db: db, cfg: sc, clk: clk, svc: auth.New(db, cfg)})
		})
	}
}

// person creates a person with a password (none if pw is "") and grants.
func (e *env) person(t *testing.T, username, pw string, grants ...domain.Grant) int64 {
	t.Helper()
	hash := ""
	if pw != "" {
		var err error
		if hash, err = auth.HashPassword(pw); err != nil {
			t.Fatal(err)
		}
	}
	var id int64
	err := e.db.Write(ctx, func(tx *store.Tx) error {
		p, err := tx.InsertPerson(domain.Person{Username: username, Name: "Name of " + username, Lang: "en", Active: true}, hash)
		if err != nil {
			return err
		}
		id = p.ID
		for _, g := range grants {
			if _, err := tx.InsertGrant(id, g, 0); err != nil {
				return err
			}
		}
		return tx.Audit(audit.Entry{ActorName: "test", Action: "test.person_create", Entity: "person", EntityID: strconv.FormatInt(id, 10)})
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// change runs a statement that changes a sealed record, with its audit
// event (a fixture change made as the application would make it).
func (e *env) change(t *testing.T, table string, id int64, q string, args ...any) {
	t.Helper()
	err := e.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := tx.Exec(q, args...); err != nil {
			return err
		}
		if err := tx.Seal(table, id); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorName: "test", Action: "test.change", Entity: table, EntityID: strconv.FormatInt(id, 10)})
	})
	if err != nil {
		t.Fatal(err)
	}
}

// exec runs a statement in a write (test-only fixture changes).
func (e *env) exec(t *testing.T, q string, args ...any) {
	t.Helper()
	if err := e.db.Write(ctx, func(tx *store.Tx) error { _, err := tx.Exec(q, args...); return err }); err != nil {
		t.Fatal(err)
	}
}

// events lists audit events with action (exact, or a prefix ending in ".").
func (e *env) events(t *testing.T, action string) []audit.Event {
	t.Helper()
	evs, err := e.db.FindAudit(ctx, store.AuditFilter{Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// verify checks the audit chain and that no event holds a secret.
func (e *env) verify(t *testing.T, secrets ...string) {
	t.Helper()
	if _, err := e.db.VerifyAudit(ctx, ""); err != nil {
		t.Fatalf("audit chain: %v", err)
	}
	for _, ev := range e.events(t, "") {
		text := ev.Changes + ev.Reason + ev.EntityID + ev.ActorName
		if strings.Contains(text, "$argon2id$") {
			t.Errorf("event %d (%s) holds a password hash: %s", ev.Seq, ev.Action, text)
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("event %d (%s) holds a secret", ev.Seq, ev.Action)
			}
		}
	}
}

func change(t *testing.T, ev audit.Event, field string) (audit.Change, bool) {
	t.Helper()
	cs, err := ev.DecodeChanges()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Field == field {
			return c, true
		}
	}
	return audit.Change{}, false
}

func wantKind(t *testing.T, err error, kind domain.Kind, key string) *domain.Error {
	t.Helper()
	var de *domain.Error
	ok := errors.As(err, &de)
	if !ok || de.Kind != kind || (key != "" && de.Key != key) {
		t.Fatalf("err = %v, want %s %s", err, kind, key)
	}
	return de
}

func (e *env) failedLogins(t *testing.T, id int64) (int, string) {
	t.Helper()
	var n int
	var until string
	if err := e.db.R().QueryRowContext(ctx, "SELECT failed_logins, locked_until FROM person WHERE id = $1", id).Scan(&n, &until); err != nil {
		t.Fatal(err)
	}
	return n, until
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
