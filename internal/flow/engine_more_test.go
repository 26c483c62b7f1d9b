package flow_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// TestConditionsBranches: step When skips; Branches choose the next step.
func TestConditionsBranches(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		d := def("cond",
			flow.Step{ID: "director", Title: text("d"), Assignee: flow.Assignee{Relative: "initiator_director"}, When: "!initiator_is_director"},
			flow.Step{ID: "dean", Title: text("dean"), Assignee: role(domain.RoleBusinessDean),
				Branches: []flow.Branch{{When: "amount > 1000", To: "gm"}}, Next: "end"},
			stepA("gm", role(domain.RoleGM)))
		v := newEnv(t, db, d)
		small := v.start("cond", map[string]any{"amount": 10})
		v.approve(dave, small.ID)
		wantStatus(t, v.approve(bob, small.ID), flow.StatusApproved)
		big := v.start("cond", map[string]any{"amount": 5000})
		v.approve(dave, big.ID)
		wantStatus(t, v.approve(bob, big.ID), flow.StatusRunning)
		wantStatus(t, v.approve(gina, big.ID), flow.StatusApproved)
		// A director initiating skips the director step.
		in, err := v.e.Start(ctx, v.actor(dave), "cond", map[string]any{"amount": 1}, "")
		if err != nil {
			t.Fatal(err)
		}
		if !v.hasTodo(bob, in.ID) {
			t.Fatal("director step not skipped for a director")
		}
	})
}

// TestParallelJoinAndSubprocess: a fork runs branches at once and joins;
// a subprocess step starts a child and resumes when it ends.
func TestParallelJoinAndSubprocess(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		par := def("par",
			flow.Step{ID: "fork", Title: text("fork"), Kind: flow.StepParallel, Parallel: []string{"left", "right"}, Join: "join"},
			flow.Step{ID: "left", Title: text("left"), Assignee: role(domain.RoleBusinessDean), Next: "join"},
			flow.Step{ID: "right", Title: text("right"), Assignee: role(domain.RoleAdminDean), Next: "join"},
			flow.Step{ID: "join", Title: text("join"), Kind: flow.StepJoin},
			stepA("gm", role(domain.RoleGM)))
		child := def("child", stepA("buy", flow.Assignee{Person: "carol"}))
		parent := def("parent",
			flow.Step{ID: "sub", Title: text("sub"), Kind: flow.StepSubprocess, Subprocess: "child"},
			stepA("gm", role(domain.RoleGM)))
		v := newEnv(t, db, par, child, parent)
		v.dir.people[20] = person(20, "adam", 0, domain.Grant{Role: domain.RoleAdminDean})
		in := v.start("par", nil)
		if !v.hasTodo(bob, in.ID) || !v.hasTodo(20, in.ID) {
			t.Fatal("both branches should be open")
		}
		v.approve(bob, in.ID)
		if v.hasTodo(gina, in.ID) {
			t.Fatal("join passed with one branch")
		}
		v.approve(20, in.ID)
		wantStatus(t, v.approve(gina, in.ID), flow.StatusApproved)

		p := v.start("parent", map[string]any{"title": "with child"})
		kids := v.view(alice, p.ID).Children
		if len(kids) != 1 || kids[0].ParentID != p.ID || kids[0].DefinitionKey != "child" || kids[0].Form["title"] != "with child" {
			t.Fatalf("children = %+v", kids)
		}
		if v.hasTodo(gina, p.ID) {
			t.Fatal("parent went on before the child ended")
		}
		wantStatus(t, v.approve(carol, kids[0].ID), flow.StatusApproved)
		if !v.hasTodo(gina, p.ID) {
			t.Fatal("parent did not resume when the child ended")
		}
		wantStatus(t, v.approve(gina, p.ID), flow.StatusApproved)
	})
}

