// Package bench measures the process engine: the approval benchmark of
// issue 3 (`labflow bench approval`).
package bench

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// Options configures the approval benchmark.
type Options struct {
	Instances   int    // N, default 2000
	Concurrency int    // C, default 32
	DSN         string // "" = SQLite in a temporary folder (synchronous=FULL); else PostgreSQL
	HTTP        bool   // through the JSON API (ApprovalHTTP)
}

// Result is what the benchmark measured.
type Result struct {
	InstancesPerS   float64 `json:"instances_per_s"`
	TransitionsPerS float64 `json:"transitions_per_s"`
	ApproveP50Ms    float64 `json:"approve_p50_ms"`
	ApproveP99Ms    float64 `json:"approve_p99_ms"`
	PeakRSSMB       float64 `json:"peak_rss_mb"`
	Backend         string  `json:"backend"`
	// Commits and AvgBatch show the group commit at work: durable commits
	// made, and write functions per commit.
	Commits  uint64  `json:"commits,omitempty"`
	AvgBatch float64 `json:"avg_batch,omitempty"`
}

// The benchmark's people: an initiator and three approvers.
var benchPeople = []domain.Person{
	{ID: 1, Username: "initiator", Name: "Initiator", DepartmentID: 1, Active: true, Grants: []domain.Grant{{Role: domain.RoleResearcher, DepartmentID: 1}}},
	{ID: 2, Username: "approver1", Name: "Approver One", Active: true, Grants: []domain.Grant{{Role: domain.RoleBusinessDean}}},
	{ID: 3, Username: "approver2", Name: "Approver Two", Active: true, Grants: []domain.Grant{{Role: domain.RoleAdminDean}}},
	{ID: 4, Username: "approver3", Name: "Approver Three", Active: true, Grants: []domain.Grant{{Role: domain.RoleGM}}},
}

// Definition is the benchmark's 3-step sequential approval (no signatures).
func Definition() *flow.Definition {
	t := func(s string) flow.Text { return flow.Text{ZH: s, EN: s} }
	return &flow.Definition{Key: "bench-approval", Title: t("bench"), Subject: "form",
		Form: []flow.Field{{Key: "title", Label: t("title"), Type: flow.FieldText}},
		Steps: []flow.Step{
			{ID: "one", Title: t("one"), Assignee: flow.Assignee{Person: "approver1"}},
			{ID: "two", Title: t("two"), Assignee: flow.Assignee{Person: "approver2"}},
			{ID: "three", Title: t("three"), Assignee: flow.Assignee{Person: "approver3"}},
		}}
}

// directory is a fixed in-memory flow.Directory.
type directory struct{ byID map[int64]domain.Person }

func newDirectory() *directory {
	d := &directory{byID: map[int64]domain.Person{}}
	for _, p := range benchPeople {
		d.byID[p.ID] = p
	}
	return d
}

var errNone = domain.NotFound("bench", "entity.person")

func (d *directory) Person(_ context.Context, id int64) (domain.Person, error) {
	if p, ok := d.byID[id]; ok {
		return p, nil
	}
	return domain.Person{}, errNone
}

func (d *directory) PersonByUsername(_ context.Context, u string) (domain.Person, error) {
	for _, p := range benchPeople {
		if p.Username == u {
			return p, nil
		}
	}
	return domain.Person{}, errNone
}

func (d *directory) DirectorOf(context.Context, int64) (domain.Person, error) {
	return domain.Person{}, errNone
}

func (d *directory) WithRole(_ context.Context, r domain.Role, _ int64) ([]domain.Person, error) {
	var out []domain.Person
	for _, p := range benchPeople {
		for _, g := range p.Grants {
			if g.Role == r {
				out = append(out, p)
			}
		}
	}
	return out, nil
}

func (d *directory) Committee(context.Context) ([]domain.Person, domain.Person, error) {
	return nil, domain.Person{}, nil
}

func (d *directory) RankHistory(context.Context, int64) ([]domain.RankEntry, error) {
	return nil, nil
}

func actor(p domain.Person) domain.Actor {
	return domain.Actor{ID: p.ID, Username: p.Username, Name: p.Name, Grants: p.Grants, Via: "cli"}
}

// Setup opens a fresh database and an engine for the benchmark; cleanup
// closes and removes it.
func Setup(ctx context.Context, dsn string) (*store.DB, *flow.Engine, func(), error) {
	db, e, cleanup, _, err := setup(ctx, dsn)
	return db, e, cleanup, err
}

