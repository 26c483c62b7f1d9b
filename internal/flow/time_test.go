package flow_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"labflow/internal/calendar"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// Time the way the rulebook counts it (issue 8 §3, §6): durations in
// working days with the 2026 calendar of mainland China, deadlines from
// the form, escalation levels, definition-level deadlines, wait steps,
// returns, schedules, and timers and jobs with leases.

var cst = time.FixedZone("CST", 8*3600)

// cstAt is a moment in the institute's zone ("2026-09-24 10:00").
func cstAt(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, cst)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// timeEnv is an engine over a fresh database of dialect d whose clock
// starts at start, counting working days with the shipped calendar.
type timeEnv struct {
	*env
	clk *storetest.Clock
	cfg store.Config
	cal *calendar.Service
}

func newTimeEnv(t *testing.T, d store.Dialect, start time.Time, reg *flow.Registry, defs ...*flow.Definition) *timeEnv {
	t.Helper()
	cfg := storetest.Config(t, d)
	clk := storetest.NewClock(start)
	cfg.Now = clk.Now
	db, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cal := calendar.New(db, cst)
	if err := cal.LoadShipped(ctx); err != nil {
		t.Fatal(err)
	}
	if reg == nil {
		reg = flow.NewRegistry()
	}
	v := newEnvReg(t, db, reg, defs...)
	v.e.UseCalendar(cal)
	return &timeEnv{env: v, clk: clk, cfg: cfg, cal: cal}
}

// second opens another server's engine on the same database (its own
// store, its own leases).
func (v *timeEnv) second(t *testing.T, defs ...*flow.Definition) *env {
	t.Helper()
	db, err := store.Open(ctx, v.cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	cal := calendar.New(db, cst)
	if err := cal.Load(ctx); err != nil {
		t.Fatal(err)
	}
	w := newEnvReg(t, db, v.reg, defs...)
	w.e.UseCalendar(cal)
	return w
}

// parse lints a definition written as YAML.
func parse(t *testing.T, reg *flow.Registry, src string) *flow.Definition {
	t.Helper()
	d, err := flow.Parse("test.yaml", []byte(src), reg)
	if err != nil {
		t.Fatalf("lint: %v", err)
	}
	return d
}

func (v *env) run(t *testing.T, now time.Time) int {
	t.Helper()
	n, err := v.e.RunTimers(ctx, now)
	if err != nil {
		t.Fatalf("timers at %v: %v", now, err)
	}
	return n
}

func (v *env) audits(t *testing.T, action string) []string {
	t.Helper()
	evs, err := v.db.FindAudit(ctx, store.AuditFilter{Action: action, Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Changes)
	}
	return out
}

func (v *env) timeline(t *testing.T, inst int64, action string) []flow.ActionRecord {
	t.Helper()
	var out []flow.ActionRecord
	for _, a := range v.view(alice, inst).Timeline {
		if a.Action == action {
			out = append(out, a)
		}
	}
	return out
}

// Ensure durations read hours, days and working days, and lint names a bad one.
func TestDurations_HoursDaysWorkingDays(t *testing.T) {
	for s, ok := range map[string]bool{"48h": true, "30m": true, "1h30m": true, "3d": true, "2wd": true, "0": true, "": true,
		"-1h": false, "1.5d": false, "2 wd": false, "wd": false, "3days": false, "-2wd": false} {
		if _, err := flow.ParseDuration(s); (err == nil) != ok {
			t.Errorf("ParseDuration(%q): %v", s, err)
		}
	}
	cal := flow.WeekdayCalendar{}
	fri := time.Date(2026, 3, 6, 10, 0, 0, 0, time.UTC)
	for s, want := range map[string]time.Time{"48h": fri.Add(48 * time.Hour), "3d": fri.AddDate(0, 0, 3), "2wd": time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)} {
		d, _ := flow.ParseDuration(s)
		if got := d.After(fri, cal); !got.Equal(want) {
			t.Errorf("%s after Friday: %v, want %v", s, got, want)
		}
	}
	d, _ := flow.ParseDuration("1wd")
	if got := d.Before(fri, cal); !got.Equal(fri.AddDate(0, 0, -1)) {
		t.Errorf("1wd before Friday: %v", got)
	}
	src := `key: bad-time
title: {zh: 坏, en: Bad}
form:
  - {key: at, label: {zh: 时间, en: At}, type: text}
steps:
  - id: a
    title: {zh: 甲, en: A}
    assignee: {role: gm}
    sla: {due: 2days, remind: 3wd, from: at, escalate: [{after: 2wd, to: director}, {after: 1wd, to: nobody}], on_return: maybe}
  - id: w
    title: {zh: 等, en: Wait}
    kind: wait
`
	_, err := flow.Parse("bad.yaml", []byte(src), nil)
	for _, want := range []string{"steps[0].sla.due", "steps[0].sla.from: field \"at\" is not a date", "steps[0].sla.escalate[1].to: unknown role",
		"steps[0].sla.escalate[1].after: each level comes after", "steps[0].sla.on_return", "steps[1].wait"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("lint lacks %q: %v", want, err)
		}
	}
}

