package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"labflow/internal/flow"
	"labflow/internal/store"
)

// TimersOptions configures the timers benchmark (`labflow bench timers`,
// issue 8): Timers SLA timers and Jobs scheduled starts all due in the same
// minute, run by Servers servers on one database.
type TimersOptions struct {
	Timers  int    // default 10000
	Jobs    int    // default 10000
	Servers int    // default 1; each has its own store, engine and leases
	Workers int    // timers or jobs each server runs at once (default flow.DefaultWorkers)
	DSN     string // "" = SQLite in a temporary folder; else a fresh database on that PostgreSQL server
}

// TimersResult is what the timers benchmark measured. Seconds runs from
// the moment everything is due until every timer fired and every job
// started its request; Once reports that each fired exactly once.
type TimersResult struct {
	Timers     int     `json:"timers"`
	Jobs       int     `json:"jobs"`
	Servers    int     `json:"servers"`
	Backend    string  `json:"backend"`
	SetupS     float64 `json:"setup_s"`
	Seconds    float64 `json:"seconds"`
	PerSecond  float64 `json:"per_second"` // timers and jobs together
	Once       bool    `json:"once"`
	PerServer  []int   `json:"per_server"` // timers fired + requests started by each server
	PeakRSSMB  float64 `json:"peak_rss_mb"`
	TimersDone int     `json:"timers_done"`
	JobsDone   int     `json:"jobs_done"`
	// Commits and AvgBatch show the group commit at work while the
	// timers and jobs ran (the first server's).
	Commits  uint64  `json:"commits"`
	AvgBatch float64 `json:"avg_batch"`
}

// The benchmark's definitions: a task with a one-hour deadline (one
// overdue timer per request), and a definition that a date source starts
// for each of its items.
const (
	benchSLA = `key: bench-sla
title: {zh: 时限, en: Deadline}
form: [{key: title, label: {zh: 标题, en: Title}, type: text}]
steps:
  - id: work
    title: {zh: 办理, en: Work}
    kind: task
    assignee: {person: approver1}
    sla: {due: 1h}
`
	benchScheduled = `key: bench-scheduled
title: {zh: 定时, en: Scheduled}
form: [{key: title, label: {zh: 标题, en: Title}, type: text}]
schedule:
  - id: due
    source: bench.dates
    at: "%s"
    initiator: {person: initiator}
    form: {title: 定时发起}
steps:
  - id: work
    title: {zh: 办理, en: Work}
    kind: task
    assignee: {person: approver1}
`
)