// setup is Setup that also returns the fresh database's DSN ("" for SQLite).
func setup(ctx context.Context, dsn string) (*store.DB, *flow.Engine, func(), string, error) {
	cfg := store.Config{DSN: dsn}
	var tmp string
	dropDB := func() {}
	if dsn != "" {
		// A fresh database on that server, dropped afterwards, so that
		// every run starts empty.
		fresh, drop, err := freshPostgres(ctx, dsn)
		if err != nil {
			return nil, nil, nil, "", err
		}
		cfg.DSN, dropDB = fresh, drop
	} else {
		var err error
		if tmp, err = os.MkdirTemp("", "labflow-bench-*"); err != nil {
			return nil, nil, nil, "", err
		}
		cfg.DataDir = tmp
	}
	db, err := store.Open(ctx, cfg)
	if err != nil {
		if tmp != "" {
			os.RemoveAll(tmp)
		}
		dropDB()
		return nil, nil, nil, "", err
	}
	cleanup := func() {
		db.Close()
		if tmp != "" {
			os.RemoveAll(tmp)
		}
		dropDB()
	}
	e, err := flow.New(db.Flow(), flow.NewRegistry(), newDirectory(), nil, []*flow.Definition{Definition()})
	if err != nil {
		cleanup()
		return nil, nil, nil, "", err
	}
	return db, e, cleanup, cfg.DSN, nil
}

// freshPostgres creates an empty database on the server of dsn and returns
// its DSN and a function that drops it.
func freshPostgres(ctx context.Context, dsn string) (string, func(), error) {
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("labflow_bench_%d_%d", os.Getpid(), time.Now().UnixNano()%1e9)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("bench: create database: %w", err)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		admin.Close()
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close()
	}
	return u.String(), drop, nil
}

// RunOne starts one instance and approves it three times, recording each
// approval's latency.
func RunOne(ctx context.Context, _ *store.DB, e *flow.Engine, n int, lat *[]time.Duration) error {
	in, err := e.Start(ctx, actor(benchPeople[0]), "bench-approval", map[string]any{"title": "bench " + strconv.Itoa(n)}, "")
	if err != nil {
		return fmt.Errorf("start: %w", err)
	}
	for i := 1; i <= 3; i++ {
		// The engine returns the open tasks after each change, as the
		// API does, so the next approver's task needs no extra query.
		ts := in.Tasks
		if len(ts) != 1 {
			return fmt.Errorf("instance %d: %d open tasks, want 1", in.ID, len(ts))
		}
		t0 := time.Now()
		out, err := e.Act(ctx, actor(benchPeople[i]), ts[0].ID, flow.ActInput{Action: flow.ActApprove})
		if err != nil {
			return fmt.Errorf("approve %d: %w", i, err)
		}
		if lat != nil {
			*lat = append(*lat, time.Since(t0))
		}
		if i == 3 && out.Status != flow.StatusApproved {
			return fmt.Errorf("instance %d ended %s", in.ID, out.Status)
		}
		in = out
	}
	return nil
}

// Approval runs the benchmark: N instances of a 3-step sequential approval
// over C goroutines, each start and each approval its own durable commit
// with its audit event.
func Approval(ctx context.Context, o Options) (Result, error) {
	if o.HTTP {
		return ApprovalHTTP(ctx, o)
	}
	if o.Instances <= 0 {
		o.Instances = 2000
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 32
	}
	db, e, cleanup, err := Setup(ctx, o.DSN)
	if err != nil {
		return Result{}, err
	}
	defer cleanup()
	r, err := drive(o, string(db.Dialect()), func(n int, lat *[]time.Duration) error { return RunOne(ctx, db, e, n, lat) })
	if err != nil {
		return Result{}, err
	}
	if ws := db.WriteStats(); ws.Commits > 0 {
		r.Commits, r.AvgBatch = ws.Commits, float64(ws.Writes)/float64(ws.Commits)
	}
	return r, nil
}

// drive runs N instances over C goroutines with run (one instance each,
// recording its approvals' latencies) and summarizes.
func drive(o Options, backend string, run func(n int, lat *[]time.Duration) error) (Result, error) {
	var next atomic.Int64
	var mu sync.Mutex
	var all []time.Duration
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for g := 0; g < o.Concurrency; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 3*o.Instances/o.Concurrency+3)
			for {
				n := int(next.Add(1))
				if n > o.Instances {
					break
				}
				if err := run(n, &lat); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					next.Store(int64(o.Instances))
					break
				}
			}
			mu.Lock()
			all = append(all, lat...)
			mu.Unlock()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	if firstErr != nil {
		return Result{}, firstErr
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	return Result{
		InstancesPerS:   float64(o.Instances) / elapsed,
		TransitionsPerS: float64(4*o.Instances) / elapsed,
		ApproveP50Ms:    pct(all, 0.50),
		ApproveP99Ms:    pct(all, 0.99),
		PeakRSSMB:       PeakRSSMB(),
		Backend:         backend,
	}, nil
}

func pct(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return 0
	}
	i := int(float64(len(d)-1) * p)
	return float64(d[i].Microseconds()) / 1000
}

// PeakRSSMB returns the process's peak resident set (VmHWM) in MB, or 0
// where /proc is not available.
func PeakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			f := strings.Fields(rest)
			if len(f) > 0 {
				kb, _ := strconv.ParseFloat(f[0], 64)
				return kb / 1024
			}
		}
	}
	return 0
}
