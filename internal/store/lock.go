package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"hash/fnv"
	"time"
)

// lockPoll is how often a waiting WithLock tries again. Each try is one
// bounded call, so a waiter never hangs on a database that stopped
// answering, and it gives up when its context ends.
const lockPoll = 50 * time.Millisecond

// WithLock runs fn while holding the named cross-process lock: other
// servers (or processes on the same SQLite file) that ask for the same
// name wait until fn has returned. Several servers starting together on
// one database use it so that only one migrates the schema, or loads the
// demo institute, at a time; the others then find the work done.
//
// On PostgreSQL it is a session advisory lock, taken and released on one
// dedicated connection (database/sql could otherwise run the lock and the
// unlock on different connections, leaving the lock held); fn's own work
// runs on other connections. On SQLite it is an exclusive lock on a file
// beside the database (lockfile_*.go). Waiting ends with ctx.
func (db *DB) WithLock(ctx context.Context, name string, fn func(ctx context.Context) error) error {
	if db.dialect == Postgres {
		return db.withAdvisoryLock(ctx, name, fn)
	}
	return withFileLock(ctx, db.path+"."+name+".lock", fn)
}

// lockKey is the advisory lock key of a name: 64 bits of its FNV-1a hash.
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte("labflow:" + name))
	return int64(h.Sum64())
}

func (db *DB) withAdvisoryLock(ctx context.Context, name string, fn func(ctx context.Context) error) (err error) {
	key := lockKey(name)
	cctx, cancel := db.bound(ctx)
	conn, err := db.write.Conn(cctx)
	cancel()
	if err != nil {
		return mapErr("store.WithLock", err)
	}
	defer conn.Close()
	for {
		var ok bool
		cctx, cancel := db.bound(ctx)
		err := conn.QueryRowContext(cctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok)
		cancel()
		if err != nil {
			return mapErr("store.WithLock", err)
		}
		if ok {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(lockPoll):
		}
	}
	defer func() {
		// Unlock on the connection that holds the lock. Should that fail,
		// drop the connection: its session ends, and the lock with it.
		uctx, cancel := db.bound(context.WithoutCancel(ctx))
		defer cancel()
		var ok bool
		uerr := conn.QueryRowContext(uctx, "SELECT pg_advisory_unlock($1)", key).Scan(&ok)
		if uerr == nil && !ok {
			uerr = fmt.Errorf("store: advisory lock %q was not held", name)
		}
		if uerr != nil {
			conn.Raw(func(any) error { return driver.ErrBadConn })
			if err == nil {
				err = mapErr("store.WithLock", uerr)
			}
		}
	}()
	return fn(ctx)
}

// errLockUnsupported is returned by tryFileLock where files cannot be
// locked; WithLock then runs fn without the lock.
var errLockUnsupported = errors.New("store: file locks are not supported here")

func withFileLock(ctx context.Context, path string, fn func(ctx context.Context) error) error {
	for {
		unlock, err := tryFileLock(path)
		if errors.Is(err, errLockUnsupported) {
			return fn(ctx)
		}
		if err != nil {
			return fmt.Errorf("store: lock %s: %w", path, err)
		}
		if unlock != nil {
			defer unlock()
			return fn(ctx)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(lockPoll):
		}
	}
}
