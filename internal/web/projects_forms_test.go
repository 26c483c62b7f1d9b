package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"labflow/internal/store/storetest"
)

// The node plan form and the team forms of the project page (issue 10;
// SPEC PRJ-2, PRJ-3, DIR-3): they file through the same service calls as
// the JSON API, show each problem beside its row and write nothing then,
// and answer who may not direct the project as the API does.

var formHeader = map[string]string{"Content-Type": "application/x-www-form-urlencoded"}

// planFormValues is goodPlan(offset) as the form sends it, with empty
// rows between and after (which the form leaves out).
func planFormValues(offset int) url.Values {
	v := url.Values{}
	v.Set("ip", "化合物专利 2027 年到期")
	v.Set("key_points", "手性中心的控制")
	v.Set("nodes.1.name", "路线确认")
	v.Set("nodes.1.start", day(offset))
	v.Set("nodes.1.end", day(offset+20))
	v.Set("nodes.1.tests", "HPLC 纯度 × 4")
	for _, k := range []string{"name", "start", "end", "serves", "tests"} {
		v.Set("nodes.2."+k, "")
		v.Set("nodes.4."+k, "")
	}
	v.Set("nodes.3.name", "小试放大")
	v.Set("nodes.3.start", day(offset+21))
	v.Set("nodes.3.end", day(offset+60))
	v.Set("nodes.3.tests", "有关物质 × 6\n\n残留溶剂 x 3\n")
	v.Set("rewards.1.stage", "lab")
	v.Set("rewards.1.amount", "20000")
	v.Set("rewards.1.shares.1.person_id", "")
	v.Set("rewards.1.shares.1.percent", "")
	v.Set("rewards.2.stage", "")
	v.Set("rewards.2.amount", "")
	return v
}

type planRevisionOut struct {
	Revision struct {
		Revision    int    `json:"revision"`
		State       string `json:"state"`
		Content     string `json:"content"`
		ContentHash string `json:"content_hash"`
		AuthorID    int64  `json:"author_id"`
	} `json:"revision"`
	Processes []struct {
		ID int64 `json:"id"`
	} `json:"processes"`
}

func planRevision(t *testing.T, e *env, code string, rev int) planRevisionOut {
	t.Helper()
	var out planRevisionOut
	r := e.as(t, "chenzhiqiang", "GET", fmt.Sprintf("/api/v1/projects/%s/plans/%d", code, rev), nil)
	if r.status != http.StatusOK {
		t.Fatalf("revision %d of %s: %d %s", rev, code, r.status, r.body)
	}
	r.json(t, &out)
	return out
}

// Ensure a plan filed through the form becomes the revision the API makes
// of the same plan: the same content and hash, under signing by the
// Technical Committee (PRJ-2, PRJ-3).
func TestPRJ2_PlanFormFilesTheRevisionTheAPIWould(t *testing.T) {
	t.Parallel()
	t.Run("sqlite", func(t *testing.T) { t.Parallel(); planFormAsTheAPI(t, newEnv(t)) })
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		planFormAsTheAPI(t, newEnv(t, withDSN(storetest.NewPostgresDB(t))))
	})
}

