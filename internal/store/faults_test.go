package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// writeEntry is a small audited write.
func writeEntry(ctx context.Context, db *store.DB, i int) error {
	return db.Write(ctx, func(tx *store.Tx) error {
		return tx.Audit(audit.Entry{ActorName: "test", Action: "fault.test", Entity: "t", EntityID: string(rune('a' + i%26))})
	})
}

// within runs f and returns its error, or a "hangs" error if it has not
// returned after limit (f is left running).
func within(limit time.Duration, f func() error) error {
	done := make(chan error, 1)
	go func() { done <- f() }()
	select {
	case err := <-done:
		return err
	case <-time.After(limit):
		return fmt.Errorf("no outcome within %s", limit)
	}
}

// wantUnavailable checks that err is KindUnavailable.
func wantUnavailable(t *testing.T, what string, err error) {
	t.Helper()
	if !domain.IsKind(err, domain.KindUnavailable) {
		t.Errorf("%s: %v (kind %s), want unavailable", what, err, domain.ErrorKind(err))
	}
}

// stall makes the database stop answering writes (SQLite: another
// connection holds the write lock; PostgreSQL: the proxy freezes) and
// returns the function that ends the stall.
type stall func(t *testing.T, db *store.DB) (resume func())

// Ensure every database call has a deadline: while the database does not
// answer, each writer of a batch gets KindUnavailable within a few
// seconds of the (here 1 s) timeout, reads do too on PostgreSQL, and the
// write loop carries on once the database answers again (COMPLIANCE,
// "Integrity before breadth" item 10).
func TestFaults_Deadline_StalledDatabase(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		open func(t *testing.T) (*store.DB, stall)
	}{
		{"sqlite", func(t *testing.T) (*store.DB, stall) {
			cfg := storetest.Config(t, store.SQLite)
			cfg.Timeout = time.Second
			db := mustOpen(t, cfg)
			return db, func(t *testing.T, db *store.DB) func() {
				raw, err := sql.Open("sqlite", "file:"+db.Path())
				if err != nil {
					t.Fatal(err)
				}
				conn, err := raw.Conn(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
					t.Fatal(err)
				}
				return func() {
					conn.ExecContext(context.Background(), "ROLLBACK")
					conn.Close()
					raw.Close()
				}
			}
		}},
		{"postgres", func(t *testing.T) (*store.DB, stall) {
			base := storetest.NewPostgresDB(t)
			px := storetest.NewProxy(t, base)
			db := mustOpen(t, store.Config{DSN: px.DSN(base), Timeout: time.Second})
			return db, func(t *testing.T, db *store.DB) func() {
				px.Freeze()
				return px.Unfreeze
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db, stallDB := tc.open(t)
			ctx := context.Background()
			if err := writeEntry(ctx, db, 0); err != nil {
				t.Fatal(err)
			}
			resume := sync.OnceFunc(stallDB(t, db))
			t.Cleanup(resume) // before the database closes, should a call hang
			const writers = 8
			var wg sync.WaitGroup
			errs := make([]error, writers)
			for i := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					errs[i] = within(8*time.Second, func() error { return writeEntry(ctx, db, i) })
				}()
			}
			if db.Dialect() == store.Postgres {
				err := within(8*time.Second, func() error { _, err := db.AuditHead(ctx); return err })
				wantUnavailable(t, "read", err)
			}
			wg.Wait()
			for i, err := range errs {
				wantUnavailable(t, fmt.Sprint("writer ", i), err)
			}
			resume()
			var err error
			for try := 0; try < 50; try++ { // the first calls may meet connections the stall broke
				if err = writeEntry(ctx, db, 1); err == nil {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err != nil {
				t.Fatalf("write after the stall: %v", err)
			}
			for try := 0; try < 50; try++ { // as the writes: a read may meet a connection the stall broke
				if _, err = db.VerifyAudit(ctx, ""); err == nil {
					break
				}
				time.Sleep(100 * time.Millisecond)
			}
			if err != nil {
				t.Fatalf("verify after the stall: %v", err)
			}
		})
	}
}

