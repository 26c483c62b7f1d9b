package web_test

import (
	"testing"
)

// The initiation part's rows of the permission matrix (issue 10; SPEC
// DIR-2, PRJ-1, DIR-6, PRJ-8, PRJ-12), on the demo project LF-2026-01
// (taken over in stage lab; routes chosen, kick-off report signed; a
// register with a signed and an unsigned entry): who sees the project sees
// its feasibility, routes and register; only its director chooses routes
// and files the kick-off report; the director and the team file routes;
// only the team (the authors) enters records. Bodies are incomplete, so
// that who may act is told 422 (or 409) and nothing changes.

// pinitMatrixSetup finds a route of LF-2026-01 that was set aside.
func pinitMatrixSetup(t *testing.T, e *env) int64 {
	t.Helper()
	var rs struct {
		Routes []struct {
			ID    int64  `json:"id"`
			State string `json:"state"`
		} `json:"routes"`
	}
	e.as(t, "chenzhiqiang", "GET", "/api/v1/projects/LF-2026-01/routes", nil).json(t, &rs)
	for _, r := range rs.Routes {
		if r.State == "set_aside" {
			return r.ID
		}
	}
	t.Fatal("LF-2026-01 has no route set aside")
	return 0
}

func pinitMatrixRows() []matrixRow {
	path := func(p string) func(*matrixFixture) string { return func(*matrixFixture) string { return p } }
	empty := func(*matrixFixture, string) any { return map[string]any{} }
	// The director and the team may file routes; the deans see only.
	team := projectSees(422, 403)
	team["zhangwei"], team["wangfang"] = 422, 422
	// Only the team enters records: not its director, not the deans.
	authors := projectSees(403, 403)
	authors["zhangwei"], authors["wangfang"] = 422, 422
	return []matrixRow{
		{"GET /api/v1/projects/{code}/feasibility", "GET", path("/api/v1/projects/LF-2026-01/feasibility"), nil, projectSees(200, 200)},
		// LF-2026-01 is past initiation: nobody files a report on it.
		{"POST /api/v1/projects/{code}/feasibility", "POST", path("/api/v1/projects/LF-2026-01/feasibility"), empty, projectSees(409, 409)},
		{"GET /api/v1/projects/{code}/routes", "GET", path("/api/v1/projects/LF-2026-01/routes"), nil, projectSees(200, 200)},
		{"POST /api/v1/projects/{code}/routes", "POST", path("/api/v1/projects/LF-2026-01/routes"), empty, team},
		{"POST /api/v1/projects/{code}/routes/{id}/choose", "POST",
			func(f *matrixFixture) string {
				return idPath("/api/v1/projects/LF-2026-01/routes/%d/choose", f.prj.route)
			},
			func(*matrixFixture, string) any { return map[string]any{"reason": "矩阵"} }, projectSees(409, 403)},
		{"POST /api/v1/projects/{code}/kickoff", "POST", path("/api/v1/projects/LF-2026-01/kickoff"), empty, projectSees(422, 403)},
		{"GET /api/v1/projects/{code}/records", "GET", path("/api/v1/projects/LF-2026-01/records"), nil, projectSees(200, 200)},
		{"POST /api/v1/projects/{code}/records", "POST", path("/api/v1/projects/LF-2026-01/records"), empty, authors},
	}
}
