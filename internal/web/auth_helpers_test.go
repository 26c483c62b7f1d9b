package web_test

import (
	"context"
	"fmt"
	"testing"

	"labflow/internal/audit"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// onBothBackends runs f on a fresh demo app on SQLite and, when
// TEST_DATABASE_URL is set, on PostgreSQL.
func onBothBackends(t *testing.T, f func(t *testing.T, e *env), opts ...envOpt) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { f(t, newEnv(t, opts...)) })
	t.Run("postgres", func(t *testing.T) {
		f(t, newEnv(t, append([]envOpt{withDSN(storetest.NewPostgresDB(t))}, opts...)...))
	})
}

var formCT = map[string]string{"Content-Type": "application/x-www-form-urlencoded"}

// lastEvent returns the newest audit event with action about person id.
func (e *env) lastEvent(t *testing.T, action string, id int64) audit.Event {
	t.Helper()
	evs, err := e.app.DB.FindAudit(context.Background(), store.AuditFilter{Entity: "person", EntityID: fmt.Sprint(id), Action: action, Desc: true, Limit: 1})
	if err != nil || len(evs) != 1 {
		t.Fatalf("no %s event for person %d: %v", action, id, err)
	}
	return evs[0]
}

func changeOf(t *testing.T, ev audit.Event, field string) (audit.Change, bool) {
	t.Helper()
	cs, err := ev.DecodeChanges()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		if c.Field == field {
			return c, true
		}
	}
	return audit.Change{}, false
}

// wantProblem checks a problem+json answer's status and key.
func wantProblem(t *testing.T, what string, r response, status int, key string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d; %s", what, r.status, status, r.body)
	}
	if p := r.problem(t); p.Key != key || p.Detail == "" || p.Detail == key {
		t.Fatalf("%s: problem %+v, want key %s translated", what, p, key)
	}
}
