package flow_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/i18n"
	"labflow/internal/projects"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// The conditions the rulebook needs, run by the engine on SQLite and
// PostgreSQL: each definition is YAML that lint (flow.Parse) accepts.

// eachClocked runs f on every backend with the store's clock at clk.
func eachClocked(t *testing.T, clk *storetest.Clock, f func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			cfg := storetest.Config(t, d)
			cfg.Now = clk.Now
			db, err := store.Open(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			f(t, db)
		})
	}
}

// parseDef lints a definition written in YAML.
func parseDef(t *testing.T, src string) *flow.Definition {
	t.Helper()
	d, err := flow.Parse(t.Name()+".yaml", []byte(src), flow.NewRegistry())
	if err != nil {
		t.Fatalf("lint: %v", err)
	}
	return d
}

// at is the active steps of an instance.
func (v *env) at(inst int64) []string {
	v.t.Helper()
	var out []string
	for _, a := range v.view(alice, inst).Instance.State.Active {
		out = append(out, a.Step)
	}
	return out
}

func wantAt(t *testing.T, v *env, inst int64, steps ...string) {
	t.Helper()
	if got := v.at(inst); strings.Join(got, ",") != strings.Join(steps, ",") {
		t.Fatalf("instance %d is at %v, want %v", inst, got, steps)
	}
}

var shanghai = time.FixedZone("CST", 8*3600)

const sampleReceipt = `key: sample-receipt
title: {zh: 送样, en: Sample delivery}
rules: [SAM-7]
subject: form
form:
  - {key: sample, label: {zh: 样品, en: Sample}, type: text, required: true}
  - {key: booked_at, label: {zh: 预约送样时间, en: Booked at}, type: datetime, required: true}
  - {key: received_at, label: {zh: 实际送达时间, en: Received at}, type: datetime}
steps:
  - id: receive
    title: {zh: 接收样品, en: Receive the sample}
    kind: task
    assignee: {person: pat}
    editable: [received_at]
    required: [received_at]
    branches:
      - {when: "minutes_between(booked_at, received_at) > 30", to: late}
    next: analyse
  - id: late
    title: {zh: 迟到说明, en: Late delivery}
    assignee: {relative: initiator_director}
    next: analyse
  - id: analyse
    title: {zh: 分析, en: Analyse}
    kind: task
    assignee: {person: carol}
`

// Ensure SAM-7's "more than 30 minutes after the booked time" is the one
// condition minutes_between(booked_at, received_at) > 30, with the booked
// time entered as wall-clock time in the institute's zone and the
// receipt recorded with a zone: 30 minutes is on time, 31 is late.
func TestSAM7_LateDeliveryIsOneCondition(t *testing.T) {
	clk := storetest.NewClock(time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))
	eachClocked(t, clk, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, parseDef(t, sampleReceipt))
		v.e.UseTimeZone(shanghai)
		for _, c := range []struct {
			received string
			next     string
		}{
			{"2026-01-05T01:30:00Z", "analyse"}, // 09:30 in Shanghai: exactly 30 minutes
			{"2026-01-05T01:31:00Z", "late"},
			{"2026-01-05T09:29", "analyse"},
			{"2026-01-05T10:00", "late"},
		} {
			in := v.start("sample-receipt", map[string]any{"sample": "S-1", "booked_at": "2026-01-05T09:00"})
			v.must(pat, in.ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"received_at": c.received}})
			wantAt(t, v, in.ID, c.next)
		}
	})
}

const mentorship = `key: mentorship
title: {zh: 导师带教, en: Mentorship}
subject: form
form:
  - {key: trainee, label: {zh: 学员, en: Trainee}, type: text, required: true}
  - {key: mentor, label: {zh: 导师, en: Mentor}, type: person, required: true}
steps:
  - id: check
    title: {zh: 人事确认, en: HR check}
    kind: task
    assignee: {person: carol}
    branches:
      - {when: "in_use('mentor', mentor)", to: conflict}
    next: director
  - id: conflict
    title: {zh: 导师已有学员, en: Mentor already has a trainee}
    assignee: {role: business_dean}
    next: end
  - id: director
    title: {zh: 总监批准, en: Director}
    assignee: {relative: initiator_director}
`

