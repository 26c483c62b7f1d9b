package flow_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// notices returns who's notifications on inst, oldest first.
func (v *env) notices(who, inst int64) []flow.Notification {
	v.t.Helper()
	ns, err := v.e.Notifications(context.Background(), v.actor(who), false, 500)
	if err != nil {
		v.t.Fatal(err)
	}
	var out []flow.Notification
	for i := len(ns) - 1; i >= 0; i-- {
		if ns[i].InstanceID == inst {
			out = append(out, ns[i])
		}
	}
	return out
}

func kinds(ns []flow.Notification) []string {
	var out []string
	for _, n := range ns {
		out = append(out, n.Kind)
	}
	return out
}

// Issue 9 item 4: the requester hears of every decision on the request —
// each approval (who, which step), a rejection that routes back (with the
// reason), a return (who, the reason), the end (approved with its outcome,
// or rejected with the reason) — and never of their own.
func TestNotice_RequesterHearsEveryDecision(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		d := def("decide",
			flow.Step{ID: "draft", Title: flow.Text{ZH: "起草", EN: "Draft"}, Kind: flow.StepTask, Assignee: flow.Assignee{Relative: "initiator"}},
			flow.Step{ID: "director", Title: flow.Text{ZH: "部门总监审批", EN: "Director"}, Assignee: flow.Assignee{Relative: "initiator_director"}, OnReject: "draft"},
			stepA("dean", role(domain.RoleBusinessDean)),
			stepA("gm", role(domain.RoleGM)))
		d.Outcomes = []flow.Outcome{{Key: "bought", Label: flow.Text{ZH: "已采购", EN: "Bought"}}}
		v := newEnv(t, db, d)
		in := v.start("decide", map[string]any{"title": "Balance"})
		v.approve(alice, in.ID) // her own step: nothing to tell her
		v.must(dave, in.ID, flow.ActInput{Action: flow.ActReject, Comment: "quote missing"})
		v.approve(alice, in.ID)
		v.must(dave, in.ID, flow.ActInput{Action: flow.ActApprove, Comment: "ok"})
		v.must(bob, in.ID, flow.ActInput{Action: flow.ActReturn, Comment: "which model?"})
		if _, err := v.e.ActOnInstance(context.Background(), v.actor(alice), in.ID, flow.ActInput{Action: flow.ActResubmit}); err != nil {
			t.Fatal(err)
		}
		v.approve(bob, in.ID)
		v.approve(gina, in.ID)

		var ns []flow.Notification
		for _, n := range v.notices(alice, in.ID) {
			if n.Kind != "task" { // her own draft step
				ns = append(ns, n)
			}
		}
		want := []string{"step_rejected", "step_approved", "returned", "step_approved", "approved"}
		if got := kinds(ns); len(got) != len(want) {
			t.Fatalf("the initiator heard %v, want %v", got, want)
		}
		for i, k := range want {
			if ns[i].Kind != k {
				t.Fatalf("notice %d is %s, want %s (%v)", i, ns[i].Kind, k, kinds(ns))
			}
			if ns[i].Args["title"] != "Balance" {
				t.Fatalf("notice %s does not name the request: %v", k, ns[i].Args)
			}
		}
		arg := func(i int, k string) any { return ns[i].Args[k] }
		if arg(0, "reason") != "quote missing" || arg(0, "by") != "N-dave" || arg(0, "step_en") != "Director" {
			t.Fatalf("rejection notice %v", ns[0].Args)
		}
		if arg(1, "by") != "N-dave" || arg(1, "step") != "部门总监审批" {
			t.Fatalf("approval notice %v", ns[1].Args)
		}
		if arg(2, "reason") != "which model?" || arg(2, "by") != "N-bob" || arg(2, "step") != "dean" {
			t.Fatalf("return notice %v", ns[2].Args)
		}
		// The GM's approval ends the request: one notice, the end, with who
		// and the outcome.
		if arg(4, "by") != "N-gina" || arg(4, "outcome") != "已采购" || arg(4, "outcome_en") != "Bought" {
			t.Fatalf("end notice %v", ns[4].Args)
		}

		// A rejection that ends the request tells the reason.
		in2 := v.start("decide", map[string]any{"title": "Centrifuge"})
		v.approve(alice, in2.ID)
		v.approve(dave, in2.ID)
		v.must(bob, in2.ID, flow.ActInput{Action: flow.ActReject, Comment: "no budget"})
		ns = v.notices(alice, in2.ID)
		last := ns[len(ns)-1]
		if last.Kind != "rejected" || last.Args["reason"] != "no budget" || last.Args["by"] != "N-bob" {
			t.Fatalf("end by rejection: %v %v", kinds(ns), last.Args)
		}
	})
}

