package web_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Who sees a project sees the requests bound to its records (issue 10,
// SPEC PRJ-12; flow's subject_viewers): a team member opens the project's
// initiation, its node-plan signing and a teammate's pre-check approval,
// on the days they are on the team, and the request lists say the same as
// the request page; a researcher of another department sees none. On
// SQLite and (with TEST_DATABASE_URL) PostgreSQL.

// projectRequests lists, as the Business Dean sees them, the requests of
// definition def bound to project code's records (by their record's
// label), with who filed each.
func projectRequests(t *testing.T, e *env, def, code string) map[int64]string {
	t.Helper()
	var list struct {
		Items []struct {
			ID            int64  `json:"id"`
			InitiatorName string `json:"initiator_name"`
		} `json:"items"`
	}
	e.as(t, "lihua", "GET", "/api/v1/instances?limit=500&definition="+def, nil).json(t, &list)
	out := map[int64]string{}
	for _, it := range list.Items {
		var v struct {
			Subject *struct {
				Label string `json:"label"`
			} `json:"subject"`
		}
		e.as(t, "lihua", "GET", idPath("/api/v1/instances/%d", it.ID), nil).json(t, &v)
		if v.Subject != nil && strings.HasPrefix(v.Subject.Label, code+" ") {
			out[it.ID] = it.InitiatorName
		}
	}
	if len(out) == 0 {
		t.Fatalf("no %s request of %s in the demo", def, code)
	}
	return out
}

// listed lists the ids of the requests user finds in GET /api/v1/instances
// (with query).
func listed(t *testing.T, e *env, user, query string) []int64 {
	t.Helper()
	var list struct {
		Items []struct {
			ID int64 `json:"id"`
		} `json:"items"`
		Total int `json:"total"`
	}
	r := e.as(t, user, "GET", "/api/v1/instances?limit=500"+query, nil)
	if r.status != 200 {
		t.Fatalf("%s lists: %d %s", user, r.status, r.body)
	}
	r.json(t, &list)
	var out []int64
	for _, it := range list.Items {
		out = append(out, it.ID)
	}
	return out
}

// seesExactly checks that user opens (200) exactly the requests of ids
// that want says, and that the request lists and searches agree with the
// request page for each.
func seesExactly(t *testing.T, e *env, user string, ids map[int64]string, want func(id int64) bool, defs ...string) {
	t.Helper()
	all := listed(t, e, user, "")
	for _, d := range defs {
		all = append(all, listed(t, e, user, "&definition="+d)...)
	}
	for id := range ids {
		r := e.as(t, user, "GET", idPath("/api/v1/instances/%d", id), nil)
		if w := want(id); (r.status == 200) != w {
			t.Errorf("%s opens request %d: %d, want visible %v", user, id, r.status, w)
		} else if !w && r.status != 404 {
			t.Errorf("%s opens request %d: %d, want 404", user, id, r.status)
		}
		if slices.Contains(all, id) != (r.status == 200) {
			t.Errorf("%s: request %d is listed %v but opens with %d", user, id, slices.Contains(all, id), r.status)
		}
	}
}

func TestPRJ12_TeamSeesItsProjectsRequests(t *testing.T) {
	t.Parallel()
	bothDatabases(t, teamSeesItsProjectsRequests)
}

func teamSeesItsProjectsRequests(t *testing.T, e *env) {
	initiation := projectRequests(t, e, "project-initiation", "LF-2026-03")
	plans := projectRequests(t, e, "node-plan", "LF-2026-03")
	of03 := map[int64]string{}
	for _, m := range []map[int64]string{initiation, plans} {
		for id, who := range m {
			of03[id] = who
		}
	}
	none := func(int64) bool { return false }
	every := func(int64) bool { return true }
	defs := []string{"project-initiation", "node-plan", "pre-check", "analytical-plan-change"}

	// zhangwei (合成部) is not on LF-2026-03's team: none of its requests.
	seesExactly(t, e, "zhangwei", of03, none, defs...)
	// A period on the team that has ended: still none (PRJ-12, the dates
	// one was on the team).
	zw := personID(t, e, "zhangwei")
	if r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/LF-2026-03/members", map[string]any{"person_id": zw, "from": day(-30), "to": day(-1)}); r.status != 201 {
		t.Fatalf("a past period: %d %s", r.status, r.body)
	}
	seesExactly(t, e, "zhangwei", of03, none, defs...)
	// On the team from today: he opens its initiation and its plan
	// signing, finds them in the lists and searches, and on the project's
	// page.
	if r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/LF-2026-03/members", map[string]any{"person_id": zw, "from": day(0)}); r.status != 201 {
		t.Fatalf("add: %d %s", r.status, r.body)
	}
	seesExactly(t, e, "zhangwei", of03, every, defs...)
	for id := range initiation {
		if got := listed(t, e, "zhangwei", "&q=LF-2026-03&definition=project-initiation"); !slices.Contains(got, id) {
			t.Errorf("the search does not find the initiation %d: %v", id, got)
		}
	}
	var d struct {
		Processes []struct {
			ID int64 `json:"id"`
		} `json:"processes"`
	}
	e.as(t, "zhangwei", "GET", "/api/v1/projects/LF-2026-03", nil).json(t, &d)
	for id := range plans {
		if !slices.ContainsFunc(d.Processes, func(p struct {
			ID int64 `json:"id"`
		}) bool {
			return p.ID == id
		}) {
			t.Errorf("the project's processes lack the plan signing %d: %+v", id, d.Processes)
		}
		if page := e.do(t, e.login(t, "zhangwei"), "GET", "/projects/LF-2026-03", nil, nil); !strings.Contains(page.body, fmt.Sprintf(`href="/instances/%d"`, id)) {
			t.Errorf("the project page does not link the plan signing %d", id)
		}
	}
	// A researcher of another department, on another project: none.
	seesExactly(t, e, "xuli", of03, none, defs...)

	// LF-2026-01: zhangwei opens his teammates' pre-check and
	// analytical-plan change approvals (wangfang's of 合成部, guoqiang's
	// of 分析部); xuli does not.
	mates := map[int64]string{}
	for _, def := range []string{"pre-check", "analytical-plan-change"} {
		for id, who := range projectRequests(t, e, def, "LF-2026-01") {
			if who != "张伟" {
				mates[id] = who
			}
		}
	}
	if len(mates) < 2 {
		t.Fatalf("teammates' approvals: %v", mates)
	}
	seesExactly(t, e, "zhangwei", mates, every, defs...)
	seesExactly(t, e, "xuli", mates, none, defs...)
	// The experiments panel links them (it asks the engine).
	var x struct {
		Nodes []struct {
			Prechecks []struct {
				InstanceID int64 `json:"instance_id"`
				MayOpen    bool  `json:"may_open"`
			} `json:"prechecks"`
		} `json:"nodes"`
	}
	e.as(t, "zhangwei", "GET", "/api/v1/projects/LF-2026-01/experiments", nil).json(t, &x)
	open := map[int64]bool{}
	for _, n := range x.Nodes {
		for _, pc := range n.Prechecks {
			open[pc.InstanceID] = pc.MayOpen
		}
	}
	for id := range mates {
		if !open[id] {
			t.Errorf("the experiments panel does not let zhangwei open %d: %v", id, open)
		}
	}
	// His period on LF-2026-01 ends yesterday: his teammates' requests
	// are closed to him, on their page and in the lists.
	var team struct {
		Team []struct {
			ID       int64 `json:"id"`
			PersonID int64 `json:"person_id"`
		} `json:"team"`
	}
	e.as(t, "chenzhiqiang", "GET", "/api/v1/projects/LF-2026-01", nil).json(t, &team)
	for _, m := range team.Team {
		if m.PersonID == zw {
			if r := e.as(t, "chenzhiqiang", "POST", idPath("/api/v1/projects/LF-2026-01/members/%d/end", m.ID), map[string]any{"to": day(-1), "reason": "离组"}); r.status != 200 {
				t.Fatalf("end: %d %s", r.status, r.body)
			}
		}
	}
	seesExactly(t, e, "zhangwei", mates, none, defs...)
	// The Business Dean sees them all, as before.
	seesExactly(t, e, "lihua", mates, every, defs...)
	seesExactly(t, e, "lihua", of03, every, defs...)
}