// Ensure in_use finds a value held by another running instance of the
// same definition (one trainee per mentor), not by itself, not by one
// that ended.
func TestExprInUse_OneTraineePerMentor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, parseDef(t, mentorship))
		first := v.start("mentorship", map[string]any{"trainee": "A", "mentor": erin})
		v.approve(carol, first.ID)
		wantAt(t, v, first.ID, "director") // its own mentor does not count
		second := v.start("mentorship", map[string]any{"trainee": "B", "mentor": erin})
		v.approve(carol, second.ID)
		wantAt(t, v, second.ID, "conflict")
		other := v.start("mentorship", map[string]any{"trainee": "C", "mentor": pat})
		v.approve(carol, other.ID)
		wantAt(t, v, other.ID, "director")
		// Both requests for erin end: she is free again.
		v.approve(dave, first.ID)
		wantStatus(t, v.view(alice, first.ID).Instance, flow.StatusApproved)
		v.approve(bob, second.ID)
		wantStatus(t, v.view(alice, second.ID).Instance, flow.StatusApproved)
		third := v.start("mentorship", map[string]any{"trainee": "D", "mentor": erin})
		v.approve(carol, third.ID)
		wantAt(t, v, third.ID, "director")
	})
}

const complaint = `key: service-complaint
title: {zh: 服务投诉, en: Service complaint}
subject: form
form:
  - {key: person, label: {zh: 被投诉人, en: About}, type: person, required: true}
  - {key: detail, label: {zh: 内容, en: Detail}, type: longtext, required: true}
steps:
  - id: register
    title: {zh: 登记, en: Register}
    kind: task
    assignee: {person: carol}
  - id: gm
    title: {zh: 总经理处理, en: GM}
    assignee: {role: gm}
    when: "count_instances('service-complaint', 'person', person, 30) >= 2"
  - id: close
    title: {zh: 结案, en: Close}
    kind: task
    assignee: {person: carol}
`

// Ensure count_instances counts the instances of a definition about the
// same value filed in the window (not this one, not older ones, not about
// someone else): the third complaint about one person in 30 days goes to
// the GM.
func TestExprCountInstances_ComplaintsInWindow(t *testing.T) {
	clk := storetest.NewClock(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
	eachClocked(t, clk, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, parseDef(t, complaint))
		file := func(about int64) int64 {
			in := v.start("service-complaint", map[string]any{"person": about, "detail": "rude"})
			v.approve(carol, in.ID)
			return in.ID
		}
		old := file(erin)
		wantAt(t, v, old, "close")
		clk.Add(31 * 24 * time.Hour) // the first falls out of the window
		wantAt(t, v, file(erin), "close")
		wantAt(t, v, file(pat), "close")
		wantAt(t, v, file(erin), "close") // one other in the window
		third := file(erin)               // two others: escalated
		wantAt(t, v, third, "gm")
		wantAt(t, v, file(pat), "close")
	})
}

const rankRule = `key: rank-rule
title: {zh: 职级条件, en: Rank rule}
subject: form
form:
  - {key: person, label: {zh: 人员, en: Person}, type: person, required: true}
steps:
  - id: senior
    title: {zh: 院长审批, en: Dean}
    assignee: {role: business_dean}
    when: "rank_of(person) == 'researcher_b' && rank_since(person) <= add_days(today(), -365)"
  - id: veteran
    title: {zh: 总经理审批, en: GM}
    assignee: {role: gm}
    when: "hired_on(person) < '2024-01-01' && department_of(person) == initiator_department && director_of(department_of(person)) != initiator_id"
  - id: done
    title: {zh: 确认, en: Confirm}
    kind: task
    assignee: {person: carol}
`

