package app_test

// End-to-end walks of the three procedures written in YAML alone
// (issue 8 §8): company-meeting (REL-1), recruitment (REL-3) and
// announcement (REL-2), every path, on the demo institute.

import (
	"maps"
	"testing"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
)

// shanghai is the institute's zone, in which the forms' times are entered.
var shanghai = time.FixedZone("CST", 8*3600)

// formOf is the current form of inst.
func (w *walker) formOf(inst int64) map[string]any {
	w.t.Helper()
	return w.view("wangjianguo", inst).Instance.Form
}

// withRow is inst's table field with row i's columns changed to set.
func (w *walker) withRow(inst int64, table string, i int, set map[string]any) map[string]any {
	w.t.Helper()
	rows, _ := w.formOf(inst)[table].([]any)
	out := make([]any, len(rows))
	for j, r := range rows {
		m := maps.Clone(r.(map[string]any))
		if j == i {
			maps.Copy(m, set)
		}
		out[j] = m
	}
	return map[string]any{table: out}
}

// fire runs the timers due by at.
func (w *walker) fire(at time.Time) int {
	w.t.Helper()
	n, err := w.a.Flow.RunTimers(bg, at)
	if err != nil {
		w.t.Fatalf("timers at %s: %v", at, err)
	}
	return n
}

func (w *walker) outcome(inst int64, want string) {
	w.t.Helper()
	if got := w.view("wangjianguo", inst).Instance.Outcome; got != want {
		w.t.Fatalf("instance %d: outcome %q, want %q", inst, got, want)
	}
}

// ---- REL-1: company meeting ----

func meetingForm(w *walker, startsAt time.Time) map[string]any {
	return map[string]any{"meeting_type": "monthly_summary", "topic": "十一月工作总结", "location": "办公楼会议室",
		"starts_at": startsAt.Format(time.RFC3339), "recorder": w.id("zhengkai"), "requirements": "各部门准备本月总结",
		"attendees": []any{map[string]any{"person": w.id("lihua")}, map[string]any{"person": w.id("chenzhiqiang")}, map[string]any{"person": w.id("mayue")}}}
}

