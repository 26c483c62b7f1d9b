package flow_test

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

var ctx = context.Background()

func TestSequentialApprovalAndAudit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, def("three",
			stepA("director", flow.Assignee{Relative: "initiator_director"}),
			stepA("dean", role(domain.RoleBusinessDean)),
			stepA("gm", role(domain.RoleGM))))
		in := v.start("three", map[string]any{"title": "Buy a balance"})
		wantStatus(t, in, flow.StatusRunning)
		v.approve(dave, in.ID)
		v.approve(bob, in.ID)
		out := v.approve(gina, in.ID)
		wantStatus(t, out, flow.StatusApproved)
		evs, err := db.FindAudit(ctx, store.AuditFilter{Entity: "instance", Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		var acts []string
		for _, e := range evs {
			acts = append(acts, e.Action)
		}
		want := []string{"flow.start", "flow.approve", "flow.approve", "flow.approve"}
		if !slices.Equal(acts, want) {
			t.Fatalf("audit actions = %v, want %v", acts, want)
		}
		if last := evs[len(evs)-1]; !strings.Contains(last.Changes, `"field":"status","old":"running","new":"approved"`) {
			t.Fatalf("last approval does not record the end: %s", last.Changes)
		}
		if _, err := db.VerifyAudit(ctx, ""); err != nil {
			t.Fatal(err)
		}
		iv := v.view(alice, in.ID)
		if len(iv.Timeline) != 4 || iv.Timeline[1].ActorID != dave {
			t.Fatalf("timeline = %+v", iv.Timeline)
		}
		for _, s := range iv.Steps {
			if s.State != "done" {
				t.Fatalf("step %s state %s", s.ID, s.State)
			}
		}
	})
}

// TestResolution: every way of naming who acts.
func TestResolution(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cases := []struct {
			name string
			a    flow.Assignee
			form map[string]any
			want []int64
		}{
			{"person", flow.Assignee{Person: "gina"}, nil, []int64{gina}},
			{"role", role(domain.RolePurchasing), nil, []int64{carol, pat}},
			{"role in initiator's department", flow.Assignee{Role: "director", Department: "initiator"}, nil, []int64{dave}},
			{"role in a numbered department", flow.Assignee{Role: "director", Department: "20"}, nil, []int64{dan}},
			{"initiator director", flow.Assignee{Relative: "initiator_director"}, nil, []int64{dave}},
			{"committee (chair once)", flow.Assignee{Committee: flow.TechnicalCommittee}, nil, []int64{cm1, cm2, chair}},
			{"form person field", flow.Assignee{Field: "approver"}, map[string]any{"approver": bob}, []int64{bob}},
			// R12: nobody resolves: the step waits for someone, never the administrator.
			{"nobody resolves: no one to act", flow.Assignee{Role: "finance"}, nil, nil},
			{"initiator excluded from approval (R10): no one to act", flow.Assignee{Relative: "initiator"}, nil, nil},
			{"the administrator named by username never acts (R12)", flow.Assignee{Person: "sam"}, nil, nil},
		}
		var defs []*flow.Definition
		for i, c := range cases {
			defs = append(defs, def("r"+string(rune('a'+i)), flow.Step{ID: "s", Title: text("s"), Assignee: c.a, Mode: flow.ModeAll}))
		}
		v := newEnv(t, db, defs...)
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				in := v.start("r"+string(rune('a'+i)), c.form)
				iv := v.view(alice, in.ID)
				var got []int64
				for _, tk := range iv.Tasks {
					if tk.State == flow.TaskOpen {
						got = append(got, tk.AssigneeID)
					}
				}
				slices.Sort(got)
				want := slices.Clone(c.want)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Fatalf("assignees = %v, want %v", got, want)
				}
				if c.want == nil {
					if len(iv.Warnings) == 0 || iv.Warnings[0].Msg.Key != "flow.warn.no_assignee" {
						t.Fatalf("no one to act, without a warning: %+v", iv.Warnings)
					}
					if iv.Steps[0].State != "unassigned" {
						t.Fatalf("step state %q, want unassigned", iv.Steps[0].State)
					}
				}
			})
		}
	})
}

