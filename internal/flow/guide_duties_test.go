package flow_test

import (
	"context"
	"testing"

	"labflow/internal/flow"
)

// The effects of exclude, require_chair and the dissent action
// (testdata/guide-duties.yaml), in TestDefinitionsGuide_EveryKeyHasItsEffect.
func init() {
	guideWalks = append(guideWalks, guideWalk{walk: walkDuties})
}

func walkDuties(t *testing.T, v *env, check guideCheck) {
	ctx := context.Background()
	in, err := v.e.Start(ctx, v.actor(alice), "guide-duties", map[string]any{}, "")
	if err != nil {
		t.Fatal(err)
	}
	v.must(carol, in.ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"result": "98.7%"}})
	// exclude: carol entered the results: only pat verifies, and pat cannot
	// hand the verification to carol.
	check(v.hasTodo(pat, in.ID) && !v.hasTodo(carol, in.ID), "exclude resolves around who entered", "exclude")
	_, err = v.act(pat, in.ID, flow.ActInput{Action: flow.ActTransfer, PersonID: carol})
	check(fkey(err, "person_id") == "flow.excluded", "exclude refuses a transfer to who entered", "exclude")
	v.approve(pat, in.ID)

	// require_chair: two members reach the quorum, the chair has not voted: it waits.
	v.must(cm1, in.ID, flow.ActInput{Action: flow.ActApprove, Password: goodPassword})
	v.must(cm2, in.ID, flow.ActInput{Action: flow.ActApprove, Password: goodPassword})
	check(v.status(in.ID) == flow.StatusRunning && v.hasTodo(chair, in.ID), "the quorum includes the chair", "require_chair")
	// The chair dissents, with a reason: the decision passes, the dissent
	// is kept (signed with the meaning disapproval) and shown.
	_, err = v.act(chair, in.ID, flow.ActInput{Action: flow.ActDissent, Password: goodPassword})
	check(fkey(err, "comment") == "flow.reason_required", "a dissent needs a reason", "actions")
	out := v.must(chair, in.ID, flow.ActInput{Action: flow.ActDissent, Comment: "the stability data are thin", Password: goodPassword})
	iv := v.view(alice, in.ID)
	var dissent bool
	for _, g := range iv.Signatures {
		dissent = dissent || g.SignerID == chair && g.Meaning == flow.MeaningDisapprove && g.Valid
	}
	var shown bool
	for _, a := range iv.Timeline {
		shown = shown || a.Action == string(flow.ActDissent) && a.Comment == "the stability data are thin"
	}
	check(out.Status == flow.StatusApproved && dissent && shown, "dissent kept and shown while the decision passes", "actions", "signature")
}
