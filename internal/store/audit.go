package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"labflow/internal/audit"
)

// AuditFilter selects audit events. Zero fields do not filter.
type AuditFilter struct {
	Entity   string
	EntityID string
	ActorID  int64
	Action   string // exact action, or a prefix ending in "." (e.g. "person.")
	From, To string // inclusive UTC time bounds as stored text (or a YYYY-MM-DD date)
	AfterSeq int64  // keyset paging: events with seq > AfterSeq
	// Without leaves out events whose action starts with one of these
	// prefixes (e.g. the security events a viewer may not read).
	Without []string
	Limit   int  // default 100, at most 10000
	Desc    bool // newest first
}

const auditCols = "seq, at, actor_id, actor_name, action, entity, entity_id, changes, reason, prev_hash, hash, records"

// FindAudit lists audit events matching f.
func (db *DB) FindAudit(ctx context.Context, f AuditFilter) ([]audit.Event, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+itoa(len(args))))
	}
	if f.Entity != "" {
		add("entity = ?", f.Entity)
	}
	if f.EntityID != "" {
		add("entity_id = ?", f.EntityID)
	}
	if f.ActorID != 0 {
		add("actor_id = ?", f.ActorID)
	}
	if strings.HasSuffix(f.Action, ".") {
		add(`action LIKE ? ESCAPE '\'`, escapeLike(f.Action)+"%")
	} else if f.Action != "" {
		add("action = ?", f.Action)
	}
	for _, p := range f.Without {
		add(`action NOT LIKE ? ESCAPE '\'`, escapeLike(p)+"%")
	}
	if f.From != "" {
		add("at >= ?", f.From)
	}
	if f.To != "" {
		to := f.To
		if len(to) == 10 { // a date: include the whole day
			to += "T23:59:59.999999Z"
		}
		add("at <= ?", to)
	}
	if f.AfterSeq > 0 {
		if f.Desc {
			add("seq < ?", f.AfterSeq)
		} else {
			add("seq > ?", f.AfterSeq)
		}
	}
	q := "SELECT " + auditCols + " FROM audit_event"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	if f.Desc {
		q += " ORDER BY seq DESC"
	} else {
		q += " ORDER BY seq"
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	if limit > 10000 {
		limit = 10000
	}
	q += " LIMIT " + itoa(limit)
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr("store.FindAudit", err)
	}
	defer rows.Close()
	var out []audit.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, mapErr("store.FindAudit", err)
		}
		out = append(out, e)
	}
	return out, mapErr("store.FindAudit", rows.Err())
}

func scanEvent(s scanner) (audit.Event, error) {
	var e audit.Event
	var at string
	err := s.Scan(&e.Seq, &at, &e.ActorID, &e.ActorName, &e.Action, &e.Entity, &e.EntityID, &e.Changes, &e.Reason, &e.PrevHash, &e.Hash, &e.Records)
	// A time that does not parse reads as the zero time on purpose: the
	// event's hash covers its time, so the verifier reports the event as
	// altered rather than the listing failing as a whole.
	e.At = ParseTime(at)
	return e, err
}

// AuditHead returns the stored end of the chain.
func (db *DB) AuditHead(ctx context.Context) (audit.Head, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var h audit.Head
	err := db.R().QueryRowContext(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&h.Count, &h.Hash)
	return h, mapErr("store.AuditHead", err)
}

// sealingSchema is the schema version from which audit events seal the
// records they wrote.
const sealingSchema = 7

// RecordsUncheckedError says that the chain holds but the records could
// not be checked: the database was made by an earlier LabFlow and opened
// read-only, so it was neither migrated nor sealed (a migrated copy is).
type RecordsUncheckedError struct {
	Schema int
}

func (e *RecordsUncheckedError) Error() string {
	return "records not checked: the database is at schema version " + strconv.Itoa(e.Schema) +
		" (made by an earlier LabFlow); run `labflow migrate` on a copy to seal and check its records"
}

// RecordsError lists the records that are not what their trail says
// (VerifyAudit's error when the chain itself holds).
type RecordsError struct {
	Problems []RecordProblem
}

func (e *RecordsError) Error() string {
	var b strings.Builder
	b.WriteString("records edited behind the audit trail's back: ")
	for i, p := range e.Problems {
		if i > 0 {
			b.WriteString("; ")
		}
		if i == 20 {
			b.WriteString("…")
			break
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// VerifyAudit walks the whole chain in sequence order and returns its head,
// or the first problem found (an *audit.Problem) with the head so far.
// expectHead, if given, is a hash recorded earlier that must still be in the
// chain. When the chain holds, it then checks every sealed record against
// the state the trail records for it, and returns a *RecordsError naming
// each record edited, inserted or removed behind the trail's back.
func (db *DB) VerifyAudit(ctx context.Context, expectHead string) (audit.Head, error) {
	v := audit.NewVerifier(expectHead)
	// The walk may take long on a long trail; it has a deadline that each
	// thousand rows read push back (progress), so it fails only when the
	// database stops answering.
	p := db.progress(ctx)
	defer p.stop()
	ctx = p.ctx
	fail := func(head audit.Head, err error) (audit.Head, error) {
		return head, mapErr("store.VerifyAudit", p.err(err))
	}
	// Read in a consistent snapshot so that concurrent appends do not
	// look like a head mismatch.
	tx, err := db.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return fail(audit.Head{}, err)
	}
	defer tx.Rollback()
	var stored audit.Head
	if err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM audit_head WHERE id = 1").Scan(&stored.Count, &stored.Hash); err != nil {
		return fail(audit.Head{}, err)
	}
	cols := auditCols
	if db.olderSchema != 0 && db.olderSchema < sealingSchema {
		cols = strings.Replace(cols, ", records", ", '' AS records", 1) // made before events sealed records
	}
	rows, err := tx.QueryContext(ctx, "SELECT "+cols+" FROM audit_event ORDER BY seq")
	if err != nil {
		return fail(audit.Head{}, err)
	}
	defer rows.Close()
	var last audit.Head
	trail := recordDigests{}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return fail(last, err)
		}
		if err := v.Add(e); err != nil {
			return last, err
		}
		if err := trail.addEvent(e.Records); err != nil {
			return last, &audit.Problem{Seq: e.Seq, Reason: "altered", Detail: "records are not readable: " + err.Error()}
		}
		last = audit.Head{Count: e.Seq, Hash: e.Hash}
		advance(ctx)
	}
	if err := rows.Err(); err != nil {
		return fail(last, err)
	}
	rows.Close()
	head, err := v.Finish(stored)
	if err != nil {
		return head, err
	}
	if db.olderSchema != 0 {
		return head, &RecordsUncheckedError{Schema: db.olderSchema}
	}
	problems, err := checkRecords(ctx, tx, trail)
	if err != nil {
		return fail(head, err)
	}
	if len(problems) > 0 {
		return head, &RecordsError{Problems: problems}
	}
	return head, nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