func TestResolutionPreviousAndChosen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, def("prev",
			stepA("a", role(domain.RoleBusinessDean)),
			stepA("b", flow.Assignee{Role: "purchasing", ChosenBy: "previous"}),
			flow.Step{ID: "c", Title: text("c"), Kind: flow.StepTask, Assignee: flow.Assignee{Relative: "previous"}}))
		in := v.start("prev", nil)
		if _, err := v.act(bob, in.ID, flow.ActInput{Action: flow.ActApprove, PersonID: gina}); !domain.IsKind(err, domain.KindInvalid) {
			t.Fatalf("choosing a non-holder: %v", err)
		}
		v.must(bob, in.ID, flow.ActInput{Action: flow.ActApprove, PersonID: pat})
		if v.hasTodo(carol, in.ID) || !v.hasTodo(pat, in.ID) {
			t.Fatal("chosen_by previous did not go to the chosen person only")
		}
		v.approve(pat, in.ID)
		wantStatus(t, v.approve(pat, in.ID), flow.StatusApproved) // "previous" is pat
	})
}

// TestModes: single, sequential, all (会签), any (或签), quorum.
func TestModes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		committee := flow.Assignee{Committee: flow.TechnicalCommittee} // cm1, cm2, chair
		cases := []struct {
			mode    flow.Mode
			quorum  string
			open    int     // open tasks after start
			actors  []int64 // who approves, in order
			endsAt  int     // instance approved after this many approvals
			rejects []int64 // rejections before approvals (any/quorum)
			rejEnds bool
		}{
			{mode: flow.ModeSingle, open: 1, actors: []int64{cm1}, endsAt: 1},
			{mode: flow.ModeSequential, open: 1, actors: []int64{cm1, cm2, chair}, endsAt: 3},
			{mode: flow.ModeAll, open: 3, actors: []int64{chair, cm1, cm2}, endsAt: 3},
			{mode: flow.ModeAny, open: 3, actors: []int64{cm2}, endsAt: 1},
			{mode: flow.ModeQuorum, quorum: "2", open: 3, actors: []int64{cm1, chair}, endsAt: 2},
			{mode: flow.ModeQuorum, quorum: "60%", open: 3, actors: []int64{cm1, chair}, endsAt: 2},
			{mode: flow.ModeQuorum, quorum: "2/3", open: 3, rejects: []int64{cm2}, actors: []int64{cm1, chair}, endsAt: 2},
			{mode: flow.ModeQuorum, quorum: "3", open: 3, rejects: []int64{cm2}, rejEnds: true},
			{mode: flow.ModeAny, open: 3, rejects: []int64{cm1, cm2}, actors: []int64{chair}, endsAt: 1},
			{mode: flow.ModeAll, open: 3, rejects: []int64{cm1}, rejEnds: true},
		}
		var defs []*flow.Definition
		for i, c := range cases {
			defs = append(defs, def("m"+string(rune('a'+i)), flow.Step{ID: "vote", Title: text("vote"), Assignee: committee, Mode: c.mode, Quorum: c.quorum}))
		}
		v := newEnv(t, db, defs...)
		for i, c := range cases {
			t.Run(string(c.mode)+c.quorum, func(t *testing.T) {
				in := v.start("m"+string(rune('a'+i)), nil)
				open := 0
				for _, tk := range v.view(alice, in.ID).Tasks {
					if tk.State == flow.TaskOpen {
						open++
					}
				}
				if open != c.open {
					t.Fatalf("open tasks = %d, want %d", open, c.open)
				}
				for _, r := range c.rejects {
					v.must(r, in.ID, flow.ActInput{Action: flow.ActReject, Comment: "reason"})
				}
				if c.rejEnds {
					if s := v.status(in.ID); s != flow.StatusRejected {
						t.Fatalf("status after reject = %s", s)
					}
					return
				}
				for n, a := range c.actors {
					out := v.approve(a, in.ID)
					want := flow.StatusRunning
					if n+1 >= c.endsAt {
						want = flow.StatusApproved
					}
					wantStatus(t, out, want)
				}
			})
		}
	})
}