// TestDefinitionVersions: running instances keep their version.
func TestDefinitionVersions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v1 := def("ver", stepA("a", role(domain.RoleBusinessDean)))
		v := newEnv(t, db, v1)
		old := v.start("ver", nil)
		if old.DefinitionVersion != 1 {
			t.Fatalf("version = %d", old.DefinitionVersion)
		}
		// Same content again: no new version.
		again := newEnv(t, db, def("ver", stepA("a", role(domain.RoleBusinessDean))))
		if got := again.e.Definitions()[0].Version; got != 1 {
			t.Fatalf("unchanged definition got version %d", got)
		}
		v2 := newEnv(t, db, def("ver", stepA("a", role(domain.RoleBusinessDean)), stepA("b", role(domain.RoleGM))))
		if got := v2.e.Definitions()[0].Version; got != 2 {
			t.Fatalf("changed definition got version %d", got)
		}
		nw := v2.start("ver", nil)
		if nw.DefinitionVersion != 2 {
			t.Fatalf("new instance on version %d", nw.DefinitionVersion)
		}
		wantStatus(t, v2.approve(bob, old.ID), flow.StatusApproved) // v1 has one step
		wantStatus(t, v2.approve(bob, nw.ID), flow.StatusRunning)   // v2 has two
		wantStatus(t, v2.approve(gina, nw.ID), flow.StatusApproved)
	})
}

// TestTimersAcrossRestart: reminders, overdue and escalation fire once,
// also when a new engine opens the same database.
func TestTimersAcrossRestart(t *testing.T) {
	for _, d := range storetest.Backends() {
		t.Run(string(d), func(t *testing.T) {
			cfg := storetest.Config(t, d)
			var now atomic.Int64
			now.Store(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC).UnixNano())
			cfg.Now = func() time.Time { return time.Unix(0, now.Load()) }
			db, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			d := def("sla", flow.Step{ID: "a", Title: text("a"), Assignee: role(domain.RolePurchasing), Mode: flow.ModeSingle,
				SLA: &flow.SLA{Due: "48h", Remind: "4h", EscalateTo: "business_dean"}})
			v := newEnv(t, db, d)
			in := v.start("sla", nil)
			if n, err := v.e.RunTimers(ctx, v.db.Now()); err != nil || n != 0 {
				t.Fatalf("timers before due: %d %v", n, err)
			}
			now.Add(int64(45 * time.Hour))
			if n, err := v.e.RunTimers(ctx, db.Now()); err != nil || n != 1 {
				t.Fatalf("reminder: %d %v", n, err)
			}
			notes, _ := v.e.Notifications(ctx, v.actor(carol), true, 10)
			if len(notes) == 0 || notes[0].Kind != "due_soon" {
				t.Fatalf("notifications = %+v", notes)
			}
			db.Close()
			// Restart: a new store and engine over the same database.
			now.Add(int64(4 * time.Hour))
			db2, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer db2.Close()
			v2 := newEnv(t, db2, def("sla", flow.Step{ID: "a", Title: text("a"), Assignee: role(domain.RolePurchasing), Mode: flow.ModeSingle,
				SLA: &flow.SLA{Due: "48h", Remind: "4h", EscalateTo: "business_dean"}}))
			if n, err := v2.e.RunTimers(ctx, db2.Now()); err != nil || n != 2 {
				t.Fatalf("overdue + escalation after restart: %d %v", n, err)
			}
			if n, err := v2.e.RunTimers(ctx, db2.Now()); err != nil || n != 0 {
				t.Fatalf("timers fired twice: %d %v", n, err)
			}
			if !v2.hasTodo(bob, in.ID) {
				t.Fatal("escalation did not add a task for the business dean")
			}
			// The escalated person acts for the slot.
			wantStatus(t, v2.approve(bob, in.ID), flow.StatusApproved)
			if v2.hasTodo(carol, in.ID) {
				t.Fatal("original task still open after the escalated approval")
			}
			evs, _ := db2.FindAudit(ctx, store.AuditFilter{Action: "flow.escalate"})
			if len(evs) != 1 {
				t.Fatalf("%d escalation events", len(evs))
			}
		})
	}
}

