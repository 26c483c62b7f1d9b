package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"labflow/internal/app"
	"labflow/internal/auth"
	"labflow/internal/demo"
	"labflow/internal/store/storetest"
	"labflow/internal/web"
)

func TestMain(m *testing.M) {
	// Demo seeding and every login hash with argon2id; a small memory cost
	// keeps the suite fast. The hash records its parameters, so logins
	// check against what was seeded.
	auth.Params.Memory = 1024
	auth.Params.Threads = 1
	os.Exit(m.Run())
}

// env is one running LabFlow (demo institute) behind an httptest server.
type env struct {
	app *app.App
	srv *httptest.Server
	clk *storetest.Clock // nil unless asked for

	mu     sync.Mutex
	tokens map[string]string // username -> API token
}

type envOpt func(*app.Config, *env)

// withClock gives the app a fake clock that tests move forward.
func withClock() envOpt {
	return func(c *app.Config, e *env) {
		// Start at the real time: cookie expiry dates are judged by the
		// client's (real) clock.
		e.clk = storetest.NewClock(time.Now().UTC().Truncate(time.Second))
		c.Now = e.clk.Now
	}
}

// withDSN runs the app on PostgreSQL.
func withDSN(dsn string) envOpt { return func(c *app.Config, _ *env) { c.DSN = dsn } }

// newEnv opens a fresh demo app on SQLite (unless withDSN) and serves it.
func newEnv(t testing.TB, opts ...envOpt) *env {
	t.Helper()
	cfg := app.Config{DataDir: t.TempDir(), Demo: true, Version: "test"}
	e := &env{tokens: map[string]string{}}
	for _, o := range opts {
		o(&cfg, e)
	}
	a, err := app.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("app.Open: %v", err)
	}
	e.app = a
	e.srv = httptest.NewServer(a.Server)
	t.Cleanup(func() { e.srv.Close(); a.Close() })
	return e
}

// client returns an HTTP client with a cookie jar that does not follow redirects.
func (e *env) client(t testing.TB) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// login signs username in through the API and returns a client holding the session cookie.
func (e *env) login(t testing.TB, username string) *http.Client {
	t.Helper()
	c := e.client(t)
	resp := e.do(t, c, "POST", "/api/v1/session", map[string]string{"username": username, "password": demo.Password}, nil)
	if resp.status != http.StatusOK {
		t.Fatalf("login %s: %d %s", username, resp.status, resp.body)
	}
	return c
}

// token returns an API token for username (created once per env).
func (e *env) token(t testing.TB, username string) string {
	t.Helper()
	e.mu.Lock()
	tok, ok := e.tokens[username]
	e.mu.Unlock()
	if ok {
		return tok
	}
	c := e.login(t, username)
	resp := e.do(t, c, "POST", "/api/v1/me/tokens", map[string]string{"name": "test"}, nil)
	if resp.status != http.StatusCreated {
		t.Fatalf("token for %s: %d %s", username, resp.status, resp.body)
	}
	var out struct{ Token string }
	resp.json(t, &out)
	e.mu.Lock()
	e.tokens[username] = out.Token
	e.mu.Unlock()
	return out.Token
}

// response is a read response.
type response struct {
	status int
	header http.Header
	body   string
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
}

// problem decodes a problem+json body.
func (r response) problem(t testing.TB) web.Problem {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("content type %q, want problem+json; body %s", ct, r.body)
	}
	var p web.Problem
	r.json(t, &p)
	return p
}

// do sends a request. body may be nil, a string or []byte (sent as is) or
// anything else (sent as JSON).
func (e *env) do(t testing.TB, c *http.Client, method, path string, body any, headers map[string]string) response {
	t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd, ct = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if c == nil {
		c = e.client(t)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// as sends a request with username's API token ("" for anonymous).
func (e *env) as(t testing.TB, username, method, path string, body any) response {
	t.Helper()
	h := map[string]string{}
	if username != "" {
		h["Authorization"] = "Bearer " + e.token(t, username)
	}
	return e.do(t, nil, method, path, body, h)
}

// auditCount is the number of audit events.
func (e *env) auditCount(t testing.TB) int64 {
	t.Helper()
	h, err := e.app.DB.AuditHead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return h.Count
}

// personID returns the id of username.
func (e *env) personID(t testing.TB, username string) int64 {
	t.Helper()
	p, err := e.app.People.PersonByUsername(context.Background(), username)
	if err != nil {
		t.Fatalf("person %s: %v", username, err)
	}
	return p.ID
}

// multipartBody builds a multipart body with one "file" part.
func multipartBody(t testing.TB, filename string, content []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

// scenario is one API request and what must come back (PocketBase's
// ApiScenario, STYLE.md §4.3).
type scenario struct {
	name    string
	method  string
	path    string
	body    any // nil, string/[]byte (raw, with headers), or a value sent as JSON
	headers map[string]string
	as      string // username whose API token is used; "" = anonymous

	wantStatus      int
	wantContains    []string
	wantNotContains []string
	// wantField maps a field name to the message key the problem's
	// errors[] must carry for it ("" = any key).
	wantField map[string]string
	wantKey   string // the problem's key
	after     func(t *testing.T, e *env, r response)
}

// run runs the scenarios against e, each as a subtest.
func runScenarios(t *testing.T, e *env, scs []scenario) {
	t.Helper()
	for _, sc := range scs {
		t.Run(sc.name, func(t *testing.T) {
			sc.run(t, e)
		})
	}
}

func (sc scenario) run(t *testing.T, e *env) response {
	t.Helper()
	h := map[string]string{}
	for k, v := range sc.headers {
		h[k] = v
	}
	if sc.as != "" {
		h["Authorization"] = "Bearer " + e.token(t, sc.as)
	}
	method := sc.method
	if method == "" {
		method = "GET"
	}
	r := e.do(t, nil, method, sc.path, sc.body, h)
	if sc.wantStatus != 0 && r.status != sc.wantStatus {
		t.Fatalf("%s %s: status %d, want %d; body %.600s", method, sc.path, r.status, sc.wantStatus, r.body)
	}
	for _, s := range sc.wantContains {
		if !strings.Contains(r.body, s) {
			t.Errorf("body lacks %q: %.600s", s, r.body)
		}
	}
	for _, s := range sc.wantNotContains {
		if strings.Contains(r.body, s) {
			t.Errorf("body contains %q: %.600s", s, r.body)
		}
	}
	if sc.wantKey != "" || len(sc.wantField) > 0 {
		p := r.problem(t)
		if sc.wantKey != "" && p.Key != sc.wantKey {
			t.Errorf("problem key %q, want %q (%+v)", p.Key, sc.wantKey, p)
		}
		for f, k := range sc.wantField {
			if !hasField(p, f, k) {
				t.Errorf("problem lacks field %q key %q: %+v", f, k, p.Errors)
			}
		}
	}
	if sc.after != nil {
		sc.after(t, e, r)
	}
	return r
}

func hasField(p web.Problem, field, key string) bool {
	for _, fp := range p.Errors {
		if fp.Field == field && (key == "" || fp.Key == key) && fp.Message != "" {
			return true
		}
	}
	return false
}

func jsonBody(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

var jsonCT = map[string]string{"Content-Type": "application/json"}

func idPath(format string, id int64) string { return fmt.Sprintf(format, id) }
