package web_test

import (
	"net/http"
	"testing"
)

// The projects' rows of the permission matrix (issue 10; SPEC PRJ-12): the
// demo project LF-2026-01 (合成部 with 分析部; director chenzhiqiang; team
// zhangwei, wangfang, guoqiang) is seen by its director, its team, the
// Business Dean and the GM; only its director changes it; nobody else
// learns it exists — not the administrator (R12), not liuyang, the
// director of another department.

// projectFixture is what the projects' rows point at.
type projectFixture struct {
	member int64 // wangfang's membership of LF-2026-01
	route  int64 // a route of LF-2026-01 set aside (projects_init_permissions_test.go)
}

func projectMatrixSetup(t *testing.T, e *env) *projectFixture {
	t.Helper()
	var d struct {
		Team []struct {
			ID       int64 `json:"id"`
			PersonID int64 `json:"person_id"`
		} `json:"team"`
	}
	e.as(t, "chenzhiqiang", "GET", "/api/v1/projects/LF-2026-01", nil).json(t, &d)
	f := &projectFixture{route: pinitMatrixSetup(t, e)}
	for _, m := range d.Team {
		if m.PersonID == personID(t, e, "wangfang") {
			f.member = m.ID
		}
	}
	if f.member == 0 {
		t.Fatal("wangfang is not on LF-2026-01")
	}
	return f
}

// projectSees: who may see LF-2026-01, with the status of who sees it but
// may not do the thing (seen) and of its director (ok).
func projectSees(ok, seen int) map[string]int {
	return map[string]int{anyone: http.StatusNotFound, "chenzhiqiang": ok, "wangjianguo": seen, "lihua": seen, "zhangwei": seen, "wangfang": seen}
}

// page is want for a page: the anonymous are sent to sign in.
func page(want map[string]int) map[string]int {
	want[""] = http.StatusSeeOther
	return want
}

func projectMatrixRows() []matrixRow {
	fixed := func(v any) func(*matrixFixture, string) any { return func(*matrixFixture, string) any { return v } }
	path := func(p string) func(*matrixFixture) string { return func(*matrixFixture) string { return p } }
	rev := goodPlan(5)
	rev["reason"] = "矩阵测试"
	plan1 := projectSees(200, 200)
	plan1["liuyang"] = 200 // he signed revision 1: he sees what he signed, through its request
	return append([]matrixRow{
		{"GET /api/v1/projects/{code}", "GET", path("/api/v1/projects/LF-2026-01"), nil, projectSees(200, 200)},
		{"POST /api/v1/projects/{code}/members", "POST", path("/api/v1/projects/LF-2026-01/members"),
			func(f *matrixFixture, _ string) any { return map[string]any{"person_id": 0, "from": day(0)} }, projectSees(422, 403)},
		{"POST /api/v1/projects/{code}/members/{id}/end", "POST",
			func(f *matrixFixture) string {
				return idPath("/api/v1/projects/LF-2026-01/members/%d/end", f.prj.member)
			},
			fixed(map[string]any{"to": day(0), "reason": "矩阵"}), projectSees(200, 403)},
		{"POST /api/v1/projects/{code}/plans", "POST", path("/api/v1/projects/LF-2026-01/plans"), fixed(rev), projectSees(201, 403)},
		{"GET /api/v1/projects/{code}/plans/{rev}", "GET", path("/api/v1/projects/LF-2026-01/plans/1"), nil, plan1},
		// The node plan form and the team forms (uiplan): pages, answered as
		// the API answers (an empty form: the director is told what is
		// missing, nothing is written; the anonymous are sent to sign in).
		{"GET /projects/{code}/plans/new", "GET", path("/projects/LF-2026-01/plans/new"), nil, page(projectSees(200, 403))},
		{"POST /projects/{code}/plans/new", "POST", path("/projects/LF-2026-01/plans/new"), fixed(""), page(projectSees(422, 403))},
		{"POST /projects/{code}/members", "POST", path("/projects/LF-2026-01/members"), fixed(""), page(projectSees(422, 403))},
		// (wangfang's membership was ended by the API's row above: its
		// director is told so, 409.)
		{"POST /projects/{code}/members/{id}/end", "POST",
			func(f *matrixFixture) string { return idPath("/projects/LF-2026-01/members/%d/end", f.prj.member) },
			fixed(""), page(projectSees(409, 403))},
		// Projects → nodes (pnodes): the execution figures are the project's;
		// only its director records a node's actual dates; only a current
		// member confirms the materials (LF-2026-01's are confirmed in the
		// demo already: a member is refused with 409, nothing written).
		{"GET /api/v1/projects/{code}/execution", "GET", path("/api/v1/projects/LF-2026-01/execution"), nil, projectSees(200, 200)},
		// A project's open tasks and history: whoever sees the project.
		{"GET /api/v1/projects/{code}/tasks", "GET", path("/api/v1/projects/LF-2026-01/tasks"), nil, projectSees(200, 200)},
		{"GET /api/v1/projects/{code}/history", "GET", path("/api/v1/projects/LF-2026-01/history"), nil, projectSees(200, 200)},
		{"POST /api/v1/projects/{code}/nodes/{node}/actual", "POST", path("/api/v1/projects/LF-2026-01/nodes/%E8%B7%AF%E7%BA%BF%E7%A1%AE%E8%AE%A4/actual"),
			fixed(map[string]any{"start": day(-60), "end": day(-30), "reason": "矩阵"}), projectSees(200, 403)},
		{"POST /api/v1/projects/{code}/materials", "POST", path("/api/v1/projects/LF-2026-01/materials"),
			fixed(map[string]any{"ready_on": day(0), "requests": []int64{}}),
			map[string]int{anyone: http.StatusNotFound, "chenzhiqiang": 403, "wangjianguo": 403, "lihua": 403, "zhangwei": 409, "wangfang": 409}},
	}, pinitMatrixRows()...)
}
