package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"labflow/internal/domain"
	"labflow/internal/store/storetest"
)

// Ensure bad API input gets a clear 4xx problem naming the field, and that a
// refused request writes nothing (the audit count stays the same).
func TestAPI_BadInput(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.token(t, "admin") // its sign-in and token creation are audited; nothing after
	before := e.auditCount(t)
	long := strings.Repeat("名", 500)
	huge := `{"username":"huge","name":"` + strings.Repeat("a", 2<<20) + `"}`
	runScenarios(t, e, []scenario{
		{name: "malformed JSON", method: "POST", path: "/api/v1/people", as: "admin", body: `{"username": "x", `, headers: jsonCT,
			wantStatus: 422, wantKey: "error.bad_json", wantField: map[string]string{"body": "field.bad_json"}},
		{name: "not JSON at all", method: "POST", path: "/api/v1/people", as: "admin", body: `username=x`, headers: map[string]string{"Content-Type": "application/x-www-form-urlencoded"},
			wantStatus: 422, wantField: map[string]string{"body": ""}},
		{name: "empty body", method: "POST", path: "/api/v1/people", as: "admin", body: ``, headers: jsonCT,
			wantStatus: 422, wantField: map[string]string{"body": "field.bad_json"}},
		{name: "trailing data", method: "POST", path: "/api/v1/people", as: "admin", body: `{"username":"tr","name":"x"} {"x":1}`, headers: jsonCT,
			wantStatus: 422, wantField: map[string]string{"body": "field.trailing_data"}},
		{name: "unknown field", method: "POST", path: "/api/v1/people", as: "admin", body: `{"username":"unk","name":"x","is_admin":true}`, headers: jsonCT,
			wantStatus: 422, wantField: map[string]string{"is_admin": "field.unknown"}},
		{name: "wrong type string for number", method: "POST", path: "/api/v1/people", as: "admin", body: `{"username":"wt","name":"x","department_id":"three"}`, headers: jsonCT,
			wantStatus: 422, wantField: map[string]string{"department_id": "field.bad_type"}},
		{name: "wrong type number for string", method: "POST", path: "/api/v1/people", as: "admin", body: `{"username":42,"name":"x"}`, headers: jsonCT,
			wantStatus: 422, wantField: map[string]string{"username": "field.bad_type"}},
		{name: "wrong type in login", method: "POST", path: "/api/v1/session", body: `{"username":["admin"],"password":"x"}`, headers: jsonCT,
			wantStatus: 422, wantField: map[string]string{"username": "field.bad_type"}},
		{name: "oversize body", method: "POST", path: "/api/v1/people", as: "admin", body: huge, headers: jsonCT,
			wantStatus: http.StatusRequestEntityTooLarge, wantKey: "error.too_large", wantField: map[string]string{"body": "field.body_too_large"}},
		{name: "overlong name", method: "POST", path: "/api/v1/people", as: "admin", body: map[string]any{"username": "longname", "name": long},
			wantStatus: 422, wantField: map[string]string{"name": "field.too_long"}, wantNotContains: []string{long}},
		{name: "overlong department name", method: "POST", path: "/api/v1/departments", as: "admin", body: map[string]any{"code": "longd", "name_zh": long, "name_en": "x"},
			wantStatus: 422, wantField: map[string]string{"name_zh": "field.too_long"}},
		{name: "invalid e-mail", method: "POST", path: "/api/v1/people", as: "admin", body: map[string]any{"username": "bademail", "name": "坏邮箱", "email": "not-an-address@"},
			wantStatus: 422, wantField: map[string]string{"email": "field.bad_email"}},
		{name: "e-mail with display name", method: "POST", path: "/api/v1/people", as: "admin", body: map[string]any{"username": "bademail2", "name": "x", "email": "Eve <eve@example.com>"},
			wantStatus: 422, wantField: map[string]string{"email": "field.bad_email"}},
		{name: "duplicate username", method: "POST", path: "/api/v1/people", as: "admin", body: map[string]any{"username": "zhangwei", "name": "另一个张伟"},
			wantStatus: 422, wantField: map[string]string{"username": "field.taken"}},
		{name: "username not a login name", method: "POST", path: "/api/v1/people", as: "admin", body: map[string]any{"username": "O'Brien; DROP TABLE person", "name": "x"},
			wantStatus: 422, wantField: map[string]string{"username": "field.bad_username"}},
		{name: "control characters", method: "POST", path: "/api/v1/people", as: "admin", body: map[string]any{"username": "ctl", "name": "a\x00b"},
			wantStatus: 422, wantField: map[string]string{"name": "field.bad_text"}},
		{name: "bad query integer", path: "/api/v1/people?limit=ten", as: "admin",
			wantStatus: 422, wantField: map[string]string{"limit": "field.bad_type"}},
		{name: "non-numeric id", path: "/api/v1/people/abc", as: "admin", wantStatus: 404},
		{name: "negative id", path: "/api/v1/people/-1", as: "admin", wantStatus: 404},
		{name: "huge id", path: "/api/v1/people/99999999999999999999", as: "admin", wantStatus: 404},
		{name: "unknown person", path: "/api/v1/people/999999", as: "admin", wantStatus: 404, wantKey: "error.not_found"},
		{name: "anonymous", path: "/api/v1/people", wantStatus: 401, wantKey: "error.unauthenticated"},
		{name: "malformed Authorization", path: "/api/v1/people", headers: map[string]string{"Authorization": "Basic YWRtaW46eA=="},
			wantStatus: 401, wantKey: "error.bad_token"},
		{name: "garbage bearer", path: "/api/v1/people", headers: map[string]string{"Authorization": "Bearer ' OR 1=1 --"},
			wantStatus: 401, wantKey: "auth.token_invalid"},
	})
	if after := e.auditCount(t); after != before {
		t.Errorf("audit count %d → %d: a refused request wrote something", before, after)
	}
	// None of the refused usernames exists.
	for _, u := range []string{"x", "tr", "unk", "wt", "huge", "longname", "bademail", "bademail2", "ctl"} {
		if _, err := e.app.People.PersonByUsername(context.Background(), u); !domain.IsKind(err, domain.KindNotFound) {
			t.Errorf("person %q exists after a refused create (err %v)", u, err)
		}
	}
}

