package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// Experiments through the JSON API (issue 10; SPEC EXP-1..4), as the
// wrong person, with forged fields and on an unsigned plan, on SQLite and
// PostgreSQL. The demo's LF-2026-01 (合成部 with 分析部, director
// chenzhiqiang, team zhangwei, wangfang, guoqiang; plan signed) and
// LF-2026-03 (plan being signed; team yangxue).

const expNode = "小试工艺优化"

// precheckBody is a complete pre-check form for node.
func precheckBody(node string) map[string]any {
	return map[string]any{"node": node, "step": "第三步：Boc 脱保护，TFA/DCM，0–5 ℃", "planned_on": day(1),
		"materials": "中间体 II 20 g；三氟乙酸 60 mL", "checks": []string{"materials", "conditions", "hazards", "protection", "equipment", "waste"}}
}

type precheckOut struct {
	Precheck struct {
		ID         int64  `json:"id"`
		Kind       string `json:"kind"`
		State      string `json:"state"`
		Node       string `json:"node"`
		InstanceID int64  `json:"instance_id"`
	} `json:"precheck"`
	Instance struct {
		ID     int64  `json:"id"`
		DefKey string `json:"definition_key"`
		Tasks  []struct {
			ID         int64 `json:"id"`
			AssigneeID int64 `json:"assignee_id"`
		} `json:"tasks"`
	} `json:"instance"`
}

type experimentOut struct {
	ID        int64  `json:"id"`
	Node      string `json:"node"`
	State     string `json:"state"`
	Result    string `json:"result"`
	TestsUsed int    `json:"tests_used"`
	RetestOf  int64  `json:"retest_of"`
	Note      string `json:"note"`
}

// filePrecheck files a pre-check as user and returns it.
func filePrecheck(t *testing.T, e *env, user, code string, body map[string]any) precheckOut {
	t.Helper()
	r := e.as(t, user, "POST", "/api/v1/projects/"+code+"/prechecks", body)
	if r.status != http.StatusCreated {
		t.Fatalf("%s files a pre-check on %s: %d %s", user, code, r.status, r.body)
	}
	var out precheckOut
	r.json(t, &out)
	return out
}

// actOnPrecheck acts on the approval task of a pre-check as user.
func actOnPrecheck(t *testing.T, e *env, user string, pc precheckOut, action string) response {
	t.Helper()
	if len(pc.Instance.Tasks) != 1 {
		t.Fatalf("the approval has %d tasks, want 1", len(pc.Instance.Tasks))
	}
	return e.as(t, user, "POST", idPath("/api/v1/tasks/%d/actions", pc.Instance.Tasks[0].ID),
		map[string]any{"action": action, "password": "labflow-demo", "comment": "同意"})
}

// precheckState reads a pre-check's state as the project's director.
func precheckState(t *testing.T, e *env, code string, id int64) string {
	t.Helper()
	var v struct {
		State string `json:"state"`
	}
	r := e.as(t, "chenzhiqiang", "GET", idPath("/api/v1/projects/"+code+"/prechecks/%d", id), nil)
	if r.status != 200 {
		t.Fatalf("read pre-check %d: %d %s", id, r.status, r.body)
	}
	r.json(t, &v)
	return v.State
}

