package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"labflow/internal/domain"
	"labflow/internal/store/storetest"
)

// Projects through the JSON API and the pages (issue 10; SPEC PRJ-2,
// PRJ-3, PRJ-12, DIR-3). The demo institute has LF-2026-01 (合成部 and
// 分析部, director chenzhiqiang, team zhangwei, wangfang, guoqiang, plan
// signed), LF-2026-02 (制剂部, liuyang) and LF-2026-03 (plan being signed).

// day is a day counted from today in the institute's zone.
func day(n int) string {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	return time.Now().In(loc).AddDate(0, 0, n).Format(time.DateOnly)
}

// fieldKeys maps each field of a problem to its message key.
func fieldKeys(t *testing.T, r response) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, f := range r.problem(t).Errors {
		out[f.Field] = f.Key
	}
	return out
}

// goodPlan is a valid node plan starting from day offset.
func goodPlan(offset int) map[string]any {
	return map[string]any{
		"ip": "化合物专利 2027 年到期", "key_points": "手性中心的控制",
		"nodes": []any{
			map[string]any{"name": "路线确认", "start": day(offset), "end": day(offset + 20), "tests": []any{map[string]any{"item": "HPLC 纯度", "count": 4}}},
			map[string]any{"name": "小试放大", "start": day(offset + 21), "end": day(offset + 60), "tests": []any{
				map[string]any{"item": "有关物质", "count": 6}, map[string]any{"item": "残留溶剂", "count": 3}}},
		},
		"rewards": []any{map[string]any{"stage": "lab", "amount": "20000"}},
	}
}

type planOut struct {
	Revision struct {
		ID         int64  `json:"id"`
		Revision   int    `json:"revision"`
		State      string `json:"state"`
		InstanceID int64  `json:"instance_id"`
	} `json:"revision"`
	Instance struct {
		ID    int64 `json:"id"`
		Tasks []struct {
			ID         int64 `json:"id"`
			AssigneeID int64 `json:"assignee_id"`
		} `json:"tasks"`
	} `json:"instance"`
}

// newProject creates a synthesis project as chenzhiqiang, taken over in
// stage lab with its route chosen and its kick-off report signed, ready
// for its node plan (readyForPlan: projects_init_test.go).
func newProject(t *testing.T, e *env, code string) {
	t.Helper()
	r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects", map[string]any{"code": code, "name": "测试项目 " + code, "kind": "api",
		"rld": "参比 X", "departments": []int64{deptID(t, e, "analytical")}, "stage": "lab"})
	if r.status != http.StatusCreated {
		t.Fatalf("create %s: %d %s", code, r.status, r.body)
	}
	readyForPlan(t, e, code)
}

func deptID(t *testing.T, e *env, code string) int64 {
	t.Helper()
	ds, err := e.app.People.Departments(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Code == code {
			return d.ID
		}
	}
	t.Fatalf("no department %s", code)
	return 0
}

// requireSigned asks the projects service's check for the project code.
func requireSigned(t *testing.T, e *env, code string) error {
	t.Helper()
	ctx := context.Background()
	gm := domain.Actor{ID: personID(t, e, "wangjianguo"), Grants: []domain.Grant{{Role: domain.RoleGM}}, Via: "session"}
	d, err := e.app.Projects.Get(ctx, gm, code)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = e.app.Projects.RequireSignedPlan(ctx, d.ID)
	return err
}

// signPlan approves the committee task of user on a plan's signing.
func signPlan(t *testing.T, e *env, user string, p planOut) response {
	t.Helper()
	id := personID(t, e, user)
	for _, tk := range p.Instance.Tasks {
		if tk.AssigneeID == id {
			return e.as(t, user, "POST", idPath("/api/v1/tasks/%d/actions", tk.ID), map[string]any{"action": "approve", "password": "labflow-demo", "comment": "同意"})
		}
	}
	t.Fatalf("%s has no task on the plan's signing", user)
	return response{}
}

