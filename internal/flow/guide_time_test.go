package flow_test

import (
	"os"
	"testing"

	"labflow/internal/flow"
	"labflow/internal/store"
)

// The effects of the keys of time (testdata/guide-time.yaml) in
// TestDefinitionsGuide_EveryKeyHasItsEffect (issue 8).
func init() {
	guideWalks = append(guideWalks, guideWalk{
		setup: func(reg *flow.Registry) { reg.RegisterDateSource("test.expiry", expirySource(1)) },
		walk:  func(t *testing.T, v *env, check guideCheck) { checkTimeKeys(t, v.db, check) },
	})
}

// checkTimeKeys checks the effect of every key of time on a database of
// its own (db's dialect), whose clock it moves and whose calendar is the
// shipped one: check records each key whose effect held.
func checkTimeKeys(t *testing.T, db *store.DB, check guideCheck) {
	t.Helper()
	reg := flow.NewRegistry()
	reg.RegisterDateSource("test.expiry", expirySource(1))
	src, err := os.ReadFile("testdata/guide-time.yaml")
	if err != nil {
		t.Fatal(err)
	}
	d, err := flow.Parse("testdata/guide-time.yaml", src, reg)
	if err != nil {
		t.Fatalf("lint of guide-time.yaml: %v", err)
	}
	v := newTimeEnv(t, db.Dialect(), cstAt("2026-09-24 10:00"), reg, d)
	in := v.start("guide-time", map[string]any{"title": "t", "received_at": "2026-09-23T08:00", "report_due_at": "2026-10-30T17:00",
		"release_on": "2026-10-12"})
	due := func(step string) (out []flow.Task) {
		for _, tk := range v.view(alice, in.ID).Tasks {
			if tk.StepID == step && tk.State == flow.TaskOpen {
				out = append(out, *tk)
			}
		}
		return out
	}
	// answer: one working day from Thursday 24 September is Monday 28th
	// (the Mid-Autumn holidays); a return and a resubmission keep it.
	first := due("answer")[0].DueAt
	check(first.Equal(cstAt("2026-09-28 10:00")), "due in working days", "sla", "due")
	v.clk.Add(2 * 3600e9)
	v.must(erin, in.ID, flow.ActInput{Action: flow.ActReturn, Comment: "缺资料"})
	if _, err := v.e.ActOnInstance(ctx, v.actor(alice), in.ID, flow.ActInput{Action: flow.ActResubmit}); err != nil {
		t.Fatal(err)
	}
	check(due("answer")[0].DueAt.Equal(first), "on_return keep", "on_return")
	// Escalation levels: the director one working day after, the
	// Business Dean three working days after (past National Day).
	v.run(t, cstAt("2026-09-29 10:00"))
	l1 := v.hasTodo(dave, in.ID) && !v.hasTodo(bob, in.ID)
	v.run(t, cstAt("2026-10-08 10:00"))
	check(l1 && v.hasTodo(bob, in.ID), "escalation levels", "escalate", "after", "to")
	v.approve(bob, in.ID)
	// receive: 24 hours from received_at; the span deadline starts here.
	check(due("receive")[0].DueAt.Equal(cstAt("2026-09-24 08:00")), "from", "from")
	ds := v.view(alice, in.ID).Instance.State.Deadlines["span"]
	check(ds != nil && ds.Due.Equal(cstAt("2026-09-25 08:00")) && d.Deadlines[0].Title.EN != "", "a deadline starts at its step",
		"deadlines", "id", "title", "start")
	reminded := len(v.audits(t, "flow.remind"))
	v.run(t, cstAt("2026-10-08 10:01"))
	check(v.hasTodo(gina, in.ID), "the deadline's escalation", "escalate")
	// warnings: one more reminder; notify: dan, who holds no task, hears it.
	ns, _ := v.e.Notifications(ctx, v.actor(dan), false, 50)
	check(len(v.audits(t, "flow.remind")) == reminded+1 && hasKind(ns, in.ID, "due_soon") && hasKind(ns, in.ID, "overdue"),
		"a deadline's warnings and whom it tells", "warnings", "notify")
	v.approve(carol, in.ID)
	// hold: one working day; release: until the release day.
	v.run(t, cstAt("2026-10-09 09:59"))
	waiting := len(due("report")) == 0
	v.run(t, cstAt("2026-10-09 10:00"))
	check(waiting && len(v.audits(t, "flow.wake")) == 1, "wait for", "wait", "for", "kind")
	v.run(t, cstAt("2026-10-12 00:00"))
	r := due("report")
	check(len(v.audits(t, "flow.wake")) == 2 && len(r) == 1, "wait until", "until")
	check(r[0].DueAt.Equal(cstAt("2026-10-30 17:00")), "due_field", "due_field")
	v.approve(pat, in.ID)
	check(v.view(alice, in.ID).Instance.State.Deadlines["span"].Ended, "a deadline ends at its step", "end")
	// Schedules.
	n, err := v.e.RunSchedules(ctx, cstAt("2026-09-28 08:31"))
	if err != nil {
		t.Fatal(err)
	}
	items, _, _ := v.e.Inbox(ctx, v.actor(dan), flow.BoxStarted, flow.InboxFilter{})
	check(n == 2 && len(items) == 1 && items[0].Title == "周例会", "weekly, for each director", "schedule", "every", "weekday", "at", "initiator", "form")
	check(v.view(dan, items[0].InstanceID).Instance.Form["day"] == "2026-09-28", "date_field", "date_field")
	n, _ = v.e.RunSchedules(ctx, cstAt("2026-09-30 15:00"))
	check(n == 1, "the month's last working day", "day")
	// 14 days before 20 October (and Monday 5 October's meetings).
	n, _ = v.e.RunSchedules(ctx, cstAt("2026-10-06 00:00"))
	items, _, _ = v.e.Inbox(ctx, v.actor(dave), flow.BoxStarted, flow.InboxFilter{})
	found := false
	for _, it := range items {
		f := v.view(dave, it.InstanceID).Instance.Form
		found = found || f["day"] == "2026-10-20" && f["person"] != nil
	}
	check(n == 3 && found, "a date source, before, person_field", "source", "before", "person_field")
}
