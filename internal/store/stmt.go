package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
)

// stmts caches prepared statements per database: the hot statements of the
// write path are prepared once on the write pool (outside any write, since
// SQLite's one write connection is busy during one) and used inside
// transactions through Tx.StmtContext; reads are prepared on the read pool
// on first use. Parsing SQL is a large share of a short transaction's cost.
type stmts struct {
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

func (c *stmts) get(key string) *sql.Stmt {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[key]
}

func (c *stmts) put(key string, st *sql.Stmt) *sql.Stmt {
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]*sql.Stmt{}
	}
	old, ok := c.m[key]
	if !ok {
		c.m[key] = st
	}
	c.mu.Unlock()
	if ok {
		// Another goroutine prepared it first. Close ours outside the lock:
		// closing waits for database/sql's per-connection locks, whose
		// holders may be waiting for this cache.
		st.Close()
		return old
	}
	return st
}

func (c *stmts) size() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

// maxCachedStmts bounds the statement cache.
const maxCachedStmts = 512

// cachedReader runs reads on the read pool through prepared statements, so
// that a hot read (a person by id, a token, the grants of an actor) is
// parsed once, not on every request.
type cachedReader struct{ db *DB }

func (c cachedReader) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := c.db.readStmt(q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.db.read.QueryContext(ctx, q, args...)
}

func (c cachedReader) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := c.db.readStmt(q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return c.db.read.QueryRowContext(ctx, q, args...)
}

func (c *stmts) close() {
	c.mu.Lock()
	m := c.m
	c.m = nil
	c.mu.Unlock()
	for _, st := range m {
		st.Close()
	}
}

// The write path's own hot statements, prepared at Open.
const (
	qSavepoint       = "SAVEPOINT w"
	qRelease         = "RELEASE SAVEPOINT w"
	qRollbackTo      = "ROLLBACK TO SAVEPOINT w"
	qAuditHead       = "SELECT seq, hash FROM audit_head WHERE id = 1"
	qAuditHeadUpdate = "UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1"
)

// The audit events of a batch are inserted by multi-row INSERTs of
// auditChunks rows (prepared at Open): a batch of n events takes one
// statement per bit of n (at most 64 rows a statement).
const auditInsertCols = 11

var auditChunks = []int{64, 32, 16, 8, 4, 2, 1}

var qAuditInsertRows = func() map[int]string {
	m := map[int]string{}
	for _, n := range auditChunks {
		var b strings.Builder
		b.WriteString("INSERT INTO audit_event (seq, at, actor_id, actor_name, action, entity, entity_id, changes, reason, prev_hash, hash) VALUES ")
		for r := 0; r < n; r++ {
			if r > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for c := 0; c < auditInsertCols; c++ {
				if c > 0 {
					b.WriteString(", ")
				}
				b.WriteString("$" + strconv.Itoa(r*auditInsertCols+c+1))
			}
			b.WriteByte(')')
		}
		m[n] = b.String()
	}
	return m
}()

// auditChunk returns how many of n pending events the next INSERT takes.
func auditChunk(n int) int {
	for _, c := range auditChunks {
		if n >= c {
			return c
		}
	}
	return n
}

func qAuditInsertN(n int) string { return qAuditInsertRows[n] }

// prepare prepares q on the write pool, once; a failure leaves q to run
// unprepared. It must not be called from inside a write function.
func (db *DB) prepare(q string) {
	if db.stmts.get("w:"+q) != nil {
		return
	}
	st, err := db.write.Prepare(q)
	if err != nil {
		return
	}
	db.stmts.put("w:"+q, st)
}

// prepared returns q prepared on the write pool, or nil.
func (db *DB) prepared(q string) *sql.Stmt { return db.stmts.get("w:" + q) }

// readStmt returns q prepared on the read pool (database/sql keeps one per
// connection), or nil when preparing fails.
func (db *DB) readStmt(q string) *sql.Stmt {
	if st := db.stmts.get("r:" + q); st != nil {
		return st
	}
	if db.stmts.size() >= maxCachedStmts {
		return nil // queries built from filters vary; do not cache without bound
	}
	st, err := db.read.Prepare(q)
	if err != nil {
		return nil
	}
	return db.stmts.put("r:"+q, st)
}

// exec runs a statement in the transaction, prepared when it was prepared
// for the write pool.
func (t *Tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := t.db.prepared(q); st != nil {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, q, args...)
}

// queryRow runs a single-row query in the transaction, prepared when possible.
func (t *Tx) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st := t.db.prepared(q); st != nil {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, q, args...)
}
