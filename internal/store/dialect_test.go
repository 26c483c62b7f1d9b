package store

import "testing"

func TestPositional(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT a FROM t WHERE id = $1 AND b = $2", "SELECT a FROM t WHERE id = ? AND b = ?"},
		{"INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)", "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"},
		{"SELECT '$1', $1 FROM t", "SELECT '$1', ? FROM t"},
		{"SELECT 'it''s', $1", "SELECT 'it''s', ?"},
		// Out of order, repeated or missing: left for SQLite's named parameters.
		{"UPDATE t SET a = $2 WHERE id = $1", "UPDATE t SET a = $2 WHERE id = $1"},
		{"SELECT $1, $1", "SELECT $1, $1"},
		{"SELECT $2", "SELECT $2"},
		{"SELECT 1", "SELECT 1"},
		{"SELECT 'unterminated $1", "SELECT 'unterminated $1"},
	} {
		if got := positional(c.in); got != c.want {
			t.Errorf("positional(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
