package app_test

import (
	"testing"

	"labflow/internal/store/storetest"
)

// Ensure the stages' records — batches, results, closure applications,
// bonuses, dossier sections, inspection checks — are sealed by the events
// that wrote them (the demo's, all through the services and the engine):
// verify passes on the demo and names each one edited directly in the
// database (issue 10; PRJ-5..9, COMPLIANCE R1–R3).
func TestPRJ5_StageRecordsEditedBehindTheTrail(t *testing.T) {
	for _, d := range storetest.Backends() {
		t.Run(string(d), func(t *testing.T) {
			cfg := storetest.Config(t, d)
			w := openDemo(t, cfg.DSN)
			editsNamedByVerify(t, w, cfg, []recordEdit{
				{"batch result", "UPDATE project_result SET passed = 1 WHERE passed = 0"},
				{"batch", "UPDATE project_batch SET site = 'in_house' WHERE site = 'outside'"},
				{"stage bonus", "UPDATE project_bonus SET amount = '99999.00' WHERE id = (SELECT MIN(id) FROM project_bonus)"},
				{"closure application", "UPDATE project_closure SET summary = '改过' WHERE id = (SELECT MIN(id) FROM project_closure)"},
				{"dossier section", "UPDATE project_dossier SET writer_id = 1"},
				{"inspection check", "UPDATE project_inspection SET checked_name = '别人' WHERE id = (SELECT MIN(id) FROM project_inspection)"},
			})
		})
	}
}
