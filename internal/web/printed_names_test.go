package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// Ensure printed names refuse control, bidi-override and zero-width
// characters over HTTP — creating and editing people, creating and editing
// departments, importing people — with a translated message naming the
// field, and that nothing is written: "王建\u200b国" cannot pass for the
// GM 王建国 on a signature or an approver list (COMPLIANCE R7).
func TestR7_PrintedNamesRefuseInvisibleCharacters(t *testing.T) {
	onBothBackends(t, func(t *testing.T, e *env) {
		gm := e.personID(t, "wangjianguo")
		var dept int64
		if err := e.app.DB.R().QueryRowContext(context.Background(), "SELECT id FROM department WHERE code = 'synthesis'").Scan(&dept); err != nil {
			t.Fatal(err)
		}
		before := e.auditCount(t)
		runScenarios(t, e, []scenario{
			{name: "create with a zero-width space", method: "POST", path: "/api/v1/people", as: "admin",
				body:       map[string]any{"username": "fakegm", "name": "王建\u200b国"},
				wantStatus: http.StatusUnprocessableEntity, wantField: map[string]string{"name": "field.bad_name"}},
			{name: "create with a right-to-left override", method: "POST", path: "/api/v1/people", as: "admin",
				body:       map[string]any{"username": "fakegm2", "name": "\u202e国建王"},
				wantStatus: http.StatusUnprocessableEntity, wantField: map[string]string{"name": "field.bad_name"}},
			{name: "create with a byte-order mark", method: "POST", path: "/api/v1/people", as: "admin",
				body:       map[string]any{"username": "fakegm3", "name": "\ufeff王建国"},
				wantStatus: http.StatusUnprocessableEntity, wantField: map[string]string{"name": "field.bad_name"}},
			{name: "create with a soft hyphen, message in English", method: "POST", path: "/api/v1/people", as: "admin",
				headers: map[string]string{"Cookie": "lang=en"}, body: map[string]any{"username": "fakegm4", "name": "Wang\u00adJianguo"},
				wantStatus: http.StatusUnprocessableEntity, wantField: map[string]string{"name": "field.bad_name"}, wantContains: []string{"invisible"}},
			{name: "edit to a zero-width joiner", method: "PATCH", path: idPath("/api/v1/people/%d", gm), as: "admin",
				body:       map[string]any{"name": "王建国\u200d", "reason": "改名"},
				wantStatus: http.StatusUnprocessableEntity, wantField: map[string]string{"name": "field.bad_name"}},
			{name: "edit to a bidi isolate", method: "PATCH", path: idPath("/api/v1/people/%d", gm), as: "admin",
				body:       map[string]any{"name": "王建国\u2066\u2069", "reason": "改名"},
				wantStatus: http.StatusUnprocessableEntity, wantField: map[string]string{"name": "field.bad_name"}},
			{name: "edit to a tab", method: "PATCH", path: idPath("/api/v1/people/%d", gm), as: "admin",
				body:       map[string]any{"name": "王建\t国", "reason": "改名"},
				wantStatus: http.StatusUnprocessableEntity, wantField: map[string]string{"name": "field.bad_name"}},
			{name: "department with a zero-width space", method: "POST", path: "/api/v1/departments", as: "admin",
				body:       map[string]any{"code": "synth2", "name_zh": "合成\u200b部", "name_en": "Synthesis"},
				wantStatus: http.StatusUnprocessableEntity, wantField: map[string]string{"name_zh": "field.bad_name"}},
			{name: "department renamed with an override", method: "PATCH", path: idPath("/api/v1/departments/%d", dept), as: "admin",
				body:       map[string]any{"code": "synthesis", "name_zh": "合成部", "name_en": "Synthesis\u202e"},
				wantStatus: http.StatusUnprocessableEntity, wantField: map[string]string{"name_en": "field.bad_name"}},
			{name: "a plain name is fine", method: "PATCH", path: idPath("/api/v1/people/%d", gm), as: "admin",
				body: map[string]any{"name": "王建国", "email": "gm@labflow.example", "reason": "核对"}, wantStatus: http.StatusOK},
		})
		csv := "username,name,department\n" +
			"okay1,正常人,synthesis\n" +
			"fakegm5,王建\u200b国,synthesis\n" +
			"fakegm6,\u2067王建国,synthesis\n"
		ct, body := multipartBody(t, "people.csv", []byte(csv))
		r := e.do(t, nil, "POST", "/api/v1/people/import", body, map[string]string{"Content-Type": ct, "Authorization": "Bearer " + e.token(t, "admin")})
		if r.status != http.StatusUnprocessableEntity {
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
		if out.Created != 0 || len(out.Errors) != 2 {
			t.Fatalf("import result: %+v", out)
		}
		for i, er := range out.Errors {
			if er.Row != i+3 || er.Field != "name" || er.Key != "field.bad_name" || er.Message == "" || strings.Contains(er.Message, "field.") {
				t.Errorf("import error %d: %+v", i, er)
			}
		}
		for _, u := range []string{"fakegm", "fakegm2", "fakegm3", "fakegm4", "fakegm5", "fakegm6", "okay1"} {
			if _, err := e.app.People.PersonByUsername(context.Background(), u); err == nil {
				t.Errorf("%s was created", u)
			}
		}
		// Only the plain edit (and the admin's token) was written.
		if n := e.auditCount(t) - before; n != 3 {
			t.Errorf("%d audit events, want 3 (token login, token, the plain edit)", n)
		}
	})
}
