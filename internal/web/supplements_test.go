package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"labflow/internal/flow"
	"labflow/internal/store/storetest"
)

// The tests of supplementary requests (发补, PRJ-10) and escalations
// (PRJ-11), through the JSON API, on SQLite and (with TEST_DATABASE_URL)
// PostgreSQL.

// suppBothDatabases runs f on a fresh demo on SQLite and on PostgreSQL.
func suppBothDatabases(t *testing.T, f func(t *testing.T, e *env), opts ...envOpt) {
	t.Run("sqlite", func(t *testing.T) { f(t, newEnv(t, opts...)) })
	t.Run("postgres", func(t *testing.T) { f(t, newEnv(t, append(opts, withDSN(storetest.NewPostgresDB(t)))...)) })
}

type supplementOut struct {
	Supplement struct {
		ID         int64  `json:"id"`
		NoticeDate string `json:"notice_date"`
		DueOn      string `json:"due_on"`
		Days       int    `json:"days"`
		State      string `json:"state"`
		InstanceID int64  `json:"instance_id"`
	} `json:"supplement"`
	Questions []struct {
		ID    int64  `json:"id"`
		Seq   int    `json:"seq"`
		State string `json:"state"`
		Links []struct {
			Kind string `json:"kind"`
			Ref  string `json:"ref"`
		} `json:"links"`
	} `json:"questions"`
	Unanswered []int `json:"unanswered"`
}

// signIn gives users their API tokens (each an audited event) before a
// test counts the trail's events.
func signIn(t *testing.T, e *env, users ...string) {
	t.Helper()
	for _, u := range users {
		e.token(t, u)
	}
}

// taskOf returns the open task of user on instance id (0 if none).
func taskOf(t *testing.T, e *env, user string, id int64) int64 {
	t.Helper()
	var v flow.InstanceView
	r := e.as(t, user, "GET", idPath("/api/v1/instances/%d", id), nil)
	if r.status != http.StatusOK {
		return 0
	}
	r.json(t, &v)
	uid := personID(t, e, user)
	for _, tk := range v.Tasks {
		if tk.AssigneeID == uid && tk.State == flow.TaskOpen {
			return tk.ID
		}
	}
	return 0
}

// act approves (with the password) the open task of user on instance id.
func act(t *testing.T, e *env, user string, id int64, form map[string]any) {
	t.Helper()
	tk := taskOf(t, e, user, id)
	if tk == 0 {
		t.Fatalf("%s has no open task on instance %d", user, id)
	}
	body := map[string]any{"action": "approve", "password": "labflow-demo", "comment": "同意"}
	if form != nil {
		body["form"] = form
	}
	if r := e.as(t, user, "POST", idPath("/api/v1/tasks/%d/actions", tk), body); r.status != http.StatusOK {
		t.Fatalf("%s acts on %d: %d %s", user, id, r.status, r.body)
	}
}

func getSupplement(t *testing.T, e *env, user string, id int64) supplementOut {
	t.Helper()
	var v supplementOut
	r := e.as(t, user, "GET", idPath("/api/v1/projects/LF-2026-01/supplements/%d", id), nil)
	if r.status != http.StatusOK {
		t.Fatalf("get supplement as %s: %d %s", user, r.status, r.body)
	}
	r.json(t, &v)
	return v
}

// notice is a 发补 notice on LF-2026-01 dated n days from today with two
// questions, for zhangwei and guoqiang.
func notice(t *testing.T, e *env, n int) map[string]any {
	return map[string]any{"title": "关于阿哌沙班原料药的补充资料通知", "number": "CDE-2026-0815", "notice_date": day(n), "questions": []map[string]any{
		{"question": "补充起始物料的质量控制资料", "owner_id": personID(t, e, "zhangwei"), "due_on": day(n + 40)},
		{"question": "补充有关物质分析方法学验证资料", "owner_id": personID(t, e, "guoqiang"), "due_on": day(n + 60)},
	}}
}

