// Package store is LabFlow's one SQL layer, on embedded SQLite (default) or
// PostgreSQL. All SQL lives here; one schema and one set of portable queries
// serve both databases, with a small dialect shim (dialect.go).
//
// Writes go through DB.Write, which runs each caller's function inside a
// transaction shared with other writers that arrived at the same time
// (group commit, batch.go): each function runs in its own savepoint, so one
// failure undoes only that caller's work, and one durable commit covers the
// whole batch. This is how a single SQLite writer with synchronous=FULL still
// commits thousands of audited transitions per second.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Config says which database to open.
type Config struct {
	// DSN is a PostgreSQL URL (postgres://…). Empty means SQLite under DataDir.
	DSN string
	// DataDir holds labflow.db when DSN is empty.
	DataDir string
	// Now is the clock; nil means time.Now. Every stored time comes from it (R6).
	Now func() time.Time
	// MaxBatch bounds how many writers share one commit (default 256).
	MaxBatch int
	// Batches is how many group-commit transactions may be open at once
	// on PostgreSQL (default 4; SQLite has one writer). Each batch does its
	// domain work concurrently with the others; the audit chain's head row
	// is locked only for each batch's end, so batches commit one after
	// another and the chain never forks.
	Batches int
	// Timeout bounds every database call (default DefaultTimeout): each
	// group-commit batch from BEGIN to COMMIT, and each read. A call that
	// runs past it fails as KindUnavailable instead of hanging while the
	// database is unreachable or frozen.
	Timeout time.Duration
}

// DB is an open database: a write path (one connection on SQLite) fed by the
// group-commit loop, and a read pool.
type DB struct {
	dialect Dialect
	write   *sql.DB
	read    *sql.DB
	now     func() time.Time
	w       *batcher
	path    string
	stmts   stmts
	timeout time.Duration
	// full is set while the last write failed because storage is full,
	// until a write commits again (StorageFull).
	full atomic.Bool
	// peopleGen moves after every batch that wrote to a table a person is
	// read from (peoplegen.go).
	peopleGen atomic.Uint64
	// readOnly is set by OpenReadOnly: no write loop, no migrations.
	readOnly bool
	// olderSchema is set by OpenReadOnly on a database made by an earlier
	// LabFlow (its schema version), which verify checks as far as it can.
	olderSchema int
}

// Open opens (creating if needed) the database and applies migrations.
func Open(ctx context.Context, cfg Config) (*DB, error) {
	db, err := open(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.sealBaseline(ctx); err != nil {
		db.Close()
		return nil, err
	}
	for _, q := range []string{qSavepoint, qRelease, qRollbackTo, qAuditHead + db.dialect.forUpdate(), qAuditHeadUpdate} {
		db.prepare(ctx, q)
	}
	db.prepareBulk(ctx)
	return db, nil
}

func open(ctx context.Context, cfg Config) (*DB, error) {
	db := &DB{now: cfg.Now, timeout: cfg.Timeout}
	if db.now == nil {
		db.now = time.Now
	}
	if db.timeout <= 0 {
		db.timeout = DefaultTimeout
	}
	if isPostgres(cfg.DSN) {
		db.dialect = Postgres
		pg, err := openPostgres(cfg.DSN, nil)
		if err != nil {
			return nil, err
		}
		pg.SetMaxOpenConns(24)
		pg.SetMaxIdleConns(24)
		pg.SetConnMaxIdleTime(5 * time.Minute)
		db.write, db.read = pg, pg
	} else {
		if cfg.DSN != "" {
			return nil, fmt.Errorf("store: unsupported database %q (want postgres://… or none for SQLite)", redact(cfg.DSN))
		}
		dir := cfg.DataDir
		if dir == "" {
			dir = "data"
		}
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("store: create data dir: %w", err)
		}
		db.dialect = SQLite
		db.path = filepath.Join(dir, "labflow.db")
		// busy_timeout comes first so that the other pragmas wait rather than
		// fail while another process holds the lock. synchronous=FULL makes
		// every commit durable; group commit (batch.go) pays for it.
		// _txlock=immediate takes the write lock at BEGIN, so a writer never
		// has to upgrade a read lock (which can fail with SQLITE_BUSY).
		// busy_timeout is the database's timeout: a call waits for a lock
		// that long at most (deadline.go).
		pragmas := "_pragma=busy_timeout(" + strconv.FormatInt(db.timeout.Milliseconds(), 10) + ")&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)" +
			"&_pragma=foreign_keys(1)&_pragma=temp_store(MEMORY)"
		w, err := openSQLite(db.path, pragmas+"&_txlock=immediate")
		if err != nil {
			return nil, err
		}
		w.SetMaxOpenConns(1)
		w.SetMaxIdleConns(1)
		w.SetConnMaxLifetime(0)
		// Readers map the file (up to 1 GiB) rather than read it page by
		// page: a dashboard's thousands of index steps cost no system call
		// each. The writer keeps to plain reads.
		r, err := openSQLite(db.path, pragmas+"&_pragma=query_only(1)&_pragma=mmap_size(1073741824)")
		if err != nil {
			w.Close()
			return nil, err
		}
		r.SetMaxOpenConns(8)
		r.SetMaxIdleConns(8)
		db.write, db.read = w, r
	}
	pctx, cancel := db.bound(ctx)
	defer cancel()
	if err := db.ping(pctx); err != nil {
		db.closeConns()
		return nil, fmt.Errorf("store: connect: %w", err)
	}
	max := cfg.MaxBatch
	if max <= 0 {
		max = 256
	}
	loops := 1
	if db.dialect == Postgres {
		loops = cfg.Batches
		if loops <= 0 {
			loops = 4
		}
	}
	db.w = newBatcher(db, max, loops)
	return db, nil
}

