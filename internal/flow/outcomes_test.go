package flow_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// resumeDef: the director signs, the dean approves, the GM approves.
func resumeDef() *flow.Definition {
	d := def("resume",
		flow.Step{ID: "director", Title: text("director"), Assignee: flow.Assignee{Relative: "initiator_director"}, Signature: flow.MeaningApprove},
		stepA("dean", role(domain.RoleBusinessDean)),
		stepA("gm", role(domain.RoleGM)))
	return d
}

// Issue 8 §2: a request returned to its initiator is resubmitted with only
// what changed and resumes at the step that returned it; the steps before
// stand, unless the change invalidated a signature (R9), which is signed
// again first.
func TestResubmit_ResumesAtTheStepThatReturnedIt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		v := newEnv(t, db, resumeDef())
		in := v.start("resume", map[string]any{"title": "Balance", "amount": "10"})
		v.must(dave, in.ID, flow.ActInput{Action: flow.ActApprove, Password: goodPassword})
		v.approve(bob, in.ID)
		v.must(gina, in.ID, flow.ActInput{Action: flow.ActReturn, Comment: "which model?"})
		wantStatus(t, v.view(alice, in.ID).Instance, flow.StatusReturned)

		// Only the title changes: the amount stays; the title was signed, so
		// the director signs again, then the GM — the dean does not.
		out, err := v.e.ActOnInstance(ctx, v.actor(alice), in.ID, flow.ActInput{Action: flow.ActResubmit, Form: map[string]any{"title": "Balance XS205"}})
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(out.Form["amount"]) != "10" || out.Form["title"] != "Balance XS205" {
			t.Fatalf("form after a partial resubmission = %v", out.Form)
		}
		if !v.hasTodo(dave, in.ID) || v.hasTodo(bob, in.ID) || v.hasTodo(gina, in.ID) {
			t.Fatal("the director re-signs first")
		}
		v.must(dave, in.ID, flow.ActInput{Action: flow.ActApprove, Password: goodPassword})
		if !v.hasTodo(gina, in.ID) || v.hasTodo(bob, in.ID) {
			t.Fatal("after the new signature the request resumes at the GM, who returned it")
		}
		// Returned again; resubmitted unchanged: straight back to the GM.
		v.must(gina, in.ID, flow.ActInput{Action: flow.ActReturn, Comment: "and the quote"})
		if _, err := v.e.ActOnInstance(ctx, v.actor(alice), in.ID, flow.ActInput{Action: flow.ActResubmit, Comment: "quote attached"}); err != nil {
			t.Fatal(err)
		}
		if !v.hasTodo(gina, in.ID) || v.hasTodo(dave, in.ID) || v.hasTodo(bob, in.ID) {
			t.Fatal("an unchanged resubmission resumes at the GM")
		}
		// Until the GM acts the initiator may withdraw the resubmission.
		iv := v.view(alice, in.ID)
		if !allows(iv, flow.ActWithdraw) {
			t.Fatal("withdraw is offered right after a resubmission")
		}
		out = v.approve(gina, in.ID)
		wantStatus(t, out, flow.StatusApproved)
		evs, _ := db.FindAudit(ctx, store.AuditFilter{Action: "flow.resubmit", EntityID: itoa(in.ID)})
		if len(evs) != 2 || !strings.Contains(evs[0].Changes, `"resume"`) {
			t.Fatalf("resubmissions record where they resume: %+v", evs)
		}
	})
}

// A returned request can be withdrawn; resubmitting a withdrawn request
// starts again at the first step.
func TestWithdraw_ReturnedRequest(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		v := newEnv(t, db, resumeDef())
		in := v.start("resume", map[string]any{"title": "Balance", "amount": "10"})
		v.must(dave, in.ID, flow.ActInput{Action: flow.ActApprove, Password: goodPassword})
		v.must(bob, in.ID, flow.ActInput{Action: flow.ActReturn, Comment: "no budget this year"})
		if !allows(v.view(alice, in.ID), flow.ActWithdraw) {
			t.Fatal("withdraw is offered on a returned request")
		}
		_, err := v.e.ActOnInstance(ctx, v.actor(erin), in.ID, flow.ActInput{Action: flow.ActWithdraw, Comment: "x"})
		if err == nil {
			t.Fatal("only the initiator withdraws")
		}
		out, err := v.e.ActOnInstance(ctx, v.actor(alice), in.ID, flow.ActInput{Action: flow.ActWithdraw, Comment: "next year"})
		if err != nil {
			t.Fatal(err)
		}
		wantStatus(t, out, flow.StatusWithdrawn)
		evs, _ := db.FindAudit(ctx, store.AuditFilter{Action: "flow.withdraw", EntityID: itoa(in.ID)})
		if len(evs) != 1 || !strings.Contains(evs[0].Changes, `"old":"returned"`) {
			t.Fatalf("the withdrawal records the status it left: %+v", evs)
		}
		if _, err := v.e.ActOnInstance(ctx, v.actor(alice), in.ID, flow.ActInput{Action: flow.ActResubmit}); err != nil {
			t.Fatal(err)
		}
		if !v.hasTodo(dave, in.ID) {
			t.Fatal("a withdrawn request starts again at the first step")
		}
	})
}