// TestNoTwoSlots: the same person never fills two slots of one countersign.
func TestNoTwoSlots(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, def("all", flow.Step{ID: "vote", Title: text("vote"), Assignee: flow.Assignee{Committee: flow.TechnicalCommittee}, Mode: flow.ModeAll}))
		in := v.start("all", nil)
		if _, err := v.act(cm1, in.ID, flow.ActInput{Action: flow.ActTransfer, PersonID: cm2}); !domain.IsKind(err, domain.KindInvalid) {
			t.Fatalf("transfer to another slot holder: %v", err)
		}
		v.approve(cm1, in.ID)
		if _, err := v.act(cm2, in.ID, flow.ActInput{Action: flow.ActAddSigner, PersonID: cm1, Before: true}); !domain.IsKind(err, domain.KindInvalid) {
			t.Fatalf("adding someone who already approved: %v", err)
		}
	})
}

func TestRejectEnds(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, def("two", stepA("a", role(domain.RoleBusinessDean)), stepA("b", role(domain.RoleGM))))
		in := v.start("two", nil)
		out := v.must(bob, in.ID, flow.ActInput{Action: flow.ActReject, Comment: "no budget"})
		wantStatus(t, out, flow.StatusRejected)
		if v.hasTodo(gina, in.ID) {
			t.Fatal("task after rejection")
		}
		if _, err := v.e.ActOnInstance(ctx, v.actor(alice), in.ID, flow.ActInput{Action: flow.ActResubmit}); !domain.IsKind(err, domain.KindConflict) {
			t.Fatalf("resubmit after reject: %v", err)
		}
	})
}

// TestReturn: 驳回 to the initiator (who edits and resubmits), to the
// previous step and to a named earlier step.
func TestReturn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, def("ret", stepA("a", flow.Assignee{Relative: "initiator_director"}),
			stepA("b", role(domain.RoleBusinessDean)), stepA("c", role(domain.RoleGM))))
		in := v.start("ret", map[string]any{"title": "first", "amount": 5})
		v.approve(dave, in.ID)
		v.approve(bob, in.ID)
		// gina returns to the previous step: bob again.
		v.must(gina, in.ID, flow.ActInput{Action: flow.ActReturn, To: "previous", Comment: "check"})
		v.approve(bob, in.ID)
		// gina returns to a named step: dave again.
		v.must(gina, in.ID, flow.ActInput{Action: flow.ActReturn, To: "a", Comment: "reason"})
		if _, err := v.act(dave, in.ID, flow.ActInput{Action: flow.ActReturn, To: "c", Comment: "reason"}); !domain.IsKind(err, domain.KindInvalid) {
			t.Fatalf("return to a later step: %v", err)
		}
		out := v.must(dave, in.ID, flow.ActInput{Action: flow.ActReturn, Comment: "redo"})
		wantStatus(t, out, flow.StatusReturned)
		if _, err := v.e.ActOnInstance(ctx, v.actor(alice), in.ID, flow.ActInput{Action: flow.ActResubmit, Form: map[string]any{"title": "x", "amount": "abc"}}); !domain.IsKind(err, domain.KindInvalid) {
			t.Fatalf("resubmit with a bad form: %v", err)
		}
		out, err := v.e.ActOnInstance(ctx, v.actor(alice), in.ID, flow.ActInput{Action: flow.ActResubmit, Form: map[string]any{"title": "second", "amount": 7}})
		if err != nil {
			t.Fatal(err)
		}
		wantStatus(t, out, flow.StatusRunning)
		if out.Title != "second" {
			t.Fatalf("title = %q", out.Title)
		}
		v.approve(dave, in.ID)
		v.approve(bob, in.ID)
		wantStatus(t, v.approve(gina, in.ID), flow.StatusApproved)
	})
}

