package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"

	"labflow/internal/bench"
)

// benchPages measures the approver's pages (issue 9): the 待办 list and the
// approval page rendered by the real server for a signed-in person with
// 1,000,000 tasks in the database (p99 under 20 ms each), and the approval
// page's weight (under 100 KB with its style sheets and scripts).
func (c *cli) benchPages(ctx context.Context, args []string) error {
	fs := c.flags("bench pages", "bench pages [--tasks N] [--open N] [--done N] [--renders N] [--db DSN] [--json]")
	tasks := fs.Int("tasks", 1_000_000, "tasks in the database")
	open := fs.Int("open", 150, "open tasks in the measured person's 待办")
	done := fs.Int("done", 5000, "tasks the measured person has acted on")
	people := fs.Int("people", 2000, "people the other tasks are spread over")
	renders := fs.Int("renders", 300, "renders of each page timed")
	dsn := fs.String("db", "", "PostgreSQL DSN (a fresh database on that server is created and dropped); default a fresh SQLite database in a temporary folder")
	asJSON := fs.Bool("json", false, "print one JSON object")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof)")
	if done, err := parse(fs, args); done {
		return err
	}
	if *tasks <= 0 || *open <= 0 || *done <= 0 || *people <= 0 || *renders <= 0 {
		fmt.Fprintln(c.stderr, "labflow bench pages: --tasks, --open, --done, --people and --renders must be positive")
		return &exitError{2, errSilent}
	}
	tuneGC(c.getenv)
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
	r, err := bench.Pages(ctx, bench.PagesOptions{Tasks: *tasks, Open: *open, Done: *done, People: *people, Renders: *renders, DSN: *dsn})
	if err != nil {
		return err
	}
	if *asJSON {
		b, _ := json.Marshal(r)
		fmt.Fprintln(c.stdout, string(b))
		return nil
	}
	fmt.Fprintf(c.stdout, "pages benchmark: %d tasks in %d instances (%d open in the 待办 measured), %s, seeded in %.1fs, %d renders each\n",
		r.Tasks, r.Instances, r.Open, r.Backend, r.SeedS, *renders)
	fmt.Fprintf(c.stdout, "  inbox p50       %10.2f ms\n", r.InboxP50)
	fmt.Fprintf(c.stdout, "  inbox p99       %10.2f ms\n", r.InboxP99)
	fmt.Fprintf(c.stdout, "  approval p50    %10.2f ms\n", r.ApproveP50)
	fmt.Fprintf(c.stdout, "  approval p99    %10.2f ms\n", r.ApproveP99)
	fmt.Fprintf(c.stdout, "  approval weight %10.1f KB (HTML %d B + %s %d B)\n", r.WeightKB, r.HTMLBytes, strings.Join(r.Assets, " "), r.AssetBytes)
	fmt.Fprintf(c.stdout, "  peak RSS        %10.1f MB\n", r.PeakRSSMB)
	return nil
}