// mustOpen opens cfg, closed at cleanup.
func mustOpen(t *testing.T, cfg store.Config) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Ensure WithLock admits one holder at a time across separate handles on
// one database (as separate servers are), releases the lock when fn
// returns (PostgreSQL: on the connection that took it, so another session
// can take it at once), and that Open on an empty database from several
// handles at once migrates it once.
func TestFaults_WithLock_OneHolderAtATime(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Backends() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			cfg := storetest.Config(t, d)
			const handles = 3
			dbs := make([]*store.DB, handles)
			errs := make([]error, handles)
			var wg sync.WaitGroup
			for i := range handles {
				wg.Add(1)
				go func() {
					defer wg.Done()
					dbs[i], errs[i] = store.Open(context.Background(), cfg)
				}()
			}
			wg.Wait()
			for i, err := range errs {
				if err != nil {
					t.Fatalf("open %d: %v", i, err)
				}
				t.Cleanup(func() { dbs[i].Close() })
			}
			var mu sync.Mutex
			in, most := 0, 0
			for i := range 12 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := dbs[i%handles].WithLock(context.Background(), "test", func(context.Context) error {
						mu.Lock()
						in++
						most = max(most, in)
						mu.Unlock()
						time.Sleep(5 * time.Millisecond)
						mu.Lock()
						in--
						mu.Unlock()
						return nil
					})
					if err != nil {
						t.Errorf("WithLock: %v", err)
					}
				}()
			}
			wg.Wait()
			if most != 1 {
				t.Errorf("%d holders at once", most)
			}
			// Released: a waiter that gives up quickly still gets it.
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if err := dbs[1].WithLock(ctx, "test", func(context.Context) error { return nil }); err != nil {
				t.Errorf("lock not released: %v", err)
			}
			// A waiter gives up when its context ends.
			held, release, released := make(chan struct{}), make(chan struct{}), make(chan error, 1)
			go func() {
				released <- dbs[0].WithLock(context.Background(), "test", func(context.Context) error {
					close(held)
					<-release
					return nil
				})
			}()
			<-held
			ctx, cancel = context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			if err := dbs[2].WithLock(ctx, "test", func(context.Context) error { return nil }); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("waiting for a held lock: %v, want the context's end", err)
			}
			close(release)
			if err := <-released; err != nil {
				t.Errorf("WithLock: %v", err)
			}
		})
	}
}

// Ensure OpenReadOnly reads an existing database without changing it: the
// audit trail verifies, Write is refused, a write statement fails on the
// connection itself (SQLite mode=ro, PostgreSQL read-only transactions),
// and a folder without a database is an error that creates nothing.
func TestFaults_OpenReadOnly_WritesNothing(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Backends() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			cfg := storetest.Config(t, d)
			rw, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			if err := writeEntry(ctx, rw, 0); err != nil {
				t.Fatal(err)
			}
			rw.Close()

			db, err := store.OpenReadOnly(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if !db.ReadOnly() {
				t.Error("ReadOnly() is false")
			}
			if h, err := db.VerifyAudit(ctx, ""); err != nil || h.Count != 1 {
				t.Errorf("verify: %v %v", h, err)
			}
			if err := writeEntry(ctx, db, 1); err == nil {
				t.Error("Write on a read-only database succeeded")
			}
			var seq int64
			if err := db.R().QueryRowContext(ctx, "UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq").Scan(&seq); err == nil {
				t.Error("an UPDATE through the read-only database succeeded")
			}
			if h, err := db.AuditHead(ctx); err != nil || h.Count != 1 {
				t.Errorf("head after the refused writes: %v %v", h, err)
			}
			// A database at an older schema version is read as far as it
			// goes: the chain is verified, the records said to be unchecked.
			rawExec(t, cfg, "DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)")
			old, err := store.OpenReadOnly(ctx, cfg)
			if err != nil {
				t.Fatalf("open an older schema: %v", err)
			}
			var ru *store.RecordsUncheckedError
			if h, err := old.VerifyAudit(ctx, ""); !errors.As(err, &ru) || h.Count != 1 {
				t.Errorf("verify an older schema: %v %v", h, err)
			}
			old.Close()
			// One at a newer version is refused, not misread.
			rawExec(t, cfg, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', '')")
			if newer, err := store.OpenReadOnly(ctx, cfg); err == nil {
				newer.Close()
				t.Error("opened a database at a newer schema version")
			} else if !strings.Contains(err.Error(), "schema is at version") {
				t.Errorf("newer schema: %v", err)
			}
			if d == store.SQLite {
				empty := t.TempDir()
				if _, err := store.OpenReadOnly(ctx, store.Config{DataDir: empty}); err == nil {
					t.Error("opened a database that does not exist")
				}
				if entries, _ := os.ReadDir(empty); len(entries) != 0 {
					t.Errorf("OpenReadOnly created %v", entries)
				}
			}
		})
	}
}

// Ensure a writer whose caller goes away while the database holds the
// batch back gets its context's error at once, and its function never
// runs: nothing is committed for a client that left.
func TestFaults_AbandonedWriteNeverRuns(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t, store.SQLite)
	raw, err := sql.Open("sqlite", "file:"+db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	conn, err := raw.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var ran atomic.Bool
	go func() { time.Sleep(200 * time.Millisecond); cancel() }()
	err = within(5*time.Second, func() error {
		return db.Write(ctx, func(tx *store.Tx) error {
			ran.Store(true)
			return tx.Audit(audit.Entry{ActorName: "test", Action: "fault.gone", Entity: "t", EntityID: "x"})
		})
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("abandoned write: %v, want its context's cancellation", err)
	}
	conn.ExecContext(context.Background(), "ROLLBACK")
	if err := writeEntry(context.Background(), db, 0); err != nil {
		t.Fatal(err)
	}
	if ran.Load() {
		t.Error("the abandoned writer's function ran")
	}
	if h, err := db.AuditHead(context.Background()); err != nil || h.Count != 1 {
		t.Errorf("head %v %v, want only the later write", h, err)
	}
}

// rawExec runs q on the database of cfg behind the store's back.
func rawExec(t *testing.T, cfg store.Config, q string) {
	t.Helper()
	driver, dsn := "sqlite", "file:"+filepath.Join(cfg.DataDir, "labflow.db")
	if cfg.DSN != "" {
		driver, dsn = "pgx", cfg.DSN
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(q); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}
