package web_test

import (
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
)

// Ensure R12/R13 hold over HTTP: only the administrator administers
// people, role grants are audited on the person, the administrator cannot
// take a business role, and the role list export is the administrator's.
func TestR12_R13_PeopleAdministrationHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	zw := e.personID(t, "zhangwei")
	// A second administrator: nobody may change their own roles.
	r := e.as(t, "admin", "POST", "/api/v1/people", map[string]any{"username": "admin2", "name": "第二管理员", "roles": []map[string]any{{"role": "sysadmin"}}})
	if r.status != http.StatusCreated {
		t.Fatalf("create admin2: %d %s", r.status, r.body)
	}
	admin2 := e.personID(t, "admin2")
	runScenarios(t, e, []scenario{
		{name: "researcher cannot create a person", method: "POST", path: "/api/v1/people", as: "zhangwei",
			body: map[string]any{"username": "byresearcher", "name": "x"}, wantStatus: http.StatusForbidden, wantKey: "error.forbidden"},
		{name: "GM cannot create a person (no admin rights, R12)", method: "POST", path: "/api/v1/people", as: "wangjianguo",
			body: map[string]any{"username": "bygm", "name": "x"}, wantStatus: http.StatusForbidden},
		{name: "researcher cannot grant a role", method: "POST", path: idPath("/api/v1/people/%d/roles", zw), as: "zhangwei",
			body: map[string]any{"role": "committee"}, wantStatus: http.StatusForbidden},
		{name: "admin grants a role", method: "POST", path: idPath("/api/v1/people/%d/roles", zw), as: "admin",
			body: map[string]any{"role": "committee", "reason": "选入技术委员会"}, wantStatus: http.StatusNoContent},
		{name: "grant is on the person's audit trail", path: idPath("/api/v1/audit?entity=person&entity_id=%d", zw), as: "admin",
			wantStatus: 200, wantContains: []string{`"action":"role.grant"`, "committee", "选入技术委员会"}},
		{name: "grant is in the person's history", path: idPath("/api/v1/people/%d/history", zw), as: "zhangwei",
			wantStatus: 200, wantContains: []string{`"action":"role.grant"`}},
		{name: "admin cannot be granted a business role", method: "POST", path: idPath("/api/v1/people/%d/roles", admin2), as: "admin",
			body: map[string]any{"role": "gm", "reason": "试"}, wantStatus: http.StatusConflict, wantKey: "people.r12_business_with_admin"},
		{name: "admin cannot grant themselves a role", method: "POST", path: idPath("/api/v1/people/%d/roles", e.personID(t, "admin")), as: "admin",
			body: map[string]any{"role": "gm"}, wantStatus: http.StatusForbidden},
		{name: "business person cannot be made administrator", method: "POST", path: idPath("/api/v1/people/%d/roles", zw), as: "admin",
			body: map[string]any{"role": "sysadmin", "reason": "试"}, wantStatus: http.StatusConflict, wantKey: "people.r12_admin_with_business"},
		{name: "a grant needs its reason (issue 9 item 6)", method: "POST", path: idPath("/api/v1/people/%d/roles", zw), as: "admin",
			body: map[string]any{"role": "gm"}, wantStatus: 422, wantContains: []string{`"field":"reason"`}},
		{name: "create with admin and business roles refused", method: "POST", path: "/api/v1/people", as: "admin",
			body: map[string]any{"username": "mixed", "name": "x", "roles": []map[string]any{{"role": "sysadmin"}, {"role": "gm"}}}, wantStatus: http.StatusConflict},
		{name: "unknown role", method: "POST", path: idPath("/api/v1/people/%d/roles", zw), as: "admin",
			body: map[string]any{"role": "emperor", "reason": "试"}, wantStatus: 422},
		{name: "admin revokes the role", method: "POST", path: idPath("/api/v1/people/%d/roles/revoke", zw), as: "admin",
			body: map[string]any{"role": "committee", "reason": "任期结束"}, wantStatus: http.StatusNoContent},
		{name: "revoke is audited", path: idPath("/api/v1/audit?entity=person&entity_id=%d&action=role.revoke", zw), as: "admin",
			wantStatus: 200, wantContains: []string{`"action":"role.revoke"`}},
		{name: "role list as researcher", path: "/api/v1/people/roles.csv", as: "zhangwei", wantStatus: http.StatusForbidden},
		{name: "role list as admin", path: "/api/v1/people/roles.csv", as: "admin", wantStatus: 200,
			after: func(t *testing.T, e *env, r response) {
				if !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
					t.Errorf("content type %q", r.header.Get("Content-Type"))
				}
				if !strings.HasPrefix(r.body, "\uFEFF") {
					t.Fatalf("no BOM: %q", r.body[:min(20, len(r.body))])
				}
				recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.body, "\uFEFF"))).ReadAll()
				if err != nil || len(recs) < 20 {
					t.Fatalf("csv: %d records, %v", len(recs), err)
				}
				if strings.Join(recs[0][:4], ",") != "username,name,department,role" {
					t.Errorf("header %v", recs[0])
				}
				found := false
				for _, rec := range recs[1:] {
					if rec[0] == "zhangwei" && rec[3] == "researcher" {
						found = true
					}
					if rec[0] == "zhangwei" && rec[3] == "committee" {
						t.Errorf("revoked role still listed: %v", rec)
					}
				}
				if !found {
					t.Errorf("zhangwei's researcher role missing")
				}
			}},
	})
	if _, err := e.app.People.PersonByUsername(t.Context(), "byresearcher"); err == nil {
		t.Error("researcher created a person")
	}
}

