package main

import (
	"context"
	"encoding/json"
	"fmt"

	"labflow/internal/bench"
)

// benchTimers measures timers and scheduled starts (issue 8): 10,000 SLA
// timers and 10,000 scheduled jobs due in the same minute, fired by one
// server or several on one database, each exactly once.
func (c *cli) benchTimers(ctx context.Context, args []string) error {
	fs := c.flags("bench timers", "bench timers [--timers N] [--jobs N] [--servers S] [--db DSN] [--json]")
	timers := fs.Int("timers", 10000, "SLA timers due in the same minute")
	jobs := fs.Int("jobs", 10000, "scheduled starts due in the same minute")
	servers := fs.Int("servers", 1, "servers (each its own store, engine and leases) on the one database")
	dsn := fs.String("db", "", "PostgreSQL DSN (a fresh database on that server is created and dropped); default a fresh SQLite database in a temporary folder")
	workers := fs.Int("workers", 0, "timers or jobs each server runs at once (default 64)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if done, err := parse(fs, args); done {
		return err
	}
	if *timers < 0 || *jobs < 0 || *servers <= 0 {
		fmt.Fprintln(c.stderr, "labflow bench timers: --timers and --jobs must not be negative, --servers must be positive")
		return &exitError{2, errSilent}
	}
	tuneGC(c.getenv)
	r, err := bench.Timers(ctx, bench.TimersOptions{Timers: *timers, Jobs: *jobs, Servers: *servers, Workers: *workers, DSN: *dsn})
	if err != nil {
		return err
	}
	if *asJSON {
		b, _ := json.Marshal(r)
		fmt.Fprintln(c.stdout, string(b))
		return nil
	}
	fmt.Fprintf(c.stdout, "timers benchmark: %d timers + %d scheduled starts due in one minute, %d server(s), %s (setup %.1fs)\n",
		r.Timers, r.Jobs, r.Servers, r.Backend, r.SetupS)
	fmt.Fprintf(c.stdout, "  all done in     %10.2f s\n", r.Seconds)
	fmt.Fprintf(c.stdout, "  per second      %10.1f\n", r.PerSecond)
	fmt.Fprintf(c.stdout, "  each once       %10v\n", r.Once)
	fmt.Fprintf(c.stdout, "  per server      %10v\n", r.PerServer)
	fmt.Fprintf(c.stdout, "  peak RSS        %10.1f MB\n", r.PeakRSSMB)
	return nil
}