// Ensure a plan is signed by the Technical Committee — a quorum with the
// chair, never its author — before the project accepts the work that needs
// it, and that the refusal says why (PRJ-2, PRJ-3).
func TestPRJ2_PlanSignedByCommitteeBeforeWork(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	newProject(t, e, "T-PRJ2")
	if err := requireSigned(t, e, "T-PRJ2"); domain.ErrorKind(err) != domain.KindConflict || !strings.Contains(err.Error(), "projects.plan_not_signed") {
		t.Fatalf("no plan: %v", err)
	}
	// Only the project's director files it.
	for user, want := range map[string]int{"zhangwei": 404, "liuyang": 404, "admin": 404, "lihua": 403, "sunli": 403} {
		if r := e.as(t, user, "POST", "/api/v1/projects/T-PRJ2/plans", goodPlan(0)); r.status != want {
			t.Errorf("%s files a plan: %d, want %d: %s", user, r.status, want, r.body)
		}
	}
	r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/T-PRJ2/plans", goodPlan(0))
	if r.status != http.StatusCreated {
		t.Fatalf("file: %d %s", r.status, r.body)
	}
	var p planOut
	r.json(t, &p)
	if p.Revision.Revision != 1 || p.Revision.State != "signing" || p.Revision.InstanceID != p.Instance.ID || p.Instance.ID == 0 {
		t.Fatalf("filed %+v", p)
	}
	// The author is not asked to sign his own plan (exclude: [initiator]).
	for _, tk := range p.Instance.Tasks {
		if tk.AssigneeID == personID(t, e, "chenzhiqiang") {
			t.Fatal("the author has a task on his own plan")
		}
	}
	if err := requireSigned(t, e, "T-PRJ2"); err == nil || !strings.Contains(err.Error(), "projects.plan_signing") {
		t.Fatalf("while signing: %v", err)
	}
	// A second revision waits for the first to be decided.
	if r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/T-PRJ2/plans", map[string]any{"reason": "调整", "nodes": goodPlan(1)["nodes"]}); r.status != 409 ||
		r.problem(t).Key != "projects.plan_in_signing" {
		t.Fatalf("second revision while signing: %d %s", r.status, r.body)
	}
	// Three members are a quorum, but not without the chair.
	for _, u := range []string{"lihua", "liuyang", "sunli"} {
		if r := signPlan(t, e, u, p); r.status != 200 {
			t.Fatalf("%s signs: %d %s", u, r.status, r.body)
		}
	}
	if err := requireSigned(t, e, "T-PRJ2"); err == nil {
		t.Fatal("signed without the chair")
	}
	if r := signPlan(t, e, "wangjianguo", p); r.status != 200 {
		t.Fatalf("chair signs: %d %s", r.status, r.body)
	}
	if err := requireSigned(t, e, "T-PRJ2"); err != nil {
		t.Fatalf("signed plan refused: %v", err)
	}
	var d struct {
		Plan struct {
			InForce  bool `json:"in_force"`
			Revision struct {
				State string `json:"state"`
			} `json:"revision"`
		} `json:"plan"`
		Processes []struct {
			ID     int64  `json:"id"`
			Status string `json:"status"`
		} `json:"processes"`
		Nodes any `json:"nodes"`
	}
	e.as(t, "zhangwei", "GET", "/api/v1/projects/T-PRJ2", nil) // not on the team: not found
	r = e.as(t, "chenzhiqiang", "GET", "/api/v1/projects/T-PRJ2", nil)
	r.json(t, &d)
	if !d.Plan.InForce || d.Plan.Revision.State != "signed" || len(d.Processes) != 1 || d.Processes[0].Status != "approved" {
		t.Fatalf("project after signing: %s", r.body)
	}
	// The committee's signatures cover the revision: the request shows it.
	r = e.as(t, "chenzhiqiang", "GET", idPath("/api/v1/instances/%d", p.Instance.ID), nil)
	if !strings.Contains(r.body, `"subject"`) || !strings.Contains(r.body, "T-PRJ2 节点计划 第1版") {
		t.Fatalf("the request does not show its plan: %.400s", r.body)
	}

	// A revision: signed separately; the one in force stays until it is;
	// its page shows what changed. A rejection leaves revision 1 in force.
	rev2 := goodPlan(0)
	rev2["reason"] = "小试放大延后两周"
	rev2["nodes"].([]any)[1].(map[string]any)["end"] = day(74)
	r = e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/T-PRJ2/plans", rev2)
	if r.status != http.StatusCreated {
		t.Fatalf("revision 2: %d %s", r.status, r.body)
	}
	var p2 planOut
	r.json(t, &p2)
	r = e.as(t, "lihua", "GET", "/api/v1/projects/T-PRJ2/plans/2", nil)
	if r.status != 200 || !strings.Contains(r.body, `"field":"node 小试放大"`) || !strings.Contains(r.body, day(74)) {
		t.Fatalf("revision 2's changes: %d %s", r.status, r.body)
	}
	if err := requireSigned(t, e, "T-PRJ2"); err != nil {
		t.Fatalf("revision 1 is no longer in force while 2 is signed: %v", err)
	}
	// Two of four against: the quorum of three can no longer be reached.
	for _, u := range []string{"lihua", "liuyang"} {
		id := personID(t, e, u)
		for _, tk := range p2.Instance.Tasks {
			if tk.AssigneeID == id {
				if r := e.as(t, u, "POST", idPath("/api/v1/tasks/%d/actions", tk.ID), map[string]any{"action": "reject", "comment": "延期理由不充分"}); r.status != 200 {
					t.Fatalf("reject: %d %s", r.status, r.body)
				}
			}
		}
	}
	r = e.as(t, "chenzhiqiang", "GET", "/api/v1/projects/T-PRJ2", nil)
	if !strings.Contains(r.body, `"state":"rejected"`) {
		t.Fatalf("revision 2 not rejected: %s", r.body)
	}
	rev, _, err := e.app.Projects.RequireSignedPlan(context.Background(), mustProjectID(t, e, "T-PRJ2"))
	if err != nil || rev.Revision != 1 {
		t.Fatalf("in force after the rejection: %d, %v", rev.Revision, err)
	}
}