// TestInboxCountsNotificationsBulk: the four boxes, filters, search,
// counts, notifications (outbox) and bulk approve.
func TestInboxCountsNotificationsBulk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		bulk := def("bulk", stepA("a", role(domain.RoleBusinessDean)), stepA("b", role(domain.RoleGM)))
		bulk.BulkApprove = true
		signed := def("signed", flow.Step{ID: "a", Title: text("a"), Assignee: role(domain.RoleBusinessDean), Signature: flow.MeaningApprove})
		signed.BulkApprove = true
		v := newEnv(t, db, bulk, signed, def("plain", stepA("a", role(domain.RoleBusinessDean))))
		b1 := v.start("bulk", map[string]any{"title": "Centrifuge rotor"})
		b2 := v.start("bulk", map[string]any{"title": "Pipette tips"})
		s1 := v.start("signed", map[string]any{"title": "Signed thing"})
		p1 := v.start("plain", map[string]any{"title": "Plain thing"})
		items, total, err := v.e.Inbox(ctx, v.actor(bob), flow.BoxTodo, flow.InboxFilter{})
		if err != nil || total != 4 || len(items) != 4 {
			t.Fatalf("todo: %d %d %v", total, len(items), err)
		}
		if items[0].StepTitle.ZH == "" || items[0].Definition.ZH == "" {
			t.Fatalf("titles not filled: %+v", items[0])
		}
		_, n, _ := v.e.Inbox(ctx, v.actor(bob), flow.BoxTodo, flow.InboxFilter{Query: "ROTOR"})
		if n != 1 {
			t.Fatalf("search found %d", n)
		}
		_, n, _ = v.e.Inbox(ctx, v.actor(bob), flow.BoxTodo, flow.InboxFilter{Definition: "bulk", InitiatorID: alice, Status: flow.StatusRunning})
		if n != 2 {
			t.Fatalf("filter found %d", n)
		}
		_, n, _ = v.e.Inbox(ctx, v.actor(bob), flow.BoxTodo, flow.InboxFilter{From: "2999-01-01"})
		if n != 0 {
			t.Fatalf("date filter found %d", n)
		}
		ids := []int64{v.todo(bob, b1.ID), v.todo(bob, b2.ID), v.todo(bob, s1.ID), v.todo(bob, p1.ID)}
		res, err := v.e.BulkApprove(ctx, v.actor(bob), ids, "ok")
		if err != nil {
			t.Fatal(err)
		}
		if !res[0].OK || !res[1].OK || res[2].OK || res[3].OK {
			t.Fatalf("bulk results %+v", res)
		}
		c, err := v.e.Counts(ctx, v.actor(bob))
		if err != nil || c[flow.BoxTodo] != 2 || c[flow.BoxDone] != 2 {
			t.Fatalf("counts %v %v", c, err)
		}
		c, _ = v.e.Counts(ctx, v.actor(alice))
		if c[flow.BoxStarted] != 4 {
			t.Fatalf("started count %v", c)
		}
		// copy (抄送) and urge (催办)
		if _, err := v.e.ActOnInstance(ctx, v.actor(alice), b1.ID, flow.ActInput{Action: flow.ActCopy, PersonID: erin}); err != nil {
			t.Fatal(err)
		}
		if c, _ := v.e.Counts(ctx, v.actor(erin)); c[flow.BoxCC] != 1 || c[flow.BoxTodo] != 0 {
			t.Fatalf("counts after a copy %v", c)
		}
		if _, n, _ := v.e.Inbox(ctx, v.actor(erin), flow.BoxCC, flow.InboxFilter{}); n != 1 {
			t.Fatalf("cc box %d", n)
		}
		if _, err := v.e.Instance(ctx, v.actor(erin), b1.ID); err != nil {
			t.Fatalf("copied person cannot see: %v", err)
		}
		if _, err := v.e.Instance(ctx, v.actor(dan), b1.ID); !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("stranger sees the instance: %v", err)
		}
		if _, err := v.e.ActOnInstance(ctx, v.actor(alice), b1.ID, flow.ActInput{Action: flow.ActUrge, Comment: "please"}); err != nil {
			t.Fatal(err)
		}
		notes, err := v.e.Notifications(ctx, v.actor(gina), true, 50)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, n := range notes {
			kinds[n.Kind]++
		}
		if kinds["task"] != 2 || kinds["urged"] != 1 {
			t.Fatalf("gina's notifications %v", kinds)
		}
		if err := v.e.MarkRead(ctx, v.actor(gina), []int64{notes[0].ID}); err != nil {
			t.Fatal(err)
		}
		left, _ := v.e.Notifications(ctx, v.actor(gina), true, 50)
		if len(left) != len(notes)-1 {
			t.Fatalf("unread after mark read: %d", len(left))
		}
		// Comment with attachments (SHA-256 references).
		sum := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
		if _, err := v.e.ActOnInstance(ctx, v.actor(alice), b1.ID, flow.ActInput{Action: flow.ActComment, Comment: "quote", Attachments: []string{sum}}); err != nil {
			t.Fatal(err)
		}
		if _, err := v.e.ActOnInstance(ctx, v.actor(alice), b1.ID, flow.ActInput{Action: flow.ActComment, Attachments: []string{"nope"}}); !domain.IsKind(err, domain.KindInvalid) {
			t.Fatalf("bad attachment ref: %v", err)
		}
		iv := v.view(alice, b1.ID)
		last := iv.Timeline[len(iv.Timeline)-1]
		if last.Action != "comment" || len(last.Attachments) != 1 || last.Attachments[0] != sum {
			t.Fatalf("timeline end %+v", last)
		}
		// Allowed actions: gina may approve b1 now; alice may urge but not approve.
		gv := v.view(gina, b1.ID)
		if !hasAllowed(gv.Allowed, flow.ActApprove) {
			t.Fatalf("gina allowed %+v", gv.Allowed)
		}
		if hasAllowed(iv.Allowed, flow.ActApprove) || !hasAllowed(iv.Allowed, flow.ActUrge) {
			t.Fatalf("alice allowed %+v", iv.Allowed)
		}
	})
}