// Ensure a failing import (one bad row of three) creates nobody and reports
// the row and the field.
func TestImport_NothingHalfWritten(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := "Bearer " + e.token(t, "admin")
	before := e.auditCount(t)
	csvText := "username,name,email,department,hired_on,roles\n" +
		"imp1,导入一,imp1@example.com,synthesis,2024-01-02,researcher\n" +
		"imp2,导入二,not-an-email,synthesis,2024-01-02,researcher\n" +
		"imp3,导入三,,analytical,2024-01-02,analyst\n"
	ct, body := multipartBody(t, "people.csv", []byte(csvText))
	r := e.do(t, nil, "POST", "/api/v1/people/import", body, map[string]string{"Content-Type": ct, "Authorization": tok})
	if r.status != 422 {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	var out struct {
		Created int
		Errors  []struct {
			Row        int
			Field, Key string
			Message    string
		}
	}
	r.json(t, &out)
	if out.Created != 0 || len(out.Errors) != 1 || out.Errors[0].Row != 3 || out.Errors[0].Field != "email" || out.Errors[0].Message == "" {
		t.Errorf("import result %+v", out)
	}
	for _, u := range []string{"imp1", "imp2", "imp3"} {
		if _, err := e.app.People.PersonByUsername(t.Context(), u); err == nil {
			t.Errorf("%s was created by a failed import", u)
		}
	}
	if after := e.auditCount(t); after != before {
		t.Errorf("failed import wrote %d audit events", after-before)
	}
	// The same file without the bad row imports all.
	ct, body = multipartBody(t, "people.csv", []byte(strings.Replace(csvText, "not-an-email", "imp2@example.com", 1)))
	r = e.do(t, nil, "POST", "/api/v1/people/import", body, map[string]string{"Content-Type": ct, "Authorization": tok})
	if r.status != 200 || !strings.Contains(r.body, `"created":3`) {
		t.Errorf("good import: %d %s", r.status, r.body)
	}
	// A researcher cannot import.
	ct, body = multipartBody(t, "people.csv", []byte("username,name\nimp9,x\n"))
	r = e.do(t, nil, "POST", "/api/v1/people/import", body, map[string]string{"Content-Type": ct, "Authorization": "Bearer " + e.token(t, "zhangwei")})
	if r.status != http.StatusForbidden {
		t.Errorf("import by researcher: %d %s", r.status, r.body)
	}
}

// Ensure the administrator can rename a department from its page, with the
// reason in its history, and that a bad value is shown on the form.
func TestUI_EditDepartment(t *testing.T) {
	e := newEnv(t)
	c := e.login(t, "admin")
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	r := e.do(t, c, "POST", "/departments/3", "code=analytical&name_zh=&name_en=Analytical+Testing&reason=x", form)
	if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "department-form") || !strings.Contains(r.body, "field-error") {
		t.Fatalf("without a Chinese name: %d", r.status)
	}
	r = e.do(t, c, "POST", "/departments/3", "code=analytical&name_zh=分析测试部&name_en=Analytical+Testing&reason=reorganisation", form)
	if r.status != http.StatusSeeOther {
		t.Fatalf("edit: %d", r.status)
	}
	if r = e.do(t, c, "GET", "/departments/3", nil, nil); !strings.Contains(r.body, "分析测试部") {
		t.Fatalf("the page does not show the new name: %d", r.status)
	}
	r = e.do(t, c, "GET", "/api/v1/departments/3/history", nil, nil)
	if !strings.Contains(r.body, `"department.update"`) || !strings.Contains(r.body, "reorganisation") {
		t.Fatalf("history lacks the update with its reason: %s", r.body)
	}
	// A researcher cannot.
	r = e.do(t, e.login(t, "zhangwei"), "POST", "/departments/3", "code=x&name_zh=x&name_en=x&reason=x", form)
	if r.status != http.StatusForbidden {
		t.Fatalf("researcher editing a department: %d", r.status)
	}
}