func mustProjectID(t *testing.T, e *env, code string) int64 {
	t.Helper()
	var d struct{ ID int64 }
	e.as(t, "lihua", "GET", "/api/v1/projects/"+code, nil).json(t, &d)
	return d.ID
}

// Ensure a bad plan is refused with a translated reason naming the field,
// and nothing is written (PRJ-3).
func TestPRJ3_BadPlanRefusedNamingTheField(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	newProject(t, e, "T-PRJ3")
	type mut func(p map[string]any)
	node := func(p map[string]any, i int) map[string]any { return p["nodes"].([]any)[i].(map[string]any) }
	cases := []struct {
		name  string
		mut   mut
		field string
		key   string
	}{
		{"dates out of order", func(p map[string]any) { node(p, 1)["end"] = day(5) }, "nodes.2.end", "projects.plan.end_before_start"},
		{"zero tests", func(p map[string]any) { node(p, 0)["tests"].([]any)[0].(map[string]any)["count"] = 0 }, "nodes.1.tests.1.count", "projects.plan.count_positive"},
		{"negative tests", func(p map[string]any) { node(p, 1)["tests"].([]any)[1].(map[string]any)["count"] = -2 }, "nodes.2.tests.2.count", "projects.plan.count_positive"},
		{"no tests", func(p map[string]any) { node(p, 0)["tests"] = []any{} }, "nodes.1.tests", "projects.plan.tests_required"},
		{"bad date", func(p map[string]any) { node(p, 0)["start"] = "2026-02-30" }, "nodes.1.start", "field.bad_date"},
		{"no nodes", func(p map[string]any) { p["nodes"] = []any{} }, "nodes", "field.required"},
		{"wrong total", func(p map[string]any) { p["total_tests"] = 12 }, "total_tests", "projects.plan.total_mismatch"},
		{"bad amount", func(p map[string]any) { p["rewards"].([]any)[0].(map[string]any)["amount"] = "-5" }, "rewards.1.amount", "projects.plan.bad_amount"},
		{"unknown stage", func(p map[string]any) { p["rewards"].([]any)[0].(map[string]any)["stage"] = "party" }, "rewards.1.stage", "field.bad_choice"},
	}
	before := e.auditCount(t)
	for _, c := range cases {
		for _, lang := range []string{"zh", "en"} {
			p := goodPlan(0)
			c.mut(p)
			r := e.do(t, nil, "POST", "/api/v1/projects/T-PRJ3/plans", p, map[string]string{"Authorization": "Bearer " + e.token(t, "chenzhiqiang"), "Accept-Language": lang})
			if r.status != 422 {
				t.Fatalf("%s: %d %s", c.name, r.status, r.body)
			}
			pr := r.problem(t)
			var msg string
			for _, f := range pr.Errors {
				if f.Field == c.field {
					msg = f.Message
				}
			}
			if got := fieldKeys(t, r)[c.field]; got != c.key || msg == "" || msg == c.key {
				t.Errorf("%s (%s): field %s = %q (%q), want %s; %s", c.name, lang, c.field, got, msg, c.key, r.body)
			}
			if lang == "zh" && c.key == "projects.plan.end_before_start" && !strings.Contains(msg, "不能早于") {
				t.Errorf("not in Chinese: %q", msg)
			}
		}
	}
	if got := e.auditCount(t); got != before {
		t.Fatalf("refused plans wrote %d audit events", got-before)
	}
	if r := e.as(t, "chenzhiqiang", "GET", "/api/v1/projects/T-PRJ3", nil); !strings.Contains(r.body, `"revisions":[]`) {
		t.Fatalf("a refused plan left a revision: %s", r.body)
	}
	// From the second revision on: a reason, and a real change.
	if r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/T-PRJ3/plans", goodPlan(0)); r.status != 201 {
		t.Fatalf("file: %d %s", r.status, r.body)
	}
}

