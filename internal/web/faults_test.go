package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"labflow/internal/app"
	"labflow/internal/i18n"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
	"labflow/internal/web"
)

// withDBTimeout bounds every database call of the app (app.Config.DBTimeout).
func withDBTimeout(d time.Duration) envOpt {
	return func(c *app.Config, _ *env) { c.DBTimeout = d }
}

// withFreeSpace replaces the file system's free-space report.
func withFreeSpace(free func(dir string) (uint64, error)) envOpt {
	return func(c *app.Config, _ *env) { c.FreeSpace = free }
}

// plenty reports a roomy disk, so that tests do not depend on the machine's.
func plenty(string) (uint64, error) { return 1 << 40, nil }

// wantReady checks /readyz: 200, or 503 with body.
func wantReady(t *testing.T, e *env, status int, body string) {
	t.Helper()
	r := e.do(t, nil, "GET", "/readyz", nil, nil)
	if r.status != status || !strings.Contains(r.body, body) {
		t.Errorf("readyz: %d %s, want %d %s", r.status, r.body, status, body)
	}
}

// leaked lists internal words a fault answer must not show.
var leaked = []string{"sql", "SQL", "sqlite", "pgx", "pgconn", "dial", "tcp", "127.0.0.1", "EOF", "deadline", "store.", "people.", "goroutine"}

// wantFault checks a 503 answer: Retry-After, and (for the API) a problem
// with key whose detail is the translated message in lang, with no
// internal text.
func wantFault(t *testing.T, r response, key, lang string) {
	t.Helper()
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("status %d, want 503; %.400s", r.status, r.body)
	}
	if ra := r.header.Get("Retry-After"); ra == "" {
		t.Errorf("503 without Retry-After")
	}
	text := r.body
	if strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
		p := r.problem(t)
		if p.Key != key || p.Status != 503 || p.RequestID == "" {
			t.Errorf("problem %+v, want key %s", p, key)
		}
		if want := i18n.T(lang, key, nil); p.Detail != want {
			t.Errorf("detail %q, want %q", p.Detail, want)
		}
		text = p.Detail + " " + p.Title + " " + p.Type
	} else {
		text = visibleText(r.body)
		if want := i18n.T(lang, key, nil); !strings.Contains(text, want) {
			t.Errorf("page lacks %q: %.400s", want, text)
		}
	}
	for _, l := range leaked {
		if strings.Contains(text, l) {
			t.Errorf("answer shows %q: %.400s", l, text)
		}
	}
}

