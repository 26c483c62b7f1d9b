package web_test

import (
	"net/http"
	"testing"

	"labflow/internal/demo"
)

// Ensure a password reset and one's own password change revoke the
// person's API tokens: a token made before answers 401 after.
func TestR8_PasswordChangeRevokesTokens(t *testing.T) {
	onBothBackends(t, func(t *testing.T, e *env) {
		newToken := func(c *http.Client) string {
			t.Helper()
			r := e.do(t, c, "POST", "/api/v1/me/tokens", map[string]string{"name": "script"}, nil)
			if r.status != http.StatusCreated {
				t.Fatalf("token: %d %s", r.status, r.body)
			}
			var out struct{ Token string }
			r.json(t, &out)
			return out.Token
		}
		me := func(tok string) int {
			return e.do(t, nil, "GET", "/api/v1/me", nil, map[string]string{"Authorization": "Bearer " + tok}).status
		}
		zwID := e.personID(t, "zhangwei")
		zwTok := newToken(e.login(t, "zhangwei"))
		if me(zwTok) != http.StatusOK {
			t.Fatal("token does not work")
		}
		if r := e.as(t, "admin", "POST", idPath("/api/v1/people/%d/password", zwID), map[string]string{"password": "reset-by-admin"}); r.status != http.StatusNoContent {
			t.Fatalf("reset: %d %s", r.status, r.body)
		}
		r := e.do(t, nil, "GET", "/api/v1/me", nil, map[string]string{"Authorization": "Bearer " + zwTok})
		wantProblem(t, "token after the reset", r, http.StatusUnauthorized, "auth.token_invalid")
		if c, _ := changeOf(t, e.lastEvent(t, "auth.password_reset", zwID), "tokens_revoked"); c.New != float64(1) {
			t.Fatalf("tokens_revoked = %+v", c)
		}

		lhID := e.personID(t, "lihua")
		lh := e.login(t, "lihua")
		lhTok := newToken(lh)
		if r := e.do(t, lh, "POST", "/api/v1/me/password", map[string]string{"old_password": demo.Password, "new_password": "lihua-own-2"}, nil); r.status != http.StatusNoContent {
			t.Fatalf("change: %d %s", r.status, r.body)
		}
		if me(lhTok) != http.StatusUnauthorized {
			t.Fatal("token works after the owner changed the password")
		}
		ids, ok := changeOf(t, e.lastEvent(t, "auth.password_change", lhID), "revoked_token_ids")
		if got, _ := ids.New.([]any); !ok || len(got) != 1 {
			t.Fatalf("revoked_token_ids = %+v", ids)
		}
		// The session that changed it goes on.
		if r := e.do(t, lh, "GET", "/api/v1/me", nil, nil); r.status != http.StatusOK {
			t.Fatalf("own session after the change: %d", r.status)
		}
	})
}