// Ensure a signed plan changes only by a new revision: there is no way to
// edit a revision through the API; the same content again is no revision,
// and a revision says why (PRJ-3). A revision changed behind the system's
// back: internal/app/projects_integrity_test.go.
func TestPRJ3_SignedPlanChangesOnlyByRevision(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	before := e.as(t, "chenzhiqiang", "GET", "/api/v1/projects/LF-2026-01/plans/1", nil).body
	for _, m := range []string{"PUT", "PATCH", "DELETE", "POST"} {
		if r := e.as(t, "chenzhiqiang", m, "/api/v1/projects/LF-2026-01/plans/1", goodPlan(0)); r.status != http.StatusNotFound && r.status != http.StatusMethodNotAllowed {
			t.Errorf("%s on a revision: %d", m, r.status)
		}
	}
	if after := e.as(t, "chenzhiqiang", "GET", "/api/v1/projects/LF-2026-01/plans/1", nil).body; after != before {
		t.Fatal("a signed revision changed")
	}
	// The same content again is no revision; a change needs its reason.
	var v struct {
		Plan map[string]any `json:"plan"`
	}
	e.as(t, "chenzhiqiang", "GET", "/api/v1/projects/LF-2026-01/plans/1", nil).json(t, &v)
	same := v.Plan
	same["reason"] = "无变化"
	if r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/LF-2026-01/plans", same); r.status != 422 || fieldKeys(t, r)["nodes"] != "projects.plan.unchanged" {
		t.Fatalf("unchanged revision: %d %s", r.status, r.body)
	}
	if r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/LF-2026-01/plans", goodPlan(3)); r.status != 422 || fieldKeys(t, r)["reason"] != "projects.plan.reason_required" {
		t.Fatalf("revision without a reason: %d %s", r.status, r.body)
	}
	if err := requireSigned(t, e, "LF-2026-01"); err != nil {
		t.Fatal(err)
	}
}

