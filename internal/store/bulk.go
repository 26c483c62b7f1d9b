package store

import (
	"context"
	"strconv"
	"strings"
)

// A bulkTable is a table whose rows a write function queues
// (Tx.insertLater) instead of inserting them at once: just before the
// commit the batch's queued rows of the table go in by multi-row INSERTs,
// one statement per power of two of them. Rows that nothing in a write
// reads back (audit events, timeline entries, notifications) need no
// statement of their own: on SQLite that saves the statement's fixed cost,
// on PostgreSQL a round trip. A writer whose function fails loses its
// queued rows with its savepoint.
type bulkTable struct {
	idx  int
	cols int
	ins  map[int]string // rows → INSERT of that many rows
}

// bulkChunks are the row counts of the prepared multi-row INSERTs.
var bulkChunks = []int{64, 32, 16, 8, 4, 2, 1}

// bulkTables are flushed in this order; the audit trail comes last so that
// its head row (locked on PostgreSQL) is held for the shortest time.
var bulkTables []*bulkTable

func newBulkTable(name string, cols ...string) *bulkTable {
	if len(bulkTables) == len(txMark{}.later) {
		panic("store: more bulk tables than txMark holds")
	}
	t := &bulkTable{idx: len(bulkTables), cols: len(cols), ins: map[int]string{}}
	for _, n := range bulkChunks {
		var b strings.Builder
		b.WriteString("INSERT INTO " + name + " (" + strings.Join(cols, ", ") + ") VALUES ")
		for r := 0; r < n; r++ {
			if r > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for c := range cols {
				if c > 0 {
					b.WriteString(", ")
				}
				b.WriteString("$" + strconv.Itoa(r*len(cols)+c+1))
			}
			b.WriteByte(')')
		}
		t.ins[n] = b.String()
	}
	bulkTables = append(bulkTables, t)
	return t
}

var (
	// instanceRows and taskRows carry their id, assigned by Tx.nextID
	// (SQLite only).
	instanceRows = newBulkTable("flow_instance",
		"id", "def_key", "def_version", "title", "initiator_id", "initiator_name", "initiator_dept", "status", "form", "state", "search",
		"parent_id", "parent_step", "version", "created_at", "updated_at", "ended_at", "outcome", "subject_kind", "subject_id")
	taskRows = newBulkTable("flow_task",
		"id", "instance_id", "step_id", "round", "slot", "assignee_id", "assignee_name", "state", "kind", "parent_task_id", "added_by",
		"outcome", "comment", "def_key", "initiator_id", "created_at", "acted_at", "due_at", "version")
	actionRows = newBulkTable("flow_action",
		"instance_id", "task_id", "step_id", "actor_id", "actor_name", "action", "target_id", "comment", "meaning", "attachments", "at", "external_entry")
	outboxRows = newBulkTable("flow_outbox",
		"channel", "recipient_id", "kind", "instance_id", "task_id", "args", "created_at")
	auditRows = newBulkTable("audit_event",
		"seq", "at", "actor_id", "actor_name", "action", "entity", "entity_id", "changes", "reason", "prev_hash", "hash", "records")
)

// prepareBulk prepares every table's INSERTs on the write pool (at Open).
func (db *DB) prepareBulk(ctx context.Context) {
	for _, t := range bulkTables {
		for _, n := range bulkChunks {
			db.prepare(ctx, t.ins[n])
		}
	}
}

// chunk returns how many of n queued rows the next INSERT takes.
func chunk(n int) int {
	for _, c := range bulkChunks {
		if n >= c {
			return c
		}
	}
	return n
}

// insertLater queues one row of t (its values in column order) for the
// batch's INSERTs of t.
func (t *Tx) insertLater(b *bulkTable, values ...any) {
	if t.later == nil {
		t.later = make([][]any, len(bulkTables))
	}
	t.later[b.idx] = append(t.later[b.idx], values...)
}

// nextID assigns the next id of table (whose id is its SQLite rowid) so
// that a row can be queued while its id is already used, e.g. by the rows
// that refer to it. SQLite only: its one writer holds the write lock from
// BEGIN, so nobody else can take an id until the commit. Ids of a writer
// that fails are not reused; the gap is harmless. Nothing in the batch can
// read a queued row before the commit: its id reaches others only then.
func (t *Tx) nextID(table string) (int64, error) {
	if t.ids == nil {
		t.ids = map[string]int64{}
	}
	last, ok := t.ids[table]
	if !ok {
		if err := t.queryRow(t.ctx, "SELECT COALESCE(MAX(id), 0) FROM "+table).Scan(&last); err != nil {
			return 0, err
		}
	}
	last++
	t.ids[table] = last
	return last, nil
}

// txMark is how far a Tx's queues had grown when a writer started, so that
// a failed writer's queued rows can be dropped with its savepoint.
type txMark struct {
	audits int
	later  [8]int
}

// mark notes where a writer starts; it also starts the writer's list of
// records to seal (seal.go), which belongs to that writer alone.
func (t *Tx) mark() txMark {
	m := txMark{audits: len(t.audits)}
	for i := range t.later {
		m.later[i] = len(t.later[i])
	}
	t.touched, t.sealed = t.touched[:0], t.sealed[:0]
	return m
}

func (t *Tx) rollbackTo(m txMark) {
	t.audits = t.audits[:m.audits]
	for i := range t.later {
		t.later[i] = t.later[i][:m.later[i]]
	}
	t.touched, t.sealed = t.touched[:0], t.sealed[:0]
}

// flushBulk inserts the queued rows of every table but the audit trail
// (flushAudit chains and inserts those).
func (t *Tx) flushBulk() error {
	for i, vals := range t.later {
		if len(vals) > 0 {
			if err := t.insertRows(bulkTables[i], vals); err != nil {
				return err
			}
		}
	}
	return nil
}

// insertRows inserts rows (values in column order, row after row) of b.
func (t *Tx) insertRows(b *bulkTable, vals []any) error {
	ctx := t.batch
	for len(vals) > 0 {
		n := chunk(len(vals) / b.cols)
		if _, err := t.exec(ctx, b.ins[n], vals[:n*b.cols]...); err != nil {
			return err
		}
		vals = vals[n*b.cols:]
	}
	return nil
}
