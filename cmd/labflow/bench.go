package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"labflow/internal/bench"
)

const benchUsage = `Usage:
  labflow bench approval [--instances N] [--concurrency C] [--db DSN] [--http] [--json] [--cpuprofile FILE]
  labflow bench inbox [--tasks N] [--assignees N] [--queries N] [--db DSN] [--json]
  labflow bench pages [--tasks N] [--open N] [--done N] [--renders N] [--db DSN] [--json]
  labflow bench timers [--timers N] [--jobs N] [--servers S] [--db DSN] [--json]
`

func (c *cli) bench(ctx context.Context, args []string) error {
	if len(args) > 0 && args[0] == "inbox" {
		return c.benchInbox(ctx, args[1:])
	}
	if len(args) > 0 && args[0] == "pages" {
		return c.benchPages(ctx, args[1:]) // bench_pages.go
	}
	if len(args) > 0 && args[0] == "timers" {
		return c.benchTimers(ctx, args[1:]) // bench_timers.go
	}
	if len(args) == 0 || args[0] != "approval" {
		fmt.Fprint(c.stderr, benchUsage)
		return &exitError{2, errSilent}
	}
	fs := c.flags("bench approval", "bench approval [--instances N] [--concurrency C] [--db DSN] [--http] [--json]")
	n := fs.Int("instances", 2000, "instances of the 3-step sequential approval")
	conc := fs.Int("concurrency", 32, "concurrent clients")
	dsn := fs.String("db", "", "PostgreSQL DSN; default a fresh SQLite database (synchronous=FULL) in a temporary folder")
	httpMode := fs.Bool("http", false, "run the scenario through the JSON API with API tokens")
	asJSON := fs.Bool("json", false, "print one JSON object")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	if done, err := parse(fs, args[1:]); done {
		return err
	}
	if *n <= 0 || *conc <= 0 {
		fmt.Fprintln(c.stderr, "labflow bench approval: --instances and --concurrency must be positive")
		return &exitError{2, errSilent}
	}
	// The engine (and with --http the server) runs here as under serve.
	tuneGC(c.getenv)
	o := bench.Options{Instances: *n, Concurrency: *conc, DSN: *dsn, HTTP: *httpMode}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	var r bench.Result
	var err error
	if *httpMode {
		r, err = bench.ApprovalHTTP(ctx, o)
	} else {
		r, err = bench.Approval(ctx, o)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		b, _ := json.Marshal(r)
		fmt.Fprintln(c.stdout, string(b))
		return nil
	}
	mode := "in-process"
	if *httpMode {
		mode = "HTTP JSON API"
	}
	fmt.Fprintf(c.stdout, "approval benchmark: %d instances × 3 approvals, concurrency %d, %s, %s (%.1fs)\n", *n, *conc, r.Backend, mode, time.Since(start).Seconds())
	fmt.Fprintf(c.stdout, "  instances/s     %10.1f\n", r.InstancesPerS)
	fmt.Fprintf(c.stdout, "  transitions/s   %10.1f\n", r.TransitionsPerS)
	fmt.Fprintf(c.stdout, "  approve p50     %10.2f ms\n", r.ApproveP50Ms)
	fmt.Fprintf(c.stdout, "  approve p99     %10.2f ms\n", r.ApproveP99Ms)
	fmt.Fprintf(c.stdout, "  peak RSS        %10.1f MB\n", r.PeakRSSMB)
	fmt.Fprintf(c.stdout, "  backend         %10s\n", r.Backend)
	return nil
}

// benchInbox measures the 待办 query with a large task table (issue 3:
// 1,000,000 tasks, p99 ≤ 5 ms, RSS ≤ 200 MB).
func (c *cli) benchInbox(ctx context.Context, args []string) error {
	fs := c.flags("bench inbox", "bench inbox [--tasks N] [--assignees N] [--queries N] [--db DSN] [--json]")
	tasks := fs.Int("tasks", 1_000_000, "tasks in the database")
	people := fs.Int("assignees", 1000, "people the tasks are spread over")
	queries := fs.Int("queries", 2000, "todo queries to time")
	dsn := fs.String("db", "", "PostgreSQL DSN (an empty database); default a fresh SQLite database in a temporary folder")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if done, err := parse(fs, args); done {
		return err
	}
	if *tasks < *people || *people <= 0 || *queries <= 0 {
		fmt.Fprintln(c.stderr, "labflow bench inbox: --tasks must be at least --assignees, and both and --queries positive")
		return &exitError{2, errSilent}
	}
	r, err := bench.Inbox(ctx, bench.InboxOptions{Tasks: *tasks, Assignees: *people, Queries: *queries, DSN: *dsn})
	if err != nil {
		return err
	}
	if *asJSON {
		b, _ := json.Marshal(r)
		fmt.Fprintln(c.stdout, string(b))
		return nil
	}
	fmt.Fprintf(c.stdout, "inbox benchmark: %d tasks over %d people (%d open each), %s, seeded in %.1fs\n", r.Tasks, *people, r.OpenPerBox, r.Backend, r.SeedS)
	fmt.Fprintf(c.stdout, "  todo p50        %10.2f ms\n", r.TodoP50Ms)
	fmt.Fprintf(c.stdout, "  todo p99        %10.2f ms\n", r.TodoP99Ms)
	fmt.Fprintf(c.stdout, "  counts p99      %10.2f ms\n", r.CountsP99)
	fmt.Fprintf(c.stdout, "  peak RSS        %10.1f MB\n", r.PeakRSSMB)
	return nil
}
