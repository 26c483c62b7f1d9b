package app_test

import (
	"testing"

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
			editsNamedByVerify(t, w, cfg, []recordEdit{
				{"experiment", "UPDATE experiment SET note = '无' WHERE result = 'failed'"},
				{"pre-check", "UPDATE experiment_precheck SET state = 'approved' WHERE state = 'approving'"},
			})
		})
	}
}
