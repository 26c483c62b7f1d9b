package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// signIn signs in through the API and reports the status and whether the
// password must be changed first.
func signIn(t *testing.T, srv *httptest.Server, username, password string) (int, bool) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	resp, err := http.Post(srv.URL+"/api/v1/session", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var me struct {
		MustChangePassword bool `json:"must_change_password"`
	}
	json.NewDecoder(resp.Body).Decode(&me)
	return resp.StatusCode, me.MustChangePassword
}

// lastWord is the token that "user token" prints last.
func lastWord(s string) string {
	w := strings.Fields(s)
	return w[len(w)-1]
}

// Ensure the passwords "user add" and "user passwd" set are temporary —
// they sign in, but open nothing but the password change, and cannot sign
// (COMPLIANCE R8, R12) — unless --permanent is given, which the usage
// explains.
func TestR8_CLIPasswordsAreTemporary(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		r := mustOK(t, cmd(t, "first-password-1\n", args(b, "user", "add", "alice", "--name", "爱丽丝", "--role", "gm", "--password-stdin")...))
		if !strings.Contains(r.stdout, "temporary") {
			t.Errorf("user add does not say the password is temporary: %q", r.stdout)
		}
		mustOK(t, cmd(t, "boss-password-1\n", args(b, "user", "add", "boss", "--name", "老板", "--role", "business_dean", "--password-stdin", "--permanent")...))
		srv := serveOn(t, b)
		if code, must := signIn(t, srv, "alice", "first-password-1"); code != 200 || !must {
			t.Fatalf("alice: %d, must change %v", code, must)
		}
		if code, must := signIn(t, srv, "boss", "boss-password-1"); code != 200 || must {
			t.Fatalf("boss (--permanent): %d, must change %v", code, must)
		}
		token := lastWord(mustOK(t, cmd(t, "", args(b, "user", "token", "alice")...)).stdout)
		if code, body := get(t, srv, "/api/v1/me", token); code != 200 || !strings.Contains(body, `"must_change_password":true`) {
			t.Fatalf("me: %d %s", code, body)
		}
		if code, body := get(t, srv, "/api/v1/audit/verify", token); code != 403 || !strings.Contains(body, `"key":"auth.password_change_required"`) {
			t.Fatalf("verify with a temporary password: %d %s", code, body)
		}

		// passwd: temporary again, then permanent.
		mustOK(t, cmd(t, "boss-password-2\n", args(b, "user", "passwd", "boss", "--password-stdin")...))
		if code, must := signIn(t, srv, "boss", "boss-password-2"); code != 200 || !must {
			t.Fatalf("boss after passwd: %d, must change %v", code, must)
		}
		r = mustOK(t, cmd(t, "second-password-2\n", args(b, "user", "passwd", "alice", "--password-stdin", "--permanent")...))
		if strings.Contains(r.stdout, "temporary") {
			t.Errorf("passwd --permanent says temporary: %q", r.stdout)
		}
		if code, must := signIn(t, srv, "alice", "second-password-2"); code != 200 || must {
			t.Fatalf("alice after passwd --permanent: %d, must change %v", code, must)
		}
		token = lastWord(mustOK(t, cmd(t, "", args(b, "user", "token", "alice")...)).stdout)
		if code, body := get(t, srv, "/api/v1/audit/verify", token); code != 200 {
			t.Fatalf("verify with a permanent password: %d %s", code, body)
		}
	})
	for _, sub := range []string{"add", "passwd"} {
		r := cmd(t, "", "user", sub, "--help")
		if r.err != nil || !strings.Contains(r.stderr, "--permanent") || !strings.Contains(r.stderr, "temporary") {
			t.Errorf("user %s --help: %v %q", sub, r.err, r.stderr)
		}
	}
}