// Ensure the response to a 发补 notice is one submission, refused while
// any question is open — naming it, by the service's route and by the
// task's — and that the refusals and the wrong people write nothing
// (PRJ-10, COMPLIANCE §4.3 item 7).
func TestPRJ10_ResponseRefusedWhileAQuestionIsOpen(t *testing.T) {
	t.Parallel()
	suppBothDatabases(t, func(t *testing.T, e *env) {
		base := "/api/v1/projects/LF-2026-01/supplements"
		signIn(t, e, "zhangwei", "liuyang", "hanmei", "guoqiang")
		// The wrong people: a researcher may not record, someone who does
		// not see the project does not find it; nothing is written.
		before := e.auditCount(t)
		if r := e.as(t, "zhangwei", "POST", base, notice(t, e, -10)); r.status != http.StatusForbidden {
			t.Fatalf("a researcher records: %d %s", r.status, r.body)
		}
		if r := e.as(t, "liuyang", "POST", base, notice(t, e, -10)); r.status != http.StatusNotFound {
			t.Fatalf("a director of another department records: %d %s", r.status, r.body)
		}
		// Forged fields: an owner who does not see the project, a due day
		// past the response's, a notice from the future.
		bad := notice(t, e, -10)
		bad["questions"].([]map[string]any)[0]["owner_id"] = personID(t, e, "gaoyuan")
		bad["questions"].([]map[string]any)[1]["due_on"] = day(100)
		if r := e.as(t, "hanmei", "POST", base, bad); r.status != http.StatusUnprocessableEntity ||
			fieldKeys(t, r)["questions.1.owner_id"] != "projects.supplement.owner_not_on_project" || fieldKeys(t, r)["questions.2.due_on"] != "projects.supplement.question_due" {
			t.Fatalf("forged questions: %d %s", r.status, r.body)
		}
		if r := e.as(t, "hanmei", "POST", base, notice(t, e, 1)); r.status != http.StatusUnprocessableEntity || fieldKeys(t, r)["notice_date"] == "" {
			t.Fatalf("a notice from tomorrow: %d %s", r.status, r.body)
		}
		if e.auditCount(t) != before {
			t.Fatal("a refused notice wrote to the trail")
		}

		// The registration specialist records it; the clock is 80 days.
		var rec struct {
			Supplement struct {
				ID         int64  `json:"id"`
				DueOn      string `json:"due_on"`
				InstanceID int64  `json:"instance_id"`
			} `json:"supplement"`
		}
		r := e.as(t, "hanmei", "POST", base, notice(t, e, -10))
		if r.status != http.StatusCreated {
			t.Fatalf("record: %d %s", r.status, r.body)
		}
		r.json(t, &rec)
		id := rec.Supplement.ID
		if rec.Supplement.DueOn != day(70) || rec.Supplement.InstanceID == 0 {
			t.Fatalf("due %s (want %s = notice + 80 days), instance %d", rec.Supplement.DueOn, day(70), rec.Supplement.InstanceID)
		}
		v := getSupplement(t, e, "zhangwei", id)
		q1, q2 := v.Questions[0].ID, v.Questions[1].ID
		qpath := func(q int64, what string) string {
			return base + "/" + itoa(id) + "/questions/" + itoa(q) + "/" + what
		}

		// A question is answered by its owner (or the recorder, or the
		// director), not by another member; not seen, not found.
		if r := e.as(t, "guoqiang", "POST", qpath(q1, "answer"), map[string]any{"answer": "x"}); r.status != http.StatusForbidden {
			t.Fatalf("another member answers: %d %s", r.status, r.body)
		}
		if r := e.as(t, "liuyang", "POST", qpath(q1, "answer"), map[string]any{"answer": "x"}); r.status != http.StatusNotFound {
			t.Fatalf("a stranger answers: %d %s", r.status, r.body)
		}
		if r := e.as(t, "zhangwei", "POST", qpath(q1, "answer"), map[string]any{"answer": "已补充起始物料的供应商审计和质量标准。"}); r.status != http.StatusOK {
			t.Fatalf("owner answers: %d %s", r.status, r.body)
		}
		// A link to a process one may not see, or no such process, is refused.
		if r := e.as(t, "zhangwei", "POST", qpath(q1, "links"), map[string]any{"kind": "instance", "ref": "999999"}); r.status != http.StatusUnprocessableEntity || fieldKeys(t, r)["ref"] == "" {
			t.Fatalf("a forged link: %d %s", r.status, r.body)
		}
		ct, body := multipartBody(t, "起始物料审计报告.pdf", []byte("%PDF-1.4 audit"))
		up := e.do(t, nil, "POST", "/api/v1/attachments", body, map[string]string{"Content-Type": ct, "Authorization": "Bearer " + e.token(t, "zhangwei")})
		var att struct {
			SHA string `json:"sha256"`
		}
		up.json(t, &att)
		if r := e.as(t, "zhangwei", "POST", qpath(q1, "links"), map[string]any{"kind": "file", "ref": att.SHA}); r.status != http.StatusCreated {
			t.Fatalf("link a file: %d %s", r.status, r.body)
		}

		// Submitting with question 2 open is refused, naming it — through
		// the service's route and through the task itself — and writes nothing.
		before = e.auditCount(t)
		r = e.as(t, "hanmei", "POST", base+"/"+itoa(id)+"/submit", map[string]any{"response": "全部问题已答复"})
		if r.status != http.StatusConflict || r.problem(t).Key != "projects.supplement.unanswered" || !strings.Contains(r.body, "2") {
			t.Fatalf("submit with an open question: %d %s", r.status, r.body)
		}
		tk := taskOf(t, e, "hanmei", rec.Supplement.InstanceID)
		r = e.as(t, "hanmei", "POST", idPath("/api/v1/tasks/%d/actions", tk), map[string]any{"action": "approve", "form": map[string]any{"response": "绕过"}})
		if r.status != http.StatusConflict || !strings.Contains(r.body, "projects.supplement.unanswered") {
			t.Fatalf("the task approved with an open question: %d %s", r.status, r.body)
		}
		if r := e.as(t, "zhangwei", "POST", base+"/"+itoa(id)+"/submit", map[string]any{"response": "x"}); r.status != http.StatusForbidden {
			t.Fatalf("an owner submits: %d %s", r.status, r.body)
		}
		if e.auditCount(t) != before {
			t.Fatal("a refused submission wrote to the trail")
		}
		if v := getSupplement(t, e, "hanmei", id); v.Supplement.State != "open" || v.Questions[0].State != "answered" || len(v.Unanswered) != 1 || v.Unanswered[0] != 2 {
			t.Fatalf("after the refusals: %+v", v)
		}

		// Once every question is answered the response goes, once; the
		// questions are closed and frozen.
		if r := e.as(t, "guoqiang", "POST", qpath(q2, "answer"), map[string]any{"answer": "已完成方法学验证，报告见附件。"}); r.status != http.StatusOK {
			t.Fatalf("answer 2: %d %s", r.status, r.body)
		}
		if r := e.as(t, "hanmei", "POST", base+"/"+itoa(id)+"/submit", map[string]any{"response": "全部问题已答复，一次性提交。"}); r.status != http.StatusOK {
			t.Fatalf("submit: %d %s", r.status, r.body)
		}
		v = getSupplement(t, e, "hanmei", id)
		if v.Supplement.State != "submitted" || v.Questions[0].State != "closed" || v.Questions[1].State != "closed" || len(v.Questions[0].Links) != 1 {
			t.Fatalf("after the submission: %+v", v)
		}
		if r := e.as(t, "guoqiang", "POST", qpath(q2, "answer"), map[string]any{"answer": "改"}); r.status != http.StatusConflict {
			t.Fatalf("a frozen question answered: %d %s", r.status, r.body)
		}
		if r := e.as(t, "hanmei", "POST", base+"/"+itoa(id)+"/submit", map[string]any{"response": "again"}); r.status != http.StatusConflict {
			t.Fatalf("a second submission: %d %s", r.status, r.body)
		}
		// The director reviews, the Business Dean approves.
		act(t, e, "chenzhiqiang", rec.Supplement.InstanceID, nil)
		act(t, e, "lihua", rec.Supplement.InstanceID, nil)
		if v := getSupplement(t, e, "wangjianguo", id); v.Supplement.State != "approved" {
			t.Fatalf("after the approvals: %s", v.Supplement.State)
		}
		// The records are sealed: verify finds nothing wrong.
		if r := e.as(t, "admin", "GET", "/api/v1/audit/verify", nil); r.status != http.StatusOK || !strings.Contains(r.body, `"ok":true`) {
			t.Fatalf("verify: %d %s", r.status, r.body)
		}
	})
}

