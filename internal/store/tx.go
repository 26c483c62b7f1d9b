package store

import (
	"context"
	"database/sql"
	"time"

	"labflow/internal/audit"
)

// Tx is one caller's share of a write transaction. Everything written
// through it — domain rows, process rows and audit events — commits or rolls
// back together (DESIGN §2).
type Tx struct {
	tx     *sql.Tx
	db     *DB
	ctx    context.Context
	now    time.Time
	head   audit.Head // the audit chain's end as this transaction sees it
	loaded bool       // head was read (and, on PostgreSQL, locked)
	dirty  bool       // head moved and must be written before commit
	after  []func()
}

// Now returns the transaction's clock reading (server UTC, R6). It is fixed
// for the duration of one caller's function.
func (t *Tx) Now() time.Time { return t.now }

// Context returns the context of the caller that owns this share.
func (t *Tx) Context() context.Context { return t.ctx }

// Dialect returns the database's dialect.
func (t *Tx) Dialect() Dialect { return t.db.dialect }

// Exec runs a statement.
func (t *Tx) Exec(query string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(t.ctx, query, args...)
}

// QueryContext runs a query (Reader).
func (t *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, query, args...)
}

// QueryRowContext runs a single-row query (Reader).
func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, query, args...)
}

// AfterCommit registers f to run once the batch has committed durably
// (e.g. to wake a notifier). It does not run if this share rolls back.
func (t *Tx) AfterCommit(f func()) { t.after = append(t.after, f) }

// Audit appends an event to the hash-chained trail in this transaction
// (COMPLIANCE R1, R2). Time comes from the server clock.
func (t *Tx) Audit(e audit.Entry) error {
	if !t.loaded {
		// On PostgreSQL, FOR UPDATE makes concurrent writers from other
		// processes queue here, so the chain never forks.
		row := t.queryRow(t.ctx, qAuditHead+t.db.dialect.forUpdate())
		if err := row.Scan(&t.head.Count, &t.head.Hash); err != nil {
			return mapErr("store.Audit", err)
		}
		t.loaded = true
	}
	changes, err := audit.EncodeChanges(e.Changes)
	if err != nil {
		return mapErr("store.Audit", err)
	}
	ev := audit.Event{
		Seq: t.head.Count + 1, At: t.now, ActorID: e.ActorID, ActorName: e.ActorName,
		Action: e.Action, Entity: e.Entity, EntityID: e.EntityID, Changes: changes,
		Reason: e.Reason, PrevHash: t.head.Hash,
	}
	ev.Hash = audit.ComputeHash(ev)
	_, err = t.exec(t.ctx, qAuditInsert,
		ev.Seq, ev.At.Format(audit.TimeFormat), ev.ActorID, ev.ActorName, ev.Action, ev.Entity, ev.EntityID,
		ev.Changes, ev.Reason, ev.PrevHash, ev.Hash)
	if err != nil {
		return mapErr("store.Audit", err)
	}
	t.head = audit.Head{Count: ev.Seq, Hash: ev.Hash}
	t.dirty = true
	return nil
}

// flushHead writes the chain's end once per batch.
func (t *Tx) flushHead() error {
	if !t.dirty {
		return nil
	}
	_, err := t.exec(context.Background(), qAuditHeadUpdate, t.head.Count, t.head.Hash)
	return err
}

// TimeText formats a time as stored: UTC, fixed width, so that text order is time order.
func TimeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(audit.TimeFormat)
}

// ParseTime reads a stored time; "" is the zero time.
func ParseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(audit.TimeFormat, s)
	if err != nil {
		t, _ = time.Parse(time.RFC3339Nano, s)
	}
	return t.UTC()
}
