package web_test

import (
	"net/http"
	"testing"
)

// The rows of 发补 notices and escalations in the permission matrix (issue
// 10; PRJ-10, PRJ-11, PRJ-12) on LF-2026-01: who sees the project sees its
// notices and escalations; its director records notices, answers and takes
// an escalation to the committee; a question's owner (zhangwei) answers
// it; a team member files a topic meeting; nobody else learns they exist.

// suppFixture is what the rows point at: a notice recorded by the director
// with one question for zhangwei, and an escalation whose meeting is
// being confirmed.
type suppFixture struct {
	supplement, question, escalation int64
}

func suppMatrixSetup(t *testing.T, e *env) *suppFixture {
	t.Helper()
	f := &suppFixture{}
	var rec struct {
		Supplement struct {
			ID int64 `json:"id"`
		} `json:"supplement"`
	}
	r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/LF-2026-01/supplements", map[string]any{"title": "矩阵发补", "notice_date": day(-1),
		"questions": []map[string]any{{"question": "补充资料", "owner_id": personID(t, e, "zhangwei"), "due_on": day(10)}}})
	if r.status != http.StatusCreated {
		t.Fatalf("notice: %d %s", r.status, r.body)
	}
	r.json(t, &rec)
	f.supplement = rec.Supplement.ID
	f.question = getSupplement(t, e, "chenzhiqiang", f.supplement).Questions[0].ID
	var esc struct {
		Escalation struct {
			ID int64 `json:"id"`
		} `json:"escalation"`
	}
	r = e.as(t, "zhangwei", "POST", "/api/v1/projects/LF-2026-01/escalations", map[string]any{"title": "矩阵难题", "difficulty": "d", "held_at": day(-1) + "T10:00",
		"attendees": []int64{personID(t, e, "zhangwei")}, "minutes": "m", "decision": "d"})
	if r.status != http.StatusCreated {
		t.Fatalf("escalation: %d %s", r.status, r.body)
	}
	r.json(t, &esc)
	f.escalation = esc.Escalation.ID
	return f
}

func suppMatrixRows() []matrixRow {
	fixed := func(v any) func(*matrixFixture, string) any { return func(*matrixFixture, string) any { return v } }
	path := func(p string) func(*matrixFixture) string { return func(*matrixFixture) string { return p } }
	sup := func(suffix string) func(*matrixFixture) string {
		return func(f *matrixFixture) string {
			return idPath("/api/v1/projects/LF-2026-01/supplements/%d", f.supp.supplement) + suffix
		}
	}
	question := func(suffix string) func(*matrixFixture) string {
		return func(f *matrixFixture) string {
			return idPath("/api/v1/projects/LF-2026-01/supplements/%d", f.supp.supplement) + idPath("/questions/%d", f.supp.question) + suffix
		}
	}
	esc := func(suffix string) func(*matrixFixture) string {
		return func(f *matrixFixture) string {
			return idPath("/api/v1/projects/LF-2026-01/escalations/%d", f.supp.escalation) + suffix
		}
	}
	owner := func(ok, seen int) map[string]int { // the director and the question's owner
		m := projectSees(ok, seen)
		m["zhangwei"] = ok
		return m
	}
	notice := func(f *matrixFixture, _ string) any {
		return map[string]any{"title": "矩阵", "notice_date": day(0), "questions": []map[string]any{}}
	}
	return []matrixRow{
		{"GET /api/v1/projects/{code}/supplements", "GET", path("/api/v1/projects/LF-2026-01/supplements"), nil, projectSees(200, 200)},
		{"POST /api/v1/projects/{code}/supplements", "POST", path("/api/v1/projects/LF-2026-01/supplements"), notice, projectSees(422, 403)},
		{"GET /api/v1/projects/{code}/supplements/{id}", "GET", sup(""), nil, projectSees(200, 200)},
		{"POST /api/v1/projects/{code}/supplements/{id}/questions/{qid}/answer", "POST", question("/answer"), fixed(map[string]any{"answer": ""}), owner(422, 403)},
		{"POST /api/v1/projects/{code}/supplements/{id}/questions/{qid}/links", "POST", question("/links"),
			fixed(map[string]any{"kind": "instance", "ref": "999999"}), owner(422, 403)},
		{"POST /api/v1/projects/{code}/supplements/{id}/submit", "POST", sup("/submit"), fixed(map[string]any{"response": ""}), projectSees(422, 403)},
		{"GET /api/v1/projects/{code}/escalations", "GET", path("/api/v1/projects/LF-2026-01/escalations"), nil, projectSees(200, 200)},
		{"POST /api/v1/projects/{code}/escalations", "POST", path("/api/v1/projects/LF-2026-01/escalations"), fixed(map[string]any{"title": ""}),
			map[string]int{anyone: http.StatusNotFound, "chenzhiqiang": 422, "zhangwei": 422, "wangfang": 422, "wangjianguo": 403, "lihua": 403}},
		{"GET /api/v1/projects/{code}/escalations/{id}", "GET", esc(""), nil, projectSees(200, 200)},
		{"POST /api/v1/projects/{code}/escalations/{id}/committee", "POST", esc("/committee"), fixed(map[string]any{"question": ""}), projectSees(409, 403)},
	}
}
