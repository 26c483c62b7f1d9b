package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"labflow/internal/app"
	"labflow/internal/auth"
	"labflow/internal/store/storetest"
)

func TestMain(m *testing.M) {
	// user add and passwd hash with argon2id; a small cost keeps tests fast.
	auth.Params.Memory = 1024
	auth.Params.Threads = 1
	os.Exit(m.Run())
}

// backend is where a CLI test keeps its data: --data DIR (SQLite) or --db DSN.
type backend struct {
	name   string
	flags  []string // --data DIR or --db DSN
	cfg    app.Config
	driver string
	dsn    string
}

// backends returns SQLite and, when TEST_DATABASE_URL is set, PostgreSQL.
func backends(t *testing.T) []func(t *testing.T) backend {
	return []func(t *testing.T) backend{
		func(t *testing.T) backend {
			dir := t.TempDir()
			return backend{name: "sqlite", flags: []string{"--data", dir}, cfg: app.Config{DataDir: dir},
				driver: "sqlite", dsn: "file:" + filepath.Join(dir, "labflow.db")}
		},
		func(t *testing.T) backend {
			dsn := storetest.NewPostgresDB(t)
			return backend{name: "postgres", flags: []string{"--db", dsn}, cfg: app.Config{DataDir: t.TempDir(), DSN: dsn},
				driver: "pgx", dsn: dsn}
		},
	}
}

func eachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	for i, name := range []string{"sqlite", "postgres"} {
		mk := backends(t)[i]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			f(t, mk(t))
		})
	}
}

// exec runs raw SQL behind the store's back (someone with database access).
func (b backend) exec(t *testing.T, queries ...string) {
	t.Helper()
	db, err := sql.Open(b.driver, b.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range queries {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("exec %q: %v", q, err)
		}
	}
}

type result struct {
	err            error
	stdout, stderr string
}

func (r result) code() int {
	if r.err == nil {
		return 0
	}
	return exitCode(r.err)
}

// cmd runs the CLI with args (after "labflow"), an empty environment and stdin.
func cmd(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), append([]string{"labflow"}, args...), func(string) string { return "" }, strings.NewReader(stdin), &out, &errb)
	return result{err, out.String(), errb.String()}
}

func mustOK(t *testing.T, r result) result {
	t.Helper()
	if r.err != nil {
		t.Fatalf("exit %d: %v\nstdout: %s\nstderr: %s", r.code(), r.err, r.stdout, r.stderr)
	}
	return r
}

func args(b backend, a ...string) []string { return append(a, b.flags...) }

// serveOn starts a server on the backend's data (as "serve" would).
func serveOn(t *testing.T, b backend) *httptest.Server {
	t.Helper()
	a, err := app.Open(context.Background(), b.cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Server)
	t.Cleanup(func() { srv.Close(); a.Close() })
	return srv
}

