package app_test

import (
	"context"
	"sync"
	"testing"

	"labflow/internal/app"
	"labflow/internal/demo"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// Ensure several servers can start together on one empty database (as
// behind a load balancer, DESIGN §5): four app.Open with the demo at once
// all succeed, the schema is migrated once, the demo institute exists
// exactly once, each definition version is recorded once, and the audit
// trail verifies. On PostgreSQL and on one SQLite data folder
// (COMPLIANCE, "Integrity before breadth" item 10).
func TestFaults_ServersStartTogether(t *testing.T) {
	t.Parallel()
	for _, d := range storetest.Backends() {
		t.Run(string(d), func(t *testing.T) {
			t.Parallel()
			cfg := app.Config{DataDir: t.TempDir(), Demo: true}
			if d == store.Postgres {
				cfg.DSN = storetest.NewPostgresDB(t)
			}
			const servers = 4
			apps := make([]*app.App, servers)
			errs := make([]error, servers)
			var wg sync.WaitGroup
			for i := range servers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					apps[i], errs[i] = app.Open(context.Background(), cfg)
				}()
			}
			wg.Wait()
			for i, a := range apps {
				if a != nil {
					t.Cleanup(func() { a.Close() })
				}
				if errs[i] != nil {
					t.Errorf("server %d: %v", i, errs[i])
				}
			}
			if t.Failed() {
				return
			}
			db := apps[0].DB
			count := func(q string) int {
				t.Helper()
				var n int
				if err := db.R().QueryRowContext(context.Background(), q).Scan(&n); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
				return n
			}
			if got, want := count("SELECT COUNT(*) FROM person"), len(demo.Logins()); got != want {
				t.Errorf("people: %d, want %d", got, want)
			}
			if got := count("SELECT COUNT(*) FROM department"); got != 7 {
				t.Errorf("departments: %d, want 7", got)
			}
			if got := count("SELECT COUNT(*) FROM (SELECT username FROM person GROUP BY username HAVING COUNT(*) > 1) x"); got != 0 {
				t.Errorf("%d usernames twice", got)
			}
			defs := count("SELECT COUNT(*) FROM flow_definition")
			if keys := count("SELECT COUNT(DISTINCT key) FROM flow_definition"); defs != keys || defs == 0 {
				t.Errorf("%d definition rows for %d keys: a version was recorded twice", defs, keys)
			}
			if got := count("SELECT COUNT(*) FROM audit_event WHERE action = 'flow.definition'"); got != defs {
				t.Errorf("%d definition audit events for %d definitions", got, defs)
			}
			if got, want := count("SELECT COUNT(*) FROM schema_migrations"), count("SELECT MAX(version) FROM schema_migrations"); got == 0 || got > want {
				t.Errorf("schema_migrations: %d rows, highest %d", got, want)
			}
			for i, a := range apps {
				if _, err := a.DB.VerifyAudit(context.Background(), ""); err != nil {
					t.Errorf("verify through server %d: %v", i, err)
				}
			}
		})
	}
}