// Ensure conditions read a person's rank, rank date and hire date from
// the directory (the rank in force today in the institute's zone).
func TestExprLookups_RankAndHireDate(t *testing.T) {
	clk := storetest.NewClock(time.Date(2026, 6, 30, 17, 0, 0, 0, time.UTC)) // July 1st in Shanghai
	eachClocked(t, clk, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, parseDef(t, rankRule))
		v.e.UseTimeZone(shanghai)
		p := v.dir.people[alice]
		p.HiredOn = "2022-05-01"
		v.dir.people[alice] = p
		// alice: researcher_b since 2025-07-01 — a year today in Shanghai.
		in := v.start("rank-rule", map[string]any{"person": alice})
		wantAt(t, v, in.ID, "senior")
		v.approve(bob, in.ID)
		wantAt(t, v, in.ID, "veteran")
		// erin: assistant_b, hire date unknown: both passed over.
		in = v.start("rank-rule", map[string]any{"person": erin})
		wantAt(t, v, in.ID, "done")
		// In UTC it is still June 30th: not yet a year in rank.
		v.e.UseTimeZone(time.UTC)
		in = v.start("rank-rule", map[string]any{"person": alice})
		wantAt(t, v, in.ID, "veteran")
	})
}

const slowReview = `key: slow-review
title: {zh: 审核时限, en: Review time}
subject: form
form:
  - {key: title, label: {zh: 标题, en: Title}, type: text, required: true}
steps:
  - id: first
    title: {zh: 初审, en: First}
    kind: task
    assignee: {person: carol}
  - id: second
    title: {zh: 复审, en: Second}
    kind: task
    assignee: {person: pat}
    branches:
      - {when: "workdays_between(completed_at('first'), completed_at('second')) > 1", to: late}
      - {when: "minutes_between(completed_at('first'), completed_at('second')) > 60", to: slow}
    next: end
  - id: slow
    title: {zh: 超时说明, en: Slow}
    assignee: {role: business_dean}
    next: end
  - id: late
    title: {zh: 逾期说明, en: Late}
    assignee: {role: gm}
    next: end
`

// Ensure completed_at reads when a step completed from the instance's
// history (the step completing now: now), and workdays_between counts with
// the engine's calendar.
func TestExprCompletedAt_AndWorkdays(t *testing.T) {
	clk := storetest.NewClock(time.Date(2026, 1, 5, 1, 0, 0, 0, time.UTC)) // a Monday
	eachClocked(t, clk, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, parseDef(t, slowReview))
		v.e.UseCalendar(holidays{"2026-01-13": true})
		run := func(wait time.Duration) int64 {
			in := v.start("slow-review", map[string]any{"title": "x"})
			v.approve(carol, in.ID)
			clk.Add(wait)
			v.approve(pat, in.ID)
			return in.ID
		}
		quick := run(30 * time.Minute)
		wantStatus(t, v.view(alice, quick).Instance, flow.StatusApproved)
		wantAt(t, v, run(2*time.Hour), "slow")
		// Monday 12th → Wednesday: 2 weekdays, but Tuesday is a holiday.
		clk.Add(-clk.Now().Sub(time.Date(2026, 1, 12, 1, 0, 0, 0, time.UTC)))
		wantAt(t, v, run(48*time.Hour+2*time.Hour), "slow")
		wantAt(t, v, run(72*time.Hour), "late") // Wednesday → Saturday: 3 working days
	})
}

// holidays is Monday to Friday except the days listed.
type holidays map[string]bool

func (h holidays) IsWorkday(d time.Time) bool {
	return flow.WeekdayCalendar{}.IsWorkday(d) && !h[d.Format(time.DateOnly)]
}

func (h holidays) AddWorkdays(t time.Time, n int) time.Time {
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if h.IsWorkday(t) {
			n--
		}
	}
	return t
}

