package web_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"labflow/internal/app"
)

// syncBuffer is a log destination that tests may read while the server writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// withLog sends the app's JSON log to w.
func withLog(w *syncBuffer) envOpt {
	return func(c *app.Config, _ *env) { c.Log = slog.New(slog.NewJSONHandler(w, nil)) }
}

// accessLines returns the access-log lines ("msg":"request") for path.
func accessLines(t *testing.T, log, path string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["msg"] == "request" && m["path"] == path {
			out = append(out, m)
		}
	}
	return out
}

// Ensure the access log names who made each request (R1: who): the user
// of an API token and of a session, the person a sign-in signed in, and
// nobody for an anonymous request or a failed sign-in.
// The line is written before the response is complete, so it is there when
// the client has read the answer.
func TestR1_AccessLogNamesTheUser(t *testing.T) {
	var log syncBuffer
	e := newEnv(t, withLog(&log))
	if r := e.as(t, "zhangwei", "GET", "/api/v1/me", nil); r.status != 200 {
		t.Fatalf("me: %d", r.status)
	}
	c := e.login(t, "chenzhiqiang")
	if r := e.do(t, c, "GET", "/api/v1/inbox/counts", nil, nil); r.status != 200 {
		t.Fatalf("counts: %d", r.status)
	}
	if r := e.do(t, nil, "GET", "/healthz", nil, nil); r.status != 200 {
		t.Fatalf("healthz: %d", r.status)
	}
	if r := e.do(t, nil, "POST", "/login", "username=lihua&password=wrong-password", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}); r.status != 401 {
		t.Fatalf("failed sign-in: %d", r.status)
	}
	for path, user := range map[string]string{"/api/v1/me": "zhangwei", "/api/v1/inbox/counts": "chenzhiqiang", "/healthz": "", "/login": ""} {
		lines := accessLines(t, log.String(), path)
		if len(lines) != 1 {
			t.Fatalf("%s: %d access-log lines in\n%s", path, len(lines), log.String())
		}
		if got := lines[0]["user"]; got != user {
			t.Errorf("%s: user %q, want %q", path, got, user)
		}
	}
	if lines := accessLines(t, log.String(), "/api/v1/me"); lines[0]["route"] != "GET /api/v1/me" {
		t.Errorf("route = %v", lines[0]["route"])
	}
	signIns := map[any]bool{}
	for _, l := range accessLines(t, log.String(), "/api/v1/session") {
		signIns[l["user"]] = true
	}
	if !signIns["zhangwei"] || !signIns["chenzhiqiang"] || signIns[""] {
		t.Errorf("sign-in lines name %v", signIns)
	}
}

// Ensure /favicon.ico answers the icon, not a 404 (issue 9 item 8).
func TestIssue9_FaviconIsServed(t *testing.T) {
	e := newEnv(t)
	r := e.do(t, nil, "GET", "/favicon.ico", nil, nil)
	if r.status != 200 || len(r.body) < 4 || r.body[:4] != "\x00\x00\x01\x00" {
		t.Fatalf("favicon: %d %q", r.status, r.body[:min(len(r.body), 8)])
	}
}
