package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"labflow/internal/i18n"
	"labflow/internal/store"
)

// Ensure the lists (read from the projects' heads, without the nodes) and
// the project page (every node's figures) give every project the same
// health: state, reason, late node, working days late, next node due
// (PRJ-4).
func TestPRJ4_ListHealthIsThePagesHealth(t *testing.T) {
	t.Parallel()
	onBothBackends(t, testListHealthIsThePagesHealth)
}

func testListHealthIsThePagesHealth(t *testing.T, e *env) {
	var l struct {
		Projects []struct {
			Code   string          `json:"code"`
			Health json.RawMessage `json:"health"`
		} `json:"projects"`
	}
	e.as(t, "lihua", "GET", "/api/v1/projects", nil).json(t, &l)
	if len(l.Projects) < 5 {
		t.Fatalf("the demo's projects: %d", len(l.Projects))
	}
	states := map[string]bool{}
	for _, p := range l.Projects {
		var d struct {
			Health json.RawMessage `json:"health"`
		}
		e.as(t, "lihua", "GET", "/api/v1/projects/"+p.Code, nil).json(t, &d)
		if string(d.Health) != string(p.Health) {
			t.Errorf("%s: list %s, page %s", p.Code, p.Health, d.Health)
		}
		var h healthOut
		json.Unmarshal(p.Health, &h)
		states[h.State] = true
	}
	// The demo has a project of each state, so each rule was compared.
	for _, s := range []string{"on_time", "late", "blocked", "closed"} {
		if !states[s] {
			t.Errorf("no demo project is %s: %v", s, states)
		}
	}
}

