package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"labflow/internal/domain"
	"labflow/internal/store/storetest"
)

// readyForPlan readies project code for its node plan as its director,
// chenzhiqiang, does: a candidate route, chosen with a reason, and the
// kick-off report on it, filed and signed (PRJ-1).
func readyForPlan(t *testing.T, e *env, code string) {
	t.Helper()
	var route struct{ ID int64 }
	r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/"+code+"/routes", map[string]any{"kind": "synthesis", "title": "路线A", "description": "六步合成"})
	if r.status != http.StatusCreated {
		t.Fatalf("route on %s: %d %s", code, r.status, r.body)
	}
	r.json(t, &route)
	if r := e.as(t, "chenzhiqiang", "POST", idPath("/api/v1/projects/"+code+"/routes/%d/choose", route.ID), map[string]any{"reason": "步骤最短"}); r.status != http.StatusOK {
		t.Fatalf("choose on %s: %d %s", code, r.status, r.body)
	}
	k := fileKickoff(t, e, code, route.ID)
	if r := signOwn(t, e, "chenzhiqiang", k.Instance.Tasks); r.status != http.StatusOK {
		t.Fatalf("sign the kick-off report of %s: %d %s", code, r.status, r.body)
	}
}

// kickoffFiled is a filed kick-off report with its signing.
type kickoffFiled struct {
	Kickoff struct {
		ID    int64  `json:"id"`
		State string `json:"state"`
	} `json:"kickoff"`
	Instance struct {
		ID    int64      `json:"id"`
		Tasks []taskLine `json:"tasks"`
	} `json:"instance"`
}

type taskLine struct {
	ID         int64 `json:"id"`
	AssigneeID int64 `json:"assignee_id"`
}

func fileKickoff(t *testing.T, e *env, code string, route int64) kickoffFiled {
	t.Helper()
	var k kickoffFiled
	r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/"+code+"/kickoff", map[string]any{"route_id": route, "summary": "开题"})
	if r.status != http.StatusCreated {
		t.Fatalf("kick-off report on %s: %d %s", code, r.status, r.body)
	}
	r.json(t, &k)
	return k
}

// signOwn approves, with the password, user's task among tasks.
func signOwn(t *testing.T, e *env, user string, tasks []taskLine) response {
	t.Helper()
	id := personID(t, e, user)
	for _, tk := range tasks {
		if tk.AssigneeID == id {
			return e.as(t, user, "POST", idPath("/api/v1/tasks/%d/actions", tk.ID), map[string]any{"action": "approve", "password": "labflow-demo", "comment": "签署"})
		}
	}
	t.Fatalf("%s has no task among %+v", user, tasks)
	return response{}
}

// bothDatabases runs f on a fresh demo app on SQLite and, when
// TEST_DATABASE_URL is set, on PostgreSQL.
func bothDatabases(t *testing.T, f func(t *testing.T, e *env)) {
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); f(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		dsn := storetest.NewPostgresDB(t)
		f(t, newEnv(t, withDSN(dsn)))
	})
}

// problemKey is a refusal's key, or its first field's key (field:key).
func problemKey(t *testing.T, r response) string {
	t.Helper()
	p := r.problem(t)
	if len(p.Errors) > 0 {
		return p.Errors[0].Field + ":" + p.Errors[0].Key
	}
	return p.Key
}

// upload stores content as user and returns its SHA-256.
func upload(t *testing.T, e *env, user, name, content string) string {
	t.Helper()
	ct, body := multipartBody(t, name, []byte(content))
	r := e.do(t, nil, "POST", "/api/v1/attachments", body, map[string]string{"Content-Type": ct, "Authorization": "Bearer " + e.token(t, user)})
	if r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	var a struct {
		SHA256 string `json:"sha256"`
	}
	r.json(t, &a)
	return a.SHA256
}

// openTasks lists the open tasks of instance id as user sees them.
func openTasks(t *testing.T, e *env, user string, id int64) []taskLine {
	t.Helper()
	var v struct {
		Tasks []struct {
			taskLine
			State  string `json:"state"`
			StepID string `json:"step_id"`
		} `json:"tasks"`
	}
	r := e.as(t, user, "GET", idPath("/api/v1/instances/%d", id), nil)
	if r.status != 200 {
		t.Fatalf("%s reads request %d: %d %s", user, id, r.status, r.body)
	}
	r.json(t, &v)
	var out []taskLine
	for _, tk := range v.Tasks {
		if tk.State == "open" {
			out = append(out, tk.taskLine)
		}
	}
	return out
}