// Ensure the team has dates, managed by the project's director (or the
// member's), with bad input refused naming the field (DIR-3, PRJ-1).
func TestDIR3_TeamMembershipWithDates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const path = "/api/v1/projects/LF-2026-01/members"
	yx := personID(t, e, "yangxue")
	for _, c := range []struct {
		user  string
		body  map[string]any
		want  int
		field string
		key   string
	}{
		{"chenzhiqiang", map[string]any{"person_id": yx, "from": day(0), "to": day(-1)}, 422, "to", "projects.member.to_before_from"},
		{"chenzhiqiang", map[string]any{"person_id": yx, "from": "soon"}, 422, "from", "field.bad_date"},
		{"chenzhiqiang", map[string]any{"person_id": personID(t, e, "xuli"), "from": day(0)}, 422, "person_id", "projects.member.not_in_departments"},
		{"chenzhiqiang", map[string]any{"person_id": personID(t, e, "zhangwei"), "from": day(0)}, 422, "from", "projects.member.overlap"},
		{"zhangwei", map[string]any{"person_id": yx, "from": day(0)}, 403, "", ""},
		{"liuyang", map[string]any{"person_id": yx, "from": day(0)}, 404, "", ""},
		// The analytical director assigns his analyst; not a synthesis researcher.
		{"sunli", map[string]any{"person_id": personID(t, e, "linna"), "from": day(0)}, 201, "", ""},
		{"sunli", map[string]any{"person_id": yx, "from": day(0)}, 403, "", ""},
		{"chenzhiqiang", map[string]any{"person_id": yx, "from": day(1), "to": day(30)}, 201, "", ""},
	} {
		r := e.as(t, c.user, "POST", path, c.body)
		if r.status != c.want {
			t.Fatalf("%s %v: %d, want %d: %s", c.user, c.body, r.status, c.want, r.body)
		}
		if c.field != "" && fieldKeys(t, r)[c.field] != c.key {
			t.Fatalf("%s %v: %s", c.user, c.body, r.body)
		}
	}
	var d struct {
		Team []struct {
			ID       int64  `json:"id"`
			Name     string `json:"name"`
			PersonID int64  `json:"person_id"`
			From, To string
			Current  bool `json:"current"`
		} `json:"team"`
	}
	e.as(t, "chenzhiqiang", "GET", "/api/v1/projects/LF-2026-01", nil).json(t, &d)
	var yang int64
	for _, m := range d.Team {
		if m.PersonID == yx {
			yang = m.ID
			if m.Current || m.From != day(1) || m.To != day(30) {
				t.Fatalf("a period from tomorrow: %+v", m)
			}
		}
	}
	if r := e.as(t, "chenzhiqiang", "POST", idPath("/api/v1/projects/LF-2026-01/members/%d/end", yang), map[string]any{"to": day(0)}); r.status != 422 ||
		fieldKeys(t, r)["to"] != "projects.member.to_before_from" {
		t.Fatalf("end before the start: %d %s", r.status, r.body)
	}
	if r := e.as(t, "chenzhiqiang", "POST", idPath("/api/v1/projects/LF-2026-01/members/%d/end", yang), map[string]any{"to": day(10), "reason": "调往 LF-2026-03"}); r.status != 200 {
		t.Fatalf("end: %d %s", r.status, r.body)
	}
	if r := e.as(t, "chenzhiqiang", "POST", idPath("/api/v1/projects/LF-2026-01/members/%d/end", yang), map[string]any{"to": day(12)}); r.status != 409 {
		t.Fatalf("ended twice: %d %s", r.status, r.body)
	}
	if r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/LF-2026-02/members/1/end", map[string]any{"to": day(12)}); r.status != 404 {
		t.Fatalf("another project's member: %d", r.status)
	}
}