// bareProjects adds n projects of the synthesis department in initiation,
// without a plan (blocked), coded B-001…, straight into the tables: the
// lists' paging and the dashboards' caps need more projects than the API
// makes quickly.
func bareProjects(t *testing.T, e *env, n int) {
	t.Helper()
	dept := deptID(t, e, "synthesis")
	director := e.personID(t, "chenzhiqiang")
	now := store.TimeText(time.Now())
	err := e.app.DB.Write(context.Background(), func(tx *store.Tx) error {
		for i := 1; i <= n; i++ {
			var id int64
			if err := tx.QueryRowContext(context.Background(), `INSERT INTO project (code, name, kind, rld, departments, department_id, director_id, stage, created_at, created_by, updated_at)
				VALUES ($1, $2, 'api', '', $3, $4, $5, 'initiation', $6, $5, $6) RETURNING id`, fmt.Sprintf("B-%03d", i), fmt.Sprintf("批量项目 %d", i), fmt.Sprint(dept), dept, director, now).Scan(&id); err != nil {
				return err
			}
			if _, err := tx.Exec("INSERT INTO project_department (project_id, department_id) VALUES ($1, $2)", id, dept); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Ensure the project list pages through every project with the filters
// kept, and the dashboards count every project but list at most a hundred,
// the ones needing attention first, saying how many more there are
// (issue 10: lists at 5,000 projects).
func TestPRJ4_ListPagesAndDashboardsCap(t *testing.T) {
	t.Parallel()
	onBothBackends(t, testListPagesAndDashboardsCap)
}

func testListPagesAndDashboardsCap(t *testing.T, e *env) {
	bareProjects(t, e, 130)
	c := e.login(t, "chenzhiqiang")
	r := e.do(t, c, "GET", "/projects?stage=initiation", nil, nil)
	if r.status != 200 || strings.Count(r.body, `<tr><td class="nowrap"><a href="/projects/`) != 50 || strings.Contains(r.body, `id="project-prev"`) {
		t.Fatalf("first page: %d, %d rows", r.status, strings.Count(r.body, `<tr><td class="nowrap"><a href="/projects/`))
	}
	next := linkBefore(r.body, `" id="project-next"`)
	if !strings.Contains(next, "stage=initiation") || !strings.Contains(next, "offset=50") {
		t.Fatalf("next link %q", next)
	}
	seen := map[string]bool{}
	for page := 0; next != "" && page < 10; page++ {
		r = e.do(t, c, "GET", strings.ReplaceAll(next, "&amp;", "&"), nil, nil)
		for _, part := range strings.Split(r.body, `<tr><td class="nowrap"><a href="/projects/`)[1:] {
			seen[part[:strings.Index(part, `"`)]] = true
		}
		if !strings.Contains(r.body, `id="project-prev"`) {
			t.Fatal("no link back")
		}
		next = linkBefore(r.body, `" id="project-next"`)
	}
	var all struct{ Total int }
	e.as(t, "chenzhiqiang", "GET", "/api/v1/projects?stage=initiation", nil).json(t, &all)
	if len(seen)+50 != all.Total || all.Total < 130 {
		t.Fatalf("paged through %d + 50 of %d", len(seen), all.Total)
	}

	var d struct {
		Total    int            `json:"total"`
		More     int            `json:"more"`
		ByHealth map[string]int `json:"by_health"`
		Projects []struct {
			Code   string    `json:"code"`
			Health healthOut `json:"health"`
		} `json:"projects"`
	}
	e.as(t, "chenzhiqiang", "GET", "/api/v1/dashboards/director", nil).json(t, &d)
	sum := 0
	for _, n := range d.ByHealth {
		sum += n
	}
	if d.Total < 130 || sum != d.Total || len(d.Projects) != 100 || d.More != d.Total-100 {
		t.Fatalf("director dashboard: total %d, counted %d, listed %d, more %d", d.Total, sum, len(d.Projects), d.More)
	}
	// Late ones first, then blocked, on time, closed (the 130 are blocked,
	// the demo's LF-2026-01 of the department on time: it is not listed).
	rank := map[string]int{"late": 0, "blocked": 1, "on_time": 2, "closed": 3}
	for i := 1; i < len(d.Projects); i++ {
		if rank[d.Projects[i-1].Health.State] > rank[d.Projects[i].Health.State] {
			t.Fatalf("%s before %s at %d", d.Projects[i-1].Health.State, d.Projects[i].Health.State, i)
		}
	}
	for _, p := range d.Projects {
		if p.Code == "LF-2026-01" {
			t.Fatal("an on-time project listed before blocked ones")
		}
	}
	if r := e.do(t, c, "GET", "/dashboards/director", nil, nil); !strings.Contains(r.body, `id="dashboard-more"`) {
		t.Fatal("the page does not say more projects are not listed")
	}
	var b struct {
		Total     int `json:"total"`
		More      int `json:"more"`
		Attention []struct {
			Code string `json:"code"`
		} `json:"attention"`
	}
	e.as(t, "lihua", "GET", "/api/v1/dashboards/business", nil).json(t, &b)
	if len(b.Attention) != 100 || b.More < 30 || b.Attention[0].Code != "LF-2026-02" {
		t.Fatalf("business dashboard: %d listed, %d more, first %v", len(b.Attention), b.More, b.Attention[0])
	}
}

// linkBefore is the href of the link whose attributes end with after ("" if none).
func linkBefore(s, after string) string {
	j := strings.Index(s, after)
	if j < 0 {
		return ""
	}
	i := strings.LastIndex(s[:j], `<a href="`)
	if i < 0 {
		return ""
	}
	return s[i+len(`<a href="`) : j]
}

// Ensure the project page and the API show the project's open tasks — who
// holds which step since when — as far as the viewer may see each process,
// and its history newest first, to whoever sees the project and nobody
// else (issue 10 "What people see"; PRJ-12).
func TestPRJ12_ProjectOpenTasksAndHistory(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	type task struct {
		InstanceID   int64  `json:"instance_id"`
		Title        string `json:"title"`
		AssigneeName string `json:"assignee_name"`
	}
	var ts []task
	// LF-2026-03's plan is being signed by the committee: its tasks are open.
	e.as(t, "lihua", "GET", "/api/v1/projects/LF-2026-03/tasks", nil).json(t, &ts)
	if len(ts) == 0 {
		t.Fatal("no open task on LF-2026-03")
	}
	for _, x := range ts {
		if r := e.as(t, "lihua", "GET", itoaPath("/api/v1/instances/", x.InstanceID), nil); r.status != 200 {
			t.Errorf("a listed task's process is not the viewer's to open: %d", r.status)
		}
	}
	var hs []struct {
		Seq    int64  `json:"seq"`
		Action string `json:"action"`
	}
	e.as(t, "chenzhiqiang", "GET", "/api/v1/projects/LF-2026-01/history", nil).json(t, &hs)
	if len(hs) < 2 || hs[0].Seq < hs[len(hs)-1].Seq || hs[len(hs)-1].Action != "project.create" {
		t.Fatalf("history: %+v", hs)
	}
	// A new event comes first.
	if r := e.as(t, "chenzhiqiang", "POST", nodePath("LF-2026-01", "路线确认"), map[string]any{"start": day(-60), "end": day(-31), "reason": "历史"}); r.status != 200 {
		t.Fatalf("actual: %d %s", r.status, r.body)
	}
	e.as(t, "chenzhiqiang", "GET", "/api/v1/projects/LF-2026-01/history", nil).json(t, &hs)
	if hs[0].Action != "project.node_actual" {
		t.Fatalf("newest: %+v", hs[0])
	}
	for _, user := range []string{"liuyang", "admin", "gaoyuan"} {
		for _, p := range []string{"/api/v1/projects/LF-2026-01/history", "/api/v1/projects/LF-2026-01/tasks"} {
			if r := e.as(t, user, "GET", p, nil); r.status != 404 {
				t.Errorf("%s %s: %d", user, p, r.status)
			}
		}
	}
	c := e.login(t, "lihua")
	r := e.do(t, c, "GET", "/projects/LF-2026-03", nil, nil)
	if !strings.Contains(between(r.body, `id="project-tasks"`, `</table>`), ts[0].AssigneeName) || !strings.Contains(r.body, `id="project-history"`) {
		t.Fatalf("project page lacks its open tasks or history")
	}
	if h := between(r.body, `id="project-history"`, `</table>`); !strings.Contains(h, "项目 LF-2026-03") || !strings.Contains(h, "提交节点计划") {
		t.Fatalf("history on the page: %.500s", h)
	}
}

// Ensure a project's history is in people's words in both languages:
// every action and every changed field of every demo project's trail has
// its text (a numbered field, question.2, by its name), so a director
// never reads a stored key (issue 9 item 5, issue 10).
func TestR1_ProjectHistoryInWords(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var l struct {
		Projects []struct {
			Code string `json:"code"`
		} `json:"projects"`
	}
	e.as(t, "lihua", "GET", "/api/v1/projects", nil).json(t, &l)
	n := 0
	for _, p := range l.Projects {
		var hs []struct {
			Action  string `json:"action"`
			Changes []struct {
				Field string `json:"field"`
			} `json:"changes"`
		}
		e.as(t, "lihua", "GET", "/api/v1/projects/"+p.Code+"/history", nil).json(t, &hs)
		for _, h := range hs {
			n++
			keys := []string{"audit.act." + h.Action}
			for _, c := range h.Changes {
				f := c.Field
				if base, num, ok := strings.Cut(f, "."); ok && strings.Trim(num, "0123456789") == "" {
					f = base
				}
				keys = append(keys, "audit.field."+f)
			}
			for _, k := range keys {
				for _, lang := range []string{"zh", "en"} {
					if !i18n.Has(lang, k) {
						t.Errorf("%s: no %s text for %s", p.Code, lang, k)
					}
				}
			}
		}
	}
	if n < 50 {
		t.Fatalf("only %d events in the demo projects' histories", n)
	}
}
