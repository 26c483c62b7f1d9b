package flow_test

import (
	"context"
	"errors"
	"testing"

	"labflow/internal/domain"
	"labflow/internal/flow"
)

// The effects of outcomes, outcome_from, on_reject, withdraw and resubmit
// (testdata/guide-outcomes.yaml), in TestDefinitionsGuide_EveryKeyHasItsEffect.
func init() {
	guideWalks = append(guideWalks, guideWalk{walk: walkOutcomes})
}

func walkOutcomes(t *testing.T, v *env, check guideCheck) {
	ctx := context.Background()
	d, _ := v.e.Definition("guide-outcomes")
	start := func() *flow.Instance {
		in, err := v.e.Start(ctx, v.actor(alice), "guide-outcomes", map[string]any{"title": "Probation of Erin"}, "")
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	// withdraw: false: not while running.
	in := start()
	_, err := v.e.ActOnInstance(ctx, v.actor(alice), in.ID, flow.ActInput{Action: flow.ActWithdraw, Comment: "changed my mind"})
	check(domain.IsKind(err, domain.KindForbidden) && errKey(err) == "flow.withdraw_forbidden", "withdraw: false", "withdraw")

	// on_reject: the director's rejection goes to the dismissal end step,
	// which names the outcome; the process ends approved, outcome dismissed.
	out := v.must(dave, in.ID, flow.ActInput{Action: flow.ActReject, Comment: "not suitable"})
	check(out.Status == flow.StatusApproved && out.Outcome == "dismissed" && d.OutcomeLabel(out.Outcome, "zh") == "辞退",
		"on_reject to an end step with an outcome", "on_reject", "outcome", "outcomes")

	// outcome_from: the director records the decision, the GM approves.
	in = start()
	v.must(dave, in.ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"decision": "extended"}})
	out = v.approve(gina, in.ID)
	check(out.Status == flow.StatusApproved && out.Outcome == "extended", "outcome from the decision field", "outcome_from")

	// A rejection without on_reject ends rejected, with the outcome that
	// goes with rejected (status).
	in = start()
	v.must(dave, in.ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"decision": "confirmed"}})
	out = v.must(gina, in.ID, flow.ActInput{Action: flow.ActReject, Comment: "no budget"})
	check(out.Status == flow.StatusRejected && out.Outcome == "refused", "status of an outcome", "status")

	// resubmit: restart: returned by the GM, the request starts again at
	// the director (not at the GM), and a returned request cannot be
	// withdrawn either (withdraw: false).
	in = start()
	v.must(dave, in.ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"decision": "confirmed"}})
	v.must(gina, in.ID, flow.ActInput{Action: flow.ActReturn, Comment: "attach the appraisal"})
	_, err = v.e.ActOnInstance(ctx, v.actor(alice), in.ID, flow.ActInput{Action: flow.ActWithdraw, Comment: "drop it"})
	check(errKey(err) == "flow.withdraw_forbidden", "withdraw: false, returned", "withdraw")
	if _, err := v.e.ActOnInstance(ctx, v.actor(alice), in.ID, flow.ActInput{Action: flow.ActResubmit}); err != nil {
		t.Fatal(err)
	}
	check(v.hasTodo(dave, in.ID) && !v.hasTodo(gina, in.ID), "resubmit: restart", "resubmit")
}

// errKey is the message key of a domain error ("" for another error).
func errKey(err error) string {
	var de *domain.Error
	if errors.As(err, &de) {
		return de.Key
	}
	return ""
}