func planFormAsTheAPI(t *testing.T, e *env) {
	newProject(t, e, "T-UPF1")
	newProject(t, e, "T-UPF2")
	c := e.login(t, "chenzhiqiang")
	r := e.do(t, c, "GET", "/projects/T-UPF1", nil, nil)
	if !strings.Contains(r.body, `href="/projects/T-UPF1/plans/new"`) {
		t.Fatalf("the project page does not link its director to the plan form")
	}
	r = e.do(t, c, "GET", "/projects/T-UPF1/plans/new", nil, nil)
	if r.status != http.StatusOK || !strings.Contains(r.body, `id="plan-form"`) || strings.Contains(r.body, `name="reason"`) || !strings.Contains(r.body, `name="nodes.3.tests"`) {
		t.Fatalf("the form of a first plan: %d %.500s", r.status, r.body)
	}
	r = e.do(t, c, "POST", "/projects/T-UPF1/plans/new", planFormValues(0).Encode(), formHeader)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/projects/T-UPF1/plans/1" {
		t.Fatalf("filing through the form: %d %s %.500s", r.status, r.header.Get("Location"), r.body)
	}
	if r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/T-UPF2/plans", goodPlan(0)); r.status != http.StatusCreated {
		t.Fatalf("filing through the API: %d %s", r.status, r.body)
	}
	form, api := planRevision(t, e, "T-UPF1", 1), planRevision(t, e, "T-UPF2", 1)
	if form.Revision.Content != api.Revision.Content || form.Revision.ContentHash != api.Revision.ContentHash {
		t.Fatalf("the form's revision differs from the API's:\n%s\n%s", form.Revision.Content, api.Revision.Content)
	}
	if form.Revision.State != "signing" || len(form.Processes) != 1 || form.Revision.AuthorID != e.personID(t, "chenzhiqiang") {
		t.Fatalf("the form's revision is not under the committee's signing: %+v", form)
	}

	// The revision form is pre-filled from the latest revision, asks for
	// the reason and, while revision 1 is being signed, says so; filing
	// then is refused with the service's reason, nothing written.
	r = e.do(t, c, "GET", "/projects/T-UPF1/plans/new", nil, nil)
	for _, want := range []string{`name="reason"`, `value="小试放大"`, "有关物质 × 6\n残留溶剂 × 3", `id="plan-signing"`, `<option value="lab" selected>`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the revision form lacks %q", want)
		}
	}
	before := e.auditCount(t)
	v := planFormValues(1)
	v.Set("reason", "推迟一天")
	r = e.do(t, c, "POST", "/projects/T-UPF1/plans/new", v.Encode(), formHeader)
	if r.status != http.StatusConflict || !strings.Contains(r.body, "正在签署中") || !strings.Contains(r.body, `value="推迟一天"`) && !strings.Contains(r.body, ">推迟一天</textarea>") {
		t.Fatalf("a revision while one is being signed: %d %.800s", r.status, r.body)
	}
	if e.auditCount(t) != before {
		t.Fatal("the refused revision wrote to the trail")
	}
}

// fieldError matches the field named name followed by its message.
func fieldError(name, msg string) *regexp.Regexp {
	return regexp.MustCompile(`name="` + regexp.QuoteMeta(name) + `"[^>]*>(?:[^<]*</textarea>|(?:<option[^>]*>[^<]*</option>)*</select>)?<span class="field-error" role="alert">[^<]*` + regexp.QuoteMeta(msg))
}