// TestWithdrawAndTakeBack: 撤回 until the next person acts; 拿回 by the last approver until the next acts.
func TestWithdrawAndTakeBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, def("wt", stepA("a", role(domain.RoleBusinessDean)), stepA("b", role(domain.RoleGM)), stepA("c", flow.Assignee{Person: "carol"})))
		in := v.start("wt", nil)
		if _, err := v.e.ActOnInstance(ctx, v.actor(bob), in.ID, flow.ActInput{Action: flow.ActWithdraw, Comment: "reason"}); !domain.IsKind(err, domain.KindForbidden) {
			t.Fatalf("withdraw by someone else: %v", err)
		}
		out, err := v.e.ActOnInstance(ctx, v.actor(alice), in.ID, flow.ActInput{Action: flow.ActWithdraw, Comment: "reason"})
		if err != nil {
			t.Fatal(err)
		}
		wantStatus(t, out, flow.StatusWithdrawn)
		if v.hasTodo(bob, in.ID) {
			t.Fatal("task after withdrawal")
		}
		if _, err := v.e.ActOnInstance(ctx, v.actor(alice), in.ID, flow.ActInput{Action: flow.ActResubmit}); err != nil {
			t.Fatal(err)
		}
		v.approve(bob, in.ID)
		if _, err := v.e.ActOnInstance(ctx, v.actor(alice), in.ID, flow.ActInput{Action: flow.ActWithdraw, Comment: "reason"}); !domain.IsKind(err, domain.KindConflict) {
			t.Fatalf("withdraw after the first approval: %v", err)
		}
		// bob takes back: gina's task disappears, bob has it again.
		if _, err := v.e.ActOnInstance(ctx, v.actor(bob), in.ID, flow.ActInput{Action: flow.ActTakeBack, Comment: "reason"}); err != nil {
			t.Fatal(err)
		}
		if v.hasTodo(gina, in.ID) || !v.hasTodo(bob, in.ID) {
			t.Fatal("take back did not move the task back")
		}
		v.approve(bob, in.ID)
		v.must(gina, in.ID, flow.ActInput{Action: flow.ActComment, Comment: "looking"}) // a comment is not acting
		v.approve(gina, in.ID)
		if _, err := v.e.ActOnInstance(ctx, v.actor(bob), in.ID, flow.ActInput{Action: flow.ActTakeBack, Comment: "reason"}); !domain.IsKind(err, domain.KindConflict) {
			t.Fatalf("take back by someone not last: %v", err)
		}
		v.must(carol, in.ID, flow.ActInput{Action: flow.ActTransfer, PersonID: pat})
		if _, err := v.e.ActOnInstance(ctx, v.actor(gina), in.ID, flow.ActInput{Action: flow.ActTakeBack, Comment: "reason"}); !domain.IsKind(err, domain.KindConflict) {
			t.Fatalf("take back after the next acted: %v", err)
		}
	})
}

