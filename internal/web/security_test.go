package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"labflow/internal/demo"
	"labflow/internal/web"
)

// Ensure a deactivated account cannot sign in, and gets the very same
// answer as a wrong password (nothing tells which accounts exist or why).
func TestAuth_DeactivatedAccountLogin(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Sign-in works before deactivation.
	e.login(t, "wangfang")
	id := e.personID(t, "wangfang")
	if r := e.as(t, "admin", "POST", idPath("/api/v1/people/%d/active", id), map[string]any{"active": false, "reason": "离职"}); r.status != http.StatusNoContent {
		t.Fatalf("deactivate: %d %s", r.status, r.body)
	}
	inactive := e.do(t, nil, "POST", "/api/v1/session", map[string]string{"username": "wangfang", "password": demo.Password}, nil)
	wrong := e.do(t, nil, "POST", "/api/v1/session", map[string]string{"username": "yangxue", "password": "wrong-password"}, nil)
	unknown := e.do(t, nil, "POST", "/api/v1/session", map[string]string{"username": "nobody", "password": demo.Password}, nil)
	pi, pw, pu := inactive.problem(t), wrong.problem(t), unknown.problem(t)
	for _, p := range []web.Problem{pi, pw, pu} {
		if p.Status != http.StatusUnauthorized || p.Key != "auth.bad_credentials" {
			t.Errorf("problem %+v, want 401 auth.bad_credentials", p)
		}
	}
	if pi.Detail != pw.Detail || pi.Detail != pu.Detail || pi.Title != pw.Title {
		t.Errorf("deactivated answer differs from wrong password: %q vs %q vs %q", pi.Detail, pw.Detail, pu.Detail)
	}
	if inactive.header.Get("Set-Cookie") != "" {
		t.Errorf("deactivated login set a cookie: %q", inactive.header.Get("Set-Cookie"))
	}
	// The UI login answers the same way.
	form := url.Values{"username": {"wangfang"}, "password": {demo.Password}}.Encode()
	ui := e.do(t, nil, "POST", "/login", form, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if ui.status != http.StatusUnauthorized || !strings.Contains(ui.body, pi.Detail) {
		t.Errorf("UI login of a deactivated account: %d", ui.status)
	}
}

// Ensure a session idle for longer than the idle timeout (30 minutes) no
// longer authenticates: the API answers 401 and the UI sends to /login.
func TestAuth_ExpiredSession(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withClock())
	c := e.login(t, "zhangwei")
	if r := e.do(t, c, "GET", "/api/v1/me", nil, nil); r.status != 200 {
		t.Fatalf("me: %d", r.status)
	}
	e.clk.Add(29 * time.Minute) // still within the idle timeout; the use slides it
	if r := e.do(t, c, "GET", "/api/v1/me", nil, nil); r.status != 200 {
		t.Fatalf("me after 29m: %d", r.status)
	}
	// Keep the old cookie, even if the server asks to clear it.
	u, _ := url.Parse(e.srv.URL)
	old := c.Jar.Cookies(u)
	e.clk.Add(31 * time.Minute)
	r := e.do(t, c, "GET", "/api/v1/me", nil, nil)
	if r.status != http.StatusUnauthorized {
		t.Fatalf("me after 31m idle: %d %s", r.status, r.body)
	}
	c.Jar.SetCookies(u, old)
	ui := e.do(t, c, "GET", "/people", nil, nil)
	if ui.status != http.StatusSeeOther || !strings.HasPrefix(ui.header.Get("Location"), "/login") {
		t.Fatalf("UI with expired session: %d → %q", ui.status, ui.header.Get("Location"))
	}
}

