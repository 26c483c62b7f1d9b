package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The permission matrix (issue 7 item 4; COMPLIANCE R12, R13; SPEC
// PRJ-12): every API route that takes an id, asked by each kind of demo
// user, answers as the rule says. A route added without its row fails
// TestPermissionMatrix_CoversEveryRouteWithAnID.

// matrixUsers are the columns: "" is anonymous.
var matrixUsers = []string{"", "admin", "wangjianguo", "lihua", "chenzhiqiang", "liuyang", "zhangwei", "wangfang", "xuli", "gaoyuan"}

// matrixRow is one route asked by every user: want gives the status for a
// user, with "*" for everyone signed in not named.
type matrixRow struct {
	route  string // the route's pattern, as registered
	method string
	path   func(f *matrixFixture) string
	body   func(f *matrixFixture, user string) any
	want   map[string]int
}

// matrixFixture is the data the rows point at.
type matrixFixture struct {
	inst, task, attachment, person, dept, token, delivery int64
	sha                                                   string
	org                                                   *orgFixture // roles, committees, proxies (org_permissions_test.go)
	calDay                                                int64       // issue 8: a day of the working-day calendar
	// survey is zhangwei's customer survey, link the token of its one-time link.
	survey int64
	link   string
	prj    *projectFixture // issue 10: projects (projects_permissions_test.go)
	exp    *expFixture     // issue 10: experiments (experiments_permissions_test.go)
	supp   *suppFixture    // issue 10: 发补 and escalations (supplements_permissions_test.go)
	stg    *stageFixture   // issue 10: stages (project_stages_permissions_test.go)
}

const anyone = "*"

func statusFor(want map[string]int, user string) int {
	if user == "" {
		if s, ok := want[""]; ok {
			return s
		}
		return http.StatusUnauthorized
	}
	if s, ok := want[user]; ok {
		return s
	}
	return want[anyone]
}

// visibleTo: the instance filed by zhangwei (合成部) is seen by him, his
// director chenzhiqiang (assigned too), the deans and the GM; nobody else,
// not the administrator.
func visibleTo(ok int) map[string]int {
	return map[string]int{anyone: http.StatusNotFound, "zhangwei": ok, "chenzhiqiang": ok, "lihua": ok, "wangjianguo": ok}
}

func adminOnly(ok int) map[string]int {
	return map[string]int{anyone: http.StatusForbidden, "admin": ok}
}

func matrixRows() []matrixRow {
	id := func(f string) func(*matrixFixture) string {
		return func(x *matrixFixture) string {
			r := strings.NewReplacer("{inst}", itoa64(x.inst), "{task}", itoa64(x.task), "{att}", itoa64(x.attachment),
				"{person}", itoa64(x.person), "{dept}", itoa64(x.dept), "{token}", itoa64(x.token), "{sha}", x.sha, "{survey}", itoa64(x.survey),
				"{delivery}", itoa64(x.delivery))
			return r.Replace(f)
		}
	}
	fixed := func(v any) func(*matrixFixture, string) any { return func(*matrixFixture, string) any { return v } }
	link := func(x *matrixFixture) string { return "/api/v1/external/" + x.link }
	return append([]matrixRow{
		{"GET /api/v1/departments/{id}", "GET", id("/api/v1/departments/{dept}"), nil, map[string]int{anyone: 200}},
		{"PATCH /api/v1/departments/{id}", "PATCH", id("/api/v1/departments/{dept}"),
			fixed(map[string]any{"code": "matrix", "name_zh": "矩阵部", "name_en": "Matrix", "reason": "unchanged"}), adminOnly(200)},
		{"GET /api/v1/departments/{id}/history", "GET", id("/api/v1/departments/{dept}/history"), nil, map[string]int{anyone: 200}},
		{"POST /api/v1/departments/{id}/active", "POST", id("/api/v1/departments/{dept}/active"),
			fixed(map[string]any{"active": true, "reason": "stays active"}), adminOnly(204)},
		{"GET /api/v1/people/{id}", "GET", id("/api/v1/people/{person}"), nil, map[string]int{anyone: 200}},
		{"PATCH /api/v1/people/{id}", "PATCH", id("/api/v1/people/{person}"), fixed(map[string]any{"phone": "010-1", "reason": "matrix"}), adminOnly(200)},
		{"POST /api/v1/people/{id}/active", "POST", id("/api/v1/people/{person}/active"),
			fixed(map[string]any{"active": true, "reason": "stays active"}), adminOnly(204)},
		{"POST /api/v1/people/{id}/roles", "POST", id("/api/v1/people/{person}/roles"),
			fixed(map[string]any{"role": "purchasing", "reason": "matrix"}), map[string]int{anyone: 403, "admin": 204}},
		{"POST /api/v1/people/{id}/roles/revoke", "POST", id("/api/v1/people/{person}/roles/revoke"),
			fixed(map[string]any{"role": "purchasing", "reason": "matrix"}), map[string]int{anyone: 403, "admin": 204}},
		{"GET /api/v1/people/{id}/ranks", "GET", id("/api/v1/people/{person}/ranks"), nil, map[string]int{anyone: 200}},
		{"GET /api/v1/people/{id}/attributes", "GET", id("/api/v1/people/{person}/attributes"), nil, map[string]int{anyone: 200}},
		{"POST /api/v1/people/{id}/ranks", "POST", id("/api/v1/people/{person}/ranks"),
			fixed(map[string]any{"rank": "assistant_b", "since": "2026-01-05"}), adminOnly(204)},
		{"GET /api/v1/people/{id}/history", "GET", id("/api/v1/people/{person}/history"), nil, map[string]int{anyone: 200}},
		{"POST /api/v1/people/{id}/password", "POST", id("/api/v1/people/{person}/password"),
			fixed(map[string]any{"password": "matrix-password-1"}), adminOnly(204)},
		// One's own tokens, or anyone's as the administrator.
		{"DELETE /api/v1/me/tokens/{id}", "DELETE", id("/api/v1/me/tokens/{token}"), nil,
			map[string]int{anyone: 403, "xuli": 204, "admin": 204}},
		{"GET /api/v1/attachments/{id}", "GET", id("/api/v1/attachments/{att}"), nil, visibleTo(200)},
		{"GET /api/v1/attachments/{id}/content", "GET", id("/api/v1/attachments/{att}/content"), nil, visibleTo(200)},
		{"GET /api/v1/files/{sha256}", "GET", id("/api/v1/files/{sha}"), nil, visibleTo(200)},
		{"GET /api/v1/definitions/{key}", "GET", id("/api/v1/definitions/purchase-request"), nil, map[string]int{anyone: 200}},
		{"POST /api/v1/processes/{key}/instances", "POST", id("/api/v1/processes/purchase-request/instances"),
			fixed(map[string]any{"form": map[string]any{"reason": "matrix", "category": "reagent", "acceptance": "requester_confirms",
				"items": []any{map[string]any{"name": "x", "quantity": "1", "unit": "瓶"}}}}),
			// PUR-1: researchers, analysts and directors file; not the deans, the GM, purchasing or the administrator.
			map[string]int{anyone: 201, "admin": 403, "wangjianguo": 403, "lihua": 403, "gaoyuan": 403}},
		{"GET /api/v1/instances/{id}", "GET", id("/api/v1/instances/{inst}"), nil, visibleTo(200)},
		{"GET /api/v1/instances/{id}/as-of", "GET", id("/api/v1/instances/{inst}/as-of?at=2099-01-01T00:00:00Z"), nil, visibleTo(200)},
		{"POST /api/v1/instances/{id}/actions", "POST", id("/api/v1/instances/{inst}/actions"),
			fixed(map[string]any{"action": "comment", "comment": "matrix"}), visibleTo(200)},
		// The director's task: he comments; who sees the request but is not
		// the assignee is refused; nobody else learns it exists.
		{"POST /api/v1/tasks/{id}/actions", "POST", id("/api/v1/tasks/{task}/actions"),
			fixed(map[string]any{"action": "comment", "comment": "matrix"}),
			// The administrator never acts in the business (R12).
			map[string]int{anyone: 404, "chenzhiqiang": 200, "zhangwei": 403, "lihua": 403, "wangjianguo": 403, "admin": 403}},
		// Naming who acts: the administrator only (the task is not waiting: 409).
		{"POST /api/v1/tasks/{id}/assign", "POST", id("/api/v1/tasks/{task}/assign"),
			fixed(map[string]any{"person_id": 2, "reason": "matrix"}), map[string]int{anyone: 403, "admin": 409}},
		{"GET /api/v1/inbox/{box}", "GET", id("/api/v1/inbox/todo"), nil, map[string]int{anyone: 200}},
		// The working-day calendar is the administrator's to change (issue 8).
		{"POST /api/v1/calendar/days/{id}/remove", "POST", func(x *matrixFixture) string { return "/api/v1/calendar/days/" + itoa64(x.calDay) + "/remove" },
			fixed(map[string]any{"reason": "matrix"}), adminOnly(204)},
		// A one-time link (issue 8): the token is the permission, the same
		// for everyone, signed in or not; a submission without the required
		// answer is refused and leaves the link open.
		{"GET /api/v1/external/{token}", "GET", link, nil, map[string]int{"": 200, anyone: 200}},
		{"POST /api/v1/external/{token}", "POST", link, fixed(map[string]any{"form": map[string]any{}}), map[string]int{"": 422, anyone: 422}},
		// Re-issuing and revoking it: the initiator; who sees the request is
		// refused; nobody else learns it exists; the administrator never acts (R12).
		{"POST /api/v1/instances/{id}/external/reissue", "POST", id("/api/v1/instances/{survey}/external/reissue"), fixed(map[string]any{}),
			map[string]int{anyone: 404, "zhangwei": 201, "chenzhiqiang": 403, "lihua": 403, "wangjianguo": 403, "admin": 403}},
		{"POST /api/v1/instances/{id}/external/revoke", "POST", id("/api/v1/instances/{survey}/external/revoke"), fixed(map[string]any{"comment": "matrix"}),
			map[string]int{anyone: 404, "zhangwei": 204, "chenzhiqiang": 403, "lihua": 403, "wangjianguo": 403, "admin": 403}},
		// Notices (issue 9): robots and deliveries are the administrator's.
		{"PUT /api/v1/admin/notices/robots/{id}", "PUT", id("/api/v1/admin/notices/robots/{dept}"),
			fixed(map[string]any{"platform": "wecom", "webhook": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=matrix", "enabled": false}), adminOnly(200)},
		{"POST /api/v1/admin/deliveries/{id}/retry", "POST", id("/api/v1/admin/deliveries/{delivery}/retry"),
			fixed(map[string]any{"reason": "matrix"}), adminOnly(200)},
	}, append(append(append(append(orgMatrixRows(), projectMatrixRows()...), expMatrixRows()...), suppMatrixRows()...), stageMatrixRows()...)...)
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// matrixSetup files a purchase request as zhangwei with a comment holding a
// file, makes a department and a person to administer, and a token of
// xuli's to revoke.
func matrixSetup(t *testing.T, e *env) *matrixFixture {
	t.Helper()
	f := &matrixFixture{}
	r := e.as(t, "zhangwei", "POST", "/api/v1/processes/purchase-request/instances", map[string]any{"form": map[string]any{
		"reason": "实验需要", "category": "reagent", "acceptance": "requester_confirms",
		"items": []any{map[string]any{"name": "乙腈", "quantity": "2", "unit": "瓶", "unit_price": "120"}}}})
	if r.status != 201 {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	var in struct {
		ID    int64 `json:"id"`
		Tasks []struct {
			ID int64 `json:"id"`
		} `json:"tasks"`
	}
	r.json(t, &in)
	f.inst, f.task = in.ID, in.Tasks[0].ID
	ct, body := multipartBody(t, "quote.pdf", []byte("%PDF matrix quote"))
	r = e.do(t, nil, "POST", "/api/v1/attachments", body, map[string]string{"Content-Type": ct, "Authorization": "Bearer " + e.token(t, "zhangwei")})
	if r.status != 201 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	var att struct {
		ID     int64  `json:"id"`
		SHA256 string `json:"sha256"`
	}
	r.json(t, &att)
	f.attachment, f.sha = att.ID, att.SHA256
	if r := e.as(t, "zhangwei", "POST", idPath("/api/v1/instances/%d/actions", f.inst),
		map[string]any{"action": "comment", "comment": "报价单", "attachments": []string{f.sha}}); r.status != 200 {
		t.Fatalf("comment: %d %s", r.status, r.body)
	}
	r = e.as(t, "admin", "POST", "/api/v1/departments", map[string]any{"code": "matrix", "name_zh": "矩阵部", "name_en": "Matrix"})
	if r.status != 201 {
		t.Fatalf("department: %d %s", r.status, r.body)
	}
	var d struct{ ID int64 }
	r.json(t, &d)
	f.dept = d.ID
	r = e.as(t, "admin", "POST", "/api/v1/people", map[string]any{"username": "matrix", "name": "矩阵", "department_id": f.dept,
		"roles": []map[string]any{{"role": "researcher", "department_id": f.dept}}})
	if r.status != 201 {
		t.Fatalf("person: %d %s", r.status, r.body)
	}
	var p struct{ ID int64 }
	r.json(t, &p)
	f.person = p.ID
	// A delivery to retry: mail to a server that is not there waits to be
	// tried again.
	r = e.as(t, "admin", "PUT", "/api/v1/admin/notices", map[string]any{"smtp": map[string]any{"enabled": true, "host": "127.0.0.1", "port": 1,
		"tls": "none", "from": "labflow@labflow.example"}})
	if r.status != 200 {
		t.Fatalf("notice settings: %d %s", r.status, r.body)
	}
	if _, err := e.app.Notices.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	r = e.as(t, "admin", "GET", "/api/v1/admin/deliveries?state=pending", nil)
	var ds struct {
		Deliveries []struct{ ID int64 } `json:"deliveries"`
	}
	r.json(t, &ds)
	if len(ds.Deliveries) == 0 {
		t.Fatalf("no delivery: %s", r.body)
	}
	f.delivery = ds.Deliveries[0].ID
	c := e.login(t, "xuli")
	r = e.do(t, c, "POST", "/api/v1/me/tokens", map[string]string{"name": "to revoke"}, nil)
	var tok struct {
		Detail struct{ ID int64 } `json:"detail"`
	}
	r.json(t, &tok)
	f.token = tok.Detail.ID
	f.org = orgMatrixSetup(t, e)
	f.calDay = matrixCalendarDay(t, e)
	f.survey, f.link = fileSurvey(t, e, "zhangwei")
	f.prj = projectMatrixSetup(t, e)
	f.exp = expMatrixSetup(t, e)
	f.supp = suppMatrixSetup(t, e)
	f.stg = stageMatrixSetup(t, e)
	return f
}

// TestPermissionMatrix: every API route with an id × every kind of user.
func TestPermissionMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f := matrixSetup(t, e)
	for _, row := range matrixRows() {
		for _, user := range matrixUsers {
			name := user
			if name == "" {
				name = "anonymous"
			}
			t.Run(row.route+"/"+name, func(t *testing.T) {
				var body any
				if row.body != nil {
					body = row.body(f, user)
				}
				r := e.as(t, user, row.method, row.path(f), body)
				if want := statusFor(row.want, user); r.status != want {
					t.Fatalf("%s %s as %s: %d, want %d: %.300s", row.method, row.path(f), name, r.status, want, r.body)
				}
			})
		}
	}
}

// TestPermissionMatrix_CoversEveryRouteWithAnID: a route that takes an id
// must have its row in the matrix.
func TestPermissionMatrix_CoversEveryRouteWithAnID(t *testing.T) {
	e := newEnv(t)
	r := e.as(t, "", "GET", "/api/v1/openapi.json", nil)
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	r.json(t, &doc)
	have := map[string]bool{}
	for _, row := range matrixRows() {
		have[row.route] = true
	}
	var missing []string
	for p, ops := range doc.Paths {
		if !strings.Contains(p, "{") {
			continue
		}
		for m := range ops {
			if route := strings.ToUpper(m) + " " + p; !have[route] {
				missing = append(missing, route)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("routes with an id missing from the permission matrix: %v", missing)
	}
}

// TestR12_TrailKeepsSecurityEventsToTheAdministrator: the deans and the GM
// review the audit trail, but the security events (sign-ins with their
// addresses and browsers, lockouts, passwords, tokens) are the
// administrator's only (issue 7 item 4).
func TestR12_TrailKeepsSecurityEventsToTheAdministrator(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.login(t, "zhangwei")
	for user, want := range map[string]bool{"admin": true, "wangjianguo": false, "lihua": false} {
		r := e.as(t, user, "GET", "/api/v1/audit?limit=1000", nil)
		if r.status != 200 {
			t.Fatalf("%s: %d", user, r.status)
		}
		if got := strings.Contains(r.body, `"action":"auth.login"`); got != want {
			t.Fatalf("%s sees sign-ins: %v, want %v", user, got, want)
		}
		if !strings.Contains(r.body, `"action":"person.create"`) {
			t.Fatalf("%s does not see the business trail", user)
		}
	}
	if r := e.as(t, "zhangwei", "GET", "/api/v1/audit", nil); r.status != 403 {
		t.Fatalf("a researcher reads the trail: %d", r.status)
	}
}
