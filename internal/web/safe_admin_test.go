package web_test

import (
	"net/url"
	"strings"
	"testing"
)

// Ensure granting a role on the person page has no default role, needs a
// reason and asks for a confirmation naming the person; revoking offers
// only the roles held; each change answers with what was done (issue 9
// item 6; R12, R13).
func TestR13_SafeAdministrationOnThePersonPage(t *testing.T) {
	e := newEnv(t)
	c := e.login(t, "admin")
	zw := e.personID(t, "zhangwei")
	page := e.do(t, c, "GET", itoaPath("/people/", zw), nil, nil)
	if page.status != 200 {
		t.Fatalf("person page: %d", page.status)
	}
	grant := between(page.body, `id="grant-form"`, `</form>`)
	if !strings.Contains(grant, `<option value="">`) || !strings.Contains(grant, `name="reason"`) || !strings.Contains(grant, "required") {
		t.Fatalf("the grant form has a default role or no required reason: %s", grant)
	}
	if !strings.Contains(grant, `data-confirm="确认为 张伟 授予角色「{role}」？"`) {
		t.Fatalf("the grant asks no confirmation naming the person: %s", grant)
	}
	revoke := between(page.body, `id="revoke-form"`, `</form>`)
	if !strings.Contains(revoke, `value="researcher@`) || strings.Contains(revoke, `value="gm@`) || strings.Contains(revoke, `value="committee@`) {
		t.Fatalf("the revoke form offers roles not held: %s", revoke)
	}
	// No role chosen, or no reason: refused, nothing granted.
	before := e.auditCount(t)
	for _, f := range []url.Values{{"role": {""}, "reason": {"x"}}, {"role": {"committee"}, "reason": {""}}} {
		r := e.do(t, c, "POST", itoaPath("/people/", zw)+"/roles", f.Encode(), formCT)
		if r.status != 422 {
			t.Fatalf("grant %v: %d", f, r.status)
		}
	}
	if e.auditCount(t) != before {
		t.Fatal("a refused grant was recorded")
	}
	// A grant answers with what was done.
	r := e.do(t, c, "POST", itoaPath("/people/", zw)+"/roles", url.Values{"role": {"committee"}, "reason": {"选入技术委员会"}}.Encode(), formCT)
	if r.status != 303 {
		t.Fatalf("grant: %d %s", r.status, r.body)
	}
	done := e.do(t, c, "GET", r.header.Get("Location"), nil, nil)
	if !strings.Contains(done.body, `id="person-done"`) || !strings.Contains(done.body, "已为 张伟 授予角色：技术委员会委员") {
		t.Fatalf("the page does not say what was done: %s", between(done.body, "<main", "</h1>"))
	}
	// Revoking names a role held.
	r = e.do(t, c, "POST", itoaPath("/people/", zw)+"/roles/revoke", url.Values{"grant": {"committee@0"}, "reason": {"任期结束"}}.Encode(), formCT)
	if r.status != 303 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if done := e.do(t, c, "GET", r.header.Get("Location"), nil, nil); !strings.Contains(done.body, "已撤销 张伟 的角色：技术委员会委员") {
		t.Fatal("the page does not say what was revoked")
	}
}

func itoaPath(prefix string, id int64) string { return prefix + itoa64(id) }

// between is the text of s from the first from up to the next to after it.
func between(s, from, to string) string {
	i := strings.Index(s, from)
	if i < 0 {
		return ""
	}
	j := strings.Index(s[i:], to)
	if j < 0 {
		return s[i:]
	}
	return s[i : i+j]
}