// feasibilityOut is GET /feasibility.
type feasibilityOut struct {
	Initiation *struct {
		State  string `json:"state"`
		Reason string `json:"reason"`
	} `json:"initiation"`
	Reports []struct {
		DepartmentID int64  `json:"department_id"`
		Conclusion   string `json:"conclusion"`
		Difficulty   string `json:"difficulty"`
		Filed        bool   `json:"filed"`
		Mine         bool   `json:"mine"`
	} `json:"reports"`
	Decision string `json:"decision"`
	Instance *struct {
		ID int64 `json:"id"`
	} `json:"instance"`
}

func feasibility(t *testing.T, e *env, user, code string) feasibilityOut {
	t.Helper()
	var f feasibilityOut
	r := e.as(t, user, "GET", "/api/v1/projects/"+code+"/feasibility", nil)
	if r.status != 200 {
		t.Fatalf("%s reads the feasibility of %s: %d %s", user, code, r.status, r.body)
	}
	r.json(t, &f)
	return f
}

func filed(f feasibilityOut) int {
	n := 0
	for _, r := range f.Reports {
		if r.Filed {
			n++
		}
	}
	return n
}

// initiate creates project code in initiation as chenzhiqiang, involving
// the formulation and analytical departments besides synthesis.
func initiate(t *testing.T, e *env, code string) {
	t.Helper()
	r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects", map[string]any{"code": code, "name": "立项测试 " + code, "kind": "both",
		"departments": []int64{deptID(t, e, "formulation"), deptID(t, e, "analytical")}})
	if r.status != http.StatusCreated {
		t.Fatalf("create %s: %d %s", code, r.status, r.body)
	}
}

var goodReport = map[string]any{"conclusion": "feasible", "feasibility": "路线成熟", "difficulty": "手性控制", "timeliness": "4 个月"}

