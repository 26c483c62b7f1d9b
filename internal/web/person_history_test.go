package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"labflow/internal/demo"
)

// Ensure a person's security events — sign-ins and failed sign-ins with
// their IP addresses and user agents, token events, password resets — are
// shown only to that person and to the administrator, through the API and
// on the person page, while the business history (profile, roles, ranks)
// stays visible to everyone who may see the person.
func TestR12_SecurityEventsOnlyToPersonAndAdmin(t *testing.T) {
	onBothBackends(t, func(t *testing.T, e *env) {
		zw := e.personID(t, "zhangwei")
		const agent = "SecretAgent/7.0 (zhangwei's laptop)"
		// Security events: a failed and a successful sign-in with a telling
		// user agent, a token (e.token signs in and makes one).
		e.do(t, nil, "POST", "/api/v1/session", map[string]string{"username": "zhangwei", "password": "not-the-password"}, map[string]string{"User-Agent": agent})
		e.do(t, e.client(t), "POST", "/api/v1/session", map[string]string{"username": "zhangwei", "password": demo.Password}, map[string]string{"User-Agent": agent})
		e.token(t, "zhangwei")
		// Business events: a profile edit and a rank.
		if r := e.as(t, "admin", "PATCH", idPath("/api/v1/people/%d", zw), map[string]any{"phone": "+86 139 0000 0000", "reason": "新号码"}); r.status != http.StatusOK {
			t.Fatalf("edit: %d %s", r.status, r.body)
		}
		if r := e.as(t, "admin", "POST", idPath("/api/v1/people/%d/ranks", zw), map[string]any{"rank": "senior_a", "since": "2024-09-01", "note": "复核"}); r.status != http.StatusNoContent {
			t.Fatalf("rank: %d %s", r.status, r.body)
		}

		business := []string{`"action":"person.update"`, `"action":"rank.add"`, `"action":"person.create"`, "新号码"}
		security := []string{`"action":"auth.login"`, `"action":"auth.login_failed"`, `"action":"token.create"`, agent, "127.0.0.1"}
		path := idPath("/api/v1/people/%d/history", zw)
		runScenarios(t, e, []scenario{
			{name: "the person sees everything", path: path, as: "zhangwei", wantStatus: 200, wantContains: append(business, security...)},
			{name: "the administrator sees everything", path: path, as: "admin", wantStatus: 200, wantContains: append(business, security...)},
			{name: "another researcher sees the business history only", path: path, as: "wangfang", wantStatus: 200,
				wantContains: business, wantNotContains: append(security, `"action":"auth.`, `"action":"token.`)},
			{name: "the person's director sees the business history only", path: path, as: "chenzhiqiang", wantStatus: 200,
				wantContains: business, wantNotContains: append(security, `"action":"auth.`, `"action":"token.`)},
			{name: "the GM sees the business history only", path: path, as: "wangjianguo", wantStatus: 200,
				wantContains: business, wantNotContains: append(security, `"action":"auth.`, `"action":"token.`)},
			{name: "unknown person", path: "/api/v1/people/999999/history", as: "wangfang", wantStatus: http.StatusNotFound},
			{name: "anonymous", path: path, wantStatus: http.StatusUnauthorized},
		})

		// The person page shows the same.
		page := func(username string) string {
			t.Helper()
			r := e.do(t, e.login(t, username), "GET", idPath("/people/%d", zw), nil, nil)
			if r.status != http.StatusOK {
				t.Fatalf("person page as %s: %d", username, r.status)
			}
			return r.body
		}
		for _, u := range []string{"zhangwei", "admin"} {
			if body := page(u); !strings.Contains(body, "SecretAgent/7.0") || !strings.Contains(body, "登录失败") {
				t.Errorf("%s does not see the security events on the page", u)
			}
		}
		for _, u := range []string{"wangfang", "chenzhiqiang"} {
			body := page(u)
			if strings.Contains(body, "SecretAgent") || strings.Contains(body, "登录失败") || strings.Contains(body, "创建API令牌") {
				t.Errorf("%s sees security events on the page", u)
			}
			// In people's words (issue 9 item 5): the actions by name, not key.
			if !strings.Contains(body, "职级变动") || !strings.Contains(body, "修改人员信息") || strings.Contains(body, "rank.add") {
				t.Errorf("%s does not see the business history on the page", u)
			}
		}

		// A password reset is a security event too.
		if r := e.as(t, "admin", "POST", idPath("/api/v1/people/%d/password", zw), map[string]string{"password": "reset-by-admin"}); r.status != http.StatusNoContent {
			t.Fatalf("reset: %d", r.status)
		}
		if r := e.as(t, "wangfang", "GET", path, nil); strings.Contains(r.body, "auth.password_reset") {
			t.Error("another researcher sees the password reset")
		}
		zwNew := e.client(t)
		e.do(t, zwNew, "POST", "/login", url.Values{"username": {"zhangwei"}, "password": {"reset-by-admin"}}.Encode(), formCT)
		if r := e.do(t, zwNew, "GET", path, nil, nil); r.status != http.StatusForbidden {
			// Until the temporary password is changed, not even this.
			t.Errorf("history with a temporary password: %d", r.status)
		}
		if r := e.as(t, "admin", "GET", path, nil); !strings.Contains(r.body, "auth.password_reset") {
			t.Error("the administrator does not see the reset")
		}
	})
}
