package web_test

import (
	"context"
	"net/http"
	"testing"
)

// The permission matrix's rows for roles, committees and standing proxies
// (issue 8 §4): see permissions_test.go.

// orgFixture is what the rows point at: a defined role, a committee with
// a member, and three standing proxies the administrator set for zhangwei
// (合成部), each waiting for his director chenzhiqiang's approval, with
// wangfang as the proxy.
type orgFixture struct {
	role, committee         string
	approve, refuse, cancel int64
	member, newMember       int64
}

func orgMatrixSetup(t *testing.T, e *env) *orgFixture {
	t.Helper()
	f := &orgFixture{role: "matrix_role", committee: "matrix-cm"}
	if r := e.as(t, "admin", "POST", "/api/v1/roles", map[string]any{"key": f.role, "name_zh": "矩阵角色", "name_en": "Matrix role"}); r.status != 201 {
		t.Fatalf("role: %d %s", r.status, r.body)
	}
	if r := e.as(t, "admin", "POST", "/api/v1/committees", map[string]any{"key": f.committee, "name_zh": "矩阵委员会", "name_en": "Matrix committee"}); r.status != 201 {
		t.Fatalf("committee: %d %s", r.status, r.body)
	}
	f.member, f.newMember = personID(t, e, "gaoyuan"), personID(t, e, "liangqian")
	if r := e.as(t, "admin", "POST", "/api/v1/committees/"+f.committee+"/members", map[string]any{"person_id": f.member}); r.status != 204 {
		t.Fatalf("member: %d %s", r.status, r.body)
	}
	zhangwei, wangfang := personID(t, e, "zhangwei"), personID(t, e, "wangfang")
	for i, def := range []string{"purchase-request", "seal-use", "external-test"} {
		r := e.as(t, "admin", "POST", "/api/v1/proxies", map[string]any{"person_id": zhangwei, "proxy_id": wangfang,
			"from": "2099-01-01", "to": "2099-01-07", "definitions": []string{def}, "reason": "出差"})
		if r.status != 201 {
			t.Fatalf("proxy: %d %s", r.status, r.body)
		}
		var x struct{ ID int64 }
		r.json(t, &x)
		*[]*int64{&f.approve, &f.refuse, &f.cancel}[i] = x.ID
	}
	return f
}

func personID(t *testing.T, e *env, username string) int64 {
	t.Helper()
	p, err := e.app.People.PersonByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// proxyParties: who may see the standing proxies of the fixture — the
// administrator, zhangwei (the absent person), wangfang (the proxy) and
// chenzhiqiang (the approver); nobody else learns they exist.
func proxyParties(admin, person, proxy, approver int) map[string]int {
	return map[string]int{anyone: http.StatusNotFound, "admin": admin, "zhangwei": person, "wangfang": proxy, "chenzhiqiang": approver}
}

func orgMatrixRows() []matrixRow {
	path := func(f func(o *orgFixture) string) func(*matrixFixture) string {
		return func(m *matrixFixture) string { return f(m.org) }
	}
	fixed := func(v any) func(*matrixFixture, string) any { return func(*matrixFixture, string) any { return v } }
	member := func(which func(o *orgFixture) int64) func(*matrixFixture, string) any {
		return func(m *matrixFixture, _ string) any {
			return map[string]any{"person_id": which(m.org), "reason": "matrix"}
		}
	}
	role := func(o *orgFixture) string { return "/api/v1/roles/" + o.role }
	cm := func(o *orgFixture) string { return "/api/v1/committees/" + o.committee }
	proxy := func(id func(o *orgFixture) int64, tail string) func(*matrixFixture) string {
		return path(func(o *orgFixture) string { return "/api/v1/proxies/" + itoa64(id(o)) + tail })
	}
	return []matrixRow{
		{"GET /api/v1/roles/{key}", "GET", path(role), nil, map[string]int{anyone: 200}},
		{"PATCH /api/v1/roles/{key}", "PATCH", path(role), fixed(map[string]any{"name_zh": "矩阵角色", "name_en": "Matrix role", "reason": "unchanged"}), adminOnly(200)},
		{"POST /api/v1/roles/{key}/active", "POST", path(func(o *orgFixture) string { return role(o) + "/active" }),
			fixed(map[string]any{"active": true, "reason": "stays"}), adminOnly(204)},
		{"GET /api/v1/committees/{key}", "GET", path(cm), nil, map[string]int{anyone: 200}},
		{"PATCH /api/v1/committees/{key}", "PATCH", path(cm), fixed(map[string]any{"name_zh": "矩阵委员会", "name_en": "Matrix committee"}), adminOnly(200)},
		{"POST /api/v1/committees/{key}/active", "POST", path(func(o *orgFixture) string { return cm(o) + "/active" }),
			fixed(map[string]any{"active": true, "reason": "stays"}), adminOnly(204)},
		{"POST /api/v1/committees/{key}/members", "POST", path(func(o *orgFixture) string { return cm(o) + "/members" }),
			member(func(o *orgFixture) int64 { return o.newMember }), adminOnly(204)},
		{"POST /api/v1/committees/{key}/members/remove", "POST", path(func(o *orgFixture) string { return cm(o) + "/members/remove" }),
			member(func(o *orgFixture) int64 { return o.member }), adminOnly(204)},
		{"POST /api/v1/committees/{key}/chair", "POST", path(func(o *orgFixture) string { return cm(o) + "/chair" }),
			member(func(o *orgFixture) int64 { return o.newMember }), adminOnly(204)},
		{"GET /api/v1/proxies/{id}", "GET", proxy(func(o *orgFixture) int64 { return o.approve }, ""), nil, proxyParties(200, 200, 200, 200)},
		// Only the approver decides; the administrator who set it may not.
		{"POST /api/v1/proxies/{id}/approve", "POST", proxy(func(o *orgFixture) int64 { return o.approve }, "/approve"), nil,
			proxyParties(403, 403, 403, 200)},
		{"POST /api/v1/proxies/{id}/refuse", "POST", proxy(func(o *orgFixture) int64 { return o.refuse }, "/refuse"),
			fixed(map[string]any{"reason": "不同意"}), proxyParties(403, 403, 403, 200)},
		// The person or the administrator cancels (the administrator comes
		// first in the matrix; zhangwei then finds it cancelled).
		{"POST /api/v1/proxies/{id}/cancel", "POST", proxy(func(o *orgFixture) int64 { return o.cancel }, "/cancel"),
			fixed(map[string]any{"reason": "不需要了"}), proxyParties(200, 409, 403, 403)},
	}
}