// Ensure the 发补 clock runs 80 calendar days from the notice and warns the
// questions' owners and the director 30, 14, 7 and 3 days before it ends,
// then tells them when it has passed (PRJ-10, COMPLIANCE §4.3 item 7).
func TestPRJ10_ClockWarnsAtItsSetPoints(t *testing.T) {
	t.Parallel()
	suppBothDatabases(t, func(t *testing.T, e *env) {
		r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/LF-2026-01/supplements", notice(t, e, 0))
		if r.status != http.StatusCreated {
			t.Fatalf("record: %d %s", r.status, r.body)
		}
		var rec struct {
			Supplement struct {
				DueOn      string `json:"due_on"`
				InstanceID int64  `json:"instance_id"`
			} `json:"supplement"`
		}
		r.json(t, &rec)
		if rec.Supplement.DueOn != day(80) {
			t.Fatalf("due %s, want %s", rec.Supplement.DueOn, day(80))
		}
		var v flow.InstanceView
		e.as(t, "chenzhiqiang", "GET", idPath("/api/v1/instances/%d", rec.Supplement.InstanceID), nil).json(t, &v)
		ds := v.Instance.State.Deadlines["clock"]
		loc, _ := time.LoadLocation("Asia/Shanghai")
		if ds == nil || ds.Due.Add(-time.Second).In(loc).Format(time.DateOnly) != day(80) { // the end of the due day
			t.Fatalf("the clock's deadline: %+v", ds)
		}
		due := ds.Due
		warned := func(user, kind string) int {
			var ns []struct {
				Kind       string `json:"kind"`
				InstanceID int64  `json:"instance_id"`
			}
			e.as(t, user, "GET", "/api/v1/notifications?limit=500", nil).json(t, &ns)
			n := 0
			for _, x := range ns {
				if x.InstanceID == rec.Supplement.InstanceID && x.Kind == kind {
					n++
				}
			}
			return n
		}
		run := func(at time.Time) {
			e.clk.Add(at.Sub(e.clk.Now()))
			if _, err := e.app.Flow.RunTimers(context.Background(), at); err != nil {
				t.Fatal(err)
			}
		}
		for i, before := range []int{30, 14, 7, 3} {
			point := due.Add(-time.Duration(before) * 24 * time.Hour)
			run(point.Add(-time.Minute))
			if n := warned("zhangwei", "due_soon"); n != i {
				t.Fatalf("a minute before %d days ahead: %d warnings, want %d", before, n, i)
			}
			run(point.Add(time.Minute))
			for _, u := range []string{"zhangwei", "guoqiang", "chenzhiqiang"} {
				if n := warned(u, "due_soon"); n != i+1 {
					t.Fatalf("%d days ahead: %s has %d warnings, want %d", before, u, n, i+1)
				}
			}
		}
		if warned("wangfang", "due_soon") != 0 {
			t.Fatal("a member who owns no question was warned")
		}
		run(due.Add(time.Minute))
		if warned("guoqiang", "overdue") != 1 {
			t.Fatal("the owners were not told the clock ran out")
		}
	}, withClock())
}

