package store

// Dialect names the database behind a DB. Queries are written once with
// $N placeholders, which both modernc SQLite and pgx accept; the few
// statements that differ branch on the dialect here.
type Dialect string

// The supported databases.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// forUpdate returns the row-locking suffix for a SELECT that must serialize
// writers across processes (PostgreSQL); SQLite has one writer already.
func (d Dialect) forUpdate() string {
	if d == Postgres {
		return " FOR UPDATE"
	}
	return ""
}
