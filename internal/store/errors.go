package store

import (
	"database/sql"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"labflow/internal/domain"
)

// mapErr turns driver errors into domain kinds, in this one place:
// no rows → NotFound, unique violations → Conflict, everything else internal.
func mapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *domain.Error
	if errors.As(err, &de) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &domain.Error{Kind: domain.KindNotFound, Op: op, Key: "error.not_found", Err: err}
	}
	if isUnique(err) {
		return &domain.Error{Kind: domain.KindConflict, Op: op, Key: "error.duplicate", Err: err}
	}
	return domain.Wrap(op, err)
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