// TestTransferDelegateAddSigner: 转办, 委派 (comes back), 加签 before/after, 减签.
func TestTransferDelegateAddSigner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, def("tda", stepA("a", role(domain.RoleBusinessDean)), stepA("b", role(domain.RoleGM))))
		// transfer
		in := v.start("tda", nil)
		v.must(bob, in.ID, flow.ActInput{Action: flow.ActTransfer, PersonID: carol})
		if v.hasTodo(bob, in.ID) {
			t.Fatal("bob still has the task after transfer")
		}
		v.approve(carol, in.ID)
		if !v.hasTodo(gina, in.ID) {
			t.Fatal("transferred approval did not move on")
		}
		// delegate: comes back to bob
		in = v.start("tda", nil)
		v.must(bob, in.ID, flow.ActInput{Action: flow.ActDelegate, PersonID: carol})
		if v.hasTodo(bob, in.ID) {
			t.Fatal("delegator keeps an open task")
		}
		if _, err := v.act(carol, in.ID, flow.ActInput{Action: flow.ActReject, Comment: "reason"}); !domain.IsKind(err, domain.KindForbidden) {
			t.Fatalf("delegate rejecting: %v", err)
		}
		v.must(carol, in.ID, flow.ActInput{Action: flow.ActApprove, Comment: "looks fine"})
		if !v.hasTodo(bob, in.ID) || v.hasTodo(gina, in.ID) {
			t.Fatal("delegation did not come back to bob")
		}
		v.approve(bob, in.ID)
		if !v.hasTodo(gina, in.ID) {
			t.Fatal("no move after delegation")
		}
		// add signer before: pat first, then bob
		in = v.start("tda", nil)
		v.must(bob, in.ID, flow.ActInput{Action: flow.ActAddSigner, PersonID: pat, Before: true})
		v.approve(pat, in.ID)
		v.approve(bob, in.ID)
		if !v.hasTodo(gina, in.ID) {
			t.Fatal("add before: step did not complete")
		}
		// add signer after: bob approves, carol must too; then remove one added
		in = v.start("tda", nil)
		v.must(bob, in.ID, flow.ActInput{Action: flow.ActAddSigner, PersonID: carol})
		if v.hasTodo(gina, in.ID) {
			t.Fatal("add after: step completed before the added signer")
		}
		v.approve(carol, in.ID)
		if !v.hasTodo(gina, in.ID) {
			t.Fatal("add after: step did not complete")
		}
		// remove an added signer (减签)
		in = v.start("tda", nil)
		v.must(bob, in.ID, flow.ActInput{Action: flow.ActAddSigner, PersonID: pat, Before: true})
		added := v.todo(pat, in.ID)
		// carol may not even see the request: it does not exist for her.
		if _, err := v.e.Act(ctx, v.actor(carol), added, flow.ActInput{Action: flow.ActRemove}); !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("removing someone else's signer: %v", err)
		}
		// bob's peer who may see it (gina, the GM) is refused.
		if _, err := v.e.Act(ctx, v.actor(gina), added, flow.ActInput{Action: flow.ActRemove}); !domain.IsKind(err, domain.KindForbidden) {
			t.Fatalf("the GM removes bob's signer: %v", err)
		}
		if _, err := v.e.Act(ctx, v.actor(bob), added, flow.ActInput{Action: flow.ActRemove}); err != nil {
			t.Fatal(err)
		}
		if v.hasTodo(pat, in.ID) || !v.hasTodo(bob, in.ID) {
			t.Fatal("remove signer did not give the task back")
		}
	})
}

// TestR10_InitiatorCannotApproveOwn: four eyes on every approval step.
func TestR10_InitiatorCannotApproveOwn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		self := def("self", stepA("a", role(domain.RoleResearcher)))
		self.AllowSelfApproval = true
		v := newEnv(t, db, def("own", stepA("a", role(domain.RoleResearcher)), stepA("b", role(domain.RoleGM))), self)
		in := v.start("own", nil)
		if v.hasTodo(alice, in.ID) || !v.hasTodo(erin, in.ID) {
			t.Fatal("the initiator was made an approver of their own request")
		}
		// Transferring to the initiator is refused too.
		if _, err := v.act(erin, in.ID, flow.ActInput{Action: flow.ActTransfer, PersonID: alice}); !domain.IsKind(err, domain.KindInvalid) {
			t.Fatalf("transfer to the initiator: %v", err)
		}
		// Even holding a task (e.g. a fallback), the initiator may not decide.
		if _, err := v.e.Act(ctx, v.actor(alice), v.todo(erin, in.ID), flow.ActInput{Action: flow.ActApprove}); !domain.IsKind(err, domain.KindForbidden) {
			t.Fatalf("initiator approving: %v", err)
		}
		// With AllowSelfApproval the initiator is an approver.
		in2 := v.start("self", nil)
		wantStatus(t, v.approve(alice, in2.ID), flow.StatusApproved)
	})
}