// Ensure a cross-site form POST is refused with 403 and writes nothing,
// both to the login form and to an administrator's create-person form.
func TestCSRF_CrossSiteFormPost(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	admin := e.login(t, "admin")
	cross := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}
	onlyOrigin := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.example"}
	cases := []struct {
		name    string
		c       *http.Client
		path    string
		form    url.Values
		headers map[string]string
	}{
		{"login", nil, "/login", url.Values{"username": {"admin"}, "password": {demo.Password}}, cross},
		{"create person", admin, "/people/new", url.Values{"username": {"csrfvictim"}, "name": {"受害者"}}, cross},
		{"create person, Origin only", admin, "/people/new", url.Values{"username": {"csrfvictim2"}, "name": {"受害者"}}, onlyOrigin},
		{"logout", admin, "/logout", url.Values{}, cross},
		{"API via cookie", admin, "/api/v1/people", nil, map[string]string{"Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.auditCount(t)
			var body any = tc.form.Encode()
			if tc.form == nil {
				body = map[string]any{"username": "csrfapi", "name": "x"}
			}
			r := e.do(t, tc.c, "POST", tc.path, body, tc.headers)
			if r.status != http.StatusForbidden {
				t.Fatalf("status %d, want 403; %.300s", r.status, r.body)
			}
			if r.header.Get("Set-Cookie") != "" {
				t.Errorf("refused request set a cookie")
			}
			if after := e.auditCount(t); after != before {
				t.Errorf("audit count %d → %d", before, after)
			}
		})
	}
	for _, u := range []string{"csrfvictim", "csrfvictim2", "csrfapi"} {
		if _, err := e.app.People.PersonByUsername(t.Context(), u); err == nil {
			t.Errorf("%s was created by a cross-site request", u)
		}
	}
	// The session survived the cross-site logout attempt.
	if r := e.do(t, admin, "GET", "/api/v1/me", nil, nil); r.status != 200 {
		t.Errorf("session ended by a cross-site POST: %d", r.status)
	}
	// A same-origin form POST still works.
	same := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Origin": e.srv.URL, "Sec-Fetch-Site": "same-origin"}
	r := e.do(t, admin, "POST", "/people/new", url.Values{"username": {"sameorigin"}, "name": {"同源"}}.Encode(), same)
	if r.status != http.StatusSeeOther {
		t.Errorf("same-origin create: %d %.300s", r.status, r.body)
	}
}

// Ensure a tampered session cookie (one character changed) is not accepted.
func TestAuth_TamperedSessionCookie(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.login(t, "zhangwei")
	u, _ := url.Parse(e.srv.URL)
	var tok string
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == web.SessionCookie {
			tok = ck.Value
		}
	}
	if tok == "" {
		t.Fatal("no session cookie")
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	for name, v := range map[string]string{
		"first char": flip(tok, 0), "last char": flip(tok, len(tok)-1), "truncated": tok[:len(tok)-1],
		"extended": tok + "A", "sql": "' OR '1'='1", "empty-ish": " ",
	} {
		t.Run(name, func(t *testing.T) {
			h := map[string]string{"Cookie": web.SessionCookie + "=" + v}
			if r := e.do(t, nil, "GET", "/api/v1/me", nil, h); r.status != http.StatusUnauthorized {
				t.Errorf("API: %d", r.status)
			}
			r := e.do(t, nil, "GET", "/", nil, h)
			if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
				t.Errorf("UI: %d → %q", r.status, r.header.Get("Location"))
			}
		})
	}
	// The real cookie still works.
	if r := e.do(t, nil, "GET", "/api/v1/me", nil, map[string]string{"Cookie": web.SessionCookie + "=" + tok}); r.status != 200 {
		t.Errorf("untampered cookie: %d", r.status)
	}
}

