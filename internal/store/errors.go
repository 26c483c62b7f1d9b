package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"labflow/internal/domain"
)

// The messages of KindUnavailable: the database cannot answer now, or it
// cannot store more.
const (
	keyUnavailable = "error.unavailable"
	keyStorageFull = "error.storage_full"
)

// mapErr turns driver errors into domain kinds, in this one place:
// no rows → NotFound, unique violations → Conflict, a database that cannot
// answer or store now → Unavailable (faultKey), everything else internal.
// An internal *domain.Error whose cause is such a fault becomes Unavailable
// too, so that a service that wrapped a driver error does not hide it.
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		if de.Kind == domain.KindInternal {
			return upgradeFault(op, err)
		}
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &domain.Error{Kind: domain.KindNotFound, Op: op, Key: "error.not_found", Err: err}
	}
	if isUnique(err) {
		return &domain.Error{Kind: domain.KindConflict, Op: op, Key: "error.duplicate", Err: err}
	}
	if key := faultKey(err); key != "" {
		return &domain.Error{Kind: domain.KindUnavailable, Op: op, Key: key, Err: err}
	}
	return domain.Wrap(op, err)
}

// upgradeFault returns err as an Unavailable error when it is internal
// (or not a *domain.Error) and caused by a fault; otherwise err itself.
func upgradeFault(op string, err error) error {
	if err == nil || domain.ErrorKind(err) != domain.KindInternal {
		return err
	}
	if key := faultKey(err); key != "" {
		return &domain.Error{Kind: domain.KindUnavailable, Op: op, Key: key, Err: err}
	}
	return err
}

// faultKey classifies err as a fault of the database rather than of the
// program or the input: keyStorageFull when it cannot store more,
// keyUnavailable when it cannot answer now (it is down, restarting,
// unreachable, out of connections, or a call ran past its deadline), ""
// otherwise. These are answered 503 with Retry-After: trying again later
// may well succeed.
func faultKey(err error) string {
	if errors.Is(err, context.Canceled) {
		return "" // the caller went away: not the database's fault
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "53100": // disk_full
			return keyStorageFull
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", // admin/crash shutdown, cannot connect now
			pe.Code == "53300": // too many connections
			return keyUnavailable
		}
		return ""
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL:
			return keyStorageFull
		case sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN:
			return keyUnavailable
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			// Another process held the database past busy_timeout (the
			// database's timeout, deadline.go).
			return keyUnavailable
		}
		return ""
	}
	if errors.Is(err, syscall.ENOSPC) {
		return keyStorageFull
	}
	// A call that ran past its deadline (deadline.go), and the ways a
	// connection to PostgreSQL fails: it could not be made, or it broke.
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err),
		errors.As(err, &ce), errors.As(err, &ne),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return keyUnavailable
	}
	return ""
}

// IsStorageFull reports whether err says that the database (or the disk
// under it) is full.
func IsStorageFull(err error) bool {
	var de *domain.Error
	if errors.As(err, &de) && de.Kind == domain.KindUnavailable {
		return de.Key == keyStorageFull
	}
	return faultKey(err) == keyStorageFull
}

func isUnique(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "23505"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

func isBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code == "40001" || pe.Code == "40P01"
	}
	return strings.Contains(err.Error(), "database is locked")
}

// IsUnique reports whether err is a unique-constraint violation (for
// callers that turn it into a field message).
func IsUnique(err error) bool {
	var de *domain.Error
	if errors.As(err, &de) && de.Kind == domain.KindConflict && de.Key == "error.duplicate" {
		return true
	}
	return isUnique(err)
}
