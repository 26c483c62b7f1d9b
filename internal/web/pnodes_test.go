package web_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"labflow/internal/domain"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// Projects → nodes through the JSON API and the pages (issue 10, PRJ-4):
// a signed plan's nodes as rows, planned against actual; the director's
// record of a node's actual dates; the researcher's materials
// confirmation that starts the execution clock; health and lateness in the
// list and on the page; the dashboards; the exports. The demo has
// LF-2026-01 on time (a node in progress), LF-2026-02 late (处方筛选 still
// open past its end) and LF-2026-03 blocked (its plan being signed).

type nodeOut struct {
	Name         string `json:"name"`
	Revision     int    `json:"revision"`
	PlannedStart string `json:"planned_start"`
	PlannedEnd   string `json:"planned_end"`
	PlannedTests int    `json:"planned_tests"`
	ActualStart  string `json:"actual_start"`
	ActualEnd    string `json:"actual_end"`
	TestsUsed    int    `json:"tests_used"`
	State        string `json:"state"`
	LateDays     int    `json:"late_days"`
	OnTime       bool   `json:"on_time"`
}

type executionOut struct {
	Materials *struct {
		ReadyOn  string  `json:"ready_on"`
		Requests []int64 `json:"requests"`
	} `json:"materials"`
	Days         int       `json:"days"`
	NodesOnTime  int       `json:"nodes_on_time"`
	NodesLate    int       `json:"nodes_late"`
	NodesOpen    int       `json:"nodes_open"`
	TestsPlanned int       `json:"tests_planned"`
	TestsUsed    int       `json:"tests_used"`
	Nodes        []nodeOut `json:"nodes"`
}

type healthOut struct {
	State    string `json:"state"`
	Reason   string `json:"reason"`
	Node     string `json:"node"`
	LateDays int    `json:"late_days"`
	Revision int    `json:"revision"`
	NextDue  *struct {
		Name string `json:"name"`
		End  string `json:"end"`
	} `json:"next_due"`
}

func execution(t *testing.T, e *env, user, code string) executionOut {
	t.Helper()
	r := e.as(t, user, "GET", "/api/v1/projects/"+code+"/execution", nil)
	if r.status != 200 {
		t.Fatalf("execution of %s as %s: %d %s", code, user, r.status, r.body)
	}
	var x executionOut
	r.json(t, &x)
	return x
}

func healthOf(t *testing.T, e *env, user, code string) healthOut {
	t.Helper()
	var d struct {
		Health healthOut `json:"health"`
	}
	e.as(t, user, "GET", "/api/v1/projects/"+code, nil).json(t, &d)
	return d.Health
}

// signedProject creates project code as chenzhiqiang with goodPlan(offset)
// signed by the committee.
func signedProject(t *testing.T, e *env, code string, plan map[string]any) {
	t.Helper()
	newProject(t, e, code)
	r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/"+code+"/plans", plan)
	if r.status != http.StatusCreated {
		t.Fatalf("file: %d %s", r.status, r.body)
	}
	var p planOut
	r.json(t, &p)
	for _, u := range []string{"lihua", "liuyang", "wangjianguo"} {
		if r := signPlan(t, e, u, p); r.status != 200 {
			t.Fatalf("%s signs: %d %s", u, r.status, r.body)
		}
	}
}

func nodePath(code, node string) string {
	return "/api/v1/projects/" + code + "/nodes/" + url.PathEscape(node) + "/actual"
}