// TestR7_R9_Signature: a signature step asks for the password; the record
// holds name, id, time, meaning and content hash; a later edit invalidates it.
func TestR7_R9_Signature(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, def("sig",
			flow.Step{ID: "review", Title: text("review"), Assignee: role(domain.RoleBusinessDean), Signature: flow.MeaningReview},
			flow.Step{ID: "price", Title: text("price"), Assignee: role(domain.RolePurchasing), Mode: flow.ModeAny, Editable: []string{"price"}},
			flow.Step{ID: "approve", Title: text("approve"), Assignee: role(domain.RoleGM), Signature: flow.MeaningApprove}))
		in := v.start("sig", map[string]any{"title": "t", "amount": 3})
		if _, err := v.act(bob, in.ID, flow.ActInput{Action: flow.ActApprove}); !domain.IsKind(err, domain.KindUnauthenticated) {
			t.Fatalf("sign without password: %v", err)
		}
		if _, err := v.act(bob, in.ID, flow.ActInput{Action: flow.ActApprove, Password: "wrong"}); !domain.IsKind(err, domain.KindUnauthenticated) {
			t.Fatalf("sign with a wrong password: %v", err)
		}
		v.must(bob, in.ID, flow.ActInput{Action: flow.ActApprove, Password: goodPassword})
		sigs := v.view(alice, in.ID).Signatures
		if len(sigs) != 1 || !sigs[0].Valid || sigs[0].SignerID != bob || sigs[0].SignerName != "N-bob" ||
			sigs[0].Meaning != flow.MeaningReview || sigs[0].SignedAt.IsZero() || len(sigs[0].ContentHash) != 64 {
			t.Fatalf("signature = %+v", sigs)
		}
		// Purchasing may edit only its editable field. The definition gives
		// that field to purchasing, so bob's signature stays valid and shows
		// the field as updated since signing.
		if _, err := v.act(carol, in.ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"amount": 4}}); err == nil {
			t.Fatal("edited a field that is not editable")
		}
		v.must(carol, in.ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"price": 12.5}})
		iv := v.view(alice, in.ID)
		if g := iv.Signatures[0]; !g.Valid || len(g.Updated) != 1 || g.Updated[0] != "price" || len(g.Changed) != 0 {
			t.Fatalf("after the designated price edit: %+v", g)
		}
		v.must(gina, in.ID, flow.ActInput{Action: flow.ActApprove, Password: goodPassword})
		iv = v.view(alice, in.ID)
		if len(iv.Signatures) != 2 || !iv.Signatures[1].Valid || !iv.Signatures[0].Valid {
			t.Fatalf("signatures = %+v", iv.Signatures)
		}

		// A change to content the signer was responsible for invalidates the
		// signature (R9): return to the initiator, who changes the amount.
		in2 := v.start("sig", map[string]any{"title": "t2", "amount": 3})
		v.must(bob, in2.ID, flow.ActInput{Action: flow.ActApprove, Password: goodPassword})
		v.must(carol, in2.ID, flow.ActInput{Action: flow.ActReturn, To: "initiator", Comment: "amount?"})
		if _, err := v.e.ActOnInstance(ctx, v.actor(alice), in2.ID, flow.ActInput{Action: flow.ActResubmit, Form: map[string]any{"title": "t2", "amount": 5}}); err != nil {
			t.Fatal(err)
		}
		g := v.view(alice, in2.ID).Signatures[0]
		if g.Valid || len(g.Changed) != 1 || g.Changed[0] != "amount" {
			t.Fatalf("after the initiator changed the amount: %+v", g)
		}
	})
}