// Ensure the initiation (DIR-2): creating a project in initiation fans
// out one feasibility report per involved department, each only to that
// department's director; bad or forged values are refused naming the
// field with nothing written; who sees the project sees the reports
// (PRJ-12); only the GM decides go or no-go, signed; no routes before go;
// no-go closes the project with the reason.
func TestDIR2_FeasibilityFannedOutThenGoOrNoGo(t *testing.T) {
	bothDatabases(t, func(t *testing.T, e *env) {
		initiate(t, e, "T-DIR2")
		f := feasibility(t, e, "chenzhiqiang", "T-DIR2")
		if f.Initiation == nil || f.Initiation.State != "reporting" || len(f.Reports) != 3 || filed(f) != 0 || f.Instance == nil {
			t.Fatalf("initiation: %+v", f)
		}
		for _, rep := range f.Reports {
			if rep.Mine != (rep.DepartmentID == deptID(t, e, "synthesis")) {
				t.Errorf("chenzhiqiang's own row: %+v", rep)
			}
		}
		// One task per department, each to that department's director.
		for user, dept := range map[string]string{"chenzhiqiang": "synthesis", "liuyang": "formulation", "sunli": "analytical"} {
			ts := openTasks(t, e, user, f.Instance.ID)
			mine := 0
			for _, tk := range ts {
				if tk.AssigneeID == personID(t, e, user) {
					mine++
				}
			}
			if len(ts) != 3 || mine != 1 {
				t.Errorf("%s (%s): %d open tasks, %d theirs", user, dept, len(ts), mine)
			}
		}
		// Nobody else files a department's report: not another director
		// (for a row not theirs), not a dean, not a researcher.
		synth := deptID(t, e, "synthesis")
		for user, want := range map[string]int{"liuyang": 403, "lihua": 403, "wangjianguo": 403, "zhangwei": 404, "zhoujie": 404} {
			body := map[string]any{"department": synth}
			for k, v := range goodReport {
				body[k] = v
			}
			if r := e.as(t, user, "POST", "/api/v1/projects/T-DIR2/feasibility", body); r.status != want {
				t.Errorf("%s files synthesis's report: %d, want %d: %s", user, r.status, want, r.body)
			}
		}
		// Forged or missing values are refused, naming the field; nothing is written.
		for _, c := range []struct {
			body map[string]any
			want string
		}{
			{map[string]any{"conclusion": "excellent", "difficulty": "x"}, "conclusion"},
			{map[string]any{"conclusion": "feasible"}, "difficulty"},
		} {
			r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/T-DIR2/feasibility", c.body)
			if r.status != 422 || !strings.HasPrefix(problemKey(t, r), c.want+":") {
				t.Errorf("report %v: %d %s, want 422 on %s", c.body, r.status, r.body, c.want)
			}
		}
		if r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/T-DIR2/feasibility", map[string]any{"conclusion": "feasible", "difficulty": "x", "state": "go"}); r.status/100 != 4 {
			t.Errorf("a forged field is accepted: %d", r.status)
		}
		if n := filed(feasibility(t, e, "chenzhiqiang", "T-DIR2")); n != 0 {
			t.Fatalf("refusals wrote %d reports", n)
		}
		// No routes before the decision.
		if r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/T-DIR2/routes", map[string]any{"kind": "synthesis", "title": "A", "description": "B"}); r.status != 409 ||
			problemKey(t, r) != "projects.init.not_approved" {
			t.Errorf("route before go: %d %s", r.status, r.body)
		}
		for _, user := range []string{"chenzhiqiang", "liuyang", "sunli"} {
			if r := e.as(t, user, "POST", "/api/v1/projects/T-DIR2/feasibility", goodReport); r.status != 200 {
				t.Fatalf("%s files: %d %s", user, r.status, r.body)
			}
		}
		// The reports are the project's records: who sees the project sees them.
		for user, want := range map[string]int{"lihua": 200, "wangjianguo": 200, "liuyang": 200, "zhangwei": 404, "xuli": 404, "admin": 404} {
			if r := e.as(t, user, "GET", "/api/v1/projects/T-DIR2/feasibility", nil); r.status != want {
				t.Errorf("%s reads the reports: %d, want %d", user, r.status, want)
			} else if want == 200 && !strings.Contains(r.body, "手性控制") {
				t.Errorf("%s does not see the reports: %s", user, r.body)
			}
		}
		// The decision is the GM's, signed: nobody else acts on it.
		f = feasibility(t, e, "wangjianguo", "T-DIR2")
		gm := openTasks(t, e, "wangjianguo", f.Instance.ID)
		if len(gm) != 1 || gm[0].AssigneeID != personID(t, e, "wangjianguo") {
			t.Fatalf("the decision's task: %+v", gm)
		}
		decide := map[string]any{"action": "approve", "password": "labflow-demo", "form": map[string]any{"decision": "go", "reason": "市场前景好"}}
		for _, user := range []string{"lihua", "chenzhiqiang", "sunli"} {
			if r := e.as(t, user, "POST", idPath("/api/v1/tasks/%d/actions", gm[0].ID), decide); r.status/100 != 4 {
				t.Errorf("%s decides for the GM: %d", user, r.status)
			}
		}
		unsigned := map[string]any{"action": "approve", "form": map[string]any{"decision": "go", "reason": "市场前景好"}}
		if r := e.as(t, "wangjianguo", "POST", idPath("/api/v1/tasks/%d/actions", gm[0].ID), unsigned); r.status/100 != 4 {
			t.Errorf("an unsigned decision is accepted: %d", r.status)
		}
		if f := feasibility(t, e, "lihua", "T-DIR2"); f.Decision != "" || f.Initiation.State != "reporting" {
			t.Fatalf("a refused decision was recorded: %+v", f)
		}
		if r := e.as(t, "wangjianguo", "POST", idPath("/api/v1/tasks/%d/actions", gm[0].ID), decide); r.status != 200 {
			t.Fatalf("the GM decides: %d %s", r.status, r.body)
		}
		if f := feasibility(t, e, "lihua", "T-DIR2"); f.Decision != "go" || f.Initiation.Reason != "市场前景好" {
			t.Fatalf("go: %+v", f)
		}
		if r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/T-DIR2/routes", map[string]any{"kind": "synthesis", "title": "A", "description": "B"}); r.status != 201 {
			t.Errorf("route after go: %d %s", r.status, r.body)
		}

		// No-go closes the project with the reason.
		initiate(t, e, "T-DIR2N")
		for _, user := range []string{"chenzhiqiang", "liuyang", "sunli"} {
			if r := e.as(t, user, "POST", "/api/v1/projects/T-DIR2N/feasibility", goodReport); r.status != 200 {
				t.Fatalf("%s files: %d %s", user, r.status, r.body)
			}
		}
		f = feasibility(t, e, "wangjianguo", "T-DIR2N")
		gm = openTasks(t, e, "wangjianguo", f.Instance.ID)
		nogo := map[string]any{"action": "approve", "password": "labflow-demo", "form": map[string]any{"decision": "no_go", "reason": "参比制剂专利风险过高"}}
		if r := e.as(t, "wangjianguo", "POST", idPath("/api/v1/tasks/%d/actions", gm[0].ID), nogo); r.status != 200 {
			t.Fatalf("no-go: %d %s", r.status, r.body)
		}
		var p struct{ Stage string }
		e.as(t, "lihua", "GET", "/api/v1/projects/T-DIR2N", nil).json(t, &p)
		if f := feasibility(t, e, "lihua", "T-DIR2N"); f.Decision != "no_go" || f.Initiation.Reason != "参比制剂专利风险过高" || p.Stage != "closed" {
			t.Fatalf("no-go: %+v, stage %s", f, p.Stage)
		}
	})
}