func get(t *testing.T, srv *httptest.Server, path, bearer string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func login(t *testing.T, srv *httptest.Server, username, password string) int {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	resp, err := http.Post(srv.URL+"/api/v1/session", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// Ensure migrate, user add/list/token/passwd work end to end, and that
// the printed token and the new password work against a server on the
// same data.
func TestCLI_UserLifecycle(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		r := mustOK(t, cmd(t, "", args(b, "migrate")...))
		if !strings.HasPrefix(r.stdout, "schema at version ") || !strings.Contains(r.stdout, b.name) {
			t.Errorf("migrate: %q", r.stdout)
		}
		mustOK(t, cmd(t, "", args(b, "migrate")...)) // idempotent

		r = mustOK(t, cmd(t, "first-password-1\n", args(b, "user", "add", "alice", "--name", "爱丽丝", "--role", "gm", "--password-stdin")...))
		if !strings.HasPrefix(r.stdout, "created alice (id ") || strings.Contains(r.stdout, "first-password-1") {
			t.Errorf("user add: %q", r.stdout)
		}
		// Without --password-stdin a password is generated and printed once.
		r = mustOK(t, cmd(t, "", "user", "add", "bob", "--name", "鲍勃", b.flags[0], b.flags[1]))
		if !strings.Contains(r.stdout, "password: ") {
			t.Errorf("generated password not printed: %q", r.stdout)
		}
		// Bad input is refused with the field named, and exits non-zero.
		for _, bad := range []struct {
			args []string
			want string
		}{
			{[]string{"user", "add", "alice", "--name", "又一个"}, "username"},
			{[]string{"user", "add", "carol"}, "name"},
			{[]string{"user", "add", "Bad Name!", "--name", "x"}, "username"},
			{[]string{"user", "add", "dave", "--name", "x", "--role", "sysadmin", "--role", "gm"}, "administrator"},
			{[]string{"user", "add", "erin", "--name", "x", "--department", "nowhere"}, "nowhere"},
			{[]string{"user", "passwd", "nobody"}, "not"},
		} {
			r := cmd(t, "", args(b, bad.args...)...)
			if r.err == nil || !strings.Contains(strings.ToLower(r.err.Error()), bad.want) {
				t.Errorf("%v: err %v, want it to mention %q", bad.args, r.err, bad.want)
			}
		}

		r = mustOK(t, cmd(t, "", args(b, "user", "list")...))
		var users []string
		for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			users = append(users, strings.Fields(line)[0])
			if strings.HasPrefix(line, "alice") && (!strings.Contains(line, "爱丽丝") || !strings.Contains(line, "gm") || !strings.Contains(line, "active")) {
				t.Errorf("alice's line: %q", line)
			}
		}
		if strings.Join(users, ",") != "alice,bob" && strings.Join(users, ",") != "bob,alice" {
			t.Errorf("user list: %q", r.stdout)
		}

		r = mustOK(t, cmd(t, "", args(b, "user", "token", "alice", "--name", "ci")...))
		words := strings.Fields(r.stdout)
		token := words[len(words)-1]
		srv := serveOn(t, b)
		if code, body := get(t, srv, "/api/v1/me", token); code != 200 || !strings.Contains(body, `"username":"alice"`) {
			t.Errorf("token from the CLI: %d %s", code, body)
		}
		if code, _ := get(t, srv, "/api/v1/me", token+"x"); code != 401 {
			t.Errorf("altered token: %d", code)
		}
		if code := login(t, srv, "alice", "first-password-1"); code != 200 {
			t.Errorf("login with the added password: %d", code)
		}
		mustOK(t, cmd(t, "second-password-2\n", args(b, "user", "passwd", "alice", "--password-stdin", "--permanent")...))
		if code, _ := get(t, srv, "/api/v1/me", token); code != 401 {
			t.Errorf("token made before passwd: %d", code)
		}
		if code := login(t, srv, "alice", "first-password-1"); code != 401 {
			t.Errorf("old password after passwd: %d", code)
		}
		if code := login(t, srv, "alice", "second-password-2"); code != 200 {
			t.Errorf("new password after passwd: %d", code)
		}
		// A password too short is refused.
		if r := cmd(t, "short\n", args(b, "user", "passwd", "alice", "--password-stdin")...); r.err == nil || !strings.Contains(r.err.Error(), "password") {
			t.Errorf("short password: %v", r.err)
		}
		// The CLI's changes are audited under the operating-system user.
		r = mustOK(t, cmd(t, "", args(b, "user", "token", "alice", "--name", "ci2")...))
		words = strings.Fields(r.stdout)
		token = words[len(words)-1]
		code, body := get(t, srv, "/api/v1/audit/verify", token)
		if code != 200 || !strings.Contains(body, `"ok":true`) {
			t.Errorf("verify via API after CLI changes: %d %s", code, body)
		}
	})
}

// headOf returns the "head COUNT:HASH" of verify's output.
func headOf(t *testing.T, out string) string {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if h, ok := strings.CutPrefix(line, "head "); ok {
			return strings.TrimSpace(h)
		}
	}
	t.Fatalf("no head in %q", out)
	return ""
}

