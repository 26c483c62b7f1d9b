package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"labflow/internal/audit"
)

// Tx is one caller's share of a write transaction. Everything written
// through it — domain rows, process rows and audit events — commits or rolls
// back together (DESIGN §2).
type Tx struct {
	tx     *sql.Tx
	db     *DB
	batch  context.Context // the batch's: its deadline bounds every statement
	ctx    context.Context // the current writer's (writerCtx)
	now    time.Time
	audits []audit.Event    // this batch's events, chained and inserted at the end (flushAudit)
	later  [][]any          // rows queued per bulk table (insertLater), inserted at the end (flushBulk)
	ids    map[string]int64 // the last id assigned per table (nextID)
	after  []func()
	// This writer's records to seal (seal.go): rows to read back, and
	// digests the writer computed itself.
	touched []recordKey
	sealed  []sealedRecord
	// peopleWrite is set when a statement of the batch wrote to a table a
	// person or an actor is read from (peoplegen.go); the batch then moves
	// the database's PeopleGeneration, whether it commits or not.
	peopleWrite bool
}

// Now returns the transaction's clock reading (server UTC, R6). It is fixed
// for the duration of one caller's function.
func (t *Tx) Now() time.Time { return t.now }

// Context returns the context of the caller that owns this share: its
// values, with the batch's deadline.
func (t *Tx) Context() context.Context { return t.ctx }

// Dialect returns the database's dialect.
func (t *Tx) Dialect() Dialect { return t.db.dialect }

// Exec runs a statement.
func (t *Tx) Exec(query string, args ...any) (sql.Result, error) {
	t.noteWrite(query)
	return t.tx.ExecContext(t.ctx, query, args...)
}

// QueryContext runs a query (Reader). It runs under the batch's deadline
// (Context), whatever ctx says: the transaction is shared, and one
// writer's cancellation must not break it for the others.
func (t *Tx) QueryContext(_ context.Context, query string, args ...any) (*sql.Rows, error) {
	t.noteWrite(query)
	return t.tx.QueryContext(t.ctx, query, args...)
}

// QueryRowContext runs a single-row query (Reader), under the batch's
// deadline like QueryContext.
func (t *Tx) QueryRowContext(_ context.Context, query string, args ...any) *sql.Row {
	t.noteWrite(query)
	return t.tx.QueryRowContext(t.ctx, query, args...)
}

// AfterCommit registers f to run once the batch has committed durably
// (e.g. to wake a notifier). It does not run if this share rolls back.
func (t *Tx) AfterCommit(f func()) { t.after = append(t.after, f) }

// Audit appends an event to the hash-chained trail in this transaction
// (COMPLIANCE R1, R2). Time comes from the server clock.
//
// The event is encoded now (so that a bad entry fails its own caller) but
// chained and inserted with the batch's other events just before the
// commit (flushAudit): one multi-row INSERT per batch instead of one per
// event, and on PostgreSQL the chain's head row is locked only for the
// end of the transaction.
func (t *Tx) Audit(e audit.Entry) error {
	changes := e.Encoded
	if changes == "" {
		var err error
		if changes, err = audit.EncodeChanges(e.Changes); err != nil {
			return mapErr("store.Audit", err)
		}
	}
	t.audits = append(t.audits, audit.Event{
		At: t.now, ActorID: e.ActorID, ActorName: e.ActorName,
		Action: e.Action, Entity: e.Entity, EntityID: e.EntityID, Changes: changes, Reason: e.Reason,
	})
	return nil
}

// flushAudit chains the batch's events onto the stored head and writes
// them and the new head. On PostgreSQL, FOR UPDATE makes concurrent
// writers (other batches, other processes) queue here, so the chain never
// forks; the lock is held until the commit.
func (t *Tx) flushAudit() error {
	if len(t.audits) == 0 {
		return nil
	}
	ctx := t.batch
	var head audit.Head
	if err := t.queryRow(ctx, qAuditHead+t.db.dialect.forUpdate()).Scan(&head.Count, &head.Hash); err != nil {
		return err
	}
	for i := range t.audits {
		ev := &t.audits[i]
		ev.Seq, ev.PrevHash = head.Count+1, head.Hash
		ev.Hash = audit.ComputeHash(*ev)
		head = audit.Head{Count: ev.Seq, Hash: ev.Hash}
	}
	vals := make([]any, 0, len(t.audits)*auditRows.cols)
	for _, ev := range t.audits {
		vals = append(vals, ev.Seq, ev.At.Format(audit.TimeFormat), ev.ActorID, ev.ActorName, ev.Action, ev.Entity, ev.EntityID,
			ev.Changes, ev.Reason, ev.PrevHash, ev.Hash, ev.Records)
	}
	if err := t.insertRows(auditRows, vals); err != nil {
		return err
	}
	_, err := t.exec(ctx, qAuditHeadUpdate, head.Count, head.Hash)
	return err
}

// TimeText formats a time as stored: UTC, fixed width, so that text order is time order.
func TimeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(audit.TimeFormat)
}

// ParseTime reads a stored time; "" is the zero time. Text that is not a
// time reads as the zero time: scans use timeCol, which reports it.
func ParseTime(s string) time.Time {
	t, _ := parseTime(s)
	return t
}

// parseTime reads a stored time ("" is the zero time) or says why not.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(audit.TimeFormat, s)
	if err != nil {
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return time.Time{}, fmt.Errorf("store: stored time %q: %w", s, err)
		}
	}
	return t.UTC(), nil
}

// timeCol scans a stored time column into *t, failing the scan on text
// that is not a time (a damaged row is reported, never read as zero).
type timeCol struct{ t *time.Time }

// Scan implements sql.Scanner.
func (c timeCol) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case nil:
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("store: time column holds %T", src)
	}
	t, err := parseTime(s)
	if err != nil {
		return err
	}
	*c.t = t
	return nil
}
