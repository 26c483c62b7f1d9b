package web_test

import (
	"testing"
)

// The experiments' rows of the permission matrix (issue 10; SPEC EXP-1..4,
// PRJ-12): on the demo's LF-2026-01 whoever sees the project sees its
// pre-checks and experiments; a team member files a pre-check and starts
// and reports his own experiment; only the researcher's director decides;
// nobody else learns they exist — not the administrator, not liuyang.

// expFixture is what the experiments' rows point at: zhangwei's approved
// pre-check with no experiment yet, his started experiment and his
// reported one.
type expFixture struct {
	precheck, started, reported int64
}

func expMatrixSetup(t *testing.T, e *env) *expFixture {
	t.Helper()
	f := &expFixture{}
	var ids []int64
	for range 3 {
		pc := approvedPrecheck(t, e)
		ids = append(ids, pc.Precheck.ID)
	}
	f.precheck = ids[0]
	_, x := startExperiment(t, e, "zhangwei", map[string]any{"precheck_id": ids[1]})
	f.started = x.ID
	_, y := startExperiment(t, e, "zhangwei", map[string]any{"precheck_id": ids[2]})
	f.reported = y.ID
	if r := e.as(t, "zhangwei", "POST", idPath("/api/v1/projects/LF-2026-01/experiments/%d/report", y.ID), map[string]any{"tests_used": 0, "report": "未送检"}); r.status != 200 {
		t.Fatalf("report: %d %s", r.status, r.body)
	}
	if f.started == 0 || f.reported == 0 {
		t.Fatal("experiments not started")
	}
	return f
}

func expMatrixRows() []matrixRow {
	fixed := func(v any) func(*matrixFixture, string) any { return func(*matrixFixture, string) any { return v } }
	path := func(p string) func(*matrixFixture) string { return func(*matrixFixture) string { return p } }
	// Filing and starting are the team's: the director and the deans see
	// the project but are not on it.
	member := func(ok int) map[string]int {
		w := projectSees(403, 403)
		w["zhangwei"], w["wangfang"] = ok, ok
		return w
	}
	mine := func(ok int) map[string]int {
		w := projectSees(403, 403)
		w["zhangwei"] = ok
		return w
	}
	return []matrixRow{
		{"GET /api/v1/projects/{code}/experiments", "GET", path("/api/v1/projects/LF-2026-01/experiments"), nil, projectSees(200, 200)},
		{"GET /api/v1/projects/{code}/prechecks", "GET", path("/api/v1/projects/LF-2026-01/prechecks"), nil, projectSees(200, 200)},
		{"GET /api/v1/projects/{code}/prechecks/{id}", "GET",
			func(f *matrixFixture) string {
				return idPath("/api/v1/projects/LF-2026-01/prechecks/%d", f.exp.precheck)
			}, nil, projectSees(200, 200)},
		{"GET /api/v1/projects/{code}/experiments/{id}", "GET",
			func(f *matrixFixture) string {
				return idPath("/api/v1/projects/LF-2026-01/experiments/%d", f.exp.started)
			}, nil, projectSees(200, 200)},
		{"POST /api/v1/projects/{code}/prechecks", "POST", path("/api/v1/projects/LF-2026-01/prechecks"), fixed(precheckBody(expNode)), member(201)},
		{"POST /api/v1/projects/{code}/experiments", "POST", path("/api/v1/projects/LF-2026-01/experiments"),
			func(f *matrixFixture, _ string) any { return map[string]any{"precheck_id": f.exp.precheck} }, mine(201)},
		{"POST /api/v1/projects/{code}/experiments/{id}/report", "POST",
			func(f *matrixFixture) string {
				return idPath("/api/v1/projects/LF-2026-01/experiments/%d/report", f.exp.started)
			},
			fixed(map[string]any{"result": "passed", "tests_used": 2, "report": "合格"}), mine(200)},
		{"POST /api/v1/projects/{code}/experiments/{id}/decision", "POST",
			func(f *matrixFixture) string {
				return idPath("/api/v1/projects/LF-2026-01/experiments/%d/decision", f.exp.reported)
			},
			fixed(map[string]any{"decision": "按计划继续"}), projectSees(200, 403)},
	}
}
