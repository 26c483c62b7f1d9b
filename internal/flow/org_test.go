package flow_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// The committees the test directory keeps besides the Technical Committee
// (flow.CommitteeDirectory): "tender" is erin and dan, dan its chair.
func (d *dir) CommitteeByKey(_ context.Context, key string) ([]domain.Person, domain.Person, error) {
	if key != "tender" {
		return nil, domain.Person{}, domain.NotFound("dir", "entity.committee")
	}
	return []domain.Person{d.people[erin], d.people[dan]}, d.people[dan], nil
}

const committeeDef = `key: tender-eval
title: {zh: 评标, en: Bid evaluation}
subject: form
initiators: [purchasing]
form:
  - {key: title, label: {zh: 标题, en: Title}, type: text}
steps:
  - id: evaluate
    title: {zh: 评标委员会, en: Tender committee}
    assignee: {committee: tender}
    mode: all
  - id: confirm
    title: {zh: 技术委员会, en: Technical Committee}
    assignee: {committee: true}
    mode: any
`

// Ensure a definition names a committee by its key and `committee: true`
// keeps meaning the Technical Committee; lint refuses a committee the
// registry does not know, naming the field (issue 8 §4).
func TestCommitteeByKey_LintAndRun(t *testing.T) {
	if _, err := flow.Parse("tender.yaml", []byte(committeeDef), flow.NewRegistry()); err == nil ||
		!strings.Contains(err.Error(), `steps[0].assignee.committee: unknown committee "tender"`) {
		t.Fatalf("lint of an unknown committee: %v", err)
	}
	reg := flow.NewRegistry()
	reg.AddCommittees("tender")
	d, err := flow.Parse("tender.yaml", []byte(committeeDef), reg)
	if err != nil {
		t.Fatal(err)
	}
	if d.Steps[0].Assignee.Committee != "tender" || d.Steps[1].Assignee.Committee != flow.TechnicalCommittee {
		t.Fatalf("committees read as %q, %q", d.Steps[0].Assignee.Committee, d.Steps[1].Assignee.Committee)
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := newEnvReg(t, db, reg, d)
		in, err := v.e.Start(context.Background(), v.actor(carol), "tender-eval", map[string]any{"title": "bids"}, "")
		if err != nil {
			t.Fatal(err)
		}
		if !v.hasTodo(erin, in.ID) || !v.hasTodo(dan, in.ID) || v.hasTodo(cm1, in.ID) {
			t.Fatal("the tender committee's members should have the evaluation, and nobody else")
		}
		v.approve(erin, in.ID)
		v.approve(dan, in.ID)
		if !v.hasTodo(cm1, in.ID) || !v.hasTodo(chair, in.ID) || v.hasTodo(erin, in.ID) {
			t.Fatal("committee: true should still be the Technical Committee")
		}
	})
	// Stored definitions keep `true` for the Technical Committee, as they
	// did before committees were data, and read back either form.
	for _, c := range []struct {
		ref  flow.CommitteeRef
		json string
	}{{flow.TechnicalCommittee, `{"committee":true}`}, {"tender", `{"committee":"tender"}`}, {"", `{}`}} {
		b, err := json.Marshal(flow.Assignee{Committee: c.ref})
		if err != nil || string(b) != c.json {
			t.Fatalf("%q encodes as %s (%v), want %s", c.ref, b, err, c.json)
		}
		var a flow.Assignee
		if err := json.Unmarshal(b, &a); err != nil || a.Committee != c.ref {
			t.Fatalf("%s decodes as %q (%v)", b, a.Committee, err)
		}
	}
}