func (h holidays) WorkdaysBetween(a, b time.Time) int {
	n := 0
	for d := a; d.Format(time.DateOnly) < b.Format(time.DateOnly); d = d.AddDate(0, 0, 1) {
		if h.IsWorkday(d) {
			n++
		}
	}
	return n
}

const divide = `key: divide
title: {zh: 单价, en: Unit price}
subject: form
form:
  - {key: total, label: {zh: 总价, en: Total}, type: money, required: true}
  - {key: qty, label: {zh: 数量, en: Quantity}, type: number, required: true}
steps:
  - id: dean
    title: {zh: 院长, en: Dean}
    assignee: {role: business_dean}
    when: "total / qty > 1000"
`

// Ensure a condition the request's values cannot answer is refused with a
// translated message naming the step and the field, not a server error.
func TestExprCondition_FailureNamesStepAndField(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, parseDef(t, divide))
		_, err := v.e.Start(context.Background(), v.actor(alice), "divide", map[string]any{"total": "5000", "qty": "0"}, "")
		var de *domain.Error
		if !errors.As(err, &de) || de.Kind != domain.KindInvalid || de.Key != "expr.condition_failed" ||
			de.Args["step"] != "院长" || de.Args["reason"] != "expr.eval.division_by_zero" || de.Fields["qty"].Key != "expr.eval.division_by_zero" {
			t.Fatalf("err = %#v", err)
		}
		in := v.start("divide", map[string]any{"total": "5000", "qty": "2"})
		wantAt(t, v, in.ID, "dean")
	})
}

// Ensure the server refuses to load a count_instances that names a
// definition or field that is not there, or a field of another type.
func TestExprCountInstances_LoadChecksTheOtherDefinition(t *testing.T) {
	reg := flow.NewRegistry()
	reg.RegisterGuard("hr.promotion_eligible", func(context.Context, flow.GuardInput) error { return nil })
	projects.RegisterNames(reg) // node-plan governs a plan revision
	for _, c := range []struct{ when, want string }{
		{"count_instances('nowhere', 'person', person, 30) > 1", `no definition with key "nowhere"`},
		{"count_instances('service-complaint', 'who', person, 30) > 1", `definition "service-complaint" has no field "who"`},
		{"count_instances('service-complaint', 'detail', person, 30) > 1", `field "detail" of "service-complaint" holds text, not id`},
	} {
		dir := t.TempDir()
		other := strings.Replace(complaint, `"count_instances('service-complaint', 'person', person, 30) >= 2"`, `"`+c.when+`"`, 1)
		other = strings.Replace(other, "key: service-complaint", "key: other-complaint", 1)
		for name, src := range map[string]string{"a.yaml": complaint, "b.yaml": other} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		_, err := flow.Load(reg, dir)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "b.yaml:15:5: steps[1].when") {
			t.Errorf("%s: err = %v, want %s", c.when, err, c.want)
		}
	}
}

// Ensure every message id the expressions use is translated, in both
// languages, and the refusal of a condition reads as a sentence.
func TestExprMessages_Translated(t *testing.T) {
	files, _ := filepath.Glob("expr*.go")
	files = append(files, "lookup.go")
	keys := map[string]bool{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range regexp.MustCompile(`"(expr\.[a-z_.]+)"`).FindAllStringSubmatch(string(src), -1) {
			keys[m[1]] = true
		}
	}
	if len(keys) < 6 {
		t.Fatalf("found only %v", keys)
	}
	for k := range keys {
		for _, lang := range i18n.Langs {
			if !i18n.Has(lang, k) {
				t.Errorf("%s: no %s text", k, lang)
			}
		}
	}
	args := map[string]any{"step": "院长", "reason": "expr.eval.division_by_zero"}
	if got := i18n.T("zh", "expr.condition_failed", args); got != "步骤“院长”的条件无法根据所填内容计算：除数为零。" {
		t.Errorf("zh: %s", got)
	}
	if got := i18n.T("en", "expr.condition_failed", args); !strings.HasSuffix(got, "entered: Division by zero.") {
		t.Errorf("en: %s", got)
	}
}