const timeForm = `form:
  - {key: title, label: {zh: 标题, en: Title}, type: text}
  - {key: received_at, label: {zh: 收样时间, en: Received at}, type: datetime}
  - {key: report_due_at, label: {zh: 预计报告时间, en: Report due}, type: datetime}
  - {key: release_on, label: {zh: 放行日, en: Release on}, type: date}
  - {key: person, label: {zh: 人员, en: Person}, type: person}
`

// Ensure a step's deadline counts working days with the institute's
// calendar, from a time on the form (24 hours from received_at) or is
// taken from the form (the analyst's estimated report time), and that its
// escalation levels fire in order — after 1 working day to the director,
// after 3 to the Business Dean — each recorded in the audit trail and on
// the timeline, with the reminder and the overdue notice (REL-5).
func TestREL5_DeadlinesFromTheFormAndEscalationInLevels(t *testing.T) {
	for _, d := range storetest.Backends() {
		t.Run(string(d), func(t *testing.T) {
			reg := flow.NewRegistry()
			def := parse(t, reg, `key: svc
title: {zh: 服务请求, en: Service request}
`+timeForm+`steps:
  - id: answer
    title: {zh: 答复, en: Answer}
    kind: task
    assignee: {person: erin}
    sla:
      due: 1wd
      remind: 2h
      escalate: [{after: 1wd, to: director}, {after: 3wd, to: business_dean}]
  - id: receive
    title: {zh: 收样, en: Receive}
    kind: task
    assignee: {person: carol}
    sla: {due: 24h, from: received_at}
  - id: report
    title: {zh: 报告, en: Report}
    kind: task
    assignee: {person: pat}
    sla: {due: 5wd, due_field: report_due_at}
`)
			// Thursday 24 September, before the Mid-Autumn holidays (25–27).
			v := newTimeEnv(t, d, cstAt("2026-09-24 10:00"), reg, def)
			in := v.start("svc", map[string]any{"title": "t", "received_at": "2026-09-23T08:00", "report_due_at": "2026-10-09T17:00"})
			task := v.view(alice, in.ID).Tasks[0]
			if want := cstAt("2026-09-28 10:00"); !task.DueAt.Equal(want) {
				t.Fatalf("due %v, want Monday 28 September 10:00 (+1 working day past the holidays)", task.DueAt.In(cst))
			}
			if n := v.run(t, cstAt("2026-09-28 07:59")); n != 0 {
				t.Fatalf("%d timers fired early", n)
			}
			v.run(t, cstAt("2026-09-28 08:00"))
			if len(v.timeline(t, in.ID, "remind")) != 1 {
				t.Fatal("the reminder is not on the timeline")
			}
			v.run(t, cstAt("2026-09-28 10:00"))
			ns, _ := v.e.Notifications(ctx, v.actor(erin), false, 50)
			if !hasKind(ns, in.ID, "due_soon") || !hasKind(ns, in.ID, "overdue") {
				t.Fatalf("erin's notices: %+v", ns)
			}
			if v.hasTodo(dave, in.ID) {
				t.Fatal("escalated before the first level's time")
			}
			// Level 1: one working day after the deadline, to erin's director.
			v.run(t, cstAt("2026-09-29 10:00"))
			if !v.hasTodo(dave, in.ID) || v.hasTodo(bob, in.ID) {
				t.Fatal("level 1 did not add the director alone")
			}
			// Level 2: three working days after it — 29, 30 September and,
			// past the National Day holidays, 8 October.
			v.run(t, cstAt("2026-10-08 09:59"))
			if v.hasTodo(bob, in.ID) {
				t.Fatal("level 2 fired during the holidays")
			}
			v.run(t, cstAt("2026-10-08 10:00"))
			if !v.hasTodo(bob, in.ID) {
				t.Fatal("level 2 did not add the Business Dean")
			}
			esc := v.audits(t, "flow.escalate")
			if len(esc) != 2 || !strings.Contains(esc[1], `"field":"level","old":null,"new":2`) || !strings.Contains(esc[0]+esc[1], `"business_dean"`) {
				t.Fatalf("escalations in the trail: %v", esc)
			}
			tl := v.timeline(t, in.ID, "escalate")
			if len(tl) != 2 || tl[0].TargetID != dave || tl[1].TargetID != bob || tl[0].ActorName != "system" {
				t.Fatalf("escalations on the timeline: %+v", tl)
			}
			if n := v.run(t, cstAt("2026-12-31 00:00")); n != 0 {
				t.Fatalf("%d timers fired twice", n)
			}
			// The Business Dean acts for the slot; the next step counts
			// 24 hours from the form's received_at, not from now.
			v.approve(bob, in.ID)
			iv := v.view(alice, in.ID)
			for _, tk := range iv.Tasks {
				if tk.StepID == "receive" && !tk.DueAt.Equal(cstAt("2026-09-24 08:00")) {
					t.Fatalf("receive due %v, want 24 h after received_at", tk.DueAt.In(cst))
				}
			}
			v.approve(carol, in.ID)
			for _, tk := range v.view(alice, in.ID).Tasks {
				if tk.StepID == "report" && !tk.DueAt.Equal(cstAt("2026-10-09 17:00")) {
					t.Fatalf("report due %v, want the estimated report time", tk.DueAt.In(cst))
				}
			}
		})
	}
}