func TestREL1_CompanyMeetingWalk(t *testing.T) {
	w := openDemo(t, "")
	// Whole days ahead in any zone: 4 days from now, and 12 hours.
	startsAt := time.Now().In(shanghai).Add(96 * time.Hour).Truncate(time.Minute)

	t.Run("the notice goes out at least 2 days before the meeting", func(t *testing.T) {
		w.t = t
		soon := time.Now().In(shanghai).Add(12 * time.Hour).Truncate(time.Minute)
		_, err := w.a.Flow.Start(bg, w.actor("zhaomin"), "company-meeting", meetingForm(w, soon), "")
		de := wantErrKey(t, err, domain.KindInvalid, "error.invalid")
		if _, ok := de.Fields["starts_at"]; !ok {
			t.Fatalf("a notice 1 day ahead: fields %v, want starts_at", de.Fields)
		}
		// The agenda is the recorder's to draft, not the convener's to file.
		f := meetingForm(w, startsAt)
		f["agenda"] = "议程"
		_, err = w.a.Flow.Start(bg, w.actor("zhaomin"), "company-meeting", f, "")
		if de := wantErrKey(t, err, domain.KindInvalid, "error.invalid"); de.Fields["agenda"].Key == "" {
			t.Fatalf("agenda at filing: fields %v", de.Fields)
		}
		// A researcher does not convene company meetings.
		if _, err := w.a.Flow.Start(bg, w.actor("zhangwei"), "company-meeting", meetingForm(w, startsAt), ""); !domain.IsKind(err, domain.KindForbidden) {
			t.Fatalf("a researcher convenes: %v", err)
		}
	})

	t.Run("agenda, absences, meeting, minutes issued by the GM, decisions followed up", func(t *testing.T) {
		w.t = t
		in := w.start("zhaomin", "company-meeting", meetingForm(w, startsAt))
		w.expect(in.ID, "agenda", "zhengkai")
		w.complete("zhengkai", in.ID, "agenda", map[string]any{"agenda": "1. 各部门总结"})
		// The convener sends the agenda back to the recorder with a reason.
		w.expect(in.ID, "agenda_review", "zhaomin")
		if _, err := w.act("zhaomin", in.ID, "agenda_review", flow.ActInput{Action: flow.ActReject, Comment: "缺少下月安排"}); err != nil {
			t.Fatal(err)
		}
		w.expect(in.ID, "agenda", "zhengkai")
		w.complete("zhengkai", in.ID, "agenda", map[string]any{"agenda": "1. 各部门总结 2. 下月工作安排"})
		w.complete("zhaomin", in.ID, "agenda_review", nil)
		for _, u := range []string{"lihua", "chenzhiqiang", "mayue"} {
			if !w.notified(u, in.ID, "step_done") {
				t.Fatalf("attendee %s did not receive the notice with the agenda", u)
			}
		}
		// Each attendee answers for their own row.
		w.expect(in.ID, "attendance", "lihua", "chenzhiqiang", "mayue")
		if _, err := w.act("lihua", in.ID, "attendance", flow.ActInput{Action: flow.ActApprove, Form: w.withRow(in.ID, "attendees", 1, map[string]any{"attendance": "absent"})}); err == nil {
			t.Fatal("an attendee answered for another's row")
		}
		if _, err := w.act("lihua", in.ID, "attendance", flow.ActInput{Action: flow.ActApprove}); err == nil {
			t.Fatal("an attendee completed without saying whether they attend")
		}
		_, err := w.act("lihua", in.ID, "attendance", flow.ActInput{Action: flow.ActApprove, Form: w.withRow(in.ID, "attendees", 0, map[string]any{"attendance": "absent"})})
		if de := wantErrKey(t, err, domain.KindInvalid, "error.invalid"); de.Fields["attendees"].Key == "" {
			t.Fatalf("an absence without its reason: fields %v", de.Fields)
		}
		w.complete("lihua", in.ID, "attendance", w.withRow(in.ID, "attendees", 0, map[string]any{"attendance": "attend"}))
		w.complete("chenzhiqiang", in.ID, "attendance", w.withRow(in.ID, "attendees", 1,
			map[string]any{"attendance": "absent", "absence_reason": "出差", "written_views": "同意下月安排"}))
		// 马悦 has not answered when the meeting starts: her director is given her row.
		w.fire(startsAt.Add(time.Minute))
		w.expect(in.ID, "attendance", "mayue", "liuyang")
		w.complete("liuyang", in.ID, "attendance", w.withRow(in.ID, "attendees", 2, map[string]any{"attendance": "absent", "absence_reason": "病假"}))
		// The meeting's time has passed: the recorder writes the minutes.
		w.fire(startsAt.Add(2 * time.Minute))
		w.expect(in.ID, "minutes", "zhengkai")
		decisions := []any{
			map[string]any{"decision": "月底前提交中试计划", "owner": w.id("liuyang"), "due": startsAt.AddDate(0, 0, 20).Format(time.DateOnly)},
			map[string]any{"decision": "更新危化品台账", "owner": w.id("zhangwei"), "due": startsAt.AddDate(0, 0, 10).Format(time.DateOnly)},
		}
		w.complete("zhengkai", in.ID, "minutes", map[string]any{"minutes": "各部门汇报本月工作……", "decisions": decisions})
		w.complete("zhaomin", in.ID, "minutes_review", nil)
		// The GM sends them back once, then issues them with his signature.
		if _, err := w.act("wangjianguo", in.ID, "issue", flow.ActInput{Action: flow.ActReject, Comment: "决议须写明完成标准"}); err != nil {
			t.Fatal(err)
		}
		w.expect(in.ID, "minutes", "zhengkai")
		w.complete("zhengkai", in.ID, "minutes", map[string]any{"minutes": "各部门汇报本月工作；决议附完成标准。"})
		w.complete("zhaomin", in.ID, "minutes_review", nil)
		w.sign("wangjianguo", in.ID, "issue", flow.MeaningApprove, nil)
		for _, u := range []string{"liuyang", "zhangwei", "lihua"} {
			if !w.notified(u, in.ID, "step_done") {
				t.Fatalf("%s was not sent the issued minutes", u)
			}
		}
		// Each owner reports back on their decision.
		w.expect(in.ID, "follow_up", "liuyang", "zhangwei")
		w.complete("liuyang", in.ID, "follow_up", w.withRow(in.ID, "decisions", 0, map[string]any{"result": "已提交"}))
		w.complete("zhangwei", in.ID, "follow_up", w.withRow(in.ID, "decisions", 1, map[string]any{"result": "台账已更新"}))
		v := w.ended(in.ID, flow.StatusApproved) // the GM's signature holds: the results were empty when he signed
		w.outcome(in.ID, "issued")
		rows, _ := v.Instance.Form["attendees"].([]any)
		if r := rows[1].(map[string]any); r["attendance"] != "absent" || r["written_views"] != "同意下月安排" {
			t.Fatalf("the absentee's row = %v", r)
		}
	})

	t.Run("the convener cancels a meeting before anyone acted", func(t *testing.T) {
		w.t = t
		in := w.start("zhaomin", "company-meeting", meetingForm(w, startsAt))
		if _, err := w.a.Flow.ActOnInstance(bg, w.actor("zhaomin"), in.ID, flow.ActInput{Action: flow.ActWithdraw, Comment: "会议取消"}); err != nil {
			t.Fatal(err)
		}
		w.ended(in.ID, flow.StatusWithdrawn)
	})
}

