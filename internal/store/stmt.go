package store

import (
	"context"
	"database/sql"
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
// parsed once, not on every request. Every read has a deadline: the read
// helpers bound the context themselves (bound, deadline.go) and consume
// the rows before they release it; a context that reaches here without
// a deadline gets one (loose).
type cachedReader struct{ db *DB }

func (c cachedReader) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx = c.db.loose(ctx)
	if st := c.db.readStmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return c.db.read.QueryContext(ctx, q, args...)
}

func (c cachedReader) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	ctx = c.db.loose(ctx)
	if st := c.db.readStmt(ctx, q); st != nil {
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

// prepare prepares q on the write pool, once; a failure leaves q to run
// unprepared. It must not be called from inside a write function.
func (db *DB) prepare(ctx context.Context, q string) {
	if db.stmts.get("w:"+q) != nil {
		return
	}
	ctx, cancel := db.bound(ctx)
	defer cancel()
	st, err := db.write.PrepareContext(ctx, db.native(q))
	if err != nil {
		return
	}
	db.stmts.put("w:"+q, st)
}

// native returns q as prepared for the database: on SQLite with
// positional placeholders where possible.
func (db *DB) native(q string) string {
	if db.dialect == SQLite {
		return positional(q)
	}
	return q
}

// prepared returns q prepared on the write pool, or nil.
func (db *DB) prepared(q string) *sql.Stmt { return db.stmts.get("w:" + q) }

// readStmt returns q prepared on the read pool (database/sql keeps one per
// connection), or nil when preparing fails. ctx bounds the preparing.
func (db *DB) readStmt(ctx context.Context, q string) *sql.Stmt {
	if st := db.stmts.get("r:" + q); st != nil {
		return st
	}
	if db.stmts.size() >= maxCachedStmts {
		return nil // queries built from filters vary; do not cache without bound
	}
	st, err := db.read.PrepareContext(ctx, db.native(q))
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