// metaStrings are SQL (and LIKE, and HTML) meta-characters; each must be
// stored verbatim and come back unchanged.
const metaSQL = `Robert'); DROP TABLE person;-- " % _ \ /* */ ; <b>&amp;</b>`

// Ensure SQL meta-characters in every text field of person and department
// create are stored verbatim and round-trip through GET (SQLite and, when
// TEST_DATABASE_URL is set, PostgreSQL).
func TestAPI_SQLMetaCharacters(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		testSQLMeta(t, newEnv(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		testSQLMeta(t, newEnv(t, withDSN(storetest.NewPostgresDB(t))))
	})
}

func testSQLMeta(t *testing.T, e *env) {
	dept := map[string]any{"code": "d--1_x", "name_zh": "部门'; DROP TABLE department;--" + metaSQL, "name_en": metaSQL}
	r := e.as(t, "admin", "POST", "/api/v1/departments", dept)
	if r.status != http.StatusCreated {
		t.Fatalf("create department: %d %s", r.status, r.body)
	}
	var d domain.Department
	r.json(t, &d)
	r = e.as(t, "admin", "GET", idPath("/api/v1/departments/%d", d.ID), nil)
	var gotD domain.Department
	r.json(t, &gotD)
	if gotD.Code != dept["code"] || gotD.NameZH != dept["name_zh"] || gotD.NameEN != dept["name_en"] {
		t.Errorf("department round trip: %+v, want %v", gotD, dept)
	}

	in := map[string]any{"username": "o_brien--x.y", "name": metaSQL, "email": "x'or'1'='1@example.com",
		"phone": "+86 (10) 1234--5678", "department_id": d.ID, "hired_on": "2020-01-01"}
	r = e.as(t, "admin", "POST", "/api/v1/people", in)
	if r.status != http.StatusCreated {
		t.Fatalf("create person: %d %s", r.status, r.body)
	}
	var p domain.Person
	r.json(t, &p)
	r = e.as(t, "admin", "GET", idPath("/api/v1/people/%d", p.ID), nil)
	var got domain.Person
	r.json(t, &got)
	if got.Username != in["username"] || got.Name != metaSQL || got.Email != in["email"] || got.Phone != in["phone"] || got.DepartmentID != d.ID {
		t.Errorf("person round trip: %+v, want %v", got, in)
	}
	// Searching with meta-characters is a plain substring search.
	for _, q := range []string{"'", "%", "_", `\`, "Robert'); DROP", metaSQL} {
		r = e.as(t, "admin", "GET", "/api/v1/people?q="+url.QueryEscape(q), nil)
		var out struct {
			Items []domain.Person
			Total int
		}
		r.json(t, &out)
		if r.status != 200 || out.Total != 1 || len(out.Items) != 1 || out.Items[0].ID != p.ID {
			t.Errorf("search %q: %d total %d", q, r.status, out.Total)
		}
	}
	// The tables are all still there.
	if r = e.as(t, "admin", "GET", "/api/v1/people?limit=500", nil); r.status != 200 {
		t.Fatalf("list after: %d", r.status)
	}
	// The person page shows the name escaped, never as markup.
	c := e.login(t, "admin")
	page := e.do(t, c, "GET", idPath("/people/%d", p.ID), nil, nil)
	if page.status != 200 || strings.Contains(page.body, "<b>&amp;</b>") || !strings.Contains(page.body, "&lt;b&gt;&amp;amp;&lt;/b&gt;") {
		t.Errorf("person page does not escape the name: %d", page.status)
	}
}