// ---- REL-3: recruitment ----

func recruitForm(w *walker, level string) map[string]any {
	return map[string]any{"position": "合成研究员", "department": w.person("chenzhiqiang").DepartmentID, "post_level": level,
		"reason": "新项目需要，硕士以上，三年经验"}
}

func TestREL3_RecruitmentWalk(t *testing.T) {
	w := openDemo(t, "")
	const hr = "zhengkai" // the administration department's head acts for HR

	// outside takes a request past the internal search to the HR interview.
	outside := func(in *flow.Instance) {
		w.expect(in.ID, "internal_first", hr)
		w.complete(hr, in.ID, "internal_first", map[string]any{"internal_result": "none_suitable"})
		w.expect(in.ID, "candidate", hr)
		w.complete(hr, in.ID, "candidate", map[string]any{"channel": "campus", "candidate_name": "周晓"})
		w.expect(in.ID, "hr_interview", hr)
	}
	// hire takes a request from the training test to probation.
	hire := func(in *flow.Instance) {
		w.expect(in.ID, "training_test", hr)
		w.complete(hr, in.ID, "training_test", map[string]any{"training_score": "85"})
		w.expect(in.ID, "probation", hr)
		if _, err := w.act(hr, in.ID, "probation", flow.ActInput{Action: flow.ActApprove}); err == nil {
			t.Fatal("probation started without naming the employee")
		}
		w.complete(hr, in.ID, "probation", map[string]any{"employee": w.id("lijun"), "probation_ends_on": "2027-03-31"})
		w.ended(in.ID, flow.StatusApproved)
		w.outcome(in.ID, "hired")
		_, attrs, err := w.a.People.Attributes(bg, w.id("lijun"))
		if err != nil {
			t.Fatal(err)
		}
		if attrs["employment_status"] != "probation" || attrs["probation_ends_on"] != "2027-03-31" {
			t.Fatalf("the hire's attributes = %+v", attrs)
		}
	}

	t.Run("a member of staff fills the post first", func(t *testing.T) {
		w.t = t
		in := w.start("chenzhiqiang", "recruitment", recruitForm(w, "staff"))
		_, err := w.act(hr, in.ID, "internal_first", flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"internal_result": "internal_found"}})
		if de := wantErrKey(t, err, domain.KindInvalid, "error.invalid"); de.Fields["internal_candidate"].Key == "" {
			t.Fatalf("internal found without a candidate: %v", de.Fields)
		}
		w.complete(hr, in.ID, "internal_first", map[string]any{"internal_result": "internal_found", "internal_candidate": w.id("wangfang")})
		w.ended(in.ID, flow.StatusApproved)
		w.outcome(in.ID, "filled_internally")
	})

	t.Run("below supervisor: HR interviews alone, then training and probation", func(t *testing.T) {
		w.t = t
		in := w.start("chenzhiqiang", "recruitment", recruitForm(w, "staff"))
		outside(in)
		w.complete(hr, in.ID, "hr_interview", map[string]any{"hr_result": "pass", "hr_notes": "基础扎实"})
		hire(in)
		if v := w.view("wangjianguo", in.ID); stepDone(v, "dept_interview") || stepDone(v, "gm_interview") {
			t.Fatal("a post below supervisor had a department or GM interview")
		}
	})

	t.Run("supervisor: the hiring department's head interviews too", func(t *testing.T) {
		w.t = t
		in := w.start("zhaomin", "recruitment", recruitForm(w, "supervisor"))
		outside(in)
		w.complete(hr, in.ID, "hr_interview", map[string]any{"hr_result": "pass", "hr_notes": "沟通良好"})
		w.expect(in.ID, "dept_interview", "chenzhiqiang")
		w.complete("chenzhiqiang", in.ID, "dept_interview", map[string]any{"dept_result": "fail", "dept_notes": "专业不符"})
		w.ended(in.ID, flow.StatusRejected)
		w.outcome(in.ID, "not_hired")
	})

	t.Run("manager and above: HR, then the GM's final interview, signed", func(t *testing.T) {
		w.t = t
		in := w.start("lihua", "recruitment", recruitForm(w, "manager"))
		outside(in)
		w.complete(hr, in.ID, "hr_interview", map[string]any{"hr_result": "pass", "hr_notes": "管理经验丰富"})
		w.expect(in.ID, "gm_interview", "wangjianguo")
		w.sign("wangjianguo", in.ID, "gm_interview", flow.MeaningApprove, nil)
		hire(in)
	})

	t.Run("the GM turns the candidate down", func(t *testing.T) {
		w.t = t
		in := w.start("lihua", "recruitment", recruitForm(w, "manager"))
		outside(in)
		w.complete(hr, in.ID, "hr_interview", map[string]any{"hr_result": "pass", "hr_notes": "可"})
		if _, err := w.act("wangjianguo", in.ID, "gm_interview", flow.ActInput{Action: flow.ActReject, Comment: "行业经验不足"}); err != nil {
			t.Fatal(err)
		}
		w.ended(in.ID, flow.StatusRejected)
		w.outcome(in.ID, "not_hired")
	})

	t.Run("HR's interview fails", func(t *testing.T) {
		w.t = t
		in := w.start("chenzhiqiang", "recruitment", recruitForm(w, "staff"))
		outside(in)
		w.complete(hr, in.ID, "hr_interview", map[string]any{"hr_result": "fail", "hr_notes": "不符合录用条件"})
		w.ended(in.ID, flow.StatusRejected)
		w.outcome(in.ID, "not_hired")
	})

	t.Run("no probation without passing the pre-job training test", func(t *testing.T) {
		w.t = t
		in := w.start("chenzhiqiang", "recruitment", recruitForm(w, "staff"))
		outside(in)
		w.complete(hr, in.ID, "hr_interview", map[string]any{"hr_result": "pass", "hr_notes": "可"})
		w.complete(hr, in.ID, "training_test", map[string]any{"training_score": "59.5"})
		w.ended(in.ID, flow.StatusRejected)
		w.outcome(in.ID, "failed_training")
	})
}