// ping makes the first connection. On SQLite, connecting runs the pragmas,
// and switching a new file to WAL can meet SQLITE_BUSY without waiting
// for busy_timeout while another process (another server on the same
// data directory) is switching it too; that is tried again until ctx ends.
func (db *DB) ping(ctx context.Context) error {
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		err := db.write.PingContext(ctx)
		if err == nil || db.dialect != SQLite || !isBusy(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// openSQLite opens a pool on the SQLite file at path with the URI query q.
func openSQLite(path, q string) (*sql.DB, error) {
	d, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?"+q)
	if err != nil {
		return nil, fmt.Errorf("store: open sqlite: %w", err)
	}
	return d, nil
}

func isPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// openPostgres opens a pool on dsn with the given extra run-time
// parameters (sent at connect, e.g. default_transaction_read_only).
//
// When a call's context ends (its deadline, deadline.go), pgconn sets the
// socket's deadline to now, so that the blocked read returns at once
// even if the server is frozen, and closes the connection; the cancel
// request it then sends to the server runs in the background with its own
// bound (pgconn's asyncClose), never in the caller's way. That is pgconn's
// DeadlineContextWatcherHandler with no delay; it is set here explicitly
// because the alternative, CancelRequestContextWatcherHandler, would wait
// for the cancel request, which a frozen server never answers.
func openPostgres(dsn string, params map[string]string) (*sql.DB, error) {
	cc, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("store: open postgres: %w", err)
	}
	for k, v := range params {
		cc.RuntimeParams[k] = v
	}
	cc.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: c.Conn()}
	}
	return stdlib.OpenDB(*cc), nil
}

// Dialect reports which database this is.
func (db *DB) Dialect() Dialect { return db.dialect }

// Now returns the store clock's current time, in UTC.
func (db *DB) Now() time.Time { return db.now().UTC() }

// Path returns the SQLite file, or "" on PostgreSQL.
func (db *DB) Path() string { return db.path }

// Ping checks that the database answers (used by /readyz).
func (db *DB) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var one int
	return db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// ReadOnly reports whether the database was opened with OpenReadOnly.
func (db *DB) ReadOnly() bool { return db.readOnly }

// Close stops the write loop and closes the connections.
func (db *DB) Close() error {
	if db.w != nil {
		db.w.stop()
	}
	db.stmts.close()
	return db.closeConns()
}

func (db *DB) closeConns() error {
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Reader is what read helpers take: the read pool or a write transaction.
type Reader interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// R returns the read pool, for queries outside a write.
func (db *DB) R() Reader { return cachedReader{db} }

func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		u.User = url.User(u.User.Username())
		return u.String()
	}
	if i := strings.Index(dsn, "://"); i > 0 {
		return dsn[:i] + "://…"
	}
	return "…"
}

// StorageFull reports whether the last write failed because the database
// (or the disk under it) is full; it stays set until a write commits.
func (db *DB) StorageFull() bool { return db.full.Load() }
