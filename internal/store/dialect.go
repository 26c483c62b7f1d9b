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

// positional rewrites q's placeholders $1, $2, … $N to SQLite's anonymous
// "?" when they appear exactly in that order, each once (as in nearly every
// statement here): SQLite treats "$1" as a named parameter, and the driver
// then looks each name up on every execution, a measurable share of a
// short statement's cost. Any other q is returned unchanged.
func positional(q string) string {
	var b []byte
	next := 1
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'':
			// Copy a string literal whole ('' is an escaped quote).
			j := i + 1
			for j < len(q) && q[j] != '\'' {
				j++
			}
			if j >= len(q) {
				return q
			}
			b = append(b, q[i:j+1]...)
			i = j
			continue
		case c == '$' && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9':
			j := i + 1
			n := 0
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				n = n*10 + int(q[j]-'0')
				j++
			}
			if n != next {
				return q
			}
			next++
			b = append(b, '?')
			i = j - 1
			continue
		}
		b = append(b, c)
	}
	if next == 1 {
		return q
	}
	return string(b)
}