// routesOut is GET /routes.
type routesOut struct {
	Routes []struct {
		ID    int64  `json:"id"`
		State string `json:"state"`
	} `json:"routes"`
	Kickoffs []struct {
		State string `json:"state"`
	} `json:"kickoffs"`
	Ready   bool   `json:"ready"`
	Missing string `json:"missing"`
}

func routesOf(t *testing.T, e *env, code string) routesOut {
	t.Helper()
	var out routesOut
	e.as(t, "lihua", "GET", "/api/v1/projects/"+code+"/routes", nil).json(t, &out)
	return out
}

// Ensure routes come before the plan (PRJ-1): candidate routes filed by
// the director or the team with files they uploaded, the director's choice
// with a reason, the kick-off report signed by the director; a node plan
// filed before is refused with a translated reason; the wrong person, a
// forged kind or file, an unchosen route are refused, nothing written.
func TestPRJ1_RouteChosenAndKickoffBeforePlan(t *testing.T) {
	bothDatabases(t, func(t *testing.T, e *env) {
		r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects", map[string]any{"code": "T-PRJ1", "name": "路线测试", "kind": "api",
			"departments": []int64{deptID(t, e, "analytical")}, "stage": "lab"})
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		plan := func(lang string) response {
			return e.do(t, nil, "POST", "/api/v1/projects/T-PRJ1/plans", goodPlan(0), map[string]string{
				"Authorization": "Bearer " + e.token(t, "chenzhiqiang"), "Cookie": "lang=" + lang})
		}
		if r := plan("zh"); r.status != 409 || problemKey(t, r) != "projects.init.no_route" || !strings.Contains(r.problem(t).Detail, "尚未确定项目路线") {
			t.Fatalf("plan before a route: %d %s", r.status, r.body)
		}
		if r := plan("en"); !strings.Contains(r.problem(t).Detail, "No route chosen yet") {
			t.Fatalf("plan before a route (en): %s", r.body)
		}
		if r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/T-PRJ1/members", map[string]any{"person_id": personID(t, e, "zhangwei"), "from": day(0)}); r.status != 201 {
			t.Fatalf("member: %d %s", r.status, r.body)
		}
		mine := upload(t, e, "zhangwei", "literature.pdf", "%PDF-1.4 literature")
		theirs := upload(t, e, "wangfang", "other.pdf", "%PDF-1.4 someone else's")
		for _, u := range []string{"lihua", "liuyang"} {
			e.token(t, u) // signed in before counting
		}
		audits := e.auditCount(t)
		route := map[string]any{"kind": "synthesis", "title": "路线A", "description": "六步", "literature": "J. Med. Chem.", "patents": "已过期", "files": []string{mine}}
		// Forged values: a kind the project has not, a file not one's own, a bad hash.
		for _, c := range []struct {
			key  string
			val  any
			want string
		}{
			{"kind", "formulation", "kind"}, {"files", []string{theirs}, "files.1"}, {"files", []string{"abc"}, "files.1"}, {"title", "", "title"},
		} {
			bad := map[string]any{}
			for k, v := range route {
				bad[k] = v
			}
			bad[c.key] = c.val
			if r := e.as(t, "zhangwei", "POST", "/api/v1/projects/T-PRJ1/routes", bad); r.status != 422 || !strings.HasPrefix(problemKey(t, r), c.want+":") {
				t.Errorf("route with %s=%v: %d %s", c.key, c.val, r.status, r.body)
			}
		}
		for user, want := range map[string]int{"lihua": 403, "wangfang": 404, "liuyang": 404} {
			if r := e.as(t, user, "POST", "/api/v1/projects/T-PRJ1/routes", route); r.status != want {
				t.Errorf("%s files a route: %d, want %d", user, r.status, want)
			}
		}
		if n := len(routesOf(t, e, "T-PRJ1").Routes); n != 0 {
			t.Fatalf("refusals wrote %d routes", n)
		}
		if n := e.auditCount(t); n != audits {
			t.Fatalf("refusals wrote %d audit events", n-audits)
		}
		var a, b struct{ ID int64 }
		if r := e.as(t, "zhangwei", "POST", "/api/v1/projects/T-PRJ1/routes", route); r.status != 201 {
			t.Fatalf("route: %d %s", r.status, r.body)
		} else {
			r.json(t, &a)
		}
		route["title"], route["files"] = "路线B", nil
		e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/T-PRJ1/routes", route).json(t, &b)
		// Only the director chooses, with a reason.
		choose := idPath("/api/v1/projects/T-PRJ1/routes/%d/choose", a.ID)
		for user, want := range map[string]int{"zhangwei": 403, "lihua": 403, "wangjianguo": 403} {
			if r := e.as(t, user, "POST", choose, map[string]any{"reason": "最短"}); r.status != want {
				t.Errorf("%s chooses: %d, want %d", user, r.status, want)
			}
		}
		if r := e.as(t, "chenzhiqiang", "POST", choose, map[string]any{"reason": " "}); r.status != 422 || problemKey(t, r) != "reason:field.required" {
			t.Errorf("choice without a reason: %d %s", r.status, r.body)
		}
		if rs := routesOf(t, e, "T-PRJ1"); rs.Routes[0].State != "open" || rs.Routes[1].State != "open" {
			t.Fatalf("two candidate routes stay open until the choice: %+v", rs)
		}
		if r := e.as(t, "chenzhiqiang", "POST", choose, map[string]any{"reason": "步骤最短"}); r.status != 200 {
			t.Fatalf("choose: %d %s", r.status, r.body)
		}
		rs := routesOf(t, e, "T-PRJ1")
		if rs.Routes[0].State != "chosen" || rs.Routes[1].State != "set_aside" || rs.Ready || rs.Missing != "projects.init.no_kickoff" {
			t.Fatalf("after the choice: %+v", rs)
		}
		if r := plan("zh"); r.status != 409 || problemKey(t, r) != "projects.init.no_kickoff" {
			t.Fatalf("plan before the kick-off report: %d %s", r.status, r.body)
		}
		// The kick-off report is on the chosen route, by the director.
		if r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/T-PRJ1/kickoff", map[string]any{"route_id": b.ID, "summary": "开题"}); r.status != 422 ||
			problemKey(t, r) != "route_id:projects.init.route_not_chosen" {
			t.Errorf("report on a route set aside: %d %s", r.status, r.body)
		}
		if r := e.as(t, "zhangwei", "POST", "/api/v1/projects/T-PRJ1/kickoff", map[string]any{"route_id": a.ID, "summary": "开题"}); r.status != 403 {
			t.Errorf("a researcher files the report: %d", r.status)
		}
		if n := len(routesOf(t, e, "T-PRJ1").Kickoffs); n != 0 {
			t.Fatalf("refusals wrote %d reports", n)
		}
		k := fileKickoff(t, e, "T-PRJ1", a.ID)
		if k.Kickoff.State != "signing" {
			t.Fatalf("kick-off report: %+v", k)
		}
		if r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/T-PRJ1/kickoff", map[string]any{"route_id": a.ID, "summary": "再开题"}); r.status != 409 {
			t.Errorf("a second report while one is signed: %d", r.status)
		}
		if r := plan("zh"); r.status != 409 || problemKey(t, r) != "projects.init.no_kickoff" {
			t.Fatalf("plan on an unsigned kick-off report: %d %s", r.status, r.body)
		}
		// The director signs it, with the password; nobody else may.
		task := k.Instance.Tasks[0].ID
		if r := e.as(t, "lihua", "POST", idPath("/api/v1/tasks/%d/actions", task), map[string]any{"action": "approve", "password": "labflow-demo"}); r.status/100 != 4 {
			t.Errorf("the dean signs the director's report: %d", r.status)
		}
		if r := e.as(t, "chenzhiqiang", "POST", idPath("/api/v1/tasks/%d/actions", task), map[string]any{"action": "approve"}); r.status/100 != 4 {
			t.Errorf("an unsigned report is accepted: %d", r.status)
		}
		if r := signOwn(t, e, "chenzhiqiang", k.Instance.Tasks); r.status != 200 {
			t.Fatalf("sign: %d %s", r.status, r.body)
		}
		if rs := routesOf(t, e, "T-PRJ1"); !rs.Ready || rs.Kickoffs[0].State != "signed" {
			t.Fatalf("signed: %+v", rs)
		}
		if r := plan("zh"); r.status != 201 {
			t.Fatalf("plan after the kick-off report: %d %s", r.status, r.body)
		}
	})
}

