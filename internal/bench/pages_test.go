package bench_test

import (
	"context"
	"os"
	"strconv"
	"testing"

	"labflow/internal/bench"
	"labflow/internal/store/storetest"
)

// Ensure the pages benchmark seeds rows the pages read: the approver's
// 待办 holds the open tasks it was given plus the requests filed through
// the API, both pages render (each render is checked for its list rows and
// its 同意 button), and the approval page's weight counts its style sheet
// and script (small size here; LABFLOW_PAGES_TASKS sets the issue's
// 1,000,000; the figures are logged, never asserted).
func TestPagesBenchmark(t *testing.T) {
	n := 20000
	if v := os.Getenv("LABFLOW_PAGES_TASKS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	dsns := []string{""}
	if storetest.PostgresURL() != "" {
		dsns = append(dsns, storetest.PostgresURL())
	}
	for _, dsn := range dsns {
		r, err := bench.Pages(context.Background(), bench.PagesOptions{Tasks: n, Open: 100, Done: 1000, Renders: 20, DSN: dsn})
		if err != nil {
			t.Fatal(err)
		}
		// The 100 filled and the 20 filed wait for the approver, besides
		// what the demo institute already has in his 待办.
		if r.Open < 100+20 || r.Open > 100+20+10 {
			t.Fatalf("open tasks in the 待办 %d, want 120 and the demo's few", r.Open)
		}
		if r.Instances != n/5 || r.HTMLBytes == 0 || len(r.Assets) < 2 || r.AssetBytes == 0 {
			t.Fatalf("result %+v", r)
		}
		t.Logf("%+v", r)
	}
}
