package flow_test

import (
	"context"
	"errors"
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
			if n, _ := g.Form["amount"].(float64); n > 100 {
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
