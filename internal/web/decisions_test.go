package web_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"labflow/internal/app"
)

// withDefinitions adds the definitions in files (name → YAML) to the app.
func withDefinitions(t testing.TB, files map[string]string) envOpt {
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return func(c *app.Config, _ *env) { c.Definitions = dir }
}

// resultsReview: an analyst enters results, another verifies (never the
// one who entered them, R10), the Technical Committee decides by a quorum
// that includes the chair, with dissent, and the request ends with a
// named outcome.
const resultsReview = `key: results-review
title: {zh: 结果复核, en: Results review}
rules: [SAM-5]
initiators: [researcher]
outcomes:
  - {key: accepted, label: {zh: 结果有效, en: Results accepted}}
  - {key: void, label: {zh: 结果作废, en: Results void}, status: rejected}
form:
  - {key: result, label: {zh: 结果, en: Result}, type: text}
steps:
  - id: enter
    title: {zh: 录入结果, en: Enter results}
    kind: task
    assignee: {role: analyst}
    mode: any
    editable: [result]
    required: [result]
  - id: verify
    title: {zh: 复核, en: Verify}
    kind: task
    assignee: {role: analyst}
    mode: any
    exclude: [enter]
  - id: decide
    title: {zh: 技术委员会决议, en: Committee decision}
    assignee: {committee: true}
    mode: quorum
    quorum: "3"
    require_chair: true
    signature: approve
    actions: [dissent, reject, comment]
`

// TestR10_SeparationOfDutiesAndDissentAtTheAPI tries to break separation
// of duties through the JSON API (the analyst who entered the results
// verifies them, or hands the verification back to themselves), then
// walks a committee decision with a dissent and checks what the API and
// the page show.
func TestR10_SeparationOfDutiesAndDissentAtTheAPI(t *testing.T) {
	e := newEnv(t, withDefinitions(t, map[string]string{"results-review.yaml": resultsReview}))
	id := e.file(t, "zhangwei", "results-review", map[string]any{})
	e.mustAct(t, "guoqiang", id, map[string]any{"action": "approve", "form": map[string]any{"result": "99.2%"}})

	// guoqiang entered the results: he has no verification task, and the
	// API refuses him on a colleague's verification task.
	task := e.taskOf(t, "songjia", id)
	r := e.as(t, "guoqiang", "POST", idPath("/api/v1/tasks/%d/actions", task), map[string]any{"action": "approve"})
	if r.status != http.StatusForbidden && r.status != http.StatusNotFound {
		t.Fatalf("the analyst who entered the results verifies them: %d %s", r.status, r.body)
	}
	// A colleague cannot hand the verification to him either.
	r = e.act(t, "songjia", id, map[string]any{"action": "transfer", "person_id": e.personID(t, "guoqiang"), "comment": "busy"})
	wantField(t, r, http.StatusUnprocessableEntity, "person_id", "flow.excluded")
	e.mustAct(t, "songjia", id, map[string]any{"action": "approve"})

	// The committee: three members approve, the decision still waits for the chair.
	for _, m := range []string{"lihua", "chenzhiqiang", "liuyang"} {
		e.mustAct(t, m, id, sign(nil))
	}
	if v := e.view(t, "zhangwei", id); v.Instance.Status != "running" {
		t.Fatalf("the quorum includes the chair: status %s", v.Instance.Status)
	}
	// A dissent without a reason is refused, naming the field.
	r = e.act(t, "wangjianguo", id, map[string]any{"action": "dissent", "password": "labflow-demo"})
	wantField(t, r, http.StatusUnprocessableEntity, "comment", "flow.reason_required")
	e.mustAct(t, "wangjianguo", id, map[string]any{"action": "dissent", "password": "labflow-demo", "comment": "稳定性数据不足"})

	var v struct {
		Instance struct {
			Status  string `json:"status"`
			Outcome string `json:"outcome"`
		} `json:"instance"`
		Timeline []struct {
			Action, Comment string
		} `json:"timeline"`
		Signatures []struct {
			Meaning string `json:"meaning"`
			Valid   bool   `json:"valid"`
		} `json:"signatures"`
	}
	e.as(t, "zhangwei", "GET", idPath("/api/v1/instances/%d", id), nil).json(t, &v)
	if v.Instance.Status != "approved" || v.Instance.Outcome != "accepted" {
		t.Fatalf("the decision passes with its outcome: %+v", v.Instance)
	}
	dissent := false
	for _, a := range v.Timeline {
		dissent = dissent || a.Action == "dissent" && a.Comment == "稳定性数据不足"
	}
	signed := map[string]int{}
	for _, g := range v.Signatures {
		if g.Valid {
			signed[g.Meaning]++
		}
	}
	if !dissent || signed["approve"] != 3 || signed["disapproval"] != 1 {
		t.Fatalf("the dissent is kept and signed: timeline %+v signatures %v", v.Timeline, signed)
	}
	// The page shows the outcome and the dissent with its reason.
	page := e.as(t, "zhangwei", "GET", idPath("/instances/%d", id), nil)
	for _, want := range []string{`id="instance-outcome"`, "结果有效", "稳定性数据不足", "反对（保留意见）"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the request page lacks %q", want)
		}
	}
	// And the initiator's list shows the outcome, not only "approved".
	box := e.as(t, "zhangwei", "GET", "/api/v1/inbox/started", nil)
	if !strings.Contains(box.body, `"instance_outcome":"accepted"`) || !strings.Contains(box.body, "结果有效") {
		t.Fatalf("the started box shows the outcome: %s", box.body)
	}
}
