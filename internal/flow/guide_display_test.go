package flow_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"labflow/internal/flow"
)

// The effects of summary and list_title (testdata/guide-every-key.yaml), in
// TestDefinitionsGuide_EveryKeyHasItsEffect: the engine resolves what they
// name against a filed request, and lint refuses what the form lacks.
func init() {
	guideWalks = append(guideWalks, guideWalk{walk: walkDisplay})
}

func walkDisplay(t *testing.T, v *env, check guideCheck) {
	ctx := context.Background()
	d, _ := v.e.Definition("guide-all")
	in, err := v.e.StartWith(ctx, v.actor(alice), "guide-all", flow.StartInput{Form: map[string]any{"title": "Buy a balance", "budget": "100",
		"kind": "b", "note": "a long enough note", "amount": "50", "dept": int64(20), "approver": gina,
		"lines": []any{map[string]any{"q": "2", "p": "3.50"}, map[string]any{"q": "4"}}}, Chosen: map[string]int64{"pick": pat}})
	if err != nil {
		t.Fatal(err)
	}
	sum := d.Summarize(in.Form)
	labels := []string{}
	for _, s := range sum {
		labels = append(labels, s.Label.ZH)
	}
	qs, _ := sum[2].Value.([]any)
	check(strings.Join(labels, ",") == "类别,预算,数量" && sum[0].Value == "b" && sum[0].Field.Type == flow.FieldSelect &&
		len(qs) == 2 && fmt.Sprint(qs[1]) == "4", "summary: the named values in order, a column row by row", "summary")

	var refs []string
	for _, p := range d.ListTitleParts() {
		if p.Ref != "" {
			refs = append(refs, p.Ref)
		}
	}
	ap, _ := d.Display("approver", in.Form)
	check(strings.Join(refs, ",") == "kind,budget,approver,initiator,id" && ap.Field.Type == flow.FieldPerson,
		"list_title: its references resolve against the form", "list_title")

	// Lint checks every field either names.
	src, err := os.ReadFile("testdata/guide-every-key.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for bad, want := range map[string]string{
		"summary: [kind, budget, lines.q]":                                    "summary: [kind, nope]",
		"list_title: \"{kind} · ¥{budget} · {approver} · {initiator} #{id}\"": "list_title: \"{kind} · {lines}\"",
	} {
		broken := strings.Replace(string(src), bad, want, 1)
		_, err := flow.Parse("broken.yaml", []byte(broken), v.reg)
		check(err != nil, "lint refuses "+want, map[bool]string{true: "summary", false: "list_title"}[strings.HasPrefix(want, "summary")])
	}
}
