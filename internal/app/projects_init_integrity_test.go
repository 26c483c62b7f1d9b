package app_test

import (
	"testing"

	"labflow/internal/store/storetest"
)

// Ensure the initiation part's records edited directly in the database —
// an initiation, a route, a kick-off report, an entry of the register of
// original records that its director signed — are named by verify (issue
// 10; DIR-2, PRJ-1, DIR-6, PRJ-8, COMPLIANCE R1–R3).
func TestDIR6_RecordsEditedBehindTheTrail(t *testing.T) {
	for _, d := range storetest.Backends() {
		t.Run(string(d), func(t *testing.T) {
			cfg := storetest.Config(t, d)
			w := openDemo(t, cfg.DSN)
			editsNamedByVerify(t, w, cfg, []recordEdit{
				{"original record", "UPDATE project_record SET page_to = page_to + 1 WHERE id = (SELECT MIN(id) FROM project_record WHERE state = 'signed')"},
				{"route", "UPDATE project_route SET state = 'chosen' WHERE state = 'set_aside'"},
				{"kick-off report", "UPDATE project_kickoff SET summary = 'x' WHERE id = (SELECT MIN(id) FROM project_kickoff)"},
				{"initiation", "UPDATE project_initiation SET state = 'go' WHERE state = 'reporting'"},
			})
		})
	}
}
