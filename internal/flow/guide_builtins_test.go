package flow_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// The effects of set_person, deactivate_person and start
// (testdata/guide-builtins.yaml), in TestDefinitionsGuide_EveryKeyHasItsEffect.
// The people side records what the engine asks, in the engine's
// transaction; internal/web's TestREL3_ProbationReviewChangesThePerson
// checks the real people service end to end.
func init() {
	guideWalks = append(guideWalks, guideWalk{walk: walkBuiltins})
}

type recordingPeople struct{ calls []string }

func (p *recordingPeople) SetAttributeIn(ctx context.Context, tx any, actor domain.Actor, person int64, attr, value string, inst int64, note string) error {
	p.calls = append(p.calls, fmt.Sprintf("set %d %s=%s #%d", person, attr, value, inst))
	return tx.(*store.Tx).Audit(audit.Entry{ActorID: actor.ID, ActorName: actor.Name, Action: "test.person_attribute", Entity: "person",
		EntityID: strconv.FormatInt(person, 10), Changes: []audit.Change{{Field: attr, New: value}}, Reason: note})
}

func (p *recordingPeople) DeactivateIn(ctx context.Context, tx any, actor domain.Actor, person, inst int64, note string) error {
	p.calls = append(p.calls, fmt.Sprintf("deactivate %d #%d", person, inst))
	return nil
}

func walkBuiltins(t *testing.T, v *env, check guideCheck) {
	ctx := context.Background()
	pp := &recordingPeople{}
	v.e.UsePeople(pp)
	in, err := v.e.Start(ctx, v.actor(alice), "guide-builtins", map[string]any{"trainee": erin}, "")
	if err != nil {
		t.Fatal(err)
	}
	v.approve(dave, in.ID)
	today := time.Now().Format("2006-01-02")
	check(len(pp.calls) == 2 && pp.calls[0] == fmt.Sprintf("set %d employment_status=confirmed #%d", erin, in.ID) &&
		pp.calls[1][:len(pp.calls[1])-len(fmt.Sprintf(" #%d", in.ID))] == fmt.Sprintf("set %d confirmed_on=%s", erin, today),
		"set_person with values from expressions", "set_person", "person", "attribute", "value")
	evs, _ := v.db.FindAudit(ctx, store.AuditFilter{Action: "test.person_attribute"})
	check(len(evs) == 2, "in the step's transaction", "set_person")
	// start: a guide-study request filed by the initiator with the value given.
	var started *flow.Instance
	items, _, _ := v.e.Inbox(ctx, v.actor(alice), flow.BoxStarted, flow.InboxFilter{Definition: "guide-study"})
	for _, it := range items {
		iv := v.view(alice, it.InstanceID)
		if iv.Instance.Form["conclusion"] == "confirmed: follow-up study" {
			started = iv.Instance
		}
	}
	check(started != nil && started.InitiatorID == alice && started.Status == flow.StatusRunning, "start another process", "start", "process", "as", "values")

	// deactivate_person: the rejection routes to the dismissal, which deactivates the trainee.
	in2, err := v.e.Start(ctx, v.actor(alice), "guide-builtins", map[string]any{"trainee": erin}, "")
	if err != nil {
		t.Fatal(err)
	}
	pp.calls = nil
	v.must(dave, in2.ID, flow.ActInput{Action: flow.ActReject, Comment: "not suitable"})
	check(len(pp.calls) == 1 && pp.calls[0] == fmt.Sprintf("deactivate %d #%d", erin, in2.ID), "deactivate_person at the end step", "deactivate_person")
}