// recordsOut is GET /records.
type recordsOut struct {
	Entries []struct {
		ID           int64  `json:"id"`
		State        string `json:"state"`
		Signed       bool   `json:"signed"`
		SignedBy     string `json:"signed_by"`
		SupersededBy int64  `json:"superseded_by"`
		Supersedes   int64  `json:"supersedes"`
	} `json:"entries"`
}

func recordsOf(t *testing.T, e *env, code string) recordsOut {
	t.Helper()
	var out recordsOut
	e.as(t, "lihua", "GET", "/api/v1/projects/"+code+"/records", nil).json(t, &out)
	return out
}

type recordFiled struct {
	Entry struct {
		ID    int64  `json:"id"`
		State string `json:"state"`
	} `json:"entry"`
	Instance struct {
		ID    int64      `json:"id"`
		Tasks []taskLine `json:"tasks"`
	} `json:"instance"`
}

// Ensure the register of original records (DIR-6, PRJ-8): a team member
// enters a notebook's pages with the scans by hash; the director of the
// author's department — and no other director — reviews and signs, with
// the password; bad and forged values are refused naming the field with
// nothing written; a signed entry does not change: a correction is a new
// entry superseding it; the service lists the register with each entry's
// signature state for who sees the project (PRJ-12).
func TestDIR6_OriginalRecordsSignedByTheAuthorsDirector(t *testing.T) {
	bothDatabases(t, func(t *testing.T, e *env) {
		before := len(recordsOf(t, e, "LF-2026-01").Entries)
		scan := upload(t, e, "wangfang", "nb-12.pdf", "%PDF-1.4 notebook 12 pages 1-20")
		other := upload(t, e, "guoqiang", "nb-a.pdf", "%PDF-1.4 analytical notebook")
		for _, u := range []string{"wangfang", "chenzhiqiang", "lihua", "liuyang", "xuli"} {
			e.token(t, u) // signed in before counting
		}
		audits := e.auditCount(t)
		entry := func(kv ...any) map[string]any {
			m := map[string]any{"notebook": "SYN-2026-012", "page_from": 1, "page_to": 20, "experiment": "中间体 5 放大", "started_on": day(-10),
				"ended_on": day(-1), "files": []string{scan}}
			for i := 0; i < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		}
		for _, c := range []struct {
			body map[string]any
			want string
		}{
			{entry("page_to", 0), "page_to"}, {entry("page_from", 30), "page_to"}, {entry("ended_on", day(3)), "ended_on"},
			{entry("started_on", day(0)), "ended_on"}, {entry("files", []string{}), "files"}, {entry("files", []string{other}), "files.1"},
			{entry("notebook", ""), "notebook"}, {entry("experiment", ""), "experiment"}, {entry("node", "不存在的节点"), "node"}, {entry("supersedes", 999999, "note", "更正"), "supersedes"},
		} {
			if r := e.as(t, "wangfang", "POST", "/api/v1/projects/LF-2026-01/records", c.body); r.status != 422 || fieldKeys(t, r)[c.want] == "" {
				t.Errorf("entry %v: %d %s, want 422 on %s", c.body, r.status, r.body, c.want)
			}
		}
		if r := e.as(t, "wangfang", "POST", "/api/v1/projects/LF-2026-01/records", entry("state", "signed")); r.status/100 != 4 {
			t.Errorf("a forged state is accepted: %d", r.status)
		}
		// Only the team enters records.
		for user, want := range map[string]int{"chenzhiqiang": 403, "lihua": 403, "liuyang": 404, "xuli": 404} {
			if r := e.as(t, user, "POST", "/api/v1/projects/LF-2026-01/records", entry()); r.status != want {
				t.Errorf("%s enters records: %d, want %d", user, r.status, want)
			}
		}
		if n := len(recordsOf(t, e, "LF-2026-01").Entries); n != before {
			t.Fatalf("refusals wrote %d entries", n-before)
		}
		if n := e.auditCount(t); n != audits {
			t.Fatalf("refusals wrote %d audit events", n-audits)
		}
		var rec recordFiled
		if r := e.as(t, "wangfang", "POST", "/api/v1/projects/LF-2026-01/records", entry()); r.status != 201 {
			t.Fatalf("entry: %d %s", r.status, r.body)
		} else {
			r.json(t, &rec)
		}
		if rec.Entry.State != "signing" || len(rec.Instance.Tasks) != 1 || rec.Instance.Tasks[0].AssigneeID != personID(t, e, "chenzhiqiang") {
			t.Fatalf("the review goes to the author's director: %+v", rec)
		}
		// Another department's director may not sign it, nor may the signer skip the password.
		task := idPath("/api/v1/tasks/%d/actions", rec.Instance.Tasks[0].ID)
		for _, user := range []string{"sunli", "liuyang", "lihua"} {
			if r := e.as(t, user, "POST", task, map[string]any{"action": "approve", "password": "labflow-demo"}); r.status/100 != 4 {
				t.Errorf("%s signs synthesis's records: %d", user, r.status)
			}
		}
		if r := e.as(t, "chenzhiqiang", "POST", task, map[string]any{"action": "approve"}); r.status/100 != 4 {
			t.Errorf("an unsigned review is accepted: %d", r.status)
		}
		// A correction supersedes only a signed entry.
		if r := e.as(t, "wangfang", "POST", "/api/v1/projects/LF-2026-01/records", entry("supersedes", rec.Entry.ID, "note", "页码更正")); r.status != 422 ||
			problemKey(t, r) != "supersedes:projects.init.bad_supersedes" {
			t.Errorf("superseding an unsigned entry: %d %s", r.status, r.body)
		}
		if r := signOwn(t, e, "chenzhiqiang", rec.Instance.Tasks); r.status != 200 {
			t.Fatalf("sign: %d %s", r.status, r.body)
		}
		// An analyst's entry goes to the analytical director.
		var an recordFiled
		e.as(t, "guoqiang", "POST", "/api/v1/projects/LF-2026-01/records", entry("files", []string{other}, "notebook", "ANA-2026-003")).json(t, &an)
		if len(an.Instance.Tasks) != 1 || an.Instance.Tasks[0].AssigneeID != personID(t, e, "sunli") {
			t.Fatalf("the analyst's entry: %+v", an)
		}
		if r := e.as(t, "chenzhiqiang", "POST", idPath("/api/v1/tasks/%d/actions", an.Instance.Tasks[0].ID), map[string]any{"action": "approve", "password": "labflow-demo"}); r.status/100 != 4 {
			t.Errorf("the synthesis director signs analytical records: %d", r.status)
		}
		if r := e.as(t, "wangfang", "POST", "/api/v1/projects/LF-2026-01/records", entry("supersedes", rec.Entry.ID)); r.status != 422 || problemKey(t, r) != "note:field.required" {
			t.Errorf("a correction without a note: %d %s", r.status, r.body)
		}
		var fix recordFiled
		e.as(t, "wangfang", "POST", "/api/v1/projects/LF-2026-01/records", entry("supersedes", rec.Entry.ID, "note", "第 20 页漏登")).json(t, &fix)
		if r := signOwn(t, e, "chenzhiqiang", fix.Instance.Tasks); r.status != 200 {
			t.Fatalf("sign the correction: %d %s", r.status, r.body)
		}
		// The service's list, with each entry's signature state, for who sees the project.
		ctx := context.Background()
		lihua, err := e.app.People.PersonByUsername(ctx, "lihua")
		if err != nil {
			t.Fatal(err)
		}
		list, err := e.app.Projects.ListRecords(ctx, domain.Actor{ID: lihua.ID, Grants: lihua.Grants, Via: "session"}, mustProjectID(t, e, "LF-2026-01"))
		if err != nil {
			t.Fatal(err)
		}
		state := map[int64]string{}
		for _, en := range list {
			state[en.ID] = fmt.Sprintf("%s/%v/%d", en.State, en.Signed, en.SupersededBy)
		}
		if state[rec.Entry.ID] != fmt.Sprintf("signed/true/%d", fix.Entry.ID) || state[fix.Entry.ID] != "signed/true/0" || state[an.Entry.ID] != "signing/false/0" {
			t.Fatalf("the register: %v", state)
		}
		xuli, _ := e.app.People.PersonByUsername(ctx, "xuli")
		if _, err := e.app.Projects.ListRecords(ctx, domain.Actor{ID: xuli.ID, Grants: xuli.Grants, Via: "session"}, mustProjectID(t, e, "LF-2026-01")); domain.ErrorKind(err) != domain.KindNotFound {
			t.Fatalf("xuli lists LF-2026-01's records: %v", err)
		}
	})
}