// Ensure a major difficulty goes to a topic meeting with its minutes and
// decision and, unresolved, to the Technical Committee, whose decision is
// recorded on the escalation and linked; the wrong people are refused and
// write nothing (PRJ-11).
func TestPRJ11_UnresolvedDifficultyGoesToTheCommittee(t *testing.T) {
	t.Parallel()
	suppBothDatabases(t, func(t *testing.T, e *env) {
		base := "/api/v1/projects/LF-2026-01/escalations"
		meeting := map[string]any{"title": "关键中间体手性纯度达不到要求", "node": "小试工艺优化", "difficulty": "ee 值仅 96%，要求 ≥99.5%。",
			"held_at": day(-1) + "T14:00", "attendees": []int64{personID(t, e, "zhangwei"), personID(t, e, "wangfang"), personID(t, e, "chenzhiqiang")},
			"minutes": "讨论了重结晶与手性拆分两种方案。", "decision": "先试重结晶两轮。", "resolved": false}
		signIn(t, e, "gaoyuan", "zhangwei", "liuyang", "chenzhiqiang")
		before := e.auditCount(t)
		if r := e.as(t, "gaoyuan", "POST", base, meeting); r.status != http.StatusNotFound {
			t.Fatalf("someone who does not see the project: %d %s", r.status, r.body)
		}
		forged := map[string]any{}
		for k, v := range meeting {
			forged[k] = v
		}
		forged["attendees"] = []int64{999999}
		if r := e.as(t, "zhangwei", "POST", base, forged); r.status != http.StatusUnprocessableEntity || fieldKeys(t, r)["attendees.1"] == "" {
			t.Fatalf("a forged attendee: %d %s", r.status, r.body)
		}
		if e.auditCount(t) != before {
			t.Fatal("a refused escalation wrote to the trail")
		}
		var opened struct {
			Escalation struct {
				ID int64 `json:"id"`
			} `json:"escalation"`
			Instance struct {
				ID int64 `json:"id"`
			} `json:"instance"`
		}
		r := e.as(t, "zhangwei", "POST", base, meeting)
		if r.status != http.StatusCreated {
			t.Fatalf("open: %d %s", r.status, r.body)
		}
		r.json(t, &opened)
		id := opened.Escalation.ID
		path := base + "/" + itoa(id)
		// Not yet unresolved: the committee is refused.
		if r := e.as(t, "chenzhiqiang", "POST", path+"/committee", map[string]any{"question": "q"}); r.status != http.StatusConflict {
			t.Fatalf("to the committee before the meeting ends: %d %s", r.status, r.body)
		}
		act(t, e, "chenzhiqiang", opened.Instance.ID, nil) // the director confirms the minutes
		act(t, e, "zhangwei", opened.Instance.ID, nil)     // distributed
		var v struct {
			Escalation struct {
				State               string `json:"state"`
				Decision            string `json:"decision"`
				CommitteeInstanceID int64  `json:"committee_instance_id"`
			} `json:"escalation"`
			Processes []struct {
				ID int64 `json:"id"`
			} `json:"processes"`
		}
		e.as(t, "chenzhiqiang", "GET", path, nil).json(t, &v)
		if v.Escalation.State != "unresolved" || v.Escalation.Decision != "先试重结晶两轮。" {
			t.Fatalf("after the meeting: %+v", v.Escalation)
		}
		// Only the project's director takes it on; a stranger finds nothing.
		if r := e.as(t, "zhangwei", "POST", path+"/committee", map[string]any{"question": "q"}); r.status != http.StatusForbidden {
			t.Fatalf("a researcher escalates: %d %s", r.status, r.body)
		}
		if r := e.as(t, "liuyang", "POST", path+"/committee", map[string]any{"question": "q"}); r.status != http.StatusNotFound {
			t.Fatalf("a stranger escalates: %d %s", r.status, r.body)
		}
		var inst struct {
			ID int64 `json:"id"`
		}
		r = e.as(t, "chenzhiqiang", "POST", path+"/committee", map[string]any{"question": "重结晶两轮后 ee 值 98.7%，是否改用手性拆分路线？"})
		if r.status != http.StatusCreated {
			t.Fatalf("to the committee: %d %s", r.status, r.body)
		}
		r.json(t, &inst)
		if r := e.as(t, "chenzhiqiang", "POST", path+"/committee", map[string]any{"question": "again"}); r.status != http.StatusConflict {
			t.Fatalf("a second committee request: %d %s", r.status, r.body)
		}
		// The chair records the decision, the committee signs (a quorum
		// with the chair, never the director who asked).
		if taskOf(t, e, "chenzhiqiang", inst.ID) != 0 {
			t.Fatal("the director who asked has a task on the committee's decision")
		}
		act(t, e, "wangjianguo", inst.ID, map[string]any{"decision": "改用手性拆分路线，增加拆分剂筛选节点。"})
		for _, u := range []string{"wangjianguo", "lihua", "liuyang"} {
			act(t, e, u, inst.ID, nil)
		}
		e.as(t, "lihua", "GET", path, nil).json(t, &v)
		if v.Escalation.State != "decided" || v.Escalation.Decision != "改用手性拆分路线，增加拆分剂筛选节点。" || v.Escalation.CommitteeInstanceID != inst.ID || len(v.Processes) != 2 {
			t.Fatalf("after the committee: %+v", v)
		}
	})
}

