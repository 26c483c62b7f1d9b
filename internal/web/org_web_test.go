package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// Ensure roles and committees are data through the API: only the
// administrator defines them; a defined role is granted and exported
// (R13) and named on the pages; a committee's gaps are reported to the
// administrator only (issue 8 §4).
func TestR13_RolesAndCommitteesThroughTheAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	role := map[string]any{"key": "office_head", "name_zh": "办公室主任", "name_en": "Office head"}
	if r := e.as(t, "lihua", "POST", "/api/v1/roles", role); r.status != http.StatusForbidden {
		t.Fatalf("a dean defines a role: %d", r.status)
	}
	if r := e.as(t, "admin", "POST", "/api/v1/roles", role); r.status != http.StatusCreated {
		t.Fatalf("define: %d %s", r.status, r.body)
	}
	wantField(t, e.as(t, "admin", "POST", "/api/v1/roles", role), 422, "key", "field.taken")
	zhaomin := personID(t, e, "zhaomin")
	if r := e.as(t, "admin", "POST", idPath("/api/v1/people/%d/roles", zhaomin), map[string]any{"role": "office_head", "reason": "兼任"}); r.status != 204 {
		t.Fatalf("grant: %d %s", r.status, r.body)
	}
	if r := e.as(t, "admin", "GET", "/api/v1/people/roles.csv", nil); !strings.Contains(r.body, "zhaomin,赵敏,行政部,office_head,") {
		t.Fatalf("export: %s", r.body)
	}
	if page := e.do(t, e.login(t, "lihua"), "GET", idPath("/people/%d", zhaomin), nil, nil); !strings.Contains(page.body, "办公室主任") {
		t.Fatal("the person page does not name the defined role")
	}
	if r := e.as(t, "admin", "POST", "/api/v1/roles/office_head/active", map[string]any{"active": false, "reason": "撤销"}); r.status != http.StatusConflict {
		t.Fatalf("retire a held role: %d %s", r.status, r.body)
	}
	// A committee without members or chair is reported to the administrator.
	if r := e.as(t, "admin", "POST", "/api/v1/committees", map[string]any{"key": "tender", "name_zh": "招标委员会", "name_en": "Tender committee"}); r.status != 201 {
		t.Fatalf("committee: %d %s", r.status, r.body)
	}
	if r := e.as(t, "lihua", "GET", "/api/v1/admin/org-gaps", nil); r.status != http.StatusForbidden {
		t.Fatalf("gaps to a dean: %d", r.status)
	}
	r := e.as(t, "admin", "GET", "/api/v1/admin/org-gaps", nil)
	if !strings.Contains(r.body, `"kind":"committee_empty","key":"tender"`) || strings.Contains(r.body, `"key":"technical"`) {
		t.Fatalf("gaps: %s", r.body)
	}
	if page := e.do(t, e.login(t, "admin"), "GET", "/admin", nil, nil); !strings.Contains(page.body, "招标委员会") || !strings.Contains(page.body, "gap-committee_empty") {
		t.Fatal("the administrator's page does not show the gap")
	}
	gao := personID(t, e, "gaoyuan")
	for _, step := range []struct{ path, user string }{{"/members", "lihua"}, {"/chair", "wangjianguo"}} {
		if r := e.as(t, step.user, "POST", "/api/v1/committees/tender"+step.path, map[string]any{"person_id": gao}); r.status != http.StatusForbidden {
			t.Fatalf("%s changes a committee: %d", step.user, r.status)
		}
	}
	wantField(t, e.as(t, "admin", "POST", "/api/v1/committees/tender/chair", map[string]any{"person_id": personID(t, e, "admin")}),
		422, "person_id", "org.member_not_business")
	if r := e.as(t, "admin", "POST", "/api/v1/committees/tender/chair", map[string]any{"person_id": gao, "reason": "任命"}); r.status != 204 {
		t.Fatalf("chair: %d %s", r.status, r.body)
	}
	r = e.as(t, "zhangwei", "GET", "/api/v1/committees/tender", nil)
	if r.status != 200 || !strings.Contains(r.body, `"name":"高远","chair":true`) {
		t.Fatalf("committee: %d %s", r.status, r.body)
	}
	if r := e.as(t, "admin", "GET", "/api/v1/admin/org-gaps", nil); strings.Contains(r.body, "tender") {
		t.Fatalf("gaps after the chair: %s", r.body)
	}
}
