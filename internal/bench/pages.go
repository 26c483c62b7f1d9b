package bench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"labflow/internal/app"
	"labflow/internal/domain"
	"labflow/internal/store"
)

// PagesOptions configure the pages benchmark (`labflow bench pages`).
type PagesOptions struct {
	Tasks   int    // tasks in the database (default 1,000,000)
	Open    int    // open tasks in the measured person's 待办 (default 150)
	Done    int    // tasks the measured person has acted on (default 5,000)
	People  int    // people the other tasks are spread over (default 2,000)
	Renders int    // renders of each page timed (default 300)
	DSN     string // "" = SQLite in a temporary folder; else PostgreSQL
}

// PagesResult is what the pages benchmark measured.
type PagesResult struct {
	Tasks      int     `json:"tasks"`
	Instances  int     `json:"instances"`
	Open       int     `json:"open_in_todo"`
	SeedS      float64 `json:"seed_s"`
	InboxP50   float64 `json:"inbox_p50_ms"`
	InboxP99   float64 `json:"inbox_p99_ms"`
	ApproveP50 float64 `json:"approval_p50_ms"`
	ApproveP99 float64 `json:"approval_p99_ms"`
	// The approval page's weight, uncompressed: its HTML and the style
	// sheets and scripts it links.
	HTMLBytes  int      `json:"approval_html_bytes"`
	AssetBytes int      `json:"approval_asset_bytes"`
	WeightKB   float64  `json:"approval_weight_kb"`
	Assets     []string `json:"approval_assets"`
	PeakRSSMB  float64  `json:"peak_rss_mb"`
	Backend    string   `json:"backend"`
}

// pagesApprover is the measured person: the director of 合成部, who
// approves the purchase requests of its researchers.
const pagesApprover = "chenzhiqiang"

// pagesTemplates are the purchase requests filed through the API, which the
// bulk rows copy (form, state, step).
const pagesTemplates = 20

