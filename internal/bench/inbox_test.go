package bench_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"labflow/internal/bench"
	"labflow/internal/store/storetest"
)

// Ensure the inbox benchmark seeds a consistent database and every user's
// todo box answers (small size here; LABFLOW_INBOX_TASKS sets the issue's
// 1,000,000, and the figures are logged, never asserted).
func TestInboxBenchmark(t *testing.T) {
	n := 20000
	if v := os.Getenv("LABFLOW_INBOX_TASKS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	dsns := []string{""}
	if storetest.PostgresURL() != "" {
		dsns = append(dsns, storetest.NewPostgresDB(t))
	}
	for _, dsn := range dsns {
		r, err := bench.Inbox(context.Background(), bench.InboxOptions{Tasks: n, Queries: 200, DSN: dsn})
		if err != nil {
			t.Fatal(err)
		}
		if r.OpenPerBox != n/20/1000 {
			t.Fatalf("open tasks per user %d, want %d", r.OpenPerBox, n/20/1000)
		}
		t.Logf("%+v", r)
	}
}