// Ensure a revoked API token stops working at once.
func TestAuth_RevokedToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.login(t, "sunli")
	r := e.do(t, c, "POST", "/api/v1/me/tokens", map[string]string{"name": "script"}, nil)
	var nt struct {
		Token  string
		Detail struct{ ID int64 }
	}
	r.json(t, &nt)
	bearer := map[string]string{"Authorization": "Bearer " + nt.Token}
	if r := e.do(t, nil, "GET", "/api/v1/me", nil, bearer); r.status != 200 || !strings.Contains(r.body, `"sunli"`) {
		t.Fatalf("token before revoke: %d %s", r.status, r.body)
	}
	// Someone else cannot revoke it.
	if r := e.as(t, "zhangwei", "DELETE", idPath("/api/v1/me/tokens/%d", nt.Detail.ID), nil); r.status != http.StatusForbidden && r.status != http.StatusNotFound {
		t.Errorf("revoke by another user: %d", r.status)
	}
	if r := e.do(t, c, "DELETE", idPath("/api/v1/me/tokens/%d", nt.Detail.ID), nil, nil); r.status != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	r = e.do(t, nil, "GET", "/api/v1/me", nil, bearer)
	if r.status != http.StatusUnauthorized || r.problem(t).Key != "auth.token_invalid" {
		t.Fatalf("token after revoke: %d %s", r.status, r.body)
	}
	// Revoked tokens do not write either.
	if r := e.do(t, nil, "POST", "/api/v1/people", map[string]any{"username": "viarevoked", "name": "x"}, bearer); r.status != http.StatusUnauthorized {
		t.Errorf("write with revoked token: %d", r.status)
	}
}

// Ensure the login page carries the security headers, is Chinese by
// default, and English with Accept-Language: en or after POST /lang.
func TestUI_LoginPageHeadersAndLanguage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.do(t, nil, "GET", "/login", nil, nil)
	if r.status != 200 {
		t.Fatalf("login page: %d", r.status)
	}
	for h, want := range map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'", "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
	} {
		if got := r.header.Get(h); !strings.Contains(got, want) {
			t.Errorf("%s = %q, want it to contain %q", h, got, want)
		}
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
	isZH := func(body string) bool { return strings.Contains(body, `lang="zh`) && strings.Contains(body, "登录") }
	isEN := func(body string) bool {
		return strings.Contains(body, `lang="en"`) && strings.Contains(body, "Sign in")
	}
	if !isZH(r.body) {
		t.Errorf("default login page is not Chinese: %.400s", r.body)
	}
	if r := e.do(t, nil, "GET", "/login", nil, map[string]string{"Accept-Language": "en"}); !isEN(r.body) {
		t.Errorf("Accept-Language: en did not give English: %.400s", r.body)
	}
	if r := e.do(t, nil, "GET", "/login", nil, map[string]string{"Accept-Language": "en-GB,en;q=0.9"}); !isEN(r.body) {
		t.Errorf("Accept-Language: en-GB did not give English")
	}
	c := e.client(t)
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	if r := e.do(t, c, "POST", "/lang", "lang=en&next=/login", form); r.status != http.StatusSeeOther {
		t.Fatalf("POST /lang: %d", r.status)
	}
	if r := e.do(t, c, "GET", "/login", nil, nil); !isEN(r.body) {
		t.Errorf("after POST /lang en the login page is not English: %.400s", r.body)
	}
	if r := e.do(t, c, "POST", "/lang", "lang=xx", form); r.status != 422 {
		t.Errorf("POST /lang xx: %d", r.status)
	}
	// The error page (404) has the headers too.
	if r := e.do(t, nil, "GET", "/no/such/page", nil, nil); r.status != 404 || r.header.Get("X-Frame-Options") != "DENY" {
		t.Errorf("404 page: %d %q", r.status, r.header.Get("X-Frame-Options"))
	}
}

// Ensure a signed-in user who is not the administrator can switch the UI
// to English too (POST /lang), and back.
func TestUI_LanguageSwitchSignedIn(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, u := range []string{"admin", "zhangwei"} {
		t.Run(u, func(t *testing.T) {
			c := e.login(t, u)
			form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
			if r := e.do(t, c, "POST", "/lang", "lang=en&next=/", form); r.status != http.StatusSeeOther {
				t.Fatalf("POST /lang: %d %.300s", r.status, r.body)
			}
			if r := e.do(t, c, "GET", "/", nil, nil); !strings.Contains(r.body, `lang="en"`) {
				t.Errorf("home after switching to English is not English")
			}
			e.do(t, c, "POST", "/lang", "lang=zh&next=/", form)
			if r := e.do(t, c, "GET", "/", nil, nil); !strings.Contains(r.body, `lang="zh`) {
				t.Errorf("home after switching back is not Chinese")
			}
		})
	}
}