// Ensure a plan's nodes become rows in the transaction that signs it,
// none before; a new signed revision carries the actuals over by node name
// and keeps the earlier revision's rows as they stood (PRJ-4).
func TestPRJ4_SignedPlanBecomesNodesAndCarriesActualsOver(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	newProject(t, e, "T-PN1")
	if h := healthOf(t, e, "chenzhiqiang", "T-PN1"); h.State != "blocked" || h.Reason != "no_plan" {
		t.Fatalf("no plan: %+v", h)
	}
	r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/T-PN1/plans", goodPlan(-30))
	var p planOut
	r.json(t, &p)
	if x := execution(t, e, "chenzhiqiang", "T-PN1"); len(x.Nodes) != 0 {
		t.Fatalf("nodes before signing: %+v", x.Nodes)
	}
	if h := healthOf(t, e, "chenzhiqiang", "T-PN1"); h.State != "blocked" || h.Reason != "plan_signing" || h.Revision != 1 {
		t.Fatalf("signing: %+v", h)
	}
	for _, u := range []string{"lihua", "liuyang", "wangjianguo"} {
		signPlan(t, e, u, p)
	}
	x := execution(t, e, "chenzhiqiang", "T-PN1")
	if len(x.Nodes) != 2 || x.Nodes[0].Name != "路线确认" || x.Nodes[0].PlannedStart != day(-30) || x.Nodes[0].PlannedEnd != day(-10) ||
		x.Nodes[0].PlannedTests != 4 || x.Nodes[1].PlannedTests != 9 || x.TestsPlanned != 13 || x.Nodes[0].Revision != 1 {
		t.Fatalf("nodes after signing: %+v", x)
	}
	if h := healthOf(t, e, "chenzhiqiang", "T-PN1"); h.State != "blocked" || h.Reason != "waiting_materials" {
		t.Fatalf("signed, no materials: %+v", h)
	}
	// The director records what happened to the first node.
	if r := e.as(t, "chenzhiqiang", "POST", nodePath("T-PN1", "路线确认"), map[string]any{"start": day(-29), "end": day(-5), "tests_used": 5, "reason": "补录"}); r.status != 200 {
		t.Fatalf("actual: %d %s", r.status, r.body)
	}
	// Revision 2 renames the second node and keeps the first.
	rev2 := goodPlan(-30)
	rev2["reason"] = "第二节点改名"
	rev2["nodes"].([]any)[1].(map[string]any)["name"] = "小试三批放大"
	r = e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/T-PN1/plans", rev2)
	var p2 planOut
	r.json(t, &p2)
	if x := execution(t, e, "chenzhiqiang", "T-PN1"); x.Nodes[0].Revision != 1 {
		t.Fatal("the nodes changed before revision 2 was signed")
	}
	for _, u := range []string{"lihua", "liuyang", "wangjianguo"} {
		signPlan(t, e, u, p2)
	}
	x = execution(t, e, "chenzhiqiang", "T-PN1")
	if len(x.Nodes) != 2 || x.Nodes[0].Revision != 2 || x.Nodes[0].ActualStart != day(-29) || x.Nodes[0].ActualEnd != day(-5) || x.Nodes[0].TestsUsed != 5 ||
		x.Nodes[1].Name != "小试三批放大" || x.Nodes[1].ActualStart != "" {
		t.Fatalf("carried over: %+v", x.Nodes)
	}
	var rows, current int
	id := mustProjectID(t, e, "T-PN1")
	if err := e.app.DB.R().QueryRowContext(context.Background(), "SELECT COUNT(*), SUM(current) FROM project_node WHERE project_id = $1", id).Scan(&rows, &current); err != nil {
		t.Fatal(err)
	}
	if rows != 4 || current != 2 {
		t.Fatalf("rows %d, current %d: want 4 and 2", rows, current)
	}
}

