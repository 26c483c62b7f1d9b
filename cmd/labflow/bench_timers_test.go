package main

import (
	"encoding/json"
	"testing"

	"labflow/internal/store/storetest"
)

// Ensure `labflow bench timers` fires every timer and starts every
// scheduled request exactly once, with one server on SQLite and with two
// on PostgreSQL (issue 8 §6; the figures are the benchmark's, not asserted).
func TestBenchTimers_EachOnce(t *testing.T) {
	check := func(t *testing.T, args ...string) {
		r := mustOK(t, cmd(t, "", append([]string{"bench", "timers", "--timers", "40", "--jobs", "40", "--json"}, args...)...))
		var out struct {
			Once      bool
			Timers    int
			Jobs      int
			PerServer []int `json:"per_server"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("%v: %s", err, r.stdout)
		}
		if !out.Once || out.Timers != 40 || out.Jobs != 40 {
			t.Fatalf("result %+v", out)
		}
	}
	t.Run("sqlite", func(t *testing.T) { check(t) })
	t.Run("postgres, two servers", func(t *testing.T) {
		dsn := storetest.PostgresURL()
		if dsn == "" {
			t.Skip("PostgreSQL tests skipped: set TEST_DATABASE_URL")
		}
		check(t, "--servers", "2", "--db", dsn)
	})
	if r := cmd(t, "", "bench", "timers", "--servers", "0"); r.code() != 2 {
		t.Fatalf("bad flags: exit %d", r.code())
	}
}