// Ensure the pages of 发补 and escalations work from the project page: the
// demo's open notice with its clock, a notice recorded and answered through
// the forms, a submission with an open question refused on the page naming
// it, an escalation's page; and that someone who does not see the project
// finds none of it (PRJ-10, PRJ-11, PRJ-12).
func TestPRJ10_Pages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	c := e.login(t, "hanmei")
	r := e.do(t, c, "GET", "/projects/LF-2026-14", nil, nil)
	for _, want := range []string{`id="supplements-panel"`, "盐酸二甲双胍缓释片一致性评价补充资料通知", "剩余 55 天", "已答复 2/3", `id="supplement-record"`, `id="escalations-panel"`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("project page lacks %q", want)
		}
	}
	// Recorded from the panel: a line that names nobody is said beside the field.
	r = e.do(t, c, "POST", "/projects/LF-2026-14/supplements", "title=第二次发补&notice_date="+day(-1)+"&questions=补充数据｜nobody｜"+day(10), form)
	if r.status != 422 || !strings.Contains(r.body, "第 1 行格式不对") {
		t.Fatalf("a bad question line: %d %.500s", r.status, r.body)
	}
	r = e.do(t, c, "POST", "/projects/LF-2026-14/supplements", "title=第二次发补&notice_date="+day(-1)+"&questions=补充数据｜linna｜"+day(10), form)
	if r.status != 303 {
		t.Fatalf("record from the panel: %d %.500s", r.status, r.body)
	}
	page := r.header.Get("Location")
	r = e.do(t, c, "POST", page+"/submit", "response=提交", form)
	if r.status != 409 || !strings.Contains(r.body, "第 1 题") {
		t.Fatalf("a submission with an open question: %d %.800s", r.status, r.body)
	}
	r = e.do(t, c, "GET", page, nil, nil)
	if r.status != 200 || !strings.Contains(r.body, `id="question-1"`) || !strings.Contains(r.body, "剩余 79 天") {
		t.Fatalf("notice page: %d %.500s", r.status, r.body)
	}
	// The director sees LF-2026-01's escalation, decided by the committee.
	d := e.login(t, "chenzhiqiang")
	r = e.do(t, d, "GET", "/projects/LF-2026-01", nil, nil)
	if !strings.Contains(r.body, "关键中间体手性纯度达不到要求") || !strings.Contains(r.body, "技术委员会已决定") {
		t.Fatalf("escalations panel: %.300s", r.body)
	}
	r = e.do(t, d, "GET", "/projects/LF-2026-01/escalations/1", nil, nil)
	if r.status != 200 || !strings.Contains(r.body, "同意改用手性拆分路线") {
		t.Fatalf("escalation page: %d", r.status)
	}
	// Who does not see the project finds neither page.
	z := e.login(t, "zhangwei")
	if r := e.do(t, z, "GET", page, nil, nil); r.status != 404 {
		t.Fatalf("a researcher of another project opens the notice: %d", r.status)
	}
	l := e.login(t, "liuyang")
	if r := e.do(t, l, "GET", "/projects/LF-2026-01/escalations/1", nil, nil); r.status != 404 {
		t.Fatalf("a director of another department opens the escalation: %d", r.status)
	}
}