// Pages measures the two pages an approver lives on, rendered by the real
// server over HTTP for a signed-in person, with Tasks tasks in the
// database: the 待办 list (/inbox) and the approval page of a request
// (/instances/{id}); and the approval page's weight.
//
// The demo institute is loaded, zhangwei files pagesTemplates purchase
// requests through the JSON API (each waits on chenzhiqiang, the
// director), and then the rest of the rows are written with set-based SQL
// straight into the tables, copied from those requests (a million audited
// transitions would take most of an hour and measure the write path, which
// the approval benchmark does): one instance per five tasks; chenzhiqiang
// has Open open tasks and Done finished ones, the other tasks are spread
// over People people (ids beyond the demo's, who only add rows), one
// instance in twenty still running.
func Pages(ctx context.Context, o PagesOptions) (PagesResult, error) {
	if o.Tasks <= 0 {
		o.Tasks = 1_000_000
	}
	if o.Open <= 0 {
		o.Open = 150
	}
	if o.Done <= 0 {
		o.Done = 5000
	}
	if o.People <= 0 {
		o.People = 2000
	}
	if o.Renders <= 0 {
		o.Renders = 300
	}
	if o.Tasks < 5*(o.Open+o.Done+pagesTemplates) {
		return PagesResult{}, fmt.Errorf("bench pages: --tasks must be at least 5 × (open + done + %d)", pagesTemplates)
	}
	tmp, err := os.MkdirTemp("", "labflow-bench-pages-*")
	if err != nil {
		return PagesResult{}, err
	}
	defer os.RemoveAll(tmp)
	dsn := o.DSN
	if dsn != "" {
		fresh, drop, err := freshPostgres(ctx, dsn)
		if err != nil {
			return PagesResult{}, err
		}
		defer drop()
		dsn = fresh
	}
	a, err := app.Open(ctx, app.Config{Addr: "127.0.0.1:0", DataDir: filepath.Join(tmp, "data"), DSN: dsn, Demo: true, Version: "bench"})
	if err != nil {
		return PagesResult{}, err
	}
	defer a.Close()
	if err := a.Listen(); err != nil {
		return PagesResult{}, err
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- a.Run(runCtx) }()
	defer func() { stop(); <-done }()
	base := "http://" + a.Addr()

	// The requests the bulk rows copy, filed as the application files them.
	zw, err := a.People.PersonByUsername(ctx, "zhangwei")
	if err != nil {
		return PagesResult{}, err
	}
	secret, _, err := a.Auth.CreateToken(ctx, domain.System, zw.ID, "bench")
	if err != nil {
		return PagesResult{}, err
	}
	h := &httpClient{base: base, c: &http.Client{Timeout: time.Minute}, tokens: []string{secret}}
	var first int64
	for i := 0; i < pagesTemplates; i++ {
		in, err := h.post(ctx, 0, "/api/v1/processes/purchase-request/instances", map[string]any{"form": pagesForm(i)})
		if err != nil {
			return PagesResult{}, fmt.Errorf("bench pages: file a request: %w", err)
		}
		if first == 0 {
			first = in.ID
		}
	}
	approver, err := a.People.PersonByUsername(ctx, pagesApprover)
	if err != nil {
		return PagesResult{}, err
	}

	t0 := time.Now()
	n, err := seedPages(ctx, a.DB, dsn, o, approver)
	if err != nil {
		return PagesResult{}, fmt.Errorf("bench pages: seed: %w", err)
	}
	r := PagesResult{Tasks: o.Tasks, Instances: n, SeedS: time.Since(t0).Seconds(), Backend: string(a.DB.Dialect())}

	// Signed in as the approver, with a session cookie, as a browser is.
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Timeout: time.Minute, Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.PostForm(base+"/login", url.Values{"username": {pagesApprover}, "password": {"labflow-demo"}})
	if err != nil {
		return r, err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther && res.StatusCode != http.StatusFound {
		return r, fmt.Errorf("bench pages: sign-in as %s: %d", pagesApprover, res.StatusCode)
	}

	inbox, err := timePage(ctx, c, base+"/inbox", o.Renders, `<li class="item">`)
	if err != nil {
		return r, err
	}
	page := base + "/instances/" + strconv.FormatInt(first, 10)
	approval, err := timePage(ctx, c, page, o.Renders, `id="act-approve"`)
	if err != nil {
		return r, err
	}
	r.InboxP50, r.InboxP99 = pct(inbox, 0.50), pct(inbox, 0.99)
	r.ApproveP50, r.ApproveP99 = pct(approval, 0.50), pct(approval, 0.99)
	if err := pageWeight(ctx, c, base, page, &r); err != nil {
		return r, err
	}
	if r.Open, err = openTasks(ctx, a.DB, approver.ID); err != nil {
		return r, err
	}
	r.PeakRSSMB = PeakRSSMB()
	return r, nil
}

// pagesForm is the i-th template's form: a purchase request of reagents
// or consumables with a few lines.
func pagesForm(i int) map[string]any {
	cat := []string{"reagent", "consumable"}[i%2]
	items := []any{}
	for j := 0; j <= i%4; j++ {
		items = append(items, map[string]any{"name": "试剂 " + strconv.Itoa(i) + "-" + strconv.Itoa(j), "spec": "HPLC 4L",
			"quantity": 1 + (i+j)%5, "unit": "瓶", "unit_price": strconv.Itoa(100+37*i+j) + ".50"})
	}
	return map[string]any{"reason": "合成路线 " + strconv.Itoa(i) + " 需要的试剂", "category": cat,
		"acceptance": "requester_confirms", "items": items}
}

// timePage fetches url n times (after a few unmeasured fetches) and returns
// the sorted durations; every answer must be 200 and contain want.
func timePage(ctx context.Context, c *http.Client, u string, n int, want string) ([]time.Duration, error) {
	var out []time.Duration
	for i := -5; i < n; i++ {
		t0 := time.Now()
		body, err := get(ctx, c, u)
		d := time.Since(t0)
		if err != nil {
			return nil, err
		}
		if !strings.Contains(body, want) {
			os.WriteFile(filepath.Join(os.TempDir(), "labflow-bench-page.html"), []byte(body), 0o644)
			return nil, fmt.Errorf("bench pages: %s lacks %q (the page: %s)", u, want, filepath.Join(os.TempDir(), "labflow-bench-page.html"))
		}
		if i >= 0 {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out, nil
}

func get(ctx context.Context, c *http.Client, u string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return "", err
	}
	// Uncompressed, as the weight is counted.
	req.Header.Set("Accept-Encoding", "identity")
	res, err := c.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return "", err
	}
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("bench pages: GET %s: %d", u, res.StatusCode)
	}
	return string(b), nil
}

