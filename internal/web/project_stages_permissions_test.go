package web_test

import (
	"net/http"
	"testing"
)

// The stages' rows of the permission matrix (issue 10; SPEC PRJ-5..9,
// PRJ-12, R10), on the demo projects: LF-2026-01 (lab scale; director
// chenzhiqiang; team zhangwei, wangfang, guoqiang; its batches and the
// results zhangwei recorded) and LF-2026-12 (closed; its dossier section,
// written by chenzhiqiang, approved; its bonuses paid). Who may not see a
// project learns nothing of it; who sees it but may not act is refused;
// who may act gets past the permission to the rule that stops a request
// changing nothing (a bad body, a state that has moved on).

// stageFixture is what the stages' rows point at.
type stageFixture struct {
	batch    int64 // a batch of LF-2026-01
	verified int64 // a passed result zhangwei recorded and guoqiang verified
	section  int64 // LF-2026-12's approved dossier section
	bonus    int64 // LF-2026-12's paid lab bonus
	synth    int64 // 合成部
}

func stageMatrixSetup(t *testing.T, e *env) *stageFixture {
	t.Helper()
	var v struct {
		Batches []struct {
			ID      int64 `json:"id"`
			Results []struct {
				ID         int64  `json:"id"`
				Passed     bool   `json:"passed"`
				VerifiedAt string `json:"verified_at"`
			} `json:"results"`
		} `json:"batches"`
		Dossier []struct{ ID int64 } `json:"dossier"`
		Bonuses []struct{ ID int64 } `json:"bonuses"`
	}
	e.as(t, "chenzhiqiang", "GET", "/api/v1/projects/LF-2026-01/stages", nil).json(t, &v)
	f := &stageFixture{synth: deptID(t, e, "synthesis")}
	for _, b := range v.Batches {
		f.batch = b.ID
		for _, r := range b.Results {
			if r.Passed && r.VerifiedAt != "" && f.verified == 0 {
				f.verified = r.ID
			}
		}
	}
	e.as(t, "chenzhiqiang", "GET", "/api/v1/projects/LF-2026-12/stages", nil).json(t, &v)
	if len(v.Dossier) > 0 && len(v.Bonuses) > 0 {
		f.section, f.bonus = v.Dossier[0].ID, v.Bonuses[0].ID
	}
	if f.batch == 0 || f.verified == 0 || f.section == 0 || f.bonus == 0 {
		t.Fatalf("the demo's stage work is missing: %+v", f)
	}
	return f
}

func stageMatrixRows() []matrixRow {
	fixed := func(v any) func(*matrixFixture, string) any { return func(*matrixFixture, string) any { return v } }
	path := func(p string) func(*matrixFixture) string { return func(*matrixFixture) string { return p } }
	// sees01: who sees LF-2026-01, with the status of its director, of
	// its team members and of the others who see it (the GM, the dean).
	sees01 := func(director, team, seen int) map[string]int {
		return map[string]int{anyone: http.StatusNotFound, "chenzhiqiang": director, "zhangwei": team, "wangfang": team, "wangjianguo": seen, "lihua": seen}
	}
	return []matrixRow{
		{"GET /api/v1/projects/{code}/stages", "GET", path("/api/v1/projects/LF-2026-01/stages"), nil, sees01(200, 200, 200)},
		{"POST /api/v1/projects/{code}/batches", "POST", path("/api/v1/projects/LF-2026-01/batches"), fixed(map[string]any{"node": "", "label": ""}), sees01(422, 422, 403)},
		{"POST /api/v1/projects/{code}/batches/{id}/results", "POST",
			func(f *matrixFixture) string {
				return idPath("/api/v1/projects/LF-2026-01/batches/%d/results", f.stg.batch)
			},
			fixed(map[string]any{"item": ""}), sees01(422, 422, 403)},
		{"POST /api/v1/projects/{code}/results/{id}/verify", "POST",
			func(f *matrixFixture) string {
				return idPath("/api/v1/projects/LF-2026-01/results/%d/verify", f.stg.verified)
			},
			nil, map[string]int{anyone: 404, "chenzhiqiang": 409, "zhangwei": 403, "wangfang": 409, "wangjianguo": 403, "lihua": 403}},
		{"POST /api/v1/projects/{code}/results/{id}/decision", "POST",
			func(f *matrixFixture) string {
				return idPath("/api/v1/projects/LF-2026-01/results/%d/decision", f.stg.verified)
			},
			fixed(map[string]any{"decision": "矩阵"}), sees01(409, 403, 403)},
		{"POST /api/v1/projects/{code}/closures", "POST", path("/api/v1/projects/LF-2026-01/closures"), fixed(map[string]any{}), sees01(422, 403, 403)},
		{"POST /api/v1/projects/{code}/dossier", "POST", path("/api/v1/projects/LF-2026-01/dossier"),
			func(f *matrixFixture, _ string) any {
				return map[string]any{"title": "3.2.S", "department_id": f.stg.synth}
			}, sees01(409, 403, 403)},
		{"POST /api/v1/projects/{code}/dossier/{id}/submit", "POST",
			func(f *matrixFixture) string {
				return idPath("/api/v1/projects/LF-2026-12/dossier/%d/submit", f.stg.section)
			},
			fixed(map[string]any{"summary": "矩阵"}), sees01(409, 403, 403)},
		{"POST /api/v1/projects/{code}/inspection", "POST", path("/api/v1/projects/LF-2026-01/inspection"), fixed(map[string]any{"item": "original_records"}), sees01(409, 403, 403)},
		{"POST /api/v1/bonuses/{id}/pay", "POST", func(f *matrixFixture) string { return idPath("/api/v1/bonuses/%d/pay", f.stg.bonus) }, nil, map[string]int{anyone: 403}},
	}
}
