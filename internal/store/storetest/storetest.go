// Package storetest opens real databases for tests: SQLite in a temporary
// folder always, and PostgreSQL too when TEST_DATABASE_URL is set (each test
// gets a database of its own, dropped afterwards).
package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"labflow/internal/store"
)

// PostgresURL returns TEST_DATABASE_URL, or "" when PostgreSQL tests are off.
func PostgresURL() string { return os.Getenv("TEST_DATABASE_URL") }

// Backends lists the backends the current run covers.
func Backends() []store.Dialect {
	if PostgresURL() != "" {
		return []store.Dialect{store.SQLite, store.Postgres}
	}
	return []store.Dialect{store.SQLite}
}

// Each runs f as a subtest on every backend; on PostgreSQL only when
// TEST_DATABASE_URL is set (otherwise that subtest is skipped with a note).
func Each(t *testing.T, f func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			f(t, Open(t, d))
		})
	}
}

// Config returns a store configuration for a fresh database of dialect d.
func Config(t testing.TB, d store.Dialect) store.Config {
	t.Helper()
	if d == store.SQLite {
		return store.Config{DataDir: t.TempDir()}
	}
	return store.Config{DSN: NewPostgresDB(t)}
}

var dsns sync.Map // *store.DB -> PostgreSQL URL

// Open opens a fresh, migrated database of dialect d, closed at cleanup.
func Open(t testing.TB, d store.Dialect) *store.DB {
	t.Helper()
	cfg := Config(t, d)
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open %s: %v", d, err)
	}
	dsns.Store(db, cfg.DSN)
	t.Cleanup(func() { db.Close(); dsns.Delete(db) })
	return db
}

var seq atomic.Int64

// NewPostgresDB creates an empty database on the TEST_DATABASE_URL server
// and returns its URL; it is dropped when the test ends. Without
// TEST_DATABASE_URL the test is skipped.
func NewPostgresDB(t testing.TB) string {
	t.Helper()
	base := PostgresURL()
	if base == "" {
		t.Skip("PostgreSQL tests skipped: set TEST_DATABASE_URL (.ci/run does) to run them")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer admin.Close()
	name := fmt.Sprintf("lf_%d_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9, seq.Add(1))
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("postgres: create database: %v", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("postgres url: %v", err)
	}
	u.Path = "/" + name
	t.Cleanup(func() {
		a, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer a.Close()
		a.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
	})
	return u.String()
}

// Exec runs raw SQL against the database behind db, bypassing the store —
// for tests that play the part of someone with direct database access.
func Exec(t testing.TB, db *store.DB, query string, args ...any) {
	t.Helper()
	driver, dsn := "sqlite", "file:"+db.Path()
	if db.Dialect() == store.Postgres {
		v, _ := dsns.Load(db)
		driver, dsn = "pgx", v.(string)
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatalf("raw open: %v", err)
	}
	defer raw.Close()
	if _, err := raw.Exec(query, args...); err != nil {
		t.Fatalf("exec %q: %v", strings.TrimSpace(query), err)
	}
}
