package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"labflow/internal/store"
)

// The projects' numbers (issue 10): with 5,000 projects, 100,000 nodes and
// 1,000,000 process instances in the database, the project list and a
// project page render server-side with p99 under 50 ms, the director's
// dashboard under 100 ms. Run:
//
//	go test ./internal/web/ -run '^$' -bench PRJ_Scale -benchtime 200x
//
// The rows are bulk-filled (valid rows of every table the pages read,
// on SQLite); each sub-benchmark reports its median and p99.

const (
	scaleProjects  = 5000
	scaleNodes     = 20 // per project: 100,000
	scaleInstances = 1000000
	scaleOpen      = 1000 // plan signings still open, three tasks each
)

// fillScale bulk-fills e's database.
func fillScale(b *testing.B, e *env) {
	b.Helper()
	ctx := context.Background()
	db := e.app.DB
	depts := map[int]int64{}
	for i, code := range []string{"synthesis", "formulation", "analytical"} {
		depts[i] = deptID2(b, e, code)
	}
	director := e.personID(b, "chenzhiqiang")
	member := e.personID(b, "zhangwei")
	signers := []int64{e.personID(b, "lihua"), e.personID(b, "liuyang"), e.personID(b, "wangjianguo")}
	type node struct {
		Name  string `json:"name"`
		Start string `json:"start"`
		End   string `json:"end"`
		Tests []any  `json:"tests"`
	}
	today := time.Now()
	nodes := make([]node, scaleNodes)
	for i := range nodes {
		nodes[i] = node{Name: fmt.Sprintf("节点 %02d", i+1), Start: today.AddDate(0, 0, -200+i*15).Format(time.DateOnly),
			End: today.AddDate(0, 0, -186+i*15).Format(time.DateOnly), Tests: []any{map[string]any{"item": "HPLC", "count": 3}}}
	}
	content, _ := json.Marshal(map[string]any{"ip": "", "key_points": "", "nodes": nodes, "total_tests": 3 * scaleNodes, "rewards": []any{}})
	sum := sha256.Sum256(content)
	hash := hex.EncodeToString(sum[:])
	now := store.TimeText(time.Now())
	const chunk = 500
	for from := 1; from <= scaleProjects; from += chunk {
		err := db.Write(ctx, func(tx *store.Tx) error {
			for n := from; n < from+chunk && n <= scaleProjects; n++ {
				d := depts[n%3]
				dir := int64(0)
				if d == depts[0] {
					dir = director
				}
				var id int64
				if err := tx.QueryRowContext(ctx, `INSERT INTO project (code, name, kind, rld, departments, department_id, director_id, stage, created_at, created_by, updated_at)
					VALUES ($1, $2, 'api', '', $3, $4, $5, 'lab', $6, $5, $6) RETURNING id`, fmt.Sprintf("B-%05d", n), fmt.Sprintf("规模项目 %d", n),
					strconv.FormatInt(d, 10), d, dir, now).Scan(&id); err != nil {
					return err
				}
				if _, err := tx.Exec("INSERT INTO project_department (project_id, department_id) VALUES ($1, $2)", id, d); err != nil {
					return err
				}
				if n%50 == 0 {
					if _, err := tx.Exec(`INSERT INTO project_member (project_id, person_id, role, from_date, added_by, added_at) VALUES ($1, $2, 'researcher', '2026-01-01', $3, $4)`,
						id, member, director, now); err != nil {
						return err
					}
				}
				// The plan's signing: open for the first scaleOpen projects.
				status, ended := "approved", now
				if n <= scaleOpen {
					status, ended = "running", ""
				}
				var plan, inst int64
				if err := tx.QueryRowContext(ctx, `INSERT INTO project_plan (project_id, revision, state, content, content_hash, author_id, author_name, created_at, decided_at)
					VALUES ($1, 1, $2, $3, $4, $5, '陈志强', $6, $7) RETURNING id`, id, map[bool]string{true: "signing", false: "signed"}[n <= scaleOpen], string(content), hash, director, now, ended).Scan(&plan); err != nil {
					return err
				}
				if err := tx.QueryRowContext(ctx, `INSERT INTO flow_instance (def_key, def_version, title, initiator_id, initiator_name, initiator_dept, status, form, state, version, created_at, updated_at, ended_at, subject_kind, subject_id)
					VALUES ('node-plan', 1, '节点计划', $1, '陈志强', $2, $3, '{}', '{}', 1, $4, $4, $5, 'projects.node_plan', $6) RETURNING id`, director, d, status, now, ended, plan).Scan(&inst); err != nil {
					return err
				}
				if _, err := tx.Exec("UPDATE project_plan SET instance_id = $1 WHERE id = $2", inst, plan); err != nil {
					return err
				}
				if n <= scaleOpen {
					for _, s := range signers {
						if _, err := tx.Exec(`INSERT INTO flow_task (instance_id, step_id, round, assignee_id, assignee_name, state, kind, def_key, initiator_id, created_at)
							VALUES ($1, 'committee', 1, $2, '委员', 'open', 'approval', 'node-plan', $3, $4)`, inst, s, director, now); err != nil {
							return err
						}
					}
					continue
				}
				for i, nd := range nodes {
					if _, err := tx.Exec(`INSERT INTO project_node (project_id, revision, position, name, planned_start, planned_end, planned_tests, actual_start, actual_end, tests_used, current, updated_at)
						VALUES ($1, 1, $2, $3, $4, $5, 3, $6, $7, $8, 1, $9)`, id, i+1, nd.Name, nd.Start, nd.End, nd.Start, map[bool]string{true: nd.End, false: ""}[nd.End < now[:10]], 2, now); err != nil {
						return err
					}
				}
				if _, err := tx.Exec(`INSERT INTO project_materials (project_id, ready_on, confirmed_by, confirmed_name, confirmed_at) VALUES ($1, '2026-01-05', $2, '张伟', $3)`, id, member, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	// The other instances: ended purchase requests, in chunks.
	const per = 20000
	for from := 0; from < scaleInstances-scaleProjects; from += per {
		err := db.Write(ctx, func(tx *store.Tx) error {
			_, err := tx.Exec(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $1)
				INSERT INTO flow_instance (def_key, def_version, title, initiator_id, initiator_name, initiator_dept, status, form, state, version, created_at, updated_at, ended_at)
				SELECT 'purchase-request', 1, '采购申请', $2, '张伟', $3, 'approved', '{}', '{}', 1, $4, $4, $4 FROM c`, per, member, depts[0], now)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func deptID2(b *testing.B, e *env, code string) int64 {
	ds, err := e.app.People.Departments(context.Background(), false)
	if err != nil {
		b.Fatal(err)
	}
	for _, d := range ds {
		if d.Code == code {
			return d.ID
		}
	}
	b.Fatalf("no department %s", code)
	return 0
}

// BenchmarkPRJ_Scale measures the project list, a project page and the
// director's dashboard over the filled database.
func BenchmarkPRJ_Scale(b *testing.B) {
	e := newEnv(b)
	start := time.Now()
	fillScale(b, e)
	b.Logf("filled in %s", time.Since(start).Round(time.Second))
	c := e.login(b, "chenzhiqiang")
	for _, page := range []struct{ name, path string }{
		{"list", "/projects"},
		{"list_api", "/api/v1/projects"},
		{"project", "/projects/B-04998"},
		{"director_dashboard", "/dashboards/director"},
	} {
		b.Run(page.name, func(b *testing.B) {
			var ds []time.Duration
			for b.Loop() {
				t0 := time.Now()
				r := e.do(b, c, "GET", page.path, nil, nil)
				ds = append(ds, time.Since(t0))
				if r.status != http.StatusOK {
					b.Fatalf("%s: %d %.300s", page.path, r.status, r.body)
				}
			}
			slices.Sort(ds)
			b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "median-ms")
			b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
