package web

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Ensure the recover middleware turns a handler panic into a 500 with the
// generic message and the request id, logs the panic, and never shows the
// panic text to the client (API and UI).
func TestRecoverer_PanicBecomesGeneric500(t *testing.T) {
	var logBuf bytes.Buffer
	// Only the middleware and the error writer are under test: a server
	// with no services behind it.
	pages, err := loadPages(time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Deps: Deps{Version: "test"}, log: slog.New(slog.NewJSONHandler(&logBuf, nil)), metrics: newMetrics(nil), pages: pages}
	const secret = "SELECT password_hash FROM credential -- boom"
	h := s.logRequests(s.recoverer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic(secret)
	})))
	for _, path := range []string{"/api/v1/people", "/people"} {
		t.Run(path, func(t *testing.T) {
			logBuf.Reset()
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", path, nil)
			req.Header.Set("Accept-Language", "en")
			h.ServeHTTP(rec, req)
			body := rec.Body.String()
			if rec.Code != http.StatusInternalServerError {
				t.Fatalf("status %d", rec.Code)
			}
			for _, leak := range []string{secret, "password_hash", "panic", "goroutine", ".go:"} {
				if strings.Contains(body, leak) {
					t.Errorf("response leaks %q: %s", leak, body)
				}
			}
			if !strings.Contains(logBuf.String(), "password_hash") || !strings.Contains(logBuf.String(), "internal error") {
				t.Errorf("panic not logged: %s", logBuf.String())
			}
			id := rec.Header().Get("X-Request-Id")
			if id == "" || !strings.Contains(body, id) {
				t.Errorf("request id %q not in the answer", id)
			}
			if strings.HasPrefix(path, "/api/") {
				var p Problem
				if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
					t.Fatalf("not a problem: %s", body)
				}
				if p.Status != 500 || p.Key != "error.internal" || p.Detail == "" || len(p.Errors) != 0 {
					t.Errorf("problem %+v", p)
				}
			} else if !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/html") {
				t.Errorf("UI error is %q", rec.Header().Get("Content-Type"))
			}
		})
	}
	// http.ErrAbortHandler is passed on (the server aborts the response quietly).
	abort := s.recoverer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	func() {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("recovered %v, want ErrAbortHandler re-panicked", p)
			}
		}()
		abort.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
	}()
}