// Timers runs the timers benchmark: it files o.Timers requests whose
// deadlines fall in the same minute and registers o.Jobs dates that start
// a request in that minute, then lets o.Servers servers (each its own
// store and engine over the database, as separate processes would) fire
// and start them all at once, and checks that each happened once.
func Timers(ctx context.Context, o TimersOptions) (TimersResult, error) {
	if o.Timers < 0 || o.Jobs < 0 {
		return TimersResult{}, errors.New("bench: negative counts")
	}
	if o.Servers <= 0 {
		o.Servers = 1
	}
	t0 := time.Now().UTC().Truncate(time.Minute).Add(time.Minute)
	due := t0.Add(time.Hour) // every deadline, and every scheduled start
	cfg := store.Config{DSN: o.DSN, Now: func() time.Time { return t0 }, MaxBatch: 256}
	cleanup := func() {}
	if o.DSN != "" {
		fresh, drop, err := freshPostgres(ctx, o.DSN)
		if err != nil {
			return TimersResult{}, err
		}
		cfg.DSN, cleanup = fresh, drop
	} else {
		tmp, err := os.MkdirTemp("", "labflow-bench-timers-*")
		if err != nil {
			return TimersResult{}, err
		}
		cfg.DataDir, cleanup = tmp, func() { os.RemoveAll(tmp) }
	}
	defer cleanup()
	reg := flow.NewRegistry()
	n := o.Jobs
	reg.RegisterDateSource("bench.dates", func(_ context.Context, from, to string) ([]flow.DatedItem, error) {
		d := due.Format(time.DateOnly)
		if d < from || d > to {
			return nil, nil
		}
		out := make([]flow.DatedItem, n)
		for i := range out {
			out[i] = flow.DatedItem{Key: "item:" + strconv.Itoa(i), Date: d}
		}
		return out, nil
	})
	defs := func() ([]*flow.Definition, error) {
		a, err := flow.Parse("bench-sla.yaml", []byte(benchSLA), reg)
		if err != nil {
			return nil, err
		}
		b, err := flow.Parse("bench-scheduled.yaml", []byte(fmt.Sprintf(benchScheduled, due.Format("15:04"))), reg)
		if err != nil {
			return nil, err
		}
		return []*flow.Definition{a, b}, nil
	}
	var dbs []*store.DB
	var engines []*flow.Engine
	defer func() {
		for _, db := range dbs {
			db.Close()
		}
	}()
	for range o.Servers {
		db, err := store.Open(ctx, cfg)
		if err != nil {
			return TimersResult{}, err
		}
		dbs = append(dbs, db)
		ds, err := defs()
		if err != nil {
			return TimersResult{}, err
		}
		e, err := flow.New(db.Flow(), reg, newDirectory(), nil, ds)
		if err != nil {
			return TimersResult{}, err
		}
		e.SetLease(0, o.Workers)
		engines = append(engines, e)
	}
	res := TimersResult{Timers: o.Timers, Jobs: o.Jobs, Servers: o.Servers, Backend: string(dbs[0].Dialect())}

	// Setup: the requests whose deadlines fall due together.
	setup := time.Now()
	var next atomic.Int64
	var firstErr error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > o.Timers {
					return
				}
				if _, err := engines[i%len(engines)].Start(ctx, actor(benchPeople[0]), "bench-sla", map[string]any{"title": "t" + strconv.Itoa(i)}, ""); err != nil {
					mu.Lock()
					firstErr = errors.Join(firstErr, err)
					mu.Unlock()
					next.Store(int64(o.Timers))
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return res, firstErr
	}
	res.SetupS = time.Since(setup).Seconds()

	// Everything is due: the servers run until all is done.
	now := due.Add(30 * time.Second)
	count := func(q string) (int, error) {
		var k int
		err := dbs[0].R().QueryRowContext(ctx, q).Scan(&k)
		return k, err
	}
	done := func() (bool, error) {
		t, err := count("SELECT COUNT(*) FROM flow_timer WHERE fired_at <> ''")
		if err != nil {
			return false, err
		}
		j, err := count("SELECT COUNT(*) FROM flow_job WHERE done_at <> ''")
		if err != nil {
			return false, err
		}
		res.TimersDone, res.JobsDone = t, j
		return t >= o.Timers && j >= o.Jobs, nil
	}
	res.PerServer = make([]int, len(engines))
	ws0 := dbs[0].WriteStats()
	start := time.Now()
	var stop atomic.Bool
	for i, e := range engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() && time.Since(start) < 10*time.Minute {
				k, err := e.RunTimers(ctx, now)
				s, err2 := e.RunSchedules(ctx, now)
				mu.Lock()
				res.PerServer[i] += k + s
				firstErr = errors.Join(firstErr, err, err2)
				mu.Unlock()
				if k+s == 0 {
					ok, err := done()
					if err != nil || ok {
						mu.Lock()
						firstErr = errors.Join(firstErr, err)
						mu.Unlock()
						stop.Store(true)
						return
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
	res.Seconds = time.Since(start).Seconds()
	if ws := dbs[0].WriteStats(); ws.Commits > ws0.Commits {
		res.Commits = ws.Commits - ws0.Commits
		res.AvgBatch = float64(ws.Writes-ws0.Writes) / float64(res.Commits)
	}
	if firstErr != nil {
		return res, firstErr
	}
	if res.Seconds > 0 {
		res.PerSecond = float64(o.Timers+o.Jobs) / res.Seconds
	}
	// Each once: one overdue notice per request, one request per job.
	overdue, err := count("SELECT COUNT(*) FROM audit_event WHERE action = 'flow.overdue'")
	if err != nil {
		return res, err
	}
	started, err := count("SELECT COUNT(*) FROM flow_instance WHERE def_key = 'bench-scheduled'")
	if err != nil {
		return res, err
	}
	jobs, err := count("SELECT COUNT(DISTINCT instance_id) FROM flow_job WHERE done_at <> '' AND instance_id <> 0")
	if err != nil {
		return res, err
	}
	sum := 0
	for _, k := range res.PerServer {
		sum += k
	}
	res.Once = overdue == o.Timers && started == o.Jobs && jobs == o.Jobs && sum == o.Timers+o.Jobs
	res.PeakRSSMB = PeakRSSMB()
	if !res.Once {
		return res, fmt.Errorf("bench: not each once: %d overdue notices for %d timers, %d requests for %d jobs (%d recorded), %d counted",
			overdue, o.Timers, started, o.Jobs, jobs, sum)
	}
	return res, nil
}