// Ensure bad input on the form — a node that ends before it starts, a test
// item with no count or zero, a share of someone unknown, a revision
// without its reason — is shown beside its row with what was typed kept,
// and nothing is written (PRJ-3).
func TestPRJ3_PlanFormShowsEachProblemBesideItsRow(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	newProject(t, e, "T-UPF3")
	c := e.login(t, "chenzhiqiang")
	v := planFormValues(0)
	v.Set("nodes.3.end", day(-5))                   // the second node filed, the third row
	v.Set("nodes.1.tests", "HPLC 纯度 × 4\n\n水分 × 0") // the second item, on line 3
	v.Set("rewards.1.shares.1.person_id", "999999") // nobody
	v.Set("rewards.1.shares.1.percent", "100")
	v.Set("rewards.1.shares.3.person_id", "") // an empty slot beyond: left out
	before := e.auditCount(t)
	r := e.do(t, c, "POST", "/projects/T-UPF3/plans/new", v.Encode(), formHeader)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("a bad plan: %d %.500s", r.status, r.body)
	}
	for name, msg := range map[string]string{
		"nodes.3.end":                  "计划完成日期不能早于开始日期",
		"nodes.1.tests":                "第 3 行：计划检测次数须为正整数",
		"rewards.1.shares.1.person_id": "人员不存在或已停用",
	} {
		if !fieldError(name, msg).MatchString(r.body) {
			t.Errorf("%s: no %q beside it", name, msg)
		}
	}
	for _, want := range []string{`value="小试放大"`, `value="` + day(-5) + `"`, "水分 × 0", `value="20000"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("the form shown again lost %q", want)
		}
	}
	if e.auditCount(t) != before {
		t.Fatal("a refused plan wrote to the trail")
	}
	if r := e.as(t, "chenzhiqiang", "GET", "/api/v1/projects/T-UPF3/plans/1", nil); r.status != http.StatusNotFound {
		t.Fatalf("a refused plan made a revision: %d", r.status)
	}
	// A form with no node at all names the nodes.
	r = e.do(t, c, "POST", "/projects/T-UPF3/plans/new", "nodes.1.name=&ip=x", formHeader)
	if r.status != http.StatusUnprocessableEntity || !regexp.MustCompile(`<span class="field-error" role="alert">须填写|<span class="field-error" role="alert">[^<]*(必填|required)`).MatchString(r.body) {
		t.Fatalf("a plan without nodes: %d %.300s", r.status, r.body)
	}

	// A revision of LF-2026-01 (signed) needs its reason, named beside it.
	r = e.do(t, c, "GET", "/projects/LF-2026-01/plans/new", nil, nil)
	if !strings.Contains(r.body, `name="reason"`) || !strings.Contains(r.body, `value="路线确认"`) {
		t.Fatalf("LF-2026-01's revision form is not pre-filled: %.500s", r.body)
	}
	r = e.do(t, c, "POST", "/projects/LF-2026-01/plans/new", planFormValues(0).Encode(), formHeader)
	if r.status != http.StatusUnprocessableEntity || !fieldError("reason", "修订节点计划须说明原因").MatchString(r.body) {
		t.Fatalf("a revision without reason: %d %.300s", r.status, r.body)
	}
	if e.auditCount(t) != before {
		t.Fatal("a refused revision wrote to the trail")
	}
}

// Ensure only the project's director gets the plan form and files through
// it: a team member, the Business Dean and the GM (who see the project)
// are refused with 403, another department's director and the
// administrator learn nothing (404); nothing is written (PRJ-2, PRJ-12).
func TestPRJ2_PlanFormOnlyForTheDirector(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	revisions := func() int {
		var d struct {
			Revisions []any `json:"revisions"`
		}
		e.as(t, "chenzhiqiang", "GET", "/api/v1/projects/LF-2026-01", nil).json(t, &d)
		return len(d.Revisions)
	}
	before := revisions()
	for user, want := range map[string]int{"zhangwei": 403, "lihua": 403, "wangjianguo": 403, "liuyang": 404, "admin": 404} {
		c := e.login(t, user)
		if r := e.do(t, c, "GET", "/projects/LF-2026-01/plans/new", nil, nil); r.status != want || strings.Contains(r.body, `id="plan-form"`) {
			t.Errorf("GET the form as %s: %d, want %d", user, r.status, want)
		}
		v := planFormValues(5)
		v.Set("reason", "越权")
		if r := e.do(t, c, "POST", "/projects/LF-2026-01/plans/new", v.Encode(), formHeader); r.status != want {
			t.Errorf("POST the form as %s: %d, want %d", user, r.status, want)
		}
		if r := e.do(t, c, "GET", "/projects/LF-2026-01", nil, nil); strings.Contains(r.body, "/plans/new") || strings.Contains(r.body, `id="member-form"`) {
			t.Errorf("%s is offered the director's forms", user)
		}
	}
	if after := revisions(); after != before {
		t.Fatalf("refused filings made revisions: %d → %d", before, after)
	}
}

type teamOut struct {
	Team []struct {
		ID       int64  `json:"id"`
		PersonID int64  `json:"person_id"`
		Role     string `json:"role"`
		From     string `json:"from"`
		To       string `json:"to"`
		EndedAt  string `json:"ended_at"`
	} `json:"team"`
}

// Ensure the team form puts a researcher on the team and the end form ends
// the membership, through the same rules as the API: someone from a
// department the project does not involve is refused naming the person,
// a bad day naming the day, nothing written; who may not assign is refused
// (DIR-3, PRJ-12).
func TestDIR3_TeamFormsAddAndEndMemberships(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	newProject(t, e, "T-UPT1")
	c := e.login(t, "chenzhiqiang")
	r := e.do(t, c, "GET", "/projects/T-UPT1", nil, nil)
	zw, xl := e.personID(t, "zhangwei"), e.personID(t, "xuli")
	if !strings.Contains(r.body, `id="member-form"`) || !strings.Contains(r.body, fmt.Sprintf(`<option value="%d">`, zw)) || strings.Contains(r.body, fmt.Sprintf(`<option value="%d">`, xl)) {
		t.Fatalf("the team form does not offer the involved departments' researchers only: %.300s", r.body)
	}

	before := e.auditCount(t)
	r = e.do(t, c, "POST", "/projects/T-UPT1/members", fmt.Sprintf("person_id=%d&from=%s&to=", xl, day(0)), formHeader)
	if r.status != http.StatusUnprocessableEntity || !fieldError("person_id", "须为项目参与部门的研究员或分析员").MatchString(r.body) {
		t.Fatalf("someone of another department: %d %.500s", r.status, r.body)
	}
	r = e.do(t, c, "POST", "/projects/T-UPT1/members", fmt.Sprintf("person_id=%d&from=%s&to=%s", zw, day(0), day(-3)), formHeader)
	if r.status != http.StatusUnprocessableEntity || !fieldError("to", "结束日期不能早于开始日期").MatchString(r.body) || !strings.Contains(r.body, `value="`+day(-3)+`"`) {
		t.Fatalf("a period that ends before it starts: %d %.500s", r.status, r.body)
	}
	if e.auditCount(t) != before {
		t.Fatal("a refused member was written")
	}
	if r := e.do(t, e.login(t, "zhangwei"), "POST", "/projects/T-UPT1/members", fmt.Sprintf("person_id=%d&from=%s", zw, day(0)), formHeader); r.status != http.StatusNotFound {
		t.Fatalf("zhangwei (not on the team) adds himself: %d", r.status)
	}

	r = e.do(t, c, "POST", "/projects/T-UPT1/members", fmt.Sprintf("person_id=%d&from=%s&to=", zw, day(-1)), formHeader)
	if r.status != http.StatusSeeOther || !strings.HasSuffix(r.header.Get("Location"), "#project-team") {
		t.Fatalf("add zhangwei: %d %.300s", r.status, r.body)
	}
	var d teamOut
	e.as(t, "chenzhiqiang", "GET", "/api/v1/projects/T-UPT1", nil).json(t, &d)
	if len(d.Team) != 1 || d.Team[0].PersonID != zw || d.Team[0].Role != "researcher" || d.Team[0].From != day(-1) || d.Team[0].To != "" {
		t.Fatalf("the team after the form: %+v", d.Team)
	}
	m := d.Team[0].ID
	r = e.do(t, c, "GET", "/projects/T-UPT1", nil, nil)
	if !strings.Contains(r.body, fmt.Sprintf(`id="end-member-%d"`, m)) {
		t.Fatalf("no end form for the membership")
	}
	if r := e.do(t, e.login(t, "zhangwei"), "POST", fmt.Sprintf("/projects/T-UPT1/members/%d/end", m), "to="+day(0), formHeader); r.status != http.StatusForbidden {
		t.Fatalf("zhangwei ends his own membership: %d", r.status)
	}
	r = e.do(t, c, "POST", fmt.Sprintf("/projects/T-UPT1/members/%d/end", m), "to="+day(-2)+"&reason=调岗", formHeader)
	if r.status != http.StatusUnprocessableEntity || !fieldError("to", "结束日期不能早于开始日期").MatchString(r.body) || !strings.Contains(r.body, `value="调岗"`) {
		t.Fatalf("an end before the start: %d %.500s", r.status, r.body)
	}
	r = e.do(t, c, "POST", fmt.Sprintf("/projects/T-UPT1/members/%d/end", m), "to="+day(0)+"&reason=调岗", formHeader)
	if r.status != http.StatusSeeOther {
		t.Fatalf("end the membership: %d %.300s", r.status, r.body)
	}
	e.as(t, "chenzhiqiang", "GET", "/api/v1/projects/T-UPT1", nil).json(t, &d)
	if d.Team[0].To != day(0) || d.Team[0].EndedAt == "" {
		t.Fatalf("the membership after the end form: %+v", d.Team[0])
	}
	if r := e.do(t, c, "GET", "/projects/T-UPT1", nil, nil); strings.Contains(r.body, fmt.Sprintf(`id="end-member-%d"`, m)) {
		t.Fatal("an ended membership is offered to end again")
	}
}