// metricValue returns the value of one /metrics series ("" when absent).
func metricValue(t *testing.T, e *env, series string) string {
	t.Helper()
	r := e.do(t, nil, "GET", "/metrics", nil, nil)
	for _, line := range strings.Split(r.body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	return ""
}

// Ensure a SQLite database that cannot grow (the disk is full; here
// PRAGMA max_page_count on the one write connection) answers a write with
// 503, Retry-After and the translated storage-full reason, counted as
// "unavailable"; that reads still work; and that /readyz reports the
// storage full until a write succeeds again (COMPLIANCE, "Integrity before
// breadth" item 10).
func TestFaults_SQLiteStorageFull_503RetryAfter(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	e := newEnv(t, withFreeSpace(plenty), withLog(logs))
	e.token(t, "admin")
	// The limit cannot go below the file's size: 1 means "no growth".
	if err := e.app.DB.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec("PRAGMA max_page_count = 1")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var full response
	for i := 0; ; i++ {
		if i == 500 {
			t.Fatal("500 departments fitted into a database that cannot grow")
		}
		full = e.as(t, "admin", "POST", "/api/v1/departments", map[string]string{
			"code": fmt.Sprintf("full-%d", i), "name_zh": strings.Repeat("满", 60), "name_en": strings.Repeat("Full ", 19)})
		if full.status != http.StatusCreated {
			break
		}
	}
	wantFault(t, full, "error.storage_full", i18n.ZH)
	logged := false
	for _, l := range logLines(logs) {
		if l["msg"] == "database unavailable" && l["level"] == "WARN" && l["reason"] == "error.storage_full" &&
			l["request_id"] == full.problem(t).RequestID && l["request_id"] != "" {
			logged = true
		}
	}
	if !logged {
		t.Error("the storage-full answer was not logged at warn level with its request id")
	}
	if got := metricValue(t, e, `labflow_errors_total{kind="unavailable"}`); got == "" || got == "0" {
		t.Errorf("unavailable errors counted: %q", got)
	}
	if got := metricValue(t, e, `labflow_errors_total{kind="internal"}`); got != "" && got != "0" {
		t.Errorf("storage full counted as internal: %q", got)
	}
	// Reads go on; the load balancer is told.
	if r := e.as(t, "admin", "GET", "/api/v1/departments", nil); r.status != http.StatusOK {
		t.Errorf("read while full: %d %.300s", r.status, r.body)
	}
	wantReady(t, e, http.StatusServiceUnavailable, `{"status":"unavailable","storage":"full"}`)

	// Space is freed: the next write succeeds, and the server is ready.
	if err := e.app.DB.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec("PRAGMA max_page_count = 1000000")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if r := e.as(t, "admin", "POST", "/api/v1/departments", map[string]string{"code": "roomy", "name_zh": "空间", "name_en": "Room"}); r.status != http.StatusCreated {
		t.Fatalf("write after freeing space: %d %.300s", r.status, r.body)
	}
	wantReady(t, e, http.StatusOK, `"status":"ready"`)
}

// Ensure /readyz answers 503 {"status":"unavailable","storage":"full"}
// while the data folder (database file, attachments) has less free space
// than the threshold, and 200 again once it has enough.
func TestFaults_ReadyzLowDiskSpace(t *testing.T) {
	t.Parallel()
	var free atomic.Uint64
	free.Store(1 << 40)
	var asked sync.Map
	e := newEnv(t, withFreeSpace(func(dir string) (uint64, error) {
		asked.Store(dir, true)
		return free.Load(), nil
	}))
	wantReady(t, e, http.StatusOK, `"status":"ready"`)
	dataDir := e.app.Config.DataDir
	for _, dir := range []string{dataDir, filepath.Join(dataDir, "blobs")} {
		if _, ok := asked.Load(dir); !ok {
			t.Errorf("free space of %s not checked", dir)
		}
	}
	free.Store(web.DefaultMinFree - 1)
	wantReady(t, e, http.StatusServiceUnavailable, `{"status":"unavailable","storage":"full"}`)
	free.Store(web.DefaultMinFree)
	wantReady(t, e, http.StatusOK, `"status":"ready"`)
}

// Ensure that with PostgreSQL down (every connection closed, new ones
// refused) a read and a write through the API, and a page, answer 503 with
// Retry-After and the translated reason — not 500 — and that the server
// works again once the database is back.
func TestFaults_PostgresStopped_503RetryAfter(t *testing.T) {
	t.Parallel()
	base := storetest.NewPostgresDB(t)
	px := storetest.NewProxy(t, base)
	e := newEnv(t, withDSN(px.DSN(base)))
	tok := "Bearer " + e.token(t, "admin")
	c := e.login(t, "admin")
	px.Stop()

	read := e.do(t, nil, "GET", "/api/v1/people", nil, map[string]string{"Authorization": tok})
	wantFault(t, read, "error.unavailable", i18n.ZH)
	write := e.do(t, nil, "POST", "/api/v1/departments", map[string]string{"code": "qa", "name_zh": "质量部", "name_en": "QA"},
		map[string]string{"Authorization": tok, "Accept-Language": "en"})
	wantFault(t, write, "error.unavailable", i18n.EN)
	page := e.do(t, c, "GET", "/people", nil, nil)
	wantFault(t, page, "error.unavailable", i18n.ZH)
	if r := e.do(t, nil, "GET", "/readyz", nil, nil); r.status != http.StatusServiceUnavailable {
		t.Errorf("readyz with the database down: %d %s", r.status, r.body)
	}

	px.Start()
	waitOK(t, e, tok)
	if r := e.as(t, "admin", "POST", "/api/v1/departments", map[string]string{"code": "qa", "name_zh": "质量部", "name_en": "QA"}); r.status != http.StatusCreated {
		t.Errorf("write after the database came back: %d %.300s", r.status, r.body)
	}
}

// Ensure that with PostgreSQL frozen (connections open, nothing answered)
// an API read and an API write each answer 503 within a few seconds
// instead of hanging, and that the server works again after it thaws.
func TestFaults_PostgresFrozen_503WithinDeadline(t *testing.T) {
	t.Parallel()
	base := storetest.NewPostgresDB(t)
	px := storetest.NewProxy(t, base)
	e := newEnv(t, withDSN(px.DSN(base)), withDBTimeout(time.Second))
	t.Cleanup(px.Unfreeze) // before the server closes, should a request hang
	tok := "Bearer " + e.token(t, "admin")
	px.Freeze()

	for _, tc := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/api/v1/people", nil},
		{"POST", "/api/v1/departments", map[string]string{"code": "qa", "name_zh": "质量部", "name_en": "QA"}},
	} {
		start := time.Now()
		r := doWithin(t, e, 8*time.Second, tc.method, tc.path, tc.body, tok)
		wantFault(t, r, "error.unavailable", i18n.ZH)
		if d := time.Since(start); d > 6*time.Second {
			t.Errorf("%s %s took %s with a 1 s database timeout", tc.method, tc.path, d)
		}
	}

	px.Unfreeze()
	waitOK(t, e, tok)
	if r := e.as(t, "admin", "POST", "/api/v1/departments", map[string]string{"code": "qa", "name_zh": "质量部", "name_en": "QA"}); r.status != http.StatusCreated {
		t.Errorf("write after the thaw: %d %.300s", r.status, r.body)
	}
}

// doWithin sends a request that must be answered within limit; a hang
// fails the test instead of blocking it.
func doWithin(t *testing.T, e *env, limit time.Duration, method, path string, body any, auth string) response {
	t.Helper()
	got := make(chan response, 1)
	go func() {
		got <- e.doErr(method, path, body, map[string]string{"Authorization": auth})
	}()
	select {
	case r := <-got:
		if r.status == 0 {
			t.Fatalf("%s %s: %s", method, path, r.body)
		}
		return r
	case <-time.After(limit):
		t.Fatalf("%s %s: no answer within %s", method, path, limit)
		return response{}
	}
}

// waitOK polls the people list until it answers 200 (the database is back).
func waitOK(t *testing.T, e *env, auth string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		r := e.do(t, nil, "GET", "/api/v1/people", nil, map[string]string{"Authorization": auth})
		if r.status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not recover: %d %.300s", r.status, r.body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// doErr is e.do for another goroutine: a failure comes back as status 0
// with the error in body.
func (e *env) doErr(method, path string, body any, headers map[string]string) response {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return response{body: err.Error()}
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		return response{body: err.Error()}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{body: err.Error()}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}
