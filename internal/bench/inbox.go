package bench

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"time"

	"labflow/internal/flow"
	"labflow/internal/store"
)

// InboxOptions configure the inbox benchmark.
type InboxOptions struct {
	Tasks     int    // tasks in the database (default 1,000,000)
	Assignees int    // people the tasks are spread over (default 1,000)
	Queries   int    // todo queries measured (default 2,000)
	DSN       string // "" = SQLite in a temporary folder; else PostgreSQL
}

// InboxResult is what the inbox benchmark measured.
type InboxResult struct {
	Tasks      int     `json:"tasks"`
	OpenPerBox int     `json:"open_per_user"`
	SeedS      float64 `json:"seed_s"`
	TodoP50Ms  float64 `json:"todo_p50_ms"`
	TodoP99Ms  float64 `json:"todo_p99_ms"`
	CountsP99  float64 `json:"counts_p99_ms"`
	PeakRSSMB  float64 `json:"peak_rss_mb"`
	Backend    string  `json:"backend"`
}

// Inbox fills a fresh database with Tasks tasks (one instance per five
// tasks, spread over Assignees people, one task in twenty still open, as in
// an institute after years of use), then measures the 待办 (todo) query of
// the engine for one user at a time, and the navigation-bar counts.
//
// The rows are written with set-based SQL straight into the tables — a
// million audited transitions would take the benchmark most of an hour and
// measure the write path, which the approval benchmark does.
func Inbox(ctx context.Context, o InboxOptions) (InboxResult, error) {
	if o.Tasks <= 0 {
		o.Tasks = 1_000_000
	}
	if o.Assignees <= 0 {
		o.Assignees = 1000
	}
	if o.Queries <= 0 {
		o.Queries = 2000
	}
	db, e, cleanup, dsn, err := setup(ctx, o.DSN)
	if err != nil {
		return InboxResult{}, err
	}
	defer cleanup()
	t0 := time.Now()
	if err := seedTasks(ctx, db, dsn, o.Tasks, o.Assignees); err != nil {
		return InboxResult{}, fmt.Errorf("seed: %w", err)
	}
	r := InboxResult{Tasks: o.Tasks, SeedS: time.Since(t0).Seconds(), Backend: string(db.Dialect())}
	var todo, counts []time.Duration
	for i := 0; i < o.Queries; i++ {
		who := actor(benchPeople[0])
		who.ID = int64(1 + (i*7919)%o.Assignees) // spread over users
		q0 := time.Now()
		items, total, err := e.Inbox(ctx, who, flow.BoxTodo, flow.InboxFilter{Limit: 50})
		todo = append(todo, time.Since(q0))
		if err != nil {
			return r, err
		}
		if len(items) == 0 || total == 0 {
			return r, fmt.Errorf("user %d: empty todo box", who.ID)
		}
		r.OpenPerBox = total
		if i%4 == 0 {
			c0 := time.Now()
			if _, err := e.Counts(ctx, who); err != nil {
				return r, err
			}
			counts = append(counts, time.Since(c0))
		}
	}
	sort.Slice(todo, func(i, j int) bool { return todo[i] < todo[j] })
	sort.Slice(counts, func(i, j int) bool { return counts[i] < counts[j] })
	r.TodoP50Ms, r.TodoP99Ms, r.CountsP99 = pct(todo, 0.50), pct(todo, 0.99), pct(counts, 0.99)
	r.PeakRSSMB = PeakRSSMB()
	return r, nil
}

// seedTasks writes the rows with a separate connection (the store has no
// bulk path on purpose: every state change goes through an audited write).
func seedTasks(ctx context.Context, db *store.DB, dsn string, tasks, assignees int) error {
	driver, src := "sqlite", "file:"+db.Path()+"?_pragma=busy_timeout(10000)&_pragma=synchronous(OFF)"
	series := "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + strconv.Itoa(tasks) + ") SELECT i FROM n"
	pad := "substr('0000000' || i, -7)"
	if db.Dialect() == store.Postgres {
		driver, src = "pgx", dsn
		series = "SELECT i FROM generate_series(1, " + strconv.Itoa(tasks) + ") AS i"
		pad = "lpad(CAST(i AS TEXT), 7, '0')"
	}
	raw, err := sql.Open(driver, src)
	if err != nil {
		return err
	}
	defer raw.Close()
	// Times grow with i, so newer tasks sort first, as in real use.
	ts := "'2025-01-01T00:00:00.' || substr(" + pad + ", 2, 6) || 'Z'"
	stmts := []string{
		`INSERT INTO flow_instance (def_key, def_version, title, initiator_id, initiator_name, status, form, state, search, version, created_at, updated_at)
			SELECT 'bench-approval', 1, 'bench ' || i, 1 + i % ` + strconv.Itoa(assignees) + `, 'x', 'running', '{"title":"bench"}', '{}', 'bench ' || i, 1, ` + ts + `, ` + ts + `
			FROM (` + series + `) AS s WHERE i % 5 = 0`,
		`INSERT INTO flow_task (instance_id, step_id, round, assignee_id, assignee_name, state, kind, def_key, initiator_id, created_at, acted_at)
			SELECT (i + 4) / 5, 'step1', 1, 1 + i % ` + strconv.Itoa(assignees) + `, 'n',
				CASE WHEN (i / ` + strconv.Itoa(assignees) + `) % 20 = 0 THEN 'open' ELSE 'done' END, 'slot', 'bench-approval', 1, ` + ts + `,
				CASE WHEN (i / ` + strconv.Itoa(assignees) + `) % 20 = 0 THEN '' ELSE ` + ts + ` END
			FROM (` + series + `) AS s`,
	}
	for _, q := range stmts {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	_, err = raw.ExecContext(ctx, "ANALYZE")
	return err
}
