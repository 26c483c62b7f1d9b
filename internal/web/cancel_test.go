package web_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// logLines returns the JSON log lines written to b so far, decoded.
func logLines(b *syncBuffer) []map[string]any {
	var out []map[string]any
	for _, l := range strings.Split(b.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// Ensure a request whose client goes away while the database holds it is
// logged as cancelled (status 499, not at error level) and counted as
// "cancelled", never as an internal error (500): on SQLite the write
// waits for a lock another connection holds, on PostgreSQL the database is
// frozen (COMPLIANCE, "Integrity before breadth" item 8).
func TestFaults_ClientCancels_Logged499NotInternal(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Backends() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			logs := &syncBuffer{}
			opts := []envOpt{withLog(logs), withFreeSpace(plenty)}
			var hold func(e *env) (release func())
			if d == store.Postgres {
				base := storetest.NewPostgresDB(t)
				px := storetest.NewProxy(t, base)
				opts = append(opts, withDSN(px.DSN(base)))
				hold = func(*env) func() { px.Freeze(); return px.Unfreeze }
			} else {
				hold = func(e *env) func() {
					raw, err := sql.Open("sqlite", "file:"+e.app.DB.Path())
					if err != nil {
						t.Fatal(err)
					}
					conn, err := raw.Conn(context.Background())
					if err != nil {
						t.Fatal(err)
					}
					if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
						t.Fatal(err)
					}
					return func() {
						conn.ExecContext(context.Background(), "ROLLBACK")
						conn.Close()
						raw.Close()
					}
				}
			}
			e := newEnv(t, opts...)
			tok := e.token(t, "admin")
			e.as(t, "admin", "GET", "/api/v1/me", nil) // the token's first use is recorded now, not below
			release := sync.OnceFunc(hold(e))
			t.Cleanup(release) // before the server closes, should a request hang

			// A write on SQLite (it waits for the lock), a read on PostgreSQL
			// (it waits for the frozen server while authenticating). The
			// server notices a client that left only once it has read the
			// request's body: the write's body is read before the write.
			method, path, body := "POST", "/api/v1/departments", `{"code":"gone","name_zh":"离开","name_en":"Gone"}`
			if d == store.Postgres {
				method, path, body = "GET", "/api/v1/people", ""
			}
			ctx, cancel := context.WithCancel(context.Background())
			req, _ := http.NewRequestWithContext(ctx, method, e.srv.URL+path, strings.NewReader(body))
			if body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			req.Header.Set("Authorization", "Bearer "+tok)
			done := make(chan error, 1)
			go func() {
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					resp.Body.Close()
				}
				done <- err
			}()
			// Let the request reach the database and wait there (should the
			// client leave sooner, the server sees it leave all the same).
			time.Sleep(300 * time.Millisecond)
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("client: %v, want its cancellation", err)
			}
			// The server answers the request while the database still
			// holds it: the store gives up a write whose caller left.
			defer release()
			var line map[string]any
			deadline := time.Now().Add(15 * time.Second)
			for line == nil && time.Now().Before(deadline) {
				for _, l := range logLines(logs) {
					if l["msg"] == "request" && l["path"] == path {
						line = l
					}
				}
				time.Sleep(50 * time.Millisecond)
			}
			if line == nil {
				t.Fatal("the cancelled request was never logged")
			}
			if line["status"] != float64(499) {
				t.Errorf("access log status %v, want 499", line["status"])
			}
			for _, l := range logLines(logs) {
				if l["level"] == "ERROR" {
					t.Errorf("logged at error level: %v", l)
				}
			}
			if got := metricValue(t, e, `labflow_errors_total{kind="cancelled"}`); got == "" || got == "0" {
				t.Errorf("cancelled requests counted: %q", got)
			}
			if got := metricValue(t, e, `labflow_errors_total{kind="internal"}`); got != "" {
				t.Errorf("a cancelled request counted as internal: %s", got)
			}
			m := e.do(t, nil, "GET", "/metrics", nil, nil)
			if !strings.Contains(m.body, `labflow_http_requests_total{method="`+method+`",`) || !strings.Contains(m.body, `status="499"} 1`) {
				t.Errorf("no request counted with status 499")
			}
			// Nothing was created for the client that left.
			release()
			if r := e.as(t, "admin", "GET", "/api/v1/departments", nil); strings.Contains(r.body, `"gone"`) {
				t.Errorf("the cancelled write was committed: %.300s", r.body)
			}
		})
	}
}