// Ensure who sees a project is one rule, used by the list, the project,
// its plans and the reference choices: the Business Dean and the GM every
// project, directors their department's, team members those they are on
// on the days they are on them; the administrator none (PRJ-12, R12).
func TestPRJ12_VisibilityMatrix(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// zhangwei leaves LF-2026-01 yesterday; yangxue joins it tomorrow.
	var d struct {
		Team []struct {
			ID       int64 `json:"id"`
			PersonID int64 `json:"person_id"`
		} `json:"team"`
	}
	e.as(t, "chenzhiqiang", "GET", "/api/v1/projects/LF-2026-01", nil).json(t, &d)
	for _, m := range d.Team {
		if m.PersonID == personID(t, e, "zhangwei") {
			if r := e.as(t, "chenzhiqiang", "POST", idPath("/api/v1/projects/LF-2026-01/members/%d/end", m.ID), map[string]any{"to": day(-1), "reason": "离组"}); r.status != 200 {
				t.Fatalf("end: %d %s", r.status, r.body)
			}
		}
	}
	if r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/LF-2026-01/members", map[string]any{"person_id": personID(t, e, "yangxue"), "from": day(1)}); r.status != 201 {
		t.Fatalf("add: %d %s", r.status, r.body)
	}
	all := []string{"LF-2026-01", "LF-2026-02", "LF-2026-03", "LF-2026-12", "LF-2026-13", "LF-2026-14"}
	sees := map[string][]string{
		"admin":        nil,
		"wangjianguo":  all,
		"lihua":        all,
		"zhaomin":      nil,                                                                    // Administrative Dean: not the business's projects
		"chenzhiqiang": {"LF-2026-01", "LF-2026-03", "LF-2026-12", "LF-2026-13"},               // 合成部
		"liuyang":      {"LF-2026-02", "LF-2026-03", "LF-2026-13", "LF-2026-14"},               // 制剂部
		"sunli":        {"LF-2026-01", "LF-2026-02", "LF-2026-03", "LF-2026-13", "LF-2026-14"}, // 分析部: all but the synthesis-only LF-2026-12
		"zhangwei":     {"LF-2026-12"},                                                         // left LF-2026-01 yesterday
		"wangfang":     {"LF-2026-01", "LF-2026-12"},                                           // on the teams
		"yangxue":      {"LF-2026-03"},                                                         // not yet on LF-2026-01
		"guoqiang":     {"LF-2026-01"},
		"xuli":         {"LF-2026-02"},
		"gaoyuan":      nil,
	}
	for user, want := range sees {
		var list struct {
			Projects []struct {
				Code  string `json:"code"`
				Name  string `json:"name"`
				Stage string `json:"stage"`
			} `json:"projects"`
			Total int `json:"total"`
		}
		r := e.as(t, user, "GET", "/api/v1/projects", nil)
		if r.status != 200 {
			t.Fatalf("%s lists: %d", user, r.status)
		}
		r.json(t, &list)
		var got []string
		for _, p := range list.Projects {
			got = append(got, p.Code)
			if p.Name == "" || p.Stage == "" {
				t.Errorf("%s: %+v lacks name or stage", user, p)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) || list.Total != len(want) {
			t.Errorf("%s lists %v (%d), want %v", user, got, list.Total, want)
		}
		for _, code := range all {
			wantStatus := 404
			for _, w := range want {
				if w == code {
					wantStatus = 200
				}
			}
			for _, p := range []string{"/api/v1/projects/" + code, "/projects/" + code} {
				if r := e.as(t, user, "GET", p, nil); r.status != wantStatus {
					t.Errorf("%s GET %s: %d, want %d", user, p, r.status, wantStatus)
				}
			}
			// Reference fields offer only what one may see.
			r := e.as(t, user, "GET", "/api/v1/references?ref=projects.project&q="+code, nil)
			if user != "admin" && r.status == 200 && strings.Contains(r.body, code) != (wantStatus == 200) {
				t.Errorf("%s is offered %s: %s", user, code, r.body)
			}
		}
	}
	// Filters narrow what one sees, never widen it.
	r := e.as(t, "lihua", "GET", fmt.Sprintf("/api/v1/projects?department=%d&stage=pilot", deptID(t, e, "formulation")), nil)
	if !strings.Contains(r.body, `"total":1`) || !strings.Contains(r.body, "LF-2026-02") {
		t.Fatalf("filtered: %s", r.body)
	}
	if r := e.as(t, "wangfang", "GET", fmt.Sprintf("/api/v1/projects?department=%d", deptID(t, e, "formulation")), nil); !strings.Contains(r.body, `"total":0`) {
		t.Fatalf("a filter widened the list: %s", r.body)
	}
}