// Ensure a step whose deadline is kept across returns (on_return: keep)
// gets its first deadline back after a return and resubmission, and one
// that restarts (the default) counts again from the new start; and that a
// transfer keeps the deadline.
func TestDeadlines_SurviveReturnsAsTheDefinitionSays(t *testing.T) {
	for _, d := range storetest.Backends() {
		t.Run(string(d), func(t *testing.T) {
			reg := flow.NewRegistry()
			def := parse(t, reg, `key: ret
title: {zh: 退回, en: Returns}
`+timeForm+`steps:
  - id: keep
    title: {zh: 保持, en: Keep}
    assignee: {person: bob}
    sla: {due: 2d, on_return: keep}
  - id: restart
    title: {zh: 重算, en: Restart}
    assignee: {person: gina}
    sla: {due: 2d}
`)
			v := newTimeEnv(t, d, cstAt("2026-03-02 09:00"), reg, def)
			in := v.start("ret", map[string]any{"title": "t"})
			first := v.view(alice, in.ID).Tasks[0].DueAt
			v.clk.Add(5 * time.Hour)
			v.must(bob, in.ID, flow.ActInput{Action: flow.ActTransfer, PersonID: gina})
			v.must(gina, in.ID, flow.ActInput{Action: flow.ActReturn, Comment: "缺资料"})
			v.clk.Add(5 * time.Hour)
			if _, err := v.e.ActOnInstance(ctx, v.actor(alice), in.ID, flow.ActInput{Action: flow.ActResubmit}); err != nil {
				t.Fatal(err)
			}
			var due time.Time
			for _, tk := range v.view(alice, in.ID).Tasks {
				if tk.StepID == "keep" && tk.State == flow.TaskOpen {
					due = tk.DueAt
				}
			}
			if !due.Equal(first) {
				t.Fatalf("kept deadline %v, want the first %v", due, first)
			}
			v.approve(bob, in.ID)
			var r1 time.Time
			for _, tk := range v.view(alice, in.ID).Tasks {
				if tk.StepID == "restart" && tk.State == flow.TaskOpen {
					r1 = tk.DueAt
				}
			}
			v.clk.Add(3 * time.Hour)
			v.must(gina, in.ID, flow.ActInput{Action: flow.ActReturn, To: "keep", Comment: "再核"})
			v.approve(bob, in.ID)
			for _, tk := range v.view(alice, in.ID).Tasks {
				if tk.StepID == "restart" && tk.State == flow.TaskOpen && !tk.DueAt.Equal(r1.Add(3*time.Hour)) {
					t.Fatalf("restarted deadline %v, want %v", tk.DueAt, r1.Add(3*time.Hour))
				}
			}
		})
	}
}