func hasAllowed(as []flow.AllowedAction, a flow.Action) bool {
	for _, x := range as {
		if x.Action == a {
			return true
		}
	}
	return false
}

var _ = context.Background

// TestParallelReturnAndTakeBack: a return or take-back to a step inside a
// parallel branch resumes that branch; the other branches go on, and the
// join still completes.
func TestParallelReturnAndTakeBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		par := def("par",
			flow.Step{ID: "fork", Title: text("fork"), Kind: flow.StepParallel, Parallel: []string{"left", "right"}, Join: "join"},
			flow.Step{ID: "left", Title: text("left"), Assignee: role(domain.RoleBusinessDean)},
			flow.Step{ID: "left2", Title: text("left2"), Assignee: flow.Assignee{Person: "carol"}, Next: "join"},
			flow.Step{ID: "right", Title: text("right"), Assignee: role(domain.RoleAdminDean), Next: "join"},
			flow.Step{ID: "join", Title: text("join"), Kind: flow.StepJoin},
			stepA("gm", role(domain.RoleGM)))
		v := newEnv(t, db, par)
		v.dir.people[20] = person(20, "adam", 0, domain.Grant{Role: domain.RoleAdminDean})
		const adam = int64(20)

		// After the join: the GM returns to the second step of the left branch.
		in := v.start("par", nil)
		v.approve(bob, in.ID)
		v.approve(adam, in.ID)
		v.approve(carol, in.ID)
		v.must(gina, in.ID, flow.ActInput{Action: flow.ActReturn, To: "left2", Comment: "reason"})
		if v.hasTodo(bob, in.ID) || v.hasTodo(adam, in.ID) || !v.hasTodo(carol, in.ID) {
			t.Fatal("return to left2 should reopen left2 only")
		}
		v.approve(carol, in.ID)
		wantStatus(t, v.approve(gina, in.ID), flow.StatusApproved)

		// Inside the block: a take-back keeps the other branch's task.
		in = v.start("par", nil)
		adamTask := v.todo(adam, in.ID)
		v.approve(bob, in.ID)
		if _, err := v.e.ActOnInstance(ctx, v.actor(bob), in.ID, flow.ActInput{Action: flow.ActTakeBack, Comment: "reason"}); err != nil {
			t.Fatal(err)
		}
		if v.todo(adam, in.ID) != adamTask || v.hasTodo(carol, in.ID) {
			t.Fatal("take-back inside the block touched the other branch")
		}
		v.approve(bob, in.ID)
		v.approve(carol, in.ID)
		if v.hasTodo(gina, in.ID) {
			t.Fatal("join passed with one branch")
		}
		v.approve(adam, in.ID)
		// The right branch returns to the left one while it runs: both run again.
		in2 := v.start("par", nil)
		v.approve(bob, in2.ID)
		v.must(adam, in2.ID, flow.ActInput{Action: flow.ActReturn, To: "left", Comment: "reason"})
		if !v.hasTodo(bob, in2.ID) || !v.hasTodo(adam, in2.ID) || v.hasTodo(carol, in2.ID) {
			t.Fatal("return from right to left: want left and right open")
		}
		v.approve(bob, in2.ID)
		v.approve(adam, in2.ID)
		v.approve(carol, in2.ID)
		wantStatus(t, v.approve(gina, in2.ID), flow.StatusApproved)
		wantStatus(t, v.approve(gina, in.ID), flow.StatusApproved)
	})
}

