package web_test

import (
	"context"
	"testing"
)

// The permission matrix's rows for roles and committees (issue 8 §4): see
// permissions_test.go.

// orgFixture is what the rows point at: a defined role and a committee
// with a member.
type orgFixture struct {
	role, committee   string
	member, newMember int64
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
	}
}
