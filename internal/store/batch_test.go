package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"labflow/internal/audit"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// Ensure writers that update the same rows in opposite orders all commit
// exactly once, even when concurrent batches (PostgreSQL) deadlock and a
// batch runs again, and that the audit chain stays whole.
func TestWriteContendedRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		storetest.Exec(t, db, "CREATE TABLE t_counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
		storetest.Exec(t, db, "INSERT INTO t_counter (id, n) VALUES (1, 0), (2, 0)")
		const writers = 120
		var wg sync.WaitGroup
		errs := make(chan error, writers)
		for i := 0; i < writers; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				a, b := 1, 2
				if i%2 == 1 {
					a, b = 2, 1
				}
				errs <- db.Write(context.Background(), func(tx *store.Tx) error {
					for _, id := range []int{a, b} {
						if _, err := tx.Exec("UPDATE t_counter SET n = n + 1 WHERE id = $1", id); err != nil {
							return err
						}
					}
					return tx.Audit(audit.Entry{ActorName: "x", Action: "test.counter", Entity: "t_counter", EntityID: "1"})
				})
			}(i)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range []int{1, 2} {
			var n int
			if err := db.R().QueryRowContext(context.Background(), "SELECT n FROM t_counter WHERE id = $1", id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != writers {
				t.Fatalf("row %d counted %d, want %d", id, n, writers)
			}
		}
		h, err := db.VerifyAudit(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		if h.Count != writers {
			t.Fatalf("audit count=%d, want %d", h.Count, writers)
		}
	})
}

// Writers that queue while a batch runs join it before its commit: one
// slow writer holds the SQLite write loop while ten more queue up, and all
// eleven commit together in one transaction.
func TestWriteLateArrivalsJoinTheBatch(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	storetest.Exec(t, db, "CREATE TABLE t_join (id INTEGER PRIMARY KEY)")
	before := db.WriteStats()
	started, release := make(chan struct{}), make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 11)
	wg.Add(1)
	go func() {
		defer wg.Done()
		errs <- db.Write(context.Background(), func(tx *store.Tx) error {
			close(started)
			<-release
			_, err := tx.Exec("INSERT INTO t_join (id) VALUES (0)")
			return err
		})
	}()
	<-started
	for i := 1; i <= 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- db.Write(context.Background(), func(tx *store.Tx) error {
				_, err := tx.Exec("INSERT INTO t_join (id) VALUES ($1)", i)
				return err
			})
		}()
	}
	// Wait until the ten are queued behind the first.
	for deadline := time.Now().Add(10 * time.Second); db.WriteStats().Queued < 10; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("only %d writes queued", db.WriteStats().Queued)
		}
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	after := db.WriteStats()
	if w, c := after.Writes-before.Writes, after.Commits-before.Commits; w != 11 || c != 1 {
		t.Fatalf("%d writes in %d commits, want 11 in 1", w, c)
	}
}