// count counts the rows a query selects.
func count(t *testing.T, e *env, q string) int {
	t.Helper()
	var n int
	if err := e.app.DB.R().QueryRowContext(context.Background(), q).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// rowsOfExperiments counts pre-checks, experiments, their approvals and the
// projects' audit events: what a refusal must leave as it was.
func rowsOfExperiments(t *testing.T, e *env) [4]int {
	return [4]int{count(t, e, "SELECT COUNT(*) FROM experiment_precheck"), count(t, e, "SELECT COUNT(*) FROM experiment"),
		count(t, e, "SELECT COUNT(*) FROM flow_instance WHERE def_key IN ('pre-check', 'analytical-plan-change')"),
		count(t, e, "SELECT COUNT(*) FROM audit_event WHERE action LIKE 'project.%'")}
}

// approvedPrecheck files a pre-check as zhangwei and has chenzhiqiang approve it.
func approvedPrecheck(t *testing.T, e *env) precheckOut {
	t.Helper()
	pc := filePrecheck(t, e, "zhangwei", "LF-2026-01", precheckBody(expNode))
	if r := actOnPrecheck(t, e, "chenzhiqiang", pc, "approve"); r.status != 200 {
		t.Fatalf("director approves: %d %s", r.status, r.body)
	}
	return pc
}

// Ensure a pre-check is approved by the director of the researcher's
// department and nobody else — not another director, the GM, the Business
// Dean or the analytical director — and that its state follows the
// approval (EXP-1).
func TestEXP1_PrecheckApprovedOnlyByTheDirector(t *testing.T) {
	t.Parallel()
	onBothBackends(t, func(t *testing.T, e *env) {
		pc := filePrecheck(t, e, "zhangwei", "LF-2026-01", precheckBody(expNode))
		if pc.Precheck.Kind != "precheck" || pc.Precheck.State != "approving" || pc.Instance.DefKey != "pre-check" || pc.Precheck.InstanceID != pc.Instance.ID {
			t.Fatalf("filed %+v", pc)
		}
		if len(pc.Instance.Tasks) != 1 || pc.Instance.Tasks[0].AssigneeID != personID(t, e, "chenzhiqiang") {
			t.Fatalf("the approval's tasks %+v, want chenzhiqiang's only", pc.Instance.Tasks)
		}
		before := rowsOfExperiments(t, e)
		for _, u := range []string{"liuyang", "wangjianguo", "lihua", "sunli", "zhangwei"} {
			if r := actOnPrecheck(t, e, u, pc, "approve"); r.status == 200 {
				t.Errorf("%s approved the pre-check", u)
			}
		}
		if got := precheckState(t, e, "LF-2026-01", pc.Precheck.ID); got != "approving" {
			t.Fatalf("state after the wrong approvers: %s", got)
		}
		if after := rowsOfExperiments(t, e); [3]int(after[:3]) != [3]int(before[:3]) {
			t.Fatalf("the refusals wrote: %v → %v", before, after)
		}
		// The engine's records support: the approval cannot be started
		// without its form.
		if r := e.as(t, "zhangwei", "POST", "/api/v1/processes/pre-check/instances", map[string]any{"form": map[string]any{"summary": "x"}}); r.status < 400 {
			t.Fatalf("a pre-check approval without its form: %d", r.status)
		}
		if r := actOnPrecheck(t, e, "chenzhiqiang", pc, "approve"); r.status != 200 {
			t.Fatalf("director approves: %d %s", r.status, r.body)
		}
		if got := precheckState(t, e, "LF-2026-01", pc.Precheck.ID); got != "approved" {
			t.Fatalf("state after approval: %s", got)
		}
		// The signature covers the form: the request shows it.
		if r := e.as(t, "chenzhiqiang", "GET", idPath("/api/v1/instances/%d", pc.Instance.ID), nil); !strings.Contains(r.body, "预检单 #") {
			t.Fatalf("the request does not show its form: %.300s", r.body)
		}
		// A rejection leaves the form rejected.
		pc2 := filePrecheck(t, e, "wangfang", "LF-2026-01", precheckBody("小试三批放大"))
		if r := e.as(t, "chenzhiqiang", "POST", idPath("/api/v1/tasks/%d/actions", pc2.Instance.Tasks[0].ID), map[string]any{"action": "reject", "comment": "条件不清"}); r.status != 200 {
			t.Fatalf("reject: %d %s", r.status, r.body)
		}
		if got := precheckState(t, e, "LF-2026-01", pc2.Precheck.ID); got != "rejected" {
			t.Fatalf("state after rejection: %s", got)
		}
	})
}

// Ensure a pre-check is refused on a project without a signed plan, by
// someone not on the team that day (another department's researcher, one
// who left, the director), for a node not in the plan, without its
// checks and with forged fields — each with its reason, nothing written
// (EXP-1, PRJ-2).
func TestEXP1_PrecheckRefusedAndNothingWritten(t *testing.T) {
	t.Parallel()
	onBothBackends(t, func(t *testing.T, e *env) {
		// wangfang leaves the team yesterday.
		var d struct {
			Team []struct {
				ID       int64 `json:"id"`
				PersonID int64 `json:"person_id"`
			} `json:"team"`
		}
		e.as(t, "chenzhiqiang", "GET", "/api/v1/projects/LF-2026-01", nil).json(t, &d)
		for _, m := range d.Team {
			if m.PersonID == personID(t, e, "wangfang") {
				if r := e.as(t, "chenzhiqiang", "POST", idPath("/api/v1/projects/LF-2026-01/members/%d/end", m.ID), map[string]any{"to": day(-1)}); r.status != 200 {
					t.Fatalf("end: %d %s", r.status, r.body)
				}
			}
		}
		before := rowsOfExperiments(t, e)
		bad := func(mut func(map[string]any)) map[string]any { b := precheckBody(expNode); mut(b); return b }
		cases := []struct {
			name, user, code string
			body             map[string]any
			status           int
			key, field       string
		}{
			{"unsigned plan", "yangxue", "LF-2026-03", precheckBody("路线设计"), 409, "projects.plan_signing", ""},
			{"another department's researcher", "huanglei", "LF-2026-01", precheckBody(expNode), 404, "", ""},
			{"a researcher not on the team", "lijun", "LF-2026-01", precheckBody(expNode), 404, "", ""},
			{"one who left the team", "wangfang", "LF-2026-01", precheckBody(expNode), 404, "", ""},
			{"the director, not on the team", "chenzhiqiang", "LF-2026-01", precheckBody(expNode), 403, "projects.exp.not_member", ""},
			{"the GM", "wangjianguo", "LF-2026-01", precheckBody(expNode), 403, "projects.exp.not_member", ""},
			{"node not in the plan", "zhangwei", "LF-2026-01", bad(func(b map[string]any) { b["node"] = "不存在的节点" }), 422, "", "node"},
			{"a check not confirmed", "zhangwei", "LF-2026-01", bad(func(b map[string]any) { b["checks"] = []string{"materials"} }), 422, "", "checks.hazards"},
			{"bad date", "zhangwei", "LF-2026-01", bad(func(b map[string]any) { b["planned_on"] = "2026-13-40" }), 422, "", "planned_on"},
			{"forged state", "zhangwei", "LF-2026-01", bad(func(b map[string]any) { b["state"] = "approved" }), 422, "", "state"},
			{"forged researcher", "zhangwei", "LF-2026-01", bad(func(b map[string]any) { b["researcher_id"] = 1 }), 422, "", "researcher_id"},
		}
		for _, c := range cases {
			r := e.as(t, c.user, "POST", "/api/v1/projects/"+c.code+"/prechecks", c.body)
			if r.status != c.status {
				t.Errorf("%s: %d, want %d: %s", c.name, r.status, c.status, r.body)
				continue
			}
			if c.key != "" && r.problem(t).Key != c.key {
				t.Errorf("%s: key %s, want %s", c.name, r.problem(t).Key, c.key)
			}
			if c.field != "" && fieldKeys(t, r)[c.field] == "" {
				t.Errorf("%s: field %s not named: %s", c.name, c.field, r.body)
			}
		}
		// The refusal on the unsigned plan is translated.
		r := e.as(t, "yangxue", "POST", "/api/v1/projects/LF-2026-03/prechecks", precheckBody("路线设计"))
		if !strings.Contains(r.problem(t).Title+r.problem(t).Detail, "LF-2026-03") {
			t.Errorf("the refusal does not say why: %s", r.body)
		}
		if after := rowsOfExperiments(t, e); after != before {
			t.Fatalf("the refusals wrote: %v → %v", before, after)
		}
	})
}

// startExperiment starts an experiment as user.
func startExperiment(t *testing.T, e *env, user string, body map[string]any) (response, experimentOut) {
	t.Helper()
	r := e.as(t, user, "POST", "/api/v1/projects/LF-2026-01/experiments", body)
	var x experimentOut
	if r.status == http.StatusCreated {
		r.json(t, &x)
	}
	return r, x
}

// Ensure an experiment starts only under its researcher's approved
// pre-check, once; that its researcher reports the result and only the
// researcher's director records the next step, a passed result with the
// experience note; and that tests used count against the node's plan
// (EXP-1, EXP-2, EXP-3).
func TestEXP2_ExperimentStartsOnlyUnderApprovedPrecheck(t *testing.T) {
	t.Parallel()
	onBothBackends(t, func(t *testing.T, e *env) {
		pc := filePrecheck(t, e, "zhangwei", "LF-2026-01", precheckBody(expNode))
		before := rowsOfExperiments(t, e)
		if r, _ := startExperiment(t, e, "zhangwei", map[string]any{"precheck_id": pc.Precheck.ID}); r.status != 409 || r.problem(t).Key != "projects.exp.no_approved_precheck" {
			t.Fatalf("start before approval: %d %s", r.status, r.body)
		}
		if r, _ := startExperiment(t, e, "zhangwei", map[string]any{}); r.status != 422 || fieldKeys(t, r)["precheck_id"] != "projects.exp.no_approved_precheck" {
			t.Fatalf("start without a pre-check: %d %s", r.status, r.body)
		}
		if r, _ := startExperiment(t, e, "zhangwei", map[string]any{"precheck_id": pc.Precheck.ID, "state": "decided"}); r.status != 422 || fieldKeys(t, r)["state"] == "" {
			t.Fatalf("forged state: %d %s", r.status, r.body)
		}
		if after := rowsOfExperiments(t, e); after != before {
			t.Fatalf("the refusals wrote: %v → %v", before, after)
		}
		if r := actOnPrecheck(t, e, "chenzhiqiang", pc, "approve"); r.status != 200 {
			t.Fatalf("approve: %d %s", r.status, r.body)
		}
		for user, want := range map[string]int{"wangfang": 403, "guoqiang": 403, "chenzhiqiang": 403, "liuyang": 404, "admin": 404} {
			if r, _ := startExperiment(t, e, user, map[string]any{"precheck_id": pc.Precheck.ID}); r.status != want {
				t.Errorf("%s starts zhangwei's experiment: %d, want %d: %s", user, r.status, want, r.body)
			}
		}
		r, x := startExperiment(t, e, "zhangwei", map[string]any{"precheck_id": pc.Precheck.ID})
		if r.status != 201 || x.State != "started" || x.Node != expNode {
			t.Fatalf("start: %d %s", r.status, r.body)
		}
		if r, _ := startExperiment(t, e, "zhangwei", map[string]any{"precheck_id": pc.Precheck.ID}); r.status != 409 || r.problem(t).Key != "projects.exp.precheck_used" {
			t.Fatalf("a second start under one pre-check: %d %s", r.status, r.body)
		}
		rep := idPath("/api/v1/projects/LF-2026-01/experiments/%d/report", x.ID)
		if r := e.as(t, "wangfang", "POST", rep, map[string]any{"result": "passed", "tests_used": 3, "report": "收率 82%"}); r.status != 403 {
			t.Fatalf("another researcher reports: %d %s", r.status, r.body)
		}
		if r := e.as(t, "zhangwei", "POST", rep, map[string]any{"result": "passed", "tests_used": 0, "report": "收率 82%"}); r.status != 422 || fieldKeys(t, r)["tests_used"] == "" {
			t.Fatalf("a tested result without tests: %d %s", r.status, r.body)
		}
		if r := e.as(t, "zhangwei", "POST", rep, map[string]any{"result": "good", "tests_used": 3, "report": "x"}); r.status != 422 || fieldKeys(t, r)["result"] == "" {
			t.Fatalf("a bad result: %d %s", r.status, r.body)
		}
		if r := e.as(t, "zhangwei", "POST", rep, map[string]any{"result": "passed", "tests_used": 3, "report": "收率 82%，纯度 99.1%"}); r.status != 200 {
			t.Fatalf("report: %d %s", r.status, r.body)
		}
		if r := e.as(t, "zhangwei", "POST", rep, map[string]any{"result": "failed", "tests_used": 3, "report": "改口"}); r.status != 409 {
			t.Fatalf("a second report: %d %s", r.status, r.body)
		}
		dec := idPath("/api/v1/projects/LF-2026-01/experiments/%d/decision", x.ID)
		for user, want := range map[string]int{"zhangwei": 403, "sunli": 403, "wangjianguo": 403, "lihua": 403, "liuyang": 404} {
			if r := e.as(t, user, "POST", dec, map[string]any{"decision": "继续放大", "note": "控温是关键"}); r.status != want {
				t.Errorf("%s decides: %d, want %d: %s", user, r.status, want, r.body)
			}
		}
		if r := e.as(t, "chenzhiqiang", "POST", dec, map[string]any{"decision": "继续放大"}); r.status != 422 || fieldKeys(t, r)["note"] != "projects.exp.experience_required" {
			t.Fatalf("a passed result without the experience note: %d %s", r.status, r.body)
		}
		if r := e.as(t, "chenzhiqiang", "POST", dec, map[string]any{"decision": "进入三批放大", "note": "滴加 TFA 时控温 0–5 ℃ 是关键"}); r.status != 200 {
			t.Fatalf("decide: %d %s", r.status, r.body)
		}
		var got experimentOut
		e.as(t, "lihua", "GET", idPath("/api/v1/projects/LF-2026-01/experiments/%d", x.ID), nil).json(t, &got)
		if got.State != "decided" || got.Result != "passed" || got.TestsUsed != 3 || got.Note == "" {
			t.Fatalf("the Business Dean sees %+v", got)
		}
		// The panel counts the tests used against the node's plan.
		var v struct {
			Nodes []struct {
				Node         string `json:"node"`
				TestsPlanned int    `json:"tests_planned"`
				TestsUsed    int    `json:"tests_used"`
			} `json:"nodes"`
		}
		e.as(t, "zhangwei", "GET", "/api/v1/projects/LF-2026-01/experiments", nil).json(t, &v)
		found := false
		for _, n := range v.Nodes {
			if n.Node == expNode {
				found = true
				if n.TestsPlanned != 12 || n.TestsUsed < 3 {
					t.Fatalf("node %+v", n)
				}
			}
		}
		if !found {
			t.Fatalf("no node %s in %+v", expNode, v)
		}
		// Who may not see the project does not see its experiments.
		for _, u := range []string{"liuyang", "huanglei", "admin"} {
			if r := e.as(t, u, "GET", "/api/v1/projects/LF-2026-01/experiments", nil); r.status != 404 {
				t.Errorf("%s reads the experiments: %d", u, r.status)
			}
		}
	})
}

// Ensure a failed result gets its cause analysis and next plan recorded
// by the director, and that a re-test (复检) references it and is refused
// without it (EXP-3).
func TestEXP3_RetestReferencesTheCauseAnalysis(t *testing.T) {
	t.Parallel()
	onBothBackends(t, func(t *testing.T, e *env) {
		pc := approvedPrecheck(t, e)
		_, x := startExperiment(t, e, "zhangwei", map[string]any{"precheck_id": pc.Precheck.ID})
		if r := e.as(t, "zhangwei", "POST", idPath("/api/v1/projects/LF-2026-01/experiments/%d/report", x.ID),
			map[string]any{"result": "failed", "tests_used": 2, "report": "有关物质超标（杂质 B 0.35%）"}); r.status != 200 {
			t.Fatalf("report: %d %s", r.status, r.body)
		}
		pc2 := approvedPrecheck(t, e)
		before := rowsOfExperiments(t, e)
		if r, _ := startExperiment(t, e, "zhangwei", map[string]any{"precheck_id": pc2.Precheck.ID, "retest_of": x.ID}); r.status != 409 || r.problem(t).Key != "projects.exp.no_analysis" {
			t.Fatalf("re-test before the cause analysis: %d %s", r.status, r.body)
		}
		if after := rowsOfExperiments(t, e); after != before {
			t.Fatalf("the refusal wrote: %v → %v", before, after)
		}
		dec := idPath("/api/v1/projects/LF-2026-01/experiments/%d/decision", x.ID)
		if r := e.as(t, "chenzhiqiang", "POST", dec, map[string]any{"decision": "复检", "note": "反应温度偏高"}); r.status != 422 || fieldKeys(t, r)["next_plan"] != "projects.exp.next_plan_required" {
			t.Fatalf("a failed result without the next plan: %d %s", r.status, r.body)
		}
		if r := e.as(t, "chenzhiqiang", "POST", dec, map[string]any{"decision": "降温后复检", "note": "滴加过快导致局部过热，杂质 B 升高",
			"next_plan": "滴加时间延长至 2 h，内温不超过 5 ℃"}); r.status != 200 {
			t.Fatalf("decide: %d %s", r.status, r.body)
		}
		// A re-test of a passed experiment, or of another project's, is refused.
		_, ok := startExperiment(t, e, "zhangwei", map[string]any{"precheck_id": pc2.Precheck.ID, "retest_of": x.ID + 1000})
		if ok.ID != 0 {
			t.Fatal("a re-test of an unknown experiment started")
		}
		r, rt := startExperiment(t, e, "zhangwei", map[string]any{"precheck_id": pc2.Precheck.ID, "retest_of": x.ID})
		if r.status != 201 || rt.RetestOf != x.ID {
			t.Fatalf("re-test: %d %s", r.status, r.body)
		}
		if r := e.as(t, "zhangwei", "POST", idPath("/api/v1/projects/LF-2026-01/experiments/%d/report", rt.ID),
			map[string]any{"result": "passed", "tests_used": 2, "report": "杂质 B 0.08%"}); r.status != 200 {
			t.Fatalf("report re-test: %d %s", r.status, r.body)
		}
		e.as(t, "chenzhiqiang", "POST", idPath("/api/v1/projects/LF-2026-01/experiments/%d/decision", rt.ID), map[string]any{"decision": "通过", "note": "控温有效"})
		pc3 := approvedPrecheck(t, e)
		if r, _ := startExperiment(t, e, "zhangwei", map[string]any{"precheck_id": pc3.Precheck.ID, "retest_of": rt.ID}); r.status != 422 || fieldKeys(t, r)["retest_of"] != "projects.exp.retest_not_failed" {
			t.Fatalf("a re-test of a passed experiment: %d %s", r.status, r.body)
		}
		// The project page shows the panel with the states.
		page := e.as(t, "chenzhiqiang", "GET", "/projects/LF-2026-01", nil)
		for _, want := range []string{`id="experiments"`, "原因分析", "滴加时间延长至 2 h", "复检 #"} {
			if !strings.Contains(page.body, want) {
				t.Errorf("the project page lacks %q", want)
			}
		}
	})
}

// Ensure an analyst's change of the analytical plan is an analytical-plan
// change form approved by the analytical director only (EXP-4).
func TestEXP4_AnalyticalPlanChangeByTheAnalyticalDirector(t *testing.T) {
	t.Parallel()
	onBothBackends(t, func(t *testing.T, e *env) {
		body := map[string]any{"node": "质量研究", "step": "有关物质方法：流动相由乙腈-水改为乙腈-磷酸盐缓冲液", "planned_on": day(2),
			"checks": []string{"basis", "standards", "instrument", "impact"}}
		pc := filePrecheck(t, e, "guoqiang", "LF-2026-01", body)
		if pc.Precheck.Kind != "analytical_change" || pc.Instance.DefKey != "analytical-plan-change" ||
			len(pc.Instance.Tasks) != 1 || pc.Instance.Tasks[0].AssigneeID != personID(t, e, "sunli") {
			t.Fatalf("filed %+v", pc)
		}
		// A synthesis checklist does not do for an analytical change.
		if r := e.as(t, "guoqiang", "POST", "/api/v1/projects/LF-2026-01/prechecks", precheckBody("质量研究")); r.status != 422 {
			t.Fatalf("the wrong checklist: %d %s", r.status, r.body)
		}
		for _, u := range []string{"chenzhiqiang", "wangjianguo", "lihua", "liuyang"} {
			if r := actOnPrecheck(t, e, u, pc, "approve"); r.status == 200 {
				t.Errorf("%s approved the analytical-plan change", u)
			}
		}
		if r := actOnPrecheck(t, e, "sunli", pc, "approve"); r.status != 200 {
			t.Fatalf("the analytical director approves: %d %s", r.status, r.body)
		}
		if got := precheckState(t, e, "LF-2026-01", pc.Precheck.ID); got != "approved" {
			t.Fatalf("state %s", got)
		}
		if r, x := startExperiment(t, e, "guoqiang", map[string]any{"precheck_id": pc.Precheck.ID}); r.status != 201 || x.Node != "质量研究" {
			t.Fatalf("start: %d %s", r.status, r.body)
		}
	})
}

// Ensure an approved pre-check whose node a newly signed plan revision
// removed no longer starts an experiment (EXP-1, PRJ-3).
func TestEXP1_StartRefusedWhenTheNodeLeftThePlan(t *testing.T) {
	t.Parallel()
	onBothBackends(t, func(t *testing.T, e *env) {
		pc := approvedPrecheck(t, e)
		rev := goodPlan(0)
		rev["reason"] = "节点重新划分"
		r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/LF-2026-01/plans", rev)
		if r.status != http.StatusCreated {
			t.Fatalf("revision: %d %s", r.status, r.body)
		}
		var p planOut
		r.json(t, &p)
		for _, u := range []string{"lihua", "liuyang", "wangjianguo"} {
			if r := signPlan(t, e, u, p); r.status != 200 {
				t.Fatalf("%s signs: %d %s", u, r.status, r.body)
			}
		}
		before := rowsOfExperiments(t, e)
		if r, _ := startExperiment(t, e, "zhangwei", map[string]any{"precheck_id": pc.Precheck.ID}); r.status != 409 || r.problem(t).Key != "projects.exp.unknown_node" {
			t.Fatalf("start on a node no longer planned: %d %s", r.status, r.body)
		}
		if after := rowsOfExperiments(t, e); after != before {
			t.Fatalf("the refusal wrote: %v → %v", before, after)
		}
	})
}
