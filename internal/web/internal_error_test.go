package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// Ensure an internal failure (the database gone) answers 500 with the
// generic message and no internal text, and /readyz reports 503.
func TestErrors_NoInternalTextLeaks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := map[string]string{"Authorization": "Bearer " + e.token(t, "admin")}
	c := e.login(t, "admin")
	if err := e.app.DB.Close(); err != nil {
		t.Fatal(err)
	}
	leaks := []string{"sql", "SQL", "database is closed", "closed", "sqlite", "store.", "auth.", "goroutine"}
	for _, tc := range []struct {
		name    string
		c       *http.Client
		path    string
		headers map[string]string
	}{
		{"API with token", nil, "/api/v1/people", tok},
		{"API with session", c, "/api/v1/people", nil},
		{"UI with session", c, "/people", nil},
		{"login", nil, "/api/v1/session", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method, body := "GET", any(nil)
			if tc.name == "login" {
				method, body = "POST", map[string]string{"username": "admin", "password": "labflow-demo"}
			}
			r := e.do(t, tc.c, method, tc.path, body, tc.headers)
			if r.status != http.StatusInternalServerError {
				t.Fatalf("status %d, want 500; %.300s", r.status, r.body)
			}
			text := r.body
			if strings.HasPrefix(tc.path, "/api/") {
				p := r.problem(t)
				if p.Key != "error.internal" || p.RequestID == "" {
					t.Errorf("problem %+v", p)
				}
				text = p.Detail + " " + p.Title + " " + p.Type
			} else {
				text = visibleText(r.body)
			}
			for _, l := range leaks {
				if strings.Contains(text, l) {
					t.Errorf("answer contains %q: %.400s", l, text)
				}
			}
		})
	}
	r := e.do(t, nil, "GET", "/readyz", nil, nil)
	if r.status != http.StatusServiceUnavailable || strings.Contains(r.body, "closed") {
		t.Errorf("readyz: %d %s", r.status, r.body)
	}
	if r := e.do(t, nil, "GET", "/healthz", nil, nil); r.status != 200 {
		t.Errorf("healthz (liveness) with the database down: %d", r.status)
	}
}