// Ensure verify passes an intact chain and prints its head, catches an
// altered event (naming it) after someone drops the append-only trigger,
// and with --expect-head catches events removed from the end.
func TestR2_CLIVerify(t *testing.T) {
	t.Parallel()
	eachBackend(t, func(t *testing.T, b backend) {
		mustOK(t, cmd(t, "", args(b, "migrate")...))
		for _, u := range []string{"anna", "bert", "cora"} {
			mustOK(t, cmd(t, "a-good-password\n", args(b, "user", "add", u, "--name", u, "--password-stdin")...))
		}
		r := mustOK(t, cmd(t, "", args(b, "verify")...))
		if !strings.HasPrefix(r.stdout, "OK: ") {
			t.Errorf("verify: %q", r.stdout)
		}
		head := headOf(t, r.stdout)
		count, hash, _ := strings.Cut(head, ":")
		if count == "0" || len(hash) != 64 {
			t.Fatalf("head %q", head)
		}
		// The recorded head verifies, in both printed forms.
		mustOK(t, cmd(t, "", args(b, "verify", "--expect-head", head)...))
		mustOK(t, cmd(t, "", args(b, "verify", "--expect-head", hash)...))

		// Delete the last event and fix audit_head: the chain alone looks
		// intact, but the recorded head is gone, and the record the event
		// sealed (the person just created) is no longer in the trail.
		dropDelete := "DROP TRIGGER audit_event_no_delete"
		dropUpdate := "DROP TRIGGER audit_event_no_update"
		if b.name == "postgres" {
			dropDelete = "DROP TRIGGER audit_event_no_update ON audit_event"
			dropUpdate = "SELECT 1"
		}
		b.exec(t, dropDelete,
			"DELETE FROM audit_event WHERE seq = "+count,
			"UPDATE audit_head SET seq = seq - 1, hash = (SELECT hash FROM audit_event WHERE seq = "+count+" - 1) WHERE id = 1")
		r = cmd(t, "", args(b, "verify")...)
		if r.code() != 1 || !strings.Contains(r.stdout, "not in the trail") {
			t.Errorf("verify after truncation without --expect-head: exit %d %q", r.code(), r.stdout)
		}
		r = cmd(t, "", args(b, "verify", "--expect-head", head)...)
		if r.code() == 0 || !strings.Contains(r.stdout, "FAILED") {
			t.Errorf("verify --expect-head after truncation: exit %d %q", r.code(), r.stdout)
		}

		// Alter an event in the middle: verify names it.
		b.exec(t, dropUpdate, "UPDATE audit_event SET reason = 'nothing to see' WHERE seq = 2")
		r = cmd(t, "", args(b, "verify")...)
		if r.code() != 1 || !strings.Contains(r.stdout, "FAILED: event 2") {
			t.Errorf("verify after altering event 2: exit %d %q", r.code(), r.stdout)
		}
		if !errors.Is(r.err, errSilent) {
			t.Errorf("verify failure printed twice: %v", r.err)
		}
	})
}

// Ensure every command answers --help with exit 0, and unknown commands,
// subcommands and flags with exit 2.
func TestCLI_HelpAndUsage(t *testing.T) {
	// Run where a stray default ./data would show (not parallel: t.Chdir).
	wd := t.TempDir()
	t.Chdir(wd)
	defer func() {
		if _, err := os.Stat(filepath.Join(wd, "data")); err == nil {
			t.Errorf("a refused or help command created ./data")
		}
	}()
	for _, a := range [][]string{
		{"--help"}, {"help"}, {"serve", "--help"}, {"migrate", "--help"}, {"verify", "--help"}, {"user", "--help"},
		{"user", "add", "--help"}, {"user", "passwd", "--help"}, {"user", "list", "--help"}, {"user", "token", "--help"},
		{"version"},
	} {
		r := cmd(t, "", a...)
		if r.err != nil {
			t.Errorf("%v: exit %d %v", a, r.code(), r.err)
		}
		if r.stdout+r.stderr == "" {
			t.Errorf("%v printed nothing", a)
		}
	}
	for _, a := range [][]string{{}, {"frobnicate"}, {"user"}, {"user", "frob", "x"}, {"migrate", "--no-such-flag"}, {"user", "add"},
		{"verify", "extra", "--data", "/nonexistent"}, {"migrate", "extra"}, {"serve", "extra"}} {
		r := cmd(t, "", a...)
		if r.code() != 2 {
			t.Errorf("%v: exit %d, want 2 (%v)", a, r.code(), r.err)
		}
	}
	if r := cmd(t, "", "frobnicate"); !strings.Contains(r.stderr, `unknown command "frobnicate"`) || !strings.Contains(r.stderr, "Usage") {
		t.Errorf("unknown command message: %q", r.stderr)
	}
	if r := cmd(t, "", "version"); !strings.HasPrefix(r.stdout, "labflow ") {
		t.Errorf("version: %q", r.stdout)
	}
}

// Ensure verify reads a database made before records were sealed as it is
// (read-only, not migrated): the chain holds, and it says the records
// predate sealing rather than calling them tampered (COMPLIANCE R2).
func TestR2_CLIVerifyDatabaseMadeBeforeSealing(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile("../../internal/app/testdata/labflow-before-sealing.db")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "labflow.db"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	r := cmd(t, "", "verify", "--data", dir)
	if r.err != nil || !strings.Contains(r.stdout, "OK: 54 events, chain intact") || !strings.Contains(r.stdout, "records not checked") {
		t.Fatalf("verify: %v %s", r.err, r.stdout)
	}
	after, _ := os.ReadFile(filepath.Join(dir, "labflow.db"))
	if string(after) != string(src) {
		t.Fatal("verify changed the database")
	}
}