// Issue 9 item 4: urging names who urged and is limited to once an hour per
// task, on the server: a second urge within the hour is refused
// (KindTooMany, with the minutes to wait); two urges at once send one; the
// next step's task may be urged at once; after the hour the same task may
// be urged again.
func TestNotice_UrgeOncePerHourPerTask(t *testing.T) {
	for _, d := range storetest.Backends() {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			cfg := storetest.Config(t, d)
			clk := storetest.NewClock(time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC))
			cfg.Now = clk.Now
			db, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			v := newEnv(t, db, def("urge", stepA("dean", role(domain.RoleBusinessDean)), stepA("gm", role(domain.RoleGM))))
			in := v.start("urge", map[string]any{"title": "Balance"})
			urge := func() error {
				_, err := v.e.ActOnInstance(ctx, v.actor(alice), in.ID, flow.ActInput{Action: flow.ActUrge, Comment: "please"})
				return err
			}

			// Two at once: one is sent, the other refused.
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i := range errs {
				wg.Add(1)
				go func() { defer wg.Done(); errs[i] = urge() }()
			}
			wg.Wait()
			if (errs[0] == nil) == (errs[1] == nil) {
				t.Fatalf("two urges at once: %v, %v", errs[0], errs[1])
			}
			urged := func(who int64) []flow.Notification {
				var out []flow.Notification
				for _, n := range v.notices(who, in.ID) {
					if n.Kind == "urged" {
						out = append(out, n)
					}
				}
				return out
			}
			ns := urged(bob)
			if len(ns) != 1 || ns[0].Args["by"] != "N-alice" || ns[0].Args["comment"] != "please" || ns[0].TaskID == 0 {
				t.Fatalf("urge notices %+v", ns)
			}

			clk.Add(20 * time.Minute)
			err = urge()
			var de *domain.Error
			if !domain.IsKind(err, domain.KindTooMany) || !errors.As(err, &de) || de.Key != "flow.urge_too_soon" || de.Args["minutes"] != 40 {
				t.Fatalf("second urge within the hour: %v", err)
			}
			if len(urged(bob)) != 1 {
				t.Fatal("a refused urge sent a notice")
			}

			// The next step's task is new: it may be urged at once.
			v.approve(bob, in.ID)
			if err := urge(); err != nil {
				t.Fatalf("urging the next step: %v", err)
			}
			if len(urged(gina)) != 1 {
				t.Fatal("the GM was not urged")
			}
			clk.Add(59 * time.Minute)
			wantKind(t, urge(), domain.KindTooMany)
			clk.Add(time.Minute)
			if err := urge(); err != nil {
				t.Fatalf("after the hour: %v", err)
			}
			if len(urged(gina)) != 2 {
				t.Fatal("the second urge after the hour was not sent")
			}
			// Only the initiator urges.
			wantKind(t, func() error {
				_, err := v.e.ActOnInstance(ctx, v.actor(dave), in.ID, flow.ActInput{Action: flow.ActUrge})
				return err
			}(), domain.KindForbidden)
		})
	}
}