// Ensure a definition-level deadline spans steps: it starts when its start
// step is entered (counting from a form field), ends when its end step
// completes, tells whoever has an open task and the initiator, escalates
// to every open step, and does nothing once it ended; a deadline over the
// whole request runs from filing to the end.
func TestDeadlines_SpanSeveralStepsAndTheWholeRequest(t *testing.T) {
	for _, d := range storetest.Backends() {
		t.Run(string(d), func(t *testing.T) {
			reg := flow.NewRegistry()
			def := parse(t, reg, `key: span
title: {zh: 跨步骤时限, en: Spanning deadlines}
`+timeForm+`deadlines:
  - id: testing
    title: {zh: 检测时限, en: Testing}
    start: receive
    end: report
    due: 48h
    from: received_at
    escalate: [{after: 0, to: gm}]
  - id: whole
    title: {zh: 全流程, en: Whole request}
    due: 10wd
    remind: 1wd
steps:
  - id: file
    title: {zh: 登记, en: File}
    kind: task
    assignee: {person: erin}
  - id: receive
    title: {zh: 收样, en: Receive}
    kind: task
    assignee: {person: carol}
  - id: test
    title: {zh: 检测, en: Test}
    kind: task
    assignee: {person: pat}
  - id: report
    title: {zh: 报告, en: Report}
    kind: task
    assignee: {person: pat}
`)
			v := newTimeEnv(t, d, cstAt("2026-03-02 09:00"), reg, def)
			in := v.start("span", map[string]any{"title": "t", "received_at": "2026-03-03T09:00"})
			st := v.view(alice, in.ID).Instance.State
			if st.Deadlines["whole"] == nil || st.Deadlines["testing"] != nil {
				t.Fatalf("deadlines at filing: %+v", st.Deadlines)
			}
			if want := cstAt("2026-03-16 09:00"); !st.Deadlines["whole"].Due.Equal(want) {
				t.Fatalf("whole request due %v, want 10 working days later", st.Deadlines["whole"].Due.In(cst))
			}
			v.approve(erin, in.ID)
			v.approve(carol, in.ID)
			st = v.view(alice, in.ID).Instance.State
			if ds := st.Deadlines["testing"]; ds == nil || !ds.Due.Equal(cstAt("2026-03-05 09:00")) {
				t.Fatalf("testing deadline %+v, want 48 h from received_at", ds)
			}
			v.run(t, cstAt("2026-03-05 09:00"))
			ns, _ := v.e.Notifications(ctx, v.actor(pat), false, 50)
			if !hasKind(ns, in.ID, "overdue") {
				t.Fatalf("pat was not told: %+v", ns)
			}
			ns, _ = v.e.Notifications(ctx, v.actor(alice), false, 50)
			if !hasKind(ns, in.ID, "overdue") {
				t.Fatal("the initiator was not told")
			}
			if !v.hasTodo(gina, in.ID) {
				t.Fatal("the deadline's escalation did not add the GM to the open step")
			}
			if tl := v.timeline(t, in.ID, "overdue"); len(tl) != 1 || !strings.Contains(tl[0].Comment, "检测时限") {
				t.Fatalf("timeline: %+v", tl)
			}
			v.approve(pat, in.ID)
			v.approve(pat, in.ID) // report: the testing deadline ends
			if st := v.view(alice, in.ID).Instance.State; !st.Deadlines["testing"].Ended {
				t.Fatalf("testing deadline not ended: %+v", st.Deadlines["testing"])
			}
			if v.status(in.ID) != flow.StatusApproved {
				t.Fatal("not approved")
			}
			// The whole request's reminder finds it ended: nothing happens.
			if n := v.run(t, cstAt("2026-03-16 09:00")); n != 0 {
				t.Fatalf("%d timers of an ended request fired", n)
			}
		})
	}
}