// Ensure only the project's director records a node's actual dates, with a
// reason; a forged node, a day after today, an end before the start are
// refused naming the field; a plan being signed refuses; nothing is
// written on a refusal (PRJ-4).
func TestPRJ4_DirectorRecordsActualsOnly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	good := map[string]any{"start": day(-60), "end": day(-30), "tests_used": 7, "reason": "据实验记录"}
	signIn(t, e, "zhangwei", "lihua", "wangjianguo", "liuyang", "admin", "xuli", "chenzhiqiang")
	before := e.auditCount(t)
	for user, want := range map[string]int{"zhangwei": 403, "lihua": 403, "wangjianguo": 403, "liuyang": 404, "admin": 404, "xuli": 404} {
		if r := e.as(t, user, "POST", nodePath("LF-2026-01", "路线确认"), good); r.status != want {
			t.Errorf("%s records: %d, want %d", user, r.status, want)
		}
	}
	for name, c := range map[string]struct {
		node  string
		body  map[string]any
		field string
	}{
		"forged node":      {"不存在的节点", good, "node"},
		"future start":     {"路线确认", map[string]any{"start": day(3), "reason": "x"}, "start"},
		"end before start": {"路线确认", map[string]any{"start": day(-10), "end": day(-20), "reason": "x"}, "end"},
		"no reason":        {"路线确认", map[string]any{"start": day(-10)}, "reason"},
		"negative tests":   {"路线确认", map[string]any{"start": day(-10), "tests_used": -1, "reason": "x"}, "tests_used"},
		"bad date":         {"路线确认", map[string]any{"start": "2026-13-01", "reason": "x"}, "start"},
	} {
		r := e.as(t, "chenzhiqiang", "POST", nodePath("LF-2026-01", c.node), c.body)
		if r.status != 422 || fieldKeys(t, r)[c.field] == "" {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	if r := e.as(t, "chenzhiqiang", "POST", nodePath("LF-2026-03", "路线设计"), good); r.status != 409 || r.problem(t).Key != "projects.plan_signing" {
		t.Errorf("unsigned plan: %d %s", r.status, r.body)
	}
	if got := e.auditCount(t); got != before {
		t.Fatalf("refusals wrote %d audit events", got-before)
	}
	if x := execution(t, e, "chenzhiqiang", "LF-2026-01"); x.Nodes[0].ActualEnd != day(-29) || x.Nodes[0].TestsUsed != 6 {
		t.Fatalf("a refusal changed the node: %+v", x.Nodes[0])
	}
	r := e.as(t, "chenzhiqiang", "POST", nodePath("LF-2026-01", "路线确认"), good)
	if r.status != 200 || e.auditCount(t) != before+1 {
		t.Fatalf("record: %d %s", r.status, r.body)
	}
	x := execution(t, e, "zhangwei", "LF-2026-01")
	if n := x.Nodes[0]; n.ActualStart != day(-60) || n.ActualEnd != day(-30) || n.TestsUsed != 7 || n.State != "done" {
		t.Fatalf("recorded: %+v", n)
	}
	// The trail says who changed what, and why.
	r = e.as(t, "lihua", "GET", "/api/v1/audit?action=project.node_actual", nil)
	if !strings.Contains(r.body, "据实验记录") || !strings.Contains(r.body, day(-30)) {
		t.Fatalf("audit: %.600s", r.body)
	}
}

// Ensure a researcher on the team confirms the day materials stop
// blocking the work, naming purchase requests of this project only; the
// execution time counts from that day; a second confirmation, another
// project's request, a forged id, someone not on the team are refused and
// write nothing (PRJ-4).
func TestPRJ4_MaterialsConfirmationStartsTheClock(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	signedProject(t, e, "T-PN2", goodPlan(-30))
	id := mustProjectID(t, e, "T-PN2")
	if r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/T-PN2/members", map[string]any{"person_id": personID(t, e, "zhangwei"), "from": day(-40)}); r.status != 201 {
		t.Fatalf("member: %d %s", r.status, r.body)
	}
	form := func(project int64) map[string]any {
		return map[string]any{"project": project, "reason": "项目用溶剂", "category": "solvent", "acceptance": "requester_confirms",
			"items": []any{map[string]any{"name": "乙腈", "quantity": "2", "unit": "瓶", "unit_price": "300"}}}
	}
	mine := e.file(t, "zhangwei", "purchase-request", form(id))
	other := e.file(t, "zhangwei", "purchase-request", form(mustProjectID(t, e, "LF-2026-01")))
	// The project field is a reference: a project the requester may not see is refused.
	if r := e.as(t, "xuli", "POST", "/api/v1/processes/purchase-request/instances", map[string]any{"form": form(id)}); r.status != 422 || fieldKeys(t, r)["project"] == "" {
		t.Fatalf("a project xuli may not see: %d %s", r.status, r.body)
	}
	signIn(t, e, "chenzhiqiang", "lihua", "liuyang", "xuli", "admin", "zhangwei")
	before := e.auditCount(t)
	for user, want := range map[string]int{"chenzhiqiang": 403, "lihua": 403, "liuyang": 404, "xuli": 404, "admin": 404} {
		if r := e.as(t, user, "POST", "/api/v1/projects/T-PN2/materials", map[string]any{"ready_on": day(-20), "requests": []int64{mine}}); r.status != want {
			t.Errorf("%s confirms: %d, want %d", user, r.status, want)
		}
	}
	for name, c := range map[string]struct {
		body  map[string]any
		field string
	}{
		"another project's request": {map[string]any{"ready_on": day(-20), "requests": []int64{other}}, "requests.1"},
		"forged request":            {map[string]any{"ready_on": day(-20), "requests": []int64{mine, 99999999}}, "requests.2"},
		"not a purchase request":    {map[string]any{"ready_on": day(-20), "requests": []int64{mine, mine}}, "requests.2"},
		"future day":                {map[string]any{"ready_on": day(2), "requests": []int64{mine}}, "ready_on"},
		"no day":                    {map[string]any{"requests": []int64{mine}}, "ready_on"},
	} {
		r := e.as(t, "zhangwei", "POST", "/api/v1/projects/T-PN2/materials", c.body)
		if r.status != 422 || fieldKeys(t, r)[c.field] == "" {
			t.Errorf("%s: %d %s", name, r.status, r.body)
		}
	}
	if got := e.auditCount(t); got != before {
		t.Fatalf("refusals wrote %d audit events", got-before)
	}
	r := e.as(t, "zhangwei", "POST", "/api/v1/projects/T-PN2/materials", map[string]any{"ready_on": day(-20), "requests": []int64{mine}, "note": "到货"})
	if r.status != 201 {
		t.Fatalf("confirm: %d %s", r.status, r.body)
	}
	x := execution(t, e, "zhangwei", "T-PN2")
	if x.Materials == nil || x.Materials.ReadyOn != day(-20) || len(x.Materials.Requests) != 1 || x.Materials.Requests[0] != mine || x.Days < 10 || x.Days > 21 {
		t.Fatalf("clock: %+v", x)
	}
	if r := e.as(t, "zhangwei", "POST", "/api/v1/projects/T-PN2/materials", map[string]any{"ready_on": day(-10)}); r.status != 409 {
		t.Fatalf("second confirmation: %d %s", r.status, r.body)
	}
	// Now the project's health follows its nodes: the first node ended
	// ten days ago unfinished — late, by working days.
	h := healthOf(t, e, "chenzhiqiang", "T-PN2")
	if h.State != "late" || h.Reason != "node_late" || h.Node != "路线确认" || h.LateDays < 6 || h.LateDays > 10 || h.NextDue == nil || h.NextDue.Name != "路线确认" {
		t.Fatalf("health: %+v", h)
	}
	// Finished on its planned end: on time; the project is on time again.
	e.as(t, "chenzhiqiang", "POST", nodePath("T-PN2", "路线确认"), map[string]any{"start": day(-30), "end": day(-10), "tests_used": 4, "reason": "按期完成"})
	x = execution(t, e, "zhangwei", "T-PN2")
	if x.NodesOnTime != 1 || x.NodesLate != 0 || x.NodesOpen != 1 || x.TestsUsed != 4 || !x.Nodes[0].OnTime || x.Nodes[0].LateDays != 0 {
		t.Fatalf("figures: %+v", x)
	}
	if h := healthOf(t, e, "chenzhiqiang", "T-PN2"); h.State != "on_time" || h.NextDue == nil || h.NextDue.Name != "小试放大" {
		t.Fatalf("health after: %+v", h)
	}
}