// TestConcurrentApprove: two approvers on the same task → one wins, the other gets a conflict.
func TestConcurrentApprove(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, def("race", stepA("a", role(domain.RoleBusinessDean)), stepA("b", role(domain.RoleGM))))
		for round := 0; round < 5; round++ {
			in := v.start("race", nil)
			task := v.todo(bob, in.ID)
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					_, errs[i] = v.e.Act(ctx, v.actor(bob), task, flow.ActInput{Action: flow.ActApprove})
				}(i)
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				if err == nil {
					ok++
				} else if !domain.IsKind(err, domain.KindConflict) {
					t.Fatalf("loser error %v, want conflict", err)
				}
			}
			if ok != 1 {
				t.Fatalf("%d winners, want 1 (%v)", ok, errs)
			}
			n := 0
			for _, tk := range v.view(alice, in.ID).Tasks {
				if tk.StepID == "b" {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%d tasks on the next step, want 1", n)
			}
		}
	})
}

// TestWithdrawRacesApproval: exactly one of them happens.
func TestWithdrawRacesApproval(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, def("wr", stepA("a", role(domain.RoleBusinessDean)), stepA("b", role(domain.RoleGM))))
		for round := 0; round < 5; round++ {
			in := v.start("wr", nil)
			task := v.todo(bob, in.ID)
			var wg sync.WaitGroup
			var errA, errW error
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, errA = v.e.Act(ctx, v.actor(bob), task, flow.ActInput{Action: flow.ActApprove})
			}()
			go func() {
				defer wg.Done()
				_, errW = v.e.ActOnInstance(ctx, v.actor(alice), in.ID, flow.ActInput{Action: flow.ActWithdraw, Comment: "reason"})
			}()
			wg.Wait()
			if (errA == nil) == (errW == nil) {
				t.Fatalf("approve err %v, withdraw err %v: want exactly one to succeed", errA, errW)
			}
			s := v.status(in.ID)
			if errA == nil && s != flow.StatusRunning || errW == nil && s != flow.StatusWithdrawn {
				t.Fatalf("status %s after approve=%v withdraw=%v", s, errA, errW)
			}
		}
	})
}

// TestIdempotency: the same key does the work once.
func TestIdempotency(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := newEnv(t, db, def("idem", stepA("a", role(domain.RoleBusinessDean)), stepA("b", role(domain.RoleGM))))
		a, err := v.e.Start(ctx, v.actor(alice), "idem", nil, "k1")
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		ids := make([]int64, 4)
		for i := range ids {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				in, err := v.e.Start(ctx, v.actor(alice), "idem", nil, "k1")
				if err == nil {
					ids[i] = in.ID
				}
			}(i)
		}
		wg.Wait()
		for _, id := range ids {
			if id != a.ID {
				t.Fatalf("repeated start gave %d, want %d", id, a.ID)
			}
		}
		_, n, _ := v.e.Inbox(ctx, v.actor(alice), flow.BoxStarted, flow.InboxFilter{})
		if n != 1 {
			t.Fatalf("%d instances started, want 1", n)
		}
		task := v.todo(bob, a.ID)
		if _, err := v.e.Act(ctx, v.actor(bob), task, flow.ActInput{Action: flow.ActApprove, IdemKey: "x"}); err != nil {
			t.Fatal(err)
		}
		if _, err := v.e.Act(ctx, v.actor(bob), task, flow.ActInput{Action: flow.ActApprove, IdemKey: "x"}); err != nil {
			t.Fatalf("repeated approve with the same key: %v", err)
		}
		evs, _ := db.FindAudit(ctx, store.AuditFilter{Action: "flow.approve"})
		if len(evs) != 1 {
			t.Fatalf("%d approvals audited, want 1", len(evs))
		}
	})
}
