package flow_test

import (
	"context"
	"testing"

	"labflow/internal/flow"
)

// The effect of each (testdata/guide-fanout.yaml), in
// TestDefinitionsGuide_EveryKeyHasItsEffect.
func init() {
	guideWalks = append(guideWalks, guideWalk{walk: walkFanout})
}

func walkFanout(t *testing.T, v *env, check guideCheck) {
	ctx := context.Background()
	rows := func(a, b string) []any {
		return []any{map[string]any{"department": int64(10), "report": a}, map[string]any{"department": int64(20), "report": b}}
	}
	in, err := v.e.Start(ctx, v.actor(alice), "guide-fanout", map[string]any{"departments": rows("", "")}, "")
	if err != nil {
		t.Fatal(err)
	}
	// One task per row, each to the director the row's department names.
	check(v.hasTodo(dave, in.ID) && v.hasTodo(dan, in.ID), "a task per row, department from the row", "each", "department_from")
	// A director writes only their own row.
	_, err = v.act(dave, in.ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"departments": rows("ok", "ok too")}})
	check(fkey(err, "departments.2") == "flow.each.other_row", "each edits its own row", "each")
	// Their own row's report is required, not the others'.
	_, err = v.act(dave, in.ID, flow.ActInput{Action: flow.ActApprove})
	check(fkey(err, "departments.1.report") == "flow.field.required_at_step", "each requires its own row", "each", "required")
	v.must(dave, in.ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"departments": rows("feasible", "")}})
	check(v.status(in.ID) == flow.StatusRunning, "the step waits for every row", "each")
	out := v.must(dan, in.ID, flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"departments": rows("feasible", "feasible, 3 weeks")}})
	check(out.Status == flow.StatusApproved, "all rows done completes the step", "each")
}
