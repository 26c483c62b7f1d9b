package app_test

import (
	"strings"
	"testing"

	"labflow/internal/domain"
	"labflow/internal/store/storetest"
)

// Ensure a project, a team membership and a signed plan revision edited
// directly in the database are named by verify, and that a signed plan
// whose content was changed behind the system's back is no longer the plan
// in force: the project refuses the work that needs it, saying why
// (issue 10; PRJ-3, COMPLIANCE R1–R3, R9).
func TestPRJ3_PlanEditedBehindTheTrail(t *testing.T) {
	for _, d := range storetest.Backends() {
		t.Run(string(d), func(t *testing.T) {
			cfg := storetest.Config(t, d)
			w := openDemo(t, cfg.DSN)
			gm := w.person("wangjianguo")
			dt, err := w.a.Projects.Get(bg, domain.Actor{ID: gm.ID, Grants: gm.Grants, Via: "session"}, "LF-2026-01")
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := w.a.Projects.RequireSignedPlan(bg, dt.ID); err != nil {
				t.Fatalf("the demo plan is not signed: %v", err)
			}
			editsNamedByVerify(t, w, cfg, []recordEdit{
				{"plan revision", `UPDATE project_plan SET content = REPLACE(content, '"count":9', '"count":3') WHERE revision = 1 AND project_id = (SELECT id FROM project WHERE code = 'LF-2026-01')`},
				{"project", "UPDATE project SET stage = 'closed' WHERE code = 'LF-2026-02'"},
				{"project member", "UPDATE project_member SET to_date = '2000-01-01' WHERE id = (SELECT MIN(id) FROM project_member)"},
			})
			_, _, err = w.a.Projects.RequireSignedPlan(bg, dt.ID)
			if domain.ErrorKind(err) != domain.KindConflict || !strings.Contains(err.Error(), "projects.plan_altered") {
				t.Fatalf("an altered plan: %v", err)
			}
		})
	}
}
