package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// OpenReadOnly opens an existing database for reading only: no migrations,
// no write loop (Write fails), nothing written, nothing created. It is how
// `labflow verify` checks an archived copy, which may sit on read-only
// media or be kept with its bytes and times untouched.
//
// On SQLite the file is opened with mode=ro; when no -wal file lies beside
// it (no server has it open, or the copy was taken without one) also with
// immutable=1, so that SQLite takes no locks and creates no -shm or -wal
// file. On PostgreSQL every transaction of the session is read-only
// (default_transaction_read_only).
func OpenReadOnly(ctx context.Context, cfg Config) (*DB, error) {
	db := &DB{now: cfg.Now, timeout: cfg.Timeout, readOnly: true}
	if db.now == nil {
		db.now = time.Now
	}
	if db.timeout <= 0 {
		db.timeout = DefaultTimeout
	}
	if isPostgres(cfg.DSN) {
		db.dialect = Postgres
		pg, err := openPostgres(cfg.DSN, map[string]string{"default_transaction_read_only": "on"})
		if err != nil {
			return nil, err
		}
		pg.SetMaxOpenConns(4)
		db.write, db.read = pg, pg
	} else {
		if cfg.DSN != "" {
			return nil, fmt.Errorf("store: unsupported database %q (want postgres://… or none for SQLite)", redact(cfg.DSN))
		}
		dir := cfg.DataDir
		if dir == "" {
			dir = "data"
		}
		db.dialect = SQLite
		db.path = filepath.Join(dir, "labflow.db")
		if _, err := os.Stat(db.path); err != nil {
			return nil, fmt.Errorf("store: no database to read: %w", err)
		}
		q := "mode=ro"
		if _, err := os.Stat(db.path + "-wal"); errors.Is(err, fs.ErrNotExist) {
			q += "&immutable=1"
		}
		r, err := openSQLite(db.path, q+"&_pragma=busy_timeout(10000)&_pragma=query_only(1)")
		if err != nil {
			return nil, err
		}
		r.SetMaxOpenConns(4)
		db.write, db.read = r, r
	}
	pctx, cancel := db.bound(ctx)
	defer cancel()
	if err := db.read.PingContext(pctx); err != nil {
		db.closeConns()
		return nil, fmt.Errorf("store: connect: %w", mapErr("store.OpenReadOnly", err))
	}
	if err := db.checkSchema(ctx); err != nil {
		db.closeConns()
		return nil, err
	}
	return db, nil
}

// checkSchema refuses a database whose schema is newer than the one this
// LabFlow reads: without migrating (which would write), its queries could
// fail or misread. An older database is read as far as its schema goes:
// verify checks its audit chain, and says that its records predate
// sealing (migrate a copy to seal and check them).
func (db *DB) checkSchema(ctx context.Context) error {
	ms, err := loadMigrations(db.dialect)
	if err != nil {
		return err
	}
	want := ms[len(ms)-1].version
	have, err := db.Version(ctx)
	if err != nil {
		return fmt.Errorf("store: not a LabFlow database (no schema version): %w", err)
	}
	if have > want || have < 1 {
		return fmt.Errorf("store: the database's schema is at version %d, this LabFlow reads version %d: "+
			"use the LabFlow that wrote it", have, want)
	}
	if have < want {
		db.olderSchema = have
	}
	return nil
}
