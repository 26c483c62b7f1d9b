package app_test

import (
	"errors"
	"testing"

	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// Ensure the demo's pre-checks and experiments are sealed by the events
// that wrote them — the approval that changed a form's state, the report
// and the decision that changed an experiment — and that a cause analysis
// or a pre-check edited directly in the database is named by verify
// (issue 10; EXP-1, EXP-3, COMPLIANCE R1–R3).
func TestEXP3_RecordsEditedBehindTheTrail(t *testing.T) {
	for _, d := range storetest.Backends() {
		t.Run(string(d), func(t *testing.T) {
			cfg := storetest.Config(t, d)
			w := openDemo(t, cfg.DSN)
			if _, err := w.a.DB.VerifyAudit(bg, ""); err != nil {
				t.Fatalf("verify before any edit: %v", err)
			}
			db := rawDB(t, w.a, cfg)
			for _, e := range []struct{ kind, q string }{
				{"experiment", "UPDATE experiment SET note = '无' WHERE result = 'failed'"},
				{"pre-check", "UPDATE experiment_precheck SET state = 'approved' WHERE state = 'approving'"},
			} {
				res, err := db.Exec(e.q)
				if err != nil {
					t.Fatalf("%s: %v", e.kind, err)
				}
				if n, _ := res.RowsAffected(); n == 0 {
					t.Fatalf("%s: the demo has no such record", e.kind)
				}
				_, err = w.a.DB.VerifyAudit(bg, "")
				var re *store.RecordsError
				if !errors.As(err, &re) {
					t.Fatalf("verify after editing a %s: %v", e.kind, err)
				}
				found := false
				for _, p := range re.Problems {
					found = found || p.Kind == e.kind && p.Reason == "edited"
				}
				if !found {
					t.Fatalf("verify after editing a %s: %v", e.kind, re)
				}
			}
		})
	}
}