// Ensure a wait step waits for working days, or until a date on the form,
// and its timer goes on; a step whose date has passed goes on at once.
func TestWaitSteps_ForADurationOrUntilADate(t *testing.T) {
	for _, d := range storetest.Backends() {
		t.Run(string(d), func(t *testing.T) {
			reg := flow.NewRegistry()
			def := parse(t, reg, `key: waits
title: {zh: 等待, en: Waits}
`+timeForm+`steps:
  - id: a
    title: {zh: 甲, en: A}
    kind: task
    assignee: {person: erin}
  - id: cool
    title: {zh: 冷却, en: Cool down}
    kind: wait
    wait: {for: 2wd}
  - id: b
    title: {zh: 乙, en: B}
    kind: task
    assignee: {person: carol}
  - id: release
    title: {zh: 放行日, en: Release day}
    kind: wait
    wait: {until: release_on}
  - id: c
    title: {zh: 丙, en: C}
    kind: task
    assignee: {person: pat}
`)
			v := newTimeEnv(t, d, cstAt("2026-09-24 10:00"), reg, def)
			in := v.start("waits", map[string]any{"title": "t", "release_on": "2026-10-09"})
			v.approve(erin, in.ID)
			iv := v.view(alice, in.ID)
			if len(iv.Instance.State.Active) != 1 || iv.Instance.State.Active[0].Step != "cool" || len(iv.Tasks) != 1 {
				t.Fatalf("not waiting: %+v", iv.Instance.State.Active)
			}
			// Two working days from Thursday 24 September: 28 and 29.
			if n := v.run(t, cstAt("2026-09-29 09:59")); n != 0 || v.hasTodo(carol, in.ID) {
				t.Fatal("woke early")
			}
			v.run(t, cstAt("2026-09-29 10:00"))
			if !v.hasTodo(carol, in.ID) {
				t.Fatal("the wait step did not go on")
			}
			if len(v.audits(t, "flow.wake")) != 1 || len(v.timeline(t, in.ID, "wake")) != 1 {
				t.Fatal("the wake is not recorded")
			}
			v.approve(carol, in.ID)
			v.run(t, cstAt("2026-10-08 23:59"))
			if v.hasTodo(pat, in.ID) {
				t.Fatal("went on before the release day")
			}
			v.run(t, cstAt("2026-10-09 00:00"))
			if !v.hasTodo(pat, in.ID) {
				t.Fatal("did not go on at the release day")
			}
			// A date already past: the request goes on at once.
			in2 := v.start("waits", map[string]any{"title": "t", "release_on": "2026-01-01"})
			v.clk.Add(30 * 24 * time.Hour)
			v.approve(erin, in2.ID)
			v.run(t, cstAt("2026-10-28 00:00"))
			v.approve(carol, in2.ID)
			if !v.hasTodo(pat, in2.ID) {
				t.Fatal("a past date still waits")
			}
		})
	}
}

// scheduled is the weekly meeting, the month-end review, the monthly
// report and a review before an expiry, each a schedule.
func scheduled(t *testing.T, reg *flow.Registry) *flow.Definition {
	return parse(t, reg, `key: sched
title: {zh: 例会, en: Meeting}
`+timeForm+`  - {key: day, label: {zh: 日期, en: Day}, type: date}
schedule:
  - id: weekly
    every: week
    weekday: monday
    at: "08:30"
    initiator: {role: director}
    date_field: day
    form: {title: 部门周例会}
  - id: month_end
    every: month
    day: last_workday
    at: "15:00"
    initiator: {person: gina}
  - id: report
    every: month
    day: "25"
    at: "09:00"
    initiator: {role: director, department: d20}
  - id: expiry
    source: test.expiry
    before: 14d
    at: "09:00"
    initiator: {role: director, department_from: person}
    person_field: person
    date_field: day
steps:
  - id: prepare
    title: {zh: 准备, en: Prepare}
    kind: task
    assignee: {relative: initiator}
`)
}

func expirySource(n int) flow.DateSource {
	return func(_ context.Context, from, to string) ([]flow.DatedItem, error) {
		var out []flow.DatedItem
		for i := 1; i <= n; i++ {
			if d := "2026-10-20"; d >= from && d <= to {
				out = append(out, flow.DatedItem{Key: fmt.Sprintf("std:%d", i), Date: d, PersonID: alice})
			}
		}
		return out, nil
	}
}