// stepDone reports whether step completed on the instance.
func stepDone(v *flow.InstanceView, step string) bool {
	for _, h := range v.Instance.State.History {
		if h.Step == step && !h.Rejected {
			return true
		}
	}
	return false
}

// ---- REL-2: announcement ----

func announcementForm(w *walker, dept string, at time.Time) map[string]any {
	return map[string]any{"headline": "关于调整考勤制度的通知", "category": "rules_changed", "issuing_department": w.deptID(dept),
		"body": "自下月起……", "publish_at": at.Format(time.RFC3339)}
}

func (w *walker) deptID(code string) int64 {
	w.t.Helper()
	ds, err := w.a.People.Departments(bg, true)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, d := range ds {
		if d.Code == code {
			return d.ID
		}
	}
	w.t.Fatalf("no department %s", code)
	return 0
}

func TestREL2_AnnouncementWalk(t *testing.T) {
	w := openDemo(t, "")
	day := time.Now().In(shanghai)
	at := time.Date(day.Year(), day.Month(), day.Day()+2, 9, 0, 0, 0, shanghai)

	t.Run("reviewed by the issuing unit's head, approved, published to everyone at its time", func(t *testing.T) {
		w.t = t
		in := w.start("zhangwei", "announcement", announcementForm(w, "synthesis", at))
		w.expect(in.ID, "unit_review", "chenzhiqiang")
		w.sign("chenzhiqiang", in.ID, "unit_review", flow.MeaningReview, nil)
		w.expect(in.ID, "admin_approve", "zhengkai")
		w.sign("zhengkai", in.ID, "admin_approve", flow.MeaningApprove, nil)
		// Not before its time.
		w.fire(at.Add(-time.Minute))
		if w.notified("guoqiang", in.ID, "step_done") {
			t.Fatal("published before its time")
		}
		if v := w.view("wangjianguo", in.ID); v.Instance.Status != flow.StatusRunning {
			t.Fatalf("status before its time: %s", v.Instance.Status)
		}
		w.fire(at.Add(time.Minute))
		w.ended(in.ID, flow.StatusApproved)
		w.outcome(in.ID, "published")
		for _, u := range []string{"guoqiang", "liangqian", "wangjianguo", "hanmei"} {
			if !w.notified(u, in.ID, "step_done") {
				t.Fatalf("%s did not receive the announcement", u)
			}
		}
	})

	t.Run("the head who wrote it has reviewed it", func(t *testing.T) {
		w.t = t
		in := w.start("chenzhiqiang", "announcement", announcementForm(w, "synthesis", at))
		w.expect(in.ID, "admin_approve", "zhengkai")
	})

	t.Run("refused by the administration head: not published", func(t *testing.T) {
		w.t = t
		in := w.start("guoqiang", "announcement", announcementForm(w, "analytical", at))
		w.expect(in.ID, "unit_review", "sunli")
		w.sign("sunli", in.ID, "unit_review", flow.MeaningReview, nil)
		if _, err := w.act("zhengkai", in.ID, "admin_approve", flow.ActInput{Action: flow.ActReject, Comment: "内容需法务确认"}); err != nil {
			t.Fatal(err)
		}
		w.ended(in.ID, flow.StatusRejected)
		w.outcome(in.ID, "not_approved")
		w.fire(at.Add(time.Hour))
		if w.notified("liangqian", in.ID, "step_done") {
			t.Fatal("a refused announcement was published")
		}
	})

	t.Run("never back-dated", func(t *testing.T) {
		w.t = t
		_, err := w.a.Flow.Start(bg, w.actor("zhangwei"), "announcement", announcementForm(w, "synthesis", at.AddDate(0, 0, -5)), "")
		if de := wantErrKey(t, err, domain.KindInvalid, "error.invalid"); de.Fields["publish_at"].Key == "" {
			t.Fatalf("back-dated: %v", de.Fields)
		}
	})
}
