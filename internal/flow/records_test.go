package flow_test

import (
	"context"
	"strings"
	"testing"

	"labflow/internal/flow"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// Lint reports misuse of reference fields, await steps and returns.
func TestLint_ReferencesAwaitAndReturns(t *testing.T) {
	base := `key: refs
title: {zh: 甲, en: X}
form:
  - {key: study, label: {zh: 研究, en: Study}, type: reference, ref: "instance:stability"}
  - {key: note, label: {zh: 注, en: Note}, type: text}
steps:
  - id: wait
    title: {zh: 等, en: Wait}
    kind: await
    await: study
`
	reg := flow.NewRegistry()
	if _, err := flow.Parse("r.yaml", []byte(base), reg); err != nil {
		t.Fatalf("the base loads: %v", err)
	}
	for from, want := range map[string]string{
		`ref: "instance:stability"`:                    "",
		`ref: "instance:Bad Key"`:                      `form[0].ref: "instance:Bad Key": instance: is followed by a definition key`,
		`ref: projects.project`:                        `form[0].ref: unknown kind of record "projects.project"`,
		"type: reference, ref: \"instance:stability\"": "form[0].ref: a reference field names what it points at",
		"await: study":                                 "",
		"await: note":                                  `steps[0].await: field "note" is not a reference to a request`,
	} {
		var src string
		switch {
		case strings.HasPrefix(from, "ref:"):
			src = strings.Replace(base, `ref: "instance:stability"`, from, 1)
		case strings.HasPrefix(from, "type:"):
			src = strings.Replace(base, from, "type: reference", 1)
		default:
			src = strings.Replace(base, "await: study", from, 1)
		}
		_, err := flow.Parse("r.yaml", []byte(src), reg)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", from, err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: want %q, got %v", from, want, err)
		}
	}
	for change, want := range map[string]string{
		"    kind: task\n    assignee: {role: gm}\n":                         "steps[0].await: applies to await steps only",
		"    kind: await\n":                                                  "steps[0].await", // (kept: await without its field below)
		"    kind: task\n    assignee: {role: gm}\n    returns: {note: x}\n": "steps[0].returns: applies to subprocess steps only",
	} {
		src := strings.Replace(base, "    kind: await\n", change, 1)
		if change == "    kind: await\n" {
			src = strings.Replace(base, "    await: study\n", "", 1)
		}
		_, err := flow.Parse("r.yaml", []byte(src), reg)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: want %q, got %v", change, want, err)
		}
	}
}

// A request that ended while its waiter was being filed does not leave the
// waiter stuck: the sweep (run with the timers) moves it on.
func TestAwait_SweepMovesOnWaitersOfEndedRequests(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		study := &flow.Definition{Key: "study", Title: text("study"), Subject: "form",
			Steps: []flow.Step{{ID: "do", Title: text("do"), Kind: flow.StepTask, Assignee: flow.Assignee{Relative: "initiator"}}}}
		waiter := &flow.Definition{Key: "waiter", Title: text("waiter"), Subject: "form",
			Form:  []flow.Field{{Key: "study", Label: text("study"), Type: flow.FieldReference, Ref: "instance:study"}},
			Steps: []flow.Step{{ID: "wait", Title: text("wait"), Kind: flow.StepAwait, Await: "study"}, stepA("gm", role("gm"))}}
		v := newEnv(t, db, study, waiter)
		s := v.start("study", nil)
		w := v.start("waiter", map[string]any{"study": s.ID})
		if v.hasTodo(gina, w.ID) {
			t.Fatal("the waiter waits")
		}
		// An engine that does not know waiters exist (another server's, or
		// the end racing the filing) ends the study: nothing moves the waiter.
		other := newEnv(t, db, study)
		other.approve(alice, s.ID)
		if v.hasTodo(gina, w.ID) {
			t.Fatal("not moved yet")
		}
		n, err := v.e.SweepAwaits(ctx)
		if err != nil || n != 1 || !v.hasTodo(gina, w.ID) {
			t.Fatalf("sweep moved %d (%v); the GM has the task: %v", n, err, v.hasTodo(gina, w.ID))
		}
		if n, _ := v.e.SweepAwaits(ctx); n != 0 {
			t.Fatalf("a second sweep moved %d", n)
		}
	})
}
