package flow_test

import (
	"context"
	"errors"
	"math/big"
	"strings"
	"testing"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// TestGuardsEffectsInitiators: guards refuse completing a step; effects run
// in the transition's transaction (an effect error undoes the transition);
// only the listed roles may start.
func TestGuardsEffectsInitiators(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		reg := flow.NewRegistry()
		reg.RegisterGuard("test.amount_small", func(_ context.Context, g flow.GuardInput) error {
			if n, ok := flow.FormDecimal(g.Form["amount"]); ok && n.Cmp(big.NewRat(100, 1)) > 0 {
				return domain.E(domain.KindInvalid, "test", "test.too_much")
			}
			return nil
		})
		fail := false
		reg.RegisterEffect("test.record", func(_ context.Context, e flow.EffectInput) error {
			if fail {
				return errors.New("effect failed")
			}
			tx := e.Tx.(*store.Tx)
			return tx.Audit(audit.Entry{ActorID: e.Actor.ID, ActorName: e.Actor.Name, Action: "test.effect", Entity: "instance",
				EntityID: "x", Changes: []audit.Change{{Field: "step", New: e.StepID}}})
		})
		d := def("ge", flow.Step{ID: "a", Title: text("a"), Assignee: role(domain.RoleBusinessDean),
			Guards: []string{"test.amount_small"}, Effects: []string{"test.record"}})
		d.Initiators = []string{"researcher"}
		v := newEnvReg(t, db, reg, d)
		if _, err := v.e.Start(ctx, v.actor(gina), "ge", nil, ""); !domain.IsKind(err, domain.KindForbidden) {
			t.Fatalf("start by a role not listed: %v", err)
		}
		big := v.start("ge", map[string]any{"amount": 500})
		if _, err := v.act(bob, big.ID, flow.ActInput{Action: flow.ActApprove}); !domain.IsKind(err, domain.KindInvalid) {
			t.Fatalf("guard did not refuse: %v", err)
		}
		small := v.start("ge", map[string]any{"amount": 5})
		fail = true
		if _, err := v.act(bob, small.ID, flow.ActInput{Action: flow.ActApprove}); err == nil {
			t.Fatal("effect error did not fail the transition")
		}
		if s := v.status(small.ID); s != flow.StatusRunning {
			t.Fatalf("status %s after a failed effect", s)
		}
		fail = false
		wantStatus(t, v.approve(bob, small.ID), flow.StatusApproved)
		evs, _ := db.FindAudit(ctx, store.AuditFilter{Action: "test.effect"})
		if len(evs) != 1 {
			t.Fatalf("%d effect events, want 1", len(evs))
		}
	})
}

// A definition's own guards refuse filing a request (and resubmitting it
// after a return) with the guard's reason; nothing is stored then.
func TestDefinitionGuardsAtStartAndResubmit(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	reg := flow.NewRegistry()
	reg.RegisterGuard("test.amount_small", func(_ context.Context, g flow.GuardInput) error {
		if g.StepID != "" {
			t.Errorf("definition guard called with step %q", g.StepID)
		}
		if n, ok := flow.FormDecimal(g.Form["amount"]); ok && n.Cmp(big.NewRat(100, 1)) > 0 {
			e := domain.E(domain.KindInvalid, "test", "test.too_much")
			e.Fields = map[string]domain.Msg{"amount": {Key: "test.too_much"}}
			return e
		}
		return nil
	})
	d := def("gs", stepA("a", role(domain.RoleBusinessDean)))
	d.Guards = []string{"test.amount_small"}
	v := newEnvReg(t, db, reg, d)
	_, err := v.e.Start(ctx, v.actor(alice), "gs", map[string]any{"amount": 500}, "")
	wantKind(t, err, domain.KindInvalid)
	if _, n, _ := v.e.Inbox(ctx, v.actor(alice), flow.BoxStarted, flow.InboxFilter{}); n != 0 {
		t.Fatalf("%d instances stored after a refused start", n)
	}
	in := v.start("gs", map[string]any{"amount": 5})
	v.must(bob, in.ID, flow.ActInput{Action: flow.ActReturn, To: "initiator", Comment: "fix"})
	_, err = v.e.ActOnInstance(ctx, v.actor(alice), in.ID, flow.ActInput{Action: flow.ActResubmit, Form: map[string]any{"amount": 700}})
	wantKind(t, err, domain.KindInvalid)
	if s := v.status(in.ID); s != flow.StatusReturned {
		t.Fatalf("status %s after a refused resubmission, want returned", s)
	}
	if _, err := v.e.ActOnInstance(ctx, v.actor(alice), in.ID, flow.ActInput{Action: flow.ActResubmit, Form: map[string]any{"amount": 50}}); err != nil {
		t.Fatal(err)
	}

	// A definition naming an unknown guard fails the load, naming where.
	_, err = flow.Parse("gs.yaml", []byte(`key: gs
title: {zh: 守卫, en: Guarded}
subject: form
guards: [test.nope]
form:
  - {key: title, label: {zh: 标题, en: Title}, type: text}
steps:
  - {id: a, title: {zh: 审批, en: Approve}, assignee: {role: business_dean}}
`), reg)
	if err == nil || !strings.Contains(err.Error(), "guards[0]") || !strings.Contains(err.Error(), "test.nope") {
		t.Fatalf("unknown definition guard: %v", err)
	}
}