// Ensure the project page's panel (DIR-2, PRJ-1, DIR-6): the reports with
// the form of the director whose report is due, the routes with the
// choice and the kick-off report, the register with its signatures; the
// forms post through the same rules and show a problem beside the form;
// in both languages.
func TestPRJ1_ProjectPagePanel(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.login(t, "chenzhiqiang")
	r := e.do(t, c, "GET", "/projects/LF-2026-01", nil, nil)
	for _, want := range []string{`id="routes"`, "路线A：对硝基苯胺起始", "已确定", "已搁置", `id="records"`, "SYN-2026-007", "陈志强", `id="kickoff-form"`, "本项目未经系统立项调研"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("LF-2026-01's page lacks %q", want)
		}
	}
	if strings.Contains(r.body, `id="record-form"`) {
		t.Errorf("the director is offered the authors' form")
	}
	r = e.do(t, c, "GET", "/projects/LF-2026-13", nil, nil)
	if !strings.Contains(r.body, `id="feasibility-reports"`) || strings.Contains(r.body, `id="report-form"`) || !strings.Contains(r.body, "待提交") {
		t.Errorf("LF-2026-13's page for a director who filed: %s", r.body)
	}
	l := e.login(t, "liuyang")
	r = e.do(t, l, "GET", "/projects/LF-2026-13", nil, nil)
	if !strings.Contains(r.body, `id="report-form"`) {
		t.Fatalf("liuyang is not offered his report's form")
	}
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	r = e.do(t, l, "POST", "/projects/LF-2026-13/feasibility", fmt.Sprintf("department=%d&conclusion=feasible&difficulty=", deptID(t, e, "formulation")), form)
	if r.status != 422 || !strings.Contains(r.body, "完成此步骤须填写") || !strings.Contains(r.body, `id="report-form"`) {
		t.Fatalf("a report without difficulty: %d %s", r.status, r.body)
	}
	r = e.do(t, l, "POST", "/projects/LF-2026-13/feasibility", fmt.Sprintf("department=%d&conclusion=feasible_with_risks&difficulty=溶出一致性", deptID(t, e, "formulation")), form)
	if r.status != 303 || !strings.HasSuffix(r.header.Get("Location"), "#initiation") {
		t.Fatalf("report: %d %s", r.status, r.header.Get("Location"))
	}
	if f := feasibility(t, e, "lihua", "LF-2026-13"); filed(f) != 3 {
		t.Fatalf("the page's report was not filed: %+v", f)
	}
	w := e.login(t, "wangfang")
	e.do(t, w, "POST", "/lang", "lang=en", form)
	r = e.do(t, w, "GET", "/projects/LF-2026-01", nil, nil)
	for _, want := range []string{"Original records register", `id="record-form"`, "Candidate routes and kick-off report", "Chosen"} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the English page lacks %q", want)
		}
	}
}

// Ensure the director who reviews original records may open their scans,
// and who sees neither the project nor the request may not (DIR-6, PRJ-12).
func TestDIR6_DirectorOpensTheScansHeSigns(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	scan := upload(t, e, "wangfang", "nb-13.pdf", "%PDF-1.4 notebook 13")
	var rec recordFiled
	r := e.as(t, "wangfang", "POST", "/api/v1/projects/LF-2026-01/records", map[string]any{"notebook": "SYN-2026-013", "page_from": 1, "page_to": 5,
		"node": "路线确认", "started_on": day(-3), "ended_on": day(-1), "files": []string{scan}})
	if r.status != 201 {
		t.Fatalf("entry: %d %s", r.status, r.body)
	}
	r.json(t, &rec)
	att, err := e.app.DB.FindAttachmentByHash(context.Background(), scan)
	if err != nil {
		t.Fatal(err)
	}
	for user, want := range map[string]int{"chenzhiqiang": 200, "wangfang": 200, "xuli": 404, "liuyang": 404} {
		if r := e.as(t, user, "GET", idPath("/api/v1/attachments/%d/content", att.ID), nil); r.status != want {
			t.Errorf("%s opens the scan: %d, want %d", user, r.status, want)
		}
	}
}