// Ensure the pages: the list with stage, plan and next node and its
// filters in the URL; the project page with its team, plan revisions,
// processes and the Gantt chart with today's line; the revision page with
// its changes; in both languages.
func TestPRJ_Pages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.login(t, "chenzhiqiang")
	r := e.do(t, c, "GET", "/projects?stage=lab", nil, nil)
	if r.status != 200 || !strings.Contains(r.body, "LF-2026-01") || strings.Contains(r.body, "LF-2026-03") || !strings.Contains(r.body, "小试") ||
		!strings.Contains(r.body, `<option value="lab" selected>`) {
		t.Fatalf("list: %d %s", r.status, r.body)
	}
	r = e.do(t, c, "GET", "/projects/LF-2026-01", nil, nil)
	for _, want := range []string{`id="gantt"`, `id="gantt-today"`, "小试三批放大", "张伟", "节点计划签署", "第 1 版"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("project page lacks %q", want)
		}
	}
	// Four planned bars, and the actual ones of the two nodes the demo
	// started (pnodes).
	if strings.Count(r.body, "<rect") != 6 {
		t.Errorf("the Gantt has %d bars, want 6", strings.Count(r.body, "<rect"))
	}
	r = e.do(t, c, "GET", "/projects/LF-2026-03", nil, nil)
	if !strings.Contains(r.body, `id="plan-not-signed"`) {
		t.Errorf("an unsigned plan is not said so")
	}
	e.do(t, c, "POST", "/lang", "lang=en", map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	r = e.do(t, c, "GET", "/projects/LF-2026-01/plans/1", nil, nil)
	if r.status != 200 || !strings.Contains(r.body, "None (first revision)") || !strings.Contains(r.body, "Revision 1") {
		t.Fatalf("revision page: %d %s", r.status, r.body)
	}
	// A director creates a project from the list page; a bad code is said
	// next to the field.
	form := "code=x&name=新项目&kind=api"
	r = e.do(t, c, "POST", "/projects", form, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if r.status != 422 || !strings.Contains(r.body, "letters, digits or dashes") {
		t.Fatalf("bad code: %d", r.status)
	}
	r = e.do(t, c, "POST", "/projects", "code=LF-2026-09&name=新项目&kind=api", map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if r.status != 303 || r.header.Get("Location") != "/projects/LF-2026-09" {
		t.Fatalf("create: %d %s", r.status, r.header.Get("Location"))
	}
	// A project taken over from paper records starts at its stage; a stage
	// that is not one is said next to the field.
	r = e.do(t, c, "POST", "/projects", "code=LF-2026-10&name=接管项目&kind=api&stage=moon", map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if r.status != 422 || !strings.Contains(between(between(r.body, `id="project-create"`, `</form>`), `name="stage"`, `</label>`), `class="field-error"`) {
		t.Fatalf("bad stage: %d", r.status)
	}
	r = e.do(t, c, "POST", "/projects", "code=LF-2026-10&name=接管项目&kind=api&stage=lab", map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	var got struct{ Stage string }
	if e.as(t, "chenzhiqiang", "GET", "/api/v1/projects/LF-2026-10", nil).json(t, &got); r.status != 303 || got.Stage != "lab" {
		t.Fatalf("taken over: %d, stage %q", r.status, got.Stage)
	}
}

// Ensure projects and plans work the same on PostgreSQL.
func TestPRJ2_OnPostgres(t *testing.T) {
	e := newEnv(t, withDSN(storetest.NewPostgresDB(t)))
	if r := e.as(t, "zhangwei", "GET", "/api/v1/projects?q=LF-2026-0", nil); !strings.Contains(r.body, `"total":1`) {
		t.Fatalf("list: %s", r.body)
	}
	if err := requireSigned(t, e, "LF-2026-01"); err != nil {
		t.Fatal(err)
	}
	if err := requireSigned(t, e, "LF-2026-03"); err == nil {
		t.Fatal("an unsigned plan passes")
	}
}
