package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

func appendEvents(t *testing.T, db *store.DB, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		err := db.Write(context.Background(), func(tx *store.Tx) error {
			return tx.Audit(audit.Entry{ActorID: 7, ActorName: "张三", Action: "test.touch", Entity: "thing",
				EntityID: fmt.Sprint(i), Changes: []audit.Change{{Field: "n", Old: i, New: i + 1}}})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// Ensure events chain and verify on both databases (COMPLIANCE R1, R2).
func TestAuditChainVerifies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		appendEvents(t, db, 5)
		h, err := db.VerifyAudit(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		if h.Count != 5 || len(h.Hash) != 64 {
			t.Fatalf("head=%v, want 5 events", h)
		}
		evs, err := db.FindAudit(context.Background(), store.AuditFilter{Entity: "thing", EntityID: "3"})
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != 1 || evs[0].ActorName != "张三" || !strings.Contains(evs[0].Changes, `"old":3`) {
			t.Fatalf("events=%+v", evs)
		}
	})
}

// Ensure concurrent writers share commits yet every event gets its own
// sequence number and the chain stays intact; a failing writer leaves no trace.
func TestWriteGroupCommit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var wg sync.WaitGroup
		errs := make(chan error, 200)
		for i := 0; i < 200; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				errs <- db.Write(context.Background(), func(tx *store.Tx) error {
					if err := tx.Audit(audit.Entry{ActorName: "x", Action: "test.concurrent", Entity: "thing", EntityID: fmt.Sprint(i)}); err != nil {
						return err
					}
					if i%10 == 0 {
						return domain.E(domain.KindInvalid, "test", "field.required")
					}
					return nil
				})
			}(i)
		}
		wg.Wait()
		close(errs)
		failed := 0
		for err := range errs {
			if err != nil {
				if !domain.IsKind(err, domain.KindInvalid) {
					t.Fatalf("unexpected error %v", err)
				}
				failed++
			}
		}
		if failed != 20 {
			t.Fatalf("failed=%d, want 20", failed)
		}
		h, err := db.VerifyAudit(context.Background(), "")
		if err != nil {
			t.Fatal(err)
		}
		if h.Count != 180 {
			t.Fatalf("count=%d, want 180 (failed writers must leave nothing)", h.Count)
		}
	})
}

// Ensure a panicking writer becomes an internal error and others proceed.
func TestWritePanicIsContained(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	err := db.Write(context.Background(), func(tx *store.Tx) error { panic("boom") })
	if domain.ErrorKind(err) != domain.KindInternal {
		t.Fatalf("err=%v, want internal", err)
	}
	appendEvents(t, db, 1)
}

// Ensure the database refuses updates and deletes of audit events (R2).
func TestAuditAppendOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		appendEvents(t, db, 2)
		for _, q := range []string{"UPDATE audit_event SET reason = 'x' WHERE seq = 1", "DELETE FROM audit_event WHERE seq = 2"} {
			err := db.Write(context.Background(), func(tx *store.Tx) error { _, err := tx.Exec(q); return err })
			if err == nil {
				t.Fatalf("%s: succeeded, want refusal", q)
			}
		}
		if _, err := db.VerifyAudit(context.Background(), ""); err != nil {
			t.Fatal(err)
		}
	})
}

// Ensure verification catches rows altered, deleted or reordered directly in
// the database, and a truncated end through --expect-head (R2).
func TestAuditTamperDetected(t *testing.T) {
	type tamper struct {
		name, reason string
		sql          []string
		expectHead   bool
	}
	cases := []tamper{
		{name: "altered", reason: "altered", sql: []string{"UPDATE audit_event SET actor_name = 'mallory' WHERE seq = 3"}},
		{name: "deleted", reason: "missing", sql: []string{"DELETE FROM audit_event WHERE seq = 2"}},
		{name: "reordered", reason: "reordered", sql: []string{
			"UPDATE audit_event SET seq = 100 WHERE seq = 2", "UPDATE audit_event SET seq = 2 WHERE seq = 3", "UPDATE audit_event SET seq = 3 WHERE seq = 100"}},
		{name: "truncated", reason: "head", expectHead: true, sql: []string{
			"DELETE FROM audit_event WHERE seq = 5", "UPDATE audit_head SET seq = 4, hash = (SELECT hash FROM audit_event WHERE seq = 4)"}},
	}
	storetest.Each(t, func(t *testing.T, db0 *store.DB) {
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				db := storetest.Open(t, db0.Dialect())
				appendEvents(t, db, 5)
				head, err := db.VerifyAudit(context.Background(), "")
				if err != nil {
					t.Fatal(err)
				}
				dropTriggers(t, db)
				for _, q := range c.sql {
					storetest.Exec(t, db, q)
				}
				expect := ""
				if c.expectHead {
					expect = head.Hash
					// Without the recorded head, a clean cut at the end is undetectable.
					if _, err := db.VerifyAudit(context.Background(), ""); err != nil {
						t.Fatalf("without expect-head: %v", err)
					}
				}
				_, err = db.VerifyAudit(context.Background(), expect)
				var p *audit.Problem
				if !errors.As(err, &p) {
					t.Fatalf("err=%v, want a chain problem", err)
				}
				if p.Reason != c.reason {
					t.Fatalf("reason=%q, want %q (%v)", p.Reason, c.reason, p)
				}
			})
		}
	})
}

func dropTriggers(t *testing.T, db *store.DB) {
	t.Helper()
	if db.Dialect() == store.SQLite {
		storetest.Exec(t, db, "DROP TRIGGER audit_event_no_update")
		storetest.Exec(t, db, "DROP TRIGGER audit_event_no_delete")
	} else {
		storetest.Exec(t, db, "DROP TRIGGER audit_event_no_update ON audit_event")
	}
}

// Ensure a write function that calls Write with its transaction's context
// fails at once instead of deadlocking the write loop.
func TestNestedWriteRefused(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	err := db.Write(context.Background(), func(tx *store.Tx) error {
		return db.Write(tx.Context(), func(*store.Tx) error { return nil })
	})
	if domain.ErrorKind(err) != domain.KindInternal || !strings.Contains(err.Error(), "inside a write function") {
		t.Fatalf("err=%v, want nested-write refusal", err)
	}
	appendEvents(t, db, 1)
}