var assetRef = regexp.MustCompile(`<(?:link[^>]*rel="stylesheet"[^>]*href|script[^>]*src)="([^"]+)"`)

// pageWeight counts the approval page's HTML and the style sheets and
// scripts it links, uncompressed.
func pageWeight(ctx context.Context, c *http.Client, base, page string, r *PagesResult) error {
	html, err := get(ctx, c, page)
	if err != nil {
		return err
	}
	r.HTMLBytes = len(html)
	for _, m := range assetRef.FindAllStringSubmatch(html, -1) {
		ref := strings.ReplaceAll(m[1], "&amp;", "&")
		if !strings.HasPrefix(ref, "/") {
			return fmt.Errorf("bench pages: asset %q is not served by LabFlow", ref)
		}
		b, err := get(ctx, c, base+ref)
		if err != nil {
			return err
		}
		r.AssetBytes += len(b)
		r.Assets = append(r.Assets, ref)
	}
	r.WeightKB = float64(r.HTMLBytes+r.AssetBytes) / 1024
	return nil
}

func openTasks(ctx context.Context, db *store.DB, person int64) (int, error) {
	var n int
	err := db.R().QueryRowContext(ctx, "SELECT COUNT(*) FROM flow_task WHERE assignee_id = $1 AND state = 'open'", person).Scan(&n)
	return n, err
}