func startedBy(t *testing.T, v *env, key string) map[string]int {
	t.Helper()
	out := map[string]int{}
	jobs, err := v.e.Jobs(ctx, v.actor(sam), 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range jobs {
		if j.InstanceID != 0 && j.DefinitionKey == key {
			out[j.ScheduleID+" "+j.Occurrence[:min(len(j.Occurrence), 40)]+" "+fmt.Sprint(j.PersonID)]++
		}
	}
	return out
}

// Ensure a definition starts itself: every Monday at 08:30 for each
// director (REL-1's weekly meeting), at 15:00 on the month's last working
// day (an adjusted working day counts), on the 25th, and 14 days before a
// date a domain package registered — on behalf of the initiator the
// schedule names, recorded as started by the system.
func TestREL1_ProcessesStartThemselves(t *testing.T) {
	for _, d := range storetest.Backends() {
		t.Run(string(d), func(t *testing.T) {
			reg := flow.NewRegistry()
			reg.RegisterDateSource("test.expiry", expirySource(1))
			v := newTimeEnv(t, d, cstAt("2026-09-28 08:00"), reg, scheduled(t, reg))
			plan := func(at string) int {
				n, err := v.e.RunSchedules(ctx, cstAt(at))
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			if n := plan("2026-09-28 08:29"); n != 0 {
				t.Fatalf("%d started before 08:30", n)
			}
			if n := plan("2026-09-28 08:31"); n != 2 {
				t.Fatalf("weekly meeting: %d started, want one per director", n)
			}
			if len(startedBy(t, v.env, "sched")) != 2 {
				t.Fatal("the jobs do not record their requests")
			}
			for _, who := range []int64{dave, dan} {
				items, _, _ := v.e.Inbox(ctx, v.actor(who), flow.BoxStarted, flow.InboxFilter{})
				if len(items) != 1 || items[0].Title != "部门周例会" {
					t.Fatalf("%d's started requests: %+v", who, items)
				}
				iv := v.view(who, items[0].InstanceID)
				if iv.Instance.Form["day"] != "2026-09-28" || iv.Timeline[0].ActorName != "system" || iv.Timeline[0].TargetID != who {
					t.Fatalf("the scheduled request: %+v %+v", iv.Instance.Form, iv.Timeline[0])
				}
			}
			if n := plan("2026-09-28 09:00"); n != 0 {
				t.Fatalf("%d started twice", n)
			}
			// Wednesday 30 September is September's last working day.
			if n := plan("2026-09-30 15:00"); n != 1 {
				t.Fatalf("month end: %d", n)
			}
			// 6 October: 14 days before the expiry of 20 October (the
			// initiator is the director of the person's department), and
			// Monday 5 October's meetings.
			if n := plan("2026-10-06 09:00"); n != 3 {
				t.Fatalf("expiry and meetings: %d", n)
			}
			items, _, _ := v.e.Inbox(ctx, v.actor(dave), flow.BoxStarted, flow.InboxFilter{})
			var found bool
			for _, it := range items {
				f := v.view(dave, it.InstanceID).Instance.Form
				found = found || f["day"] == "2026-10-20" && fmt.Sprint(f["person"]) == fmt.Sprint(alice)
			}
			if !found {
				t.Fatal("the expiry review did not start for dave with the date and the person")
			}
			// Planning catches up with what came due since: two Mondays'
			// meetings, and the report on Sunday the 25th (dan, of d20).
			if n := plan("2026-10-25 12:00"); n != 5 {
				t.Fatalf("meetings and the report on the 25th: %d", n)
			}
			items, _, _ = v.e.Inbox(ctx, v.actor(dan), flow.BoxStarted, flow.InboxFilter{})
			report := 0
			for _, it := range items {
				if it.Title == "例会 2026-10-25" {
					report++
				}
			}
			if len(items) != 5 || report != 1 {
				t.Fatalf("dan's requests: %+v", items)
			}
			evs := v.audits(t, "flow.start")
			if len(evs) != 11 || !strings.Contains(strings.Join(evs, ""), `"schedule"`) {
				t.Fatalf("starts in the trail: %d", len(evs))
			}
		})
	}
	// February 2026 ends on a Saturday that is worked (调休): it is the
	// month's last working day.
	t.Run("last working day", func(t *testing.T) {
		reg := flow.NewRegistry()
		reg.RegisterDateSource("test.expiry", expirySource(0))
		v := newTimeEnv(t, store.SQLite, cstAt("2026-02-27 08:00"), reg, scheduled(t, reg))
		if n, _ := v.e.RunSchedules(ctx, cstAt("2026-02-27 16:00")); n != 0 {
			t.Fatalf("Friday 27 February: %d", n)
		}
		if n, _ := v.e.RunSchedules(ctx, cstAt("2026-02-28 15:00")); n != 1 {
			t.Fatalf("Saturday 28 February: %d", n)
		}
	})
}

// Ensure a schedule lint names what is wrong.
func TestSchedules_Lint(t *testing.T) {
	reg := flow.NewRegistry()
	src := `key: bad-sched
title: {zh: 坏, en: Bad}
form:
  - {key: title, label: {zh: 标题, en: Title}, type: text, required: true}
  - {key: day, label: {zh: 日期, en: Day}, type: text}
schedule:
  - {id: a, every: fortnight, at: "8:30am", initiator: {role: sysadmin}}
  - {id: b, every: week, initiator: {relative: initiator}, form: {title: x}}
  - {id: c, source: nowhere, before: soon, initiator: {person: gina}, date_field: day, form: {title: x, nope: 1}}
  - {id: d, every: month, day: "32", initiator: {role: gm}}
steps:
  - id: s
    title: {zh: 甲, en: A}
    assignee: {role: gm}
`
	_, err := flow.Parse("bad.yaml", []byte(src), reg)
	for _, want := range []string{"schedule[0].every: unknown", "schedule[0].at", "schedule[0].initiator.role: the system administrator",
		"schedule[0].form: the form a scheduled request is filed with is not valid: title", "schedule[1].weekday", "schedule[1].initiator: an initiator is",
		"schedule[2].source: unknown date source", "schedule[2].before", "schedule[2].date_field", "schedule[2].form.nope", "schedule[3].day"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("lint lacks %q: %v", want, err)
		}
	}
}

// Ensure two servers on one database fire every due timer and run every
// due job exactly once, racing for them; that a server that claimed work
// and stopped before doing it leaves it to the other once its lease
// expires, exactly once overall; and that a scheduled occurrence starts
// one request however the servers race (issue 8 §6).
func TestLeases_TwoServersRunEachTimerAndJobOnce(t *testing.T) {
	for _, d := range storetest.Backends() {
		t.Run(string(d), func(t *testing.T) {
			reg := flow.NewRegistry()
			reg.RegisterDateSource("test.expiry", expirySource(40))
			sla := parse(t, reg, `key: sla
title: {zh: 时限, en: SLA}
form: [{key: title, label: {zh: 标题, en: Title}, type: text}]
steps:
  - id: a
    title: {zh: 甲, en: A}
    kind: task
    assignee: {person: erin}
    sla: {due: 1h, remind: 30m}
`)
			sched := scheduled(t, reg)
			start := cstAt("2026-10-05 12:00")
			a := newTimeEnv(t, d, start, reg, sla, sched)
			b := a.second(t, sla, sched)
			const n = 30
			for range n {
				a.start("sla", map[string]any{"title": "t"})
			}
			// Two servers race at the same moment for 2×n timers and the
			// 40 expiry reviews (due 6 October 09:00) plus Monday's meeting.
			now := cstAt("2026-10-06 10:00")
			var wg sync.WaitGroup
			var fired, started [2]int
			for i, v := range []*env{a.env, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range 3 {
						k, err := v.e.RunTimers(ctx, now)
						if err != nil {
							t.Error(err)
						}
						fired[i] += k
						s, err := v.e.RunSchedules(ctx, now)
						if err != nil {
							t.Error(err)
						}
						started[i] += s
					}
				}()
			}
			wg.Wait()
			if got := fired[0] + fired[1]; got != 2*n || len(a.audits(t, "flow.overdue")) != n || len(a.audits(t, "flow.remind")) != n {
				t.Fatalf("timers fired %v (want %d in all), overdue %d, remind %d", fired, 2*n, len(a.audits(t, "flow.overdue")), len(a.audits(t, "flow.remind")))
			}
			// 40 expiry reviews for dave (Monday 5 October's meetings were
			// due before the catch-up day began).
			want := 40
			if got := started[0] + started[1]; got != want || len(a.audits(t, "flow.start"))-n != want {
				t.Fatalf("scheduled starts %v, want %d in all; %d instances", started, want, len(a.audits(t, "flow.start"))-n)
			}
			for k, c := range startedBy(t, a.env, "sched") {
				if c != 1 {
					t.Fatalf("%s started %d times", k, c)
				}
			}

			// A server that claims work and stops before doing it.
			for range n {
				a.start("sla", map[string]any{"title": "t"})
			}
			later := now.Add(2 * time.Hour)
			dead := a.db.Flow()
			claimed, err := dead.ClaimTimers(ctx, "dead-server", later, later.Add(flow.DefaultLease), 1000)
			if err != nil || len(claimed) != 2*n {
				t.Fatalf("claimed %d timers: %v", len(claimed), err)
			}
			if k := b.run(t, later); k != 0 {
				t.Fatalf("the other server took %d leased timers", k)
			}
			if k := b.run(t, later.Add(flow.DefaultLease+time.Second)); k != 2*n {
				t.Fatalf("after the lease expired the other server fired %d, want %d", k, 2*n)
			}
			// The stopped server comes back and finishes what it claimed: nothing happens twice.
			if k, err := a.e.FireClaimed(ctx, claimed); err != nil || k != 0 {
				t.Fatalf("the stopped server fired %d again: %v", k, err)
			}
			if got := len(a.audits(t, "flow.overdue")); got != 2*n {
				t.Fatalf("overdue notices %d, want %d", got, 2*n)
			}
			// The same for a job: an occurrence claimed by a stopped server.
			reg.RegisterDateSource("test.expiry", func(_ context.Context, from, to string) ([]flow.DatedItem, error) {
				return []flow.DatedItem{{Key: "late", Date: "2026-10-21", PersonID: alice}}, nil
			})
			day := cstAt("2026-10-07 09:00")
			if _, err := a.e.PlanSchedules(ctx, day); err != nil {
				t.Fatal(err)
			}
			jobs, err := dead.ClaimJobs(ctx, "dead-server", day, day.Add(flow.DefaultLease), 100)
			if err != nil || len(jobs) != 1 {
				t.Fatalf("claimed %d jobs: %v", len(jobs), err)
			}
			if k, _ := b.e.RunJobs(ctx, day); k != 0 {
				t.Fatalf("the other server ran a leased job: %d", k)
			}
			if k, _ := b.e.RunJobs(ctx, day.Add(flow.DefaultLease+time.Second)); k != 1 {
				t.Fatalf("after the lease expired: %d", k)
			}
			if k, err := a.e.RunClaimed(ctx, jobs); err != nil || k != 0 {
				t.Fatalf("the stopped server started it again: %d %v", k, err)
			}
			if got := startedBy(t, a.env, "sched"); len(got) != want+1 {
				t.Fatalf("scheduled requests %d, want %d", len(got), want+1)
			}
		})
	}
}