// Ensure the project list gives each project its health with the reason
// and the next node due (API and page), and the project page draws the
// actual bars with the node in progress (PRJ-4).
func TestPRJ4_HealthInTheListAndOnThePage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var l struct {
		Projects []struct {
			Code   string    `json:"code"`
			Health healthOut `json:"health"`
		} `json:"projects"`
	}
	e.as(t, "lihua", "GET", "/api/v1/projects", nil).json(t, &l)
	got := map[string]healthOut{}
	for _, p := range l.Projects {
		got[p.Code] = p.Health
	}
	if h := got["LF-2026-01"]; h.State != "on_time" || h.NextDue == nil || h.NextDue.Name != "小试工艺优化" {
		t.Errorf("LF-2026-01: %+v", h)
	}
	if h := got["LF-2026-02"]; h.State != "late" || h.Node != "处方筛选" || h.LateDays < 30 {
		t.Errorf("LF-2026-02: %+v", h)
	}
	if h := got["LF-2026-03"]; h.State != "blocked" || h.Reason != "plan_signing" {
		t.Errorf("LF-2026-03: %+v", h)
	}
	c := e.login(t, "lihua")
	r := e.do(t, c, "GET", "/projects", nil, nil)
	if !strings.Contains(r.body, "滞后：节点“处方筛选”超期") || !strings.Contains(r.body, "受阻：节点计划第 1 版签署中") || !strings.Contains(r.body, `class="tag ok health-on_time"`) {
		t.Errorf("list page lacks health: %.2000s", r.body)
	}
	r = e.do(t, c, "GET", "/projects/LF-2026-01", nil, nil)
	for _, want := range []string{`id="execution"`, `node-progress`, `class="actual progress`, "进行中", `id="gantt-today"`, "不再受物料制约（张伟 确认）", `id="plan-print"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("project page lacks %q", want)
		}
	}
	if strings.Contains(r.body, `id="node-actual"`) || strings.Contains(r.body, `id="materials-confirm"`) {
		t.Error("the Business Dean is offered the director's or the team's form")
	}
	e.do(t, c, "POST", "/lang", "lang=en", map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if r := e.do(t, c, "GET", "/projects", nil, nil); !strings.Contains(r.body, "Blocked: plan revision 1 being signed") {
		t.Error("no English health")
	}
	// The director's form: a bad day is said next to the field; a good one saves.
	d := e.login(t, "chenzhiqiang")
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	r = e.do(t, d, "POST", "/projects/LF-2026-01/nodes/actual", "node=路线确认&start="+day(5)+"&reason=x", form)
	if r.status != 422 || !strings.Contains(r.body, "日期不能晚于今天") {
		t.Fatalf("bad day: %d", r.status)
	}
	r = e.do(t, d, "POST", "/projects/LF-2026-01/nodes/actual", "node=小试工艺优化&start="+day(-28)+"&end="+day(0)+"&tests_used=12&reason=完成", form)
	if r.status != 303 {
		t.Fatalf("save: %d %s", r.status, r.body)
	}
	if x := execution(t, e, "chenzhiqiang", "LF-2026-01"); x.Nodes[1].ActualEnd != day(0) || x.Nodes[1].TestsUsed != 12 {
		t.Fatalf("saved: %+v", x.Nodes[1])
	}
}

// Ensure the director's dashboard shows their departments' projects with
// lateness, the open tasks on them by process and the people's load, and
// the Business Dean's every project late or blocked with why; nobody else
// has them (PRJ-12).
func TestPRJ4_Dashboards(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var d struct {
		Projects []struct {
			Code      string    `json:"code"`
			OpenTasks int       `json:"open_tasks"`
			Health    healthOut `json:"health"`
		} `json:"projects"`
		ByHealth  map[string]int `json:"by_health"`
		Processes []struct {
			Definition string `json:"definition"`
			Count      int    `json:"count"`
		} `json:"processes"`
		Load []struct {
			Name      string `json:"name"`
			OpenTasks int    `json:"open_tasks"`
			Projects  int    `json:"projects"`
		} `json:"load"`
	}
	r := e.as(t, "chenzhiqiang", "GET", "/api/v1/dashboards/director", nil)
	r.json(t, &d)
	codes := map[string]int{}
	for _, p := range d.Projects {
		codes[p.Code] = p.OpenTasks
	}
	_, has01 := codes["LF-2026-01"]
	if _, ok := codes["LF-2026-02"]; ok || !has01 || codes["LF-2026-03"] == 0 {
		t.Fatalf("projects: %s", r.body)
	}
	// The open tasks on the director's projects by process: the plan being
	// signed on LF-2026-03 and the pre-check waiting on LF-2026-01 (EXP-1).
	byDef := map[string]int{}
	for _, p := range d.Processes {
		byDef[p.Definition] = p.Count
	}
	if byDef["node-plan"] != codes["LF-2026-03"] || byDef["pre-check"] < 1 {
		t.Fatalf("processes: %+v", d.Processes)
	}
	var zw, signer bool
	for _, l := range d.Load {
		zw = zw || (l.Name == "张伟" && l.Projects >= 1)
		signer = signer || l.OpenTasks > 0
	}
	if !zw || !signer || d.ByHealth["on_time"] != 1 || d.ByHealth["blocked"] < 1 {
		t.Fatalf("load/health: %s", r.body)
	}
	for user, want := range map[string]int{"zhangwei": 403, "admin": 403, "gaoyuan": 403} {
		if r := e.as(t, user, "GET", "/api/v1/dashboards/director", nil); r.status != want {
			t.Errorf("%s: %d", user, r.status)
		}
	}
	var b struct {
		Total     int `json:"total"`
		Attention []struct {
			Code   string    `json:"code"`
			Health healthOut `json:"health"`
		} `json:"attention"`
	}
	e.as(t, "lihua", "GET", "/api/v1/dashboards/business", nil).json(t, &b)
	reasons := map[string]string{}
	for _, a := range b.Attention {
		reasons[a.Code] = a.Health.Reason
	}
	var all struct{ Total int }
	e.as(t, "lihua", "GET", "/api/v1/projects", nil).json(t, &all)
	if b.Total != all.Total || len(b.Attention) == 0 || b.Attention[0].Code != "LF-2026-02" || reasons["LF-2026-02"] != "node_late" ||
		reasons["LF-2026-03"] != "plan_signing" || reasons["LF-2026-01"] != "" {
		t.Fatalf("business: %+v", b)
	}
	for user, want := range map[string]int{"chenzhiqiang": 403, "zhangwei": 403, "admin": 403, "wangjianguo": 200} {
		if r := e.as(t, user, "GET", "/api/v1/dashboards/business", nil); r.status != want {
			t.Errorf("%s: %d", user, r.status)
		}
	}
	c := e.login(t, "chenzhiqiang")
	if r := e.do(t, c, "GET", "/dashboards/director", nil, nil); r.status != 200 || !strings.Contains(r.body, "节点计划") || !strings.Contains(r.body, "LF-2026-03") {
		t.Fatalf("director page: %d", r.status)
	}
	c = e.login(t, "lihua")
	if r := e.do(t, c, "GET", "/dashboards/business", nil, nil); r.status != 200 || !strings.Contains(r.body, "处方筛选") {
		t.Fatalf("business page: %d", r.status)
	}
}

// Ensure the register and a node plan export to Excel for who may see
// them, and a plan prints on A4 with its signatures (PRJ-12 decides).
func TestPRJ4_ExportsAndPrint(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.login(t, "zhangwei")
	r := e.do(t, c, "GET", "/projects/register.xlsx", nil, nil)
	if r.status != 200 || !strings.Contains(r.header.Get("Content-Type"), "spreadsheetml") {
		t.Fatalf("register: %d %s", r.status, r.header.Get("Content-Type"))
	}
	rows := xlsxRows(t, r.body)
	if len(rows) < 2 || rows[1][0] != "LF-2026-01" || rows[1][8] != "按期" {
		t.Fatalf("register rows: %v", rows)
	}
	r = e.do(t, c, "GET", "/projects/LF-2026-01/plans/1/xlsx", nil, nil)
	rows = xlsxRows(t, r.body)
	if r.status != 200 || len(rows) != 6 || rows[1][0] != "路线确认" || rows[1][5] != day(-60) || rows[1][7] != "6" {
		t.Fatalf("plan rows: %d %v", r.status, rows)
	}
	if r := e.do(t, e.login(t, "xuli"), "GET", "/projects/LF-2026-01/plans/1/xlsx", nil, nil); r.status != 404 {
		t.Fatalf("xuli exports LF-2026-01: %d", r.status)
	}
	r = e.do(t, c, "GET", "/projects/LF-2026-01/plans/1/print", nil, nil)
	if i := strings.Index(r.body, `id="plan-print-sheet"`); r.status != 200 || i < 0 || !strings.Contains(r.body, "王建国") || !strings.Contains(r.body, "data-print") {
		t.Fatalf("print: %d %s", r.status, r.body[max(i, 0):])
	}
}

// xlsxRows reads the first sheet of an Excel file.
func xlsxRows(t *testing.T, body string) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// Ensure nodes, actuals, materials and health work the same on PostgreSQL.
func TestPRJ4_OnPostgres(t *testing.T) {
	e := newEnv(t, withDSN(storetest.NewPostgresDB(t)))
	if h := healthOf(t, e, "lihua", "LF-2026-02"); h.State != "late" || h.Node != "处方筛选" {
		t.Fatalf("health: %+v", h)
	}
	if r := e.as(t, "chenzhiqiang", "POST", nodePath("LF-2026-01", "路线确认"), map[string]any{"start": day(-60), "end": day(-31), "reason": "x"}); r.status != 200 {
		t.Fatalf("actual: %d %s", r.status, r.body)
	}
	if x := execution(t, e, "zhangwei", "LF-2026-01"); x.NodesOnTime != 1 || x.Materials == nil {
		t.Fatalf("execution: %+v", x)
	}
	if r := e.as(t, "chenzhiqiang", "GET", "/api/v1/dashboards/director", nil); r.status != 200 || !strings.Contains(r.body, `"node-plan"`) {
		t.Fatalf("dashboard: %d %s", r.status, r.body)
	}
}

// Ensure the methods the experiments and stages call record a node's
// start, end and tests, in their caller's transaction or their own, each
// audited; a node the plan in force lacks, an end before the start, a
// count below zero are refused naming the field (PRJ-4).
func TestPRJ4_NodeEventsForTheOtherParts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	ctx := context.Background()
	svc := e.app.Projects
	signedProject(t, e, "T-PN3", goodPlan(-30))
	id := mustProjectID(t, e, "T-PN3")
	zw := domainActor(t, e, "zhangwei")
	before := e.auditCount(t)
	// In the caller's transaction: both writes or neither.
	err := e.app.DB.Write(ctx, func(tx *store.Tx) error {
		if err := svc.NodeStarted(ctx, tx, zw, id, "路线确认", day(-25)); err != nil {
			return err
		}
		return svc.TestsUsed(ctx, tx, zw, id, "路线确认", 2)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.auditCount(t); got != before+2 {
		t.Fatalf("%d audit events, want 2", got-before)
	}
	// An earlier start wins; a later one changes nothing and writes nothing.
	if err := svc.NodeStarted(ctx, nil, zw, id, "路线确认", day(-20)); err != nil || e.auditCount(t) != before+2 {
		t.Fatalf("later start: %v", err)
	}
	for name, err := range map[string]error{
		"unknown node":     svc.NodeStarted(ctx, nil, zw, id, "不存在", day(-1)),
		"end before start": svc.NodeFinished(ctx, nil, zw, id, "路线确认", day(-26)),
		"below zero":       svc.TestsUsed(ctx, nil, zw, id, "路线确认", -3),
		"future":           svc.NodeFinished(ctx, nil, zw, id, "路线确认", day(1)),
	} {
		if domain.ErrorKind(err) != domain.KindInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
	if err := svc.NodeStarted(ctx, nil, zw, mustProjectID(t, e, "LF-2026-03"), "路线设计", day(-1)); domain.ErrorKind(err) != domain.KindConflict ||
		!strings.Contains(err.Error(), "projects.plan_signing") {
		t.Errorf("unsigned project: %v", err)
	}
	if err := svc.NodeFinished(ctx, nil, zw, id, "路线确认", day(-8)); err != nil {
		t.Fatal(err)
	}
	x := execution(t, e, "chenzhiqiang", "T-PN3")
	if n := x.Nodes[0]; n.ActualStart != day(-25) || n.ActualEnd != day(-8) || n.TestsUsed != 2 || n.State != "done" || n.OnTime || n.LateDays == 0 {
		t.Fatalf("node: %+v", n)
	}
}

// domainActor is username as the services see them.
func domainActor(t *testing.T, e *env, username string) domain.Actor {
	t.Helper()
	p, err := e.app.People.PersonByUsername(context.Background(), username)
	if err != nil {
		t.Fatal(err)
	}
	return domain.Actor{ID: p.ID, Username: p.Username, Name: p.Name, Grants: p.Grants, Via: "session"}
}