// seedPages writes the bulk rows with a separate connection (the store has
// no bulk path on purpose: every state change goes through an audited
// write) and returns the number of instances written.
func seedPages(ctx context.Context, db *store.DB, dsn string, o PagesOptions, approver domain.Person) (int, error) {
	driver, src := "sqlite", "file:"+db.Path()+"?_pragma=busy_timeout(10000)&_pragma=synchronous(OFF)"
	pg := db.Dialect() == store.Postgres
	if pg {
		driver, src = "pgx", dsn
	}
	raw, err := sql.Open(driver, src)
	if err != nil {
		return 0, err
	}
	defer raw.Close()
	var maxInst, maxTask int64
	if err := raw.QueryRowContext(ctx, "SELECT MAX(id) FROM flow_instance").Scan(&maxInst); err != nil {
		return 0, err
	}
	if err := raw.QueryRowContext(ctx, "SELECT MAX(id) FROM flow_task").Scan(&maxTask); err != nil {
		return 0, err
	}
	instances := o.Tasks / 5
	series := func(n int) string {
		if pg {
			return "SELECT i FROM generate_series(1, " + strconv.Itoa(n) + ") AS i"
		}
		return "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " + strconv.Itoa(n) + ") SELECT i FROM n"
	}
	// Times grow with i (newer rows sort first, as in real use) and stay
	// before the templates' (filed now).
	ts := func(i string) string {
		pad := "substr('0000000' || " + i + ", -7)"
		if pg {
			pad = "lpad(CAST(" + i + " AS TEXT), 7, '0')"
		}
		return "'2025-01-01T00:00:00.' || substr(" + pad + ", 2, 6) || 'Z'"
	}
	itoa := strconv.Itoa
	k := itoa(pagesTemplates)
	open, done := itoa(o.Open), itoa(o.Open+o.Done)
	// j is the instance's number (1 … instances). The first Open wait on
	// the approver; the next Done were approved by them; one in twenty of
	// the rest is still running.
	running := "(s.i <= " + open + " OR s.i % 20 = 0)"
	tpl := `(SELECT id, def_key, def_version, title, initiator_id, initiator_name, initiator_dept, form, state, search,
		ROW_NUMBER() OVER (ORDER BY id) - 1 AS k FROM flow_instance WHERE def_key = 'purchase-request')`
	stmts := []string{
		`INSERT INTO flow_instance (id, def_key, def_version, title, initiator_id, initiator_name, initiator_dept, status, form, state, search, version, created_at, updated_at, ended_at, outcome)
			SELECT ` + strconv.FormatInt(maxInst, 10) + ` + s.i, t.def_key, t.def_version, t.title, t.initiator_id, t.initiator_name, t.initiator_dept,
				CASE WHEN ` + running + ` THEN 'running' ELSE 'approved' END, t.form, t.state, t.search, 1, ` + ts("s.i") + `, ` + ts("s.i") + `,
				CASE WHEN ` + running + ` THEN '' ELSE ` + ts("s.i") + ` END, CASE WHEN ` + running + ` THEN '' ELSE 'approved' END
			FROM (` + series(instances) + `) AS s JOIN ` + tpl + ` AS t ON t.k = s.i % ` + k,
		// Five tasks an instance, on the step its template waits at: task
		// r = 4 is the open one of a running instance; the approver has r
		// = 4 of the first Open instances and r = 0 of the next Done.
		`INSERT INTO flow_task (id, instance_id, step_id, round, assignee_id, assignee_name, state, kind, outcome, def_key, initiator_id, created_at, acted_at, version)
			SELECT ` + strconv.FormatInt(maxTask, 10) + ` + s.i, ` + strconv.FormatInt(maxInst, 10) + ` + j, t.step_id, 1,
				CASE WHEN (j <= ` + open + ` AND r = 4) OR (j > ` + open + ` AND j <= ` + done + ` AND r = 0) THEN ` + strconv.FormatInt(approver.ID, 10) + `
					ELSE 100000 + s.i % ` + itoa(o.People) + ` END,
				CASE WHEN (j <= ` + open + ` AND r = 4) OR (j > ` + open + ` AND j <= ` + done + ` AND r = 0) THEN '` + approver.Name + `' ELSE 'n' END,
				CASE WHEN r = 4 AND (j <= ` + open + ` OR j % 20 = 0) THEN 'open' ELSE 'done' END, t.kind,
				CASE WHEN r = 4 AND (j <= ` + open + ` OR j % 20 = 0) THEN '' ELSE 'approve' END,
				'purchase-request', t.initiator_id, ` + ts("s.i") + `,
				CASE WHEN r = 4 AND (j <= ` + open + ` OR j % 20 = 0) THEN '' ELSE ` + ts("s.i") + ` END, 1
			FROM (SELECT i, (i + 4) / 5 AS j, (i - 1) % 5 AS r FROM (` + series(instances*5) + `) AS q) AS s
			JOIN (SELECT step_id, kind, initiator_id, ROW_NUMBER() OVER (ORDER BY id) - 1 AS k FROM flow_task
				WHERE def_key = 'purchase-request' AND state = 'open') AS t ON t.k = s.j % ` + k,
	}
	if pg {
		stmts = append(stmts,
			"SELECT setval(pg_get_serial_sequence('flow_instance', 'id'), (SELECT MAX(id) FROM flow_instance))",
			"SELECT setval(pg_get_serial_sequence('flow_task', 'id'), (SELECT MAX(id) FROM flow_task))")
	}
	stmts = append(stmts, "ANALYZE")
	for _, q := range stmts {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			return 0, errors.Join(fmt.Errorf("%.80s…", q), err)
		}
	}
	return instances, nil
}