// on_reject routes a rejection back to an earlier step to be reworked;
// the diagram shows the rejected step, and the process goes on from there.
func TestOnReject_RoutesBackForRework(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		d := def("rework",
			flow.Step{ID: "draft", Title: text("draft"), Kind: flow.StepTask, Assignee: flow.Assignee{Relative: "initiator"}},
			flow.Step{ID: "review", Title: text("review"), Assignee: flow.Assignee{Relative: "initiator_director"}, OnReject: "draft"})
		v := newEnv(t, db, d)
		in := v.start("rework", map[string]any{"title": "Minutes"})
		v.approve(alice, in.ID)
		out := v.must(dave, in.ID, flow.ActInput{Action: flow.ActReject, Comment: "item 3 is wrong"})
		wantStatus(t, out, flow.StatusRunning)
		if !v.hasTodo(alice, in.ID) {
			t.Fatal("the rejection sends the draft back")
		}
		if st := stepStates(v, in.ID); st["review"] != "rejected" {
			t.Fatalf("step states %v", st)
		}
		v.approve(alice, in.ID)
		out = v.approve(dave, in.ID)
		wantStatus(t, out, flow.StatusApproved)
		if out.Outcome != "" {
			t.Fatalf("a definition without outcomes has none, got %q", out.Outcome)
		}
	})
}

// Lint reports every misuse of the outcome and routing keys, naming the field.
func TestLint_OutcomesAndRouting(t *testing.T) {
	base := `key: xx
title: {zh: 甲, en: X}
outcomes:
  - {key: ok, label: {zh: 好, en: OK}}
  - {key: no, label: {zh: 否, en: No}, status: rejected}
form:
  - {key: note, label: {zh: 注, en: Note}, type: text}
  - {key: pick, label: {zh: 选, en: Pick}, type: select, options: [{value: ok, label: {zh: 好, en: OK}}]}
steps:
  - id: a
    title: {zh: 甲, en: A}
    assignee: {role: gm}
  - id: b
    title: {zh: 乙, en: B}
    kind: task
    assignee: {role: gm}
  - id: fin
    title: {zh: 终, en: End}
    kind: end
`
	cases := []struct{ change, want string }{
		{"  - id: a\n    title: {zh: 甲, en: A}\n    assignee: {role: gm}\n    outcome: maybe\n", `steps[0].outcome: unknown outcome "maybe"`},
		{"  - id: a\n    title: {zh: 甲, en: A}\n    assignee: {role: gm}\n    outcome: no\n", `steps[0].outcome: outcome "no" goes with rejected`},
		{"  - id: a\n    title: {zh: 甲, en: A}\n    assignee: {role: gm}\n    on_reject: end\n", "steps[0].on_reject: a rejection cannot end the process approved"},
		{"  - id: a\n    title: {zh: 甲, en: A}\n    assignee: {role: gm}\n    on_reject: nowhere\n", `steps[0].on_reject: no step "nowhere"`},
		{"  - id: a\n    title: {zh: 甲, en: A}\n    assignee: {role: gm}\n    on_reject: a\n", "steps[0].on_reject: a rejected step cannot route to itself"},
	}
	for _, c := range cases {
		src := strings.Replace(base, "  - id: a\n    title: {zh: 甲, en: A}\n    assignee: {role: gm}\n", c.change, 1)
		_, err := flow.Parse("x.yaml", []byte(src), flow.NewRegistry())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("want %q, got %v", c.want, err)
		}
	}
	for change, want := range map[string]string{
		"outcome_from: note\n":                               `outcome_from: field "note" is not a select field`,
		"outcome_from: nothing\n":                            `outcome_from: unknown field "nothing"`,
		"resubmit: sometimes\n":                              `resubmit: "sometimes": use resume or restart`,
		"outcomes: [{key: ok}]\n":                            "outcomes[0].label",
		"withdraw: maybe\n":                                  "withdraw",
		"outcomes: [{key: Bad!, label: {zh: 坏, en: Bad}}]\n": `outcomes[0].key: "Bad!"`,
	} {
		src := strings.Replace(base, "form:\n", change+"form:\n", 1)
		if strings.HasPrefix(change, "outcomes:") {
			src = strings.Replace(base, base[strings.Index(base, "outcomes:"):strings.Index(base, "form:")], change, 1)
		}
		_, err := flow.Parse("x.yaml", []byte(src), flow.NewRegistry())
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want %q, got %v", strings.TrimSpace(change), want, err)
		}
	}
	// on_reject on a task step.
	src := strings.Replace(base, "    kind: task\n    assignee: {role: gm}\n", "    kind: task\n    assignee: {role: gm}\n    on_reject: a\n", 1)
	if _, err := flow.Parse("x.yaml", []byte(src), flow.NewRegistry()); err == nil || !strings.Contains(err.Error(), "steps[1].on_reject: applies to approval steps only") {
		t.Errorf("on_reject on a task: %v", err)
	}
	if _, err := flow.Parse("x.yaml", []byte(base), flow.NewRegistry()); err != nil {
		t.Fatalf("the base loads: %v", err)
	}
}

func allows(iv *flow.InstanceView, a flow.Action) bool {
	for _, x := range iv.Allowed {
		if x.Action == a {
			return true
		}
	}
	return false
}