// The step diagram follows the form through conditions, branches and a
// parallel block: steps the form as it stands takes the process past are
// "skipped", and the engine then passes them over.
func TestDiagramMarksStepsNotNeeded(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	d := def("path",
		stepA("a", role(domain.RoleBusinessDean)),
		flow.Step{ID: "fork", Title: text("fork"), Kind: flow.StepParallel, Parallel: []string{"left", "right"}, Join: "join"},
		flow.Step{ID: "left", Title: text("left"), Assignee: role(domain.RoleGM), Next: "join"},
		flow.Step{ID: "right", Title: text("right"), Assignee: role(domain.RolePurchasing), When: "amount > 1000", Next: "join"},
		flow.Step{ID: "join", Title: text("join"), Kind: flow.StepJoin, Branches: []flow.Branch{{When: "amount > 100", To: "big"}}, Next: "small"},
		flow.Step{ID: "big", Title: text("big"), Assignee: role(domain.RoleGM), Next: "end"},
		stepA("small", role(domain.RoleGM)))
	v := newEnv(t, db, d)
	states := func(in *flow.Instance) map[string]string {
		out := map[string]string{}
		for _, s := range v.view(alice, in.ID).Steps {
			out[s.ID] = s.State
		}
		return out
	}
	got := states(v.start("path", map[string]any{"amount": 500}))
	want := map[string]string{"a": "current", "fork": "pending", "left": "pending", "right": "skipped", "join": "pending", "big": "pending", "small": "skipped"}
	for k, s := range want {
		if got[k] != s {
			t.Fatalf("amount 500: %v, want %v", got, want)
		}
	}
	got = states(v.start("path", map[string]any{"amount": 5000}))
	if got["right"] != "pending" || got["small"] != "skipped" {
		t.Fatalf("amount 5000: %v", got)
	}
	// An empty amount counts as 0 in conditions, for the diagram as for the
	// engine: what is marked skipped is what the engine then passes over.
	in := v.start("path", nil)
	got = states(in)
	if got["right"] != "skipped" || got["big"] != "skipped" || got["small"] != "pending" {
		t.Fatalf("no amount: %v", got)
	}
	v.approve(bob, in.ID)
	if !v.hasTodo(gina, in.ID) || v.hasTodo(carol, in.ID) || v.hasTodo(pat, in.ID) {
		t.Fatal("the engine did not take the path the diagram showed")
	}
}