// Ensure a job whose request cannot be filed (its initiator left between
// planning and running) fails for good with the reason, for the
// administrator to see; nobody else lists jobs.
func TestSchedules_AJobThatCannotStartSaysWhy(t *testing.T) {
	reg := flow.NewRegistry()
	reg.RegisterDateSource("test.expiry", expirySource(0))
	v := newTimeEnv(t, store.SQLite, cstAt("2026-09-28 08:00"), reg, scheduled(t, reg))
	now := cstAt("2026-09-28 08:30")
	if n, err := v.e.PlanSchedules(ctx, now); err != nil || n != 2 {
		t.Fatalf("planned %d: %v", n, err)
	}
	p := v.dir.people[dan]
	p.Active = false
	v.dir.people[dan] = p
	if n, err := v.e.RunJobs(ctx, now); err != nil || n != 1 {
		t.Fatalf("started %d: %v", n, err)
	}
	if n, err := v.e.RunJobs(ctx, now.Add(time.Hour)); err != nil || n != 0 {
		t.Fatalf("a failed job ran again: %d %v", n, err)
	}
	if _, err := v.e.Jobs(ctx, v.actor(gina), 10); !domain.IsKind(err, domain.KindForbidden) {
		t.Fatalf("the GM lists jobs: %v", err)
	}
	jobs, _ := v.e.Jobs(ctx, v.actor(sam), 10)
	failed := false
	for _, j := range jobs {
		failed = failed || j.PersonID == dan && !j.DoneAt.IsZero() && j.InstanceID == 0 && strings.Contains(j.Error, "cannot act")
	}
	if !failed {
		t.Fatalf("jobs: %+v", jobs)
	}
}
