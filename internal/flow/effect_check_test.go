package flow_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"labflow/internal/flow"
	"labflow/internal/projects"
)

// probation is a definition with built-in effects whose values the tests
// below change.
const probation = `key: probation-check
title: {zh: 试用期考核, en: Probation review}
subject: form
form:
  - {key: trainee, label: {zh: 试用人员, en: Trainee}, type: person, required: true}
  - {key: score, label: {zh: 得分, en: Score}, type: number}
  - {key: ends_on, label: {zh: 结束日期, en: End date}, type: date}
steps:
  - id: review
    title: {zh: 总监考核, en: Director's review}
    assignee: {relative: initiator_director}
    set_person:
      - {person: trainee, attribute: employment_status, value: "'confirmed'"}
      - {person: trainee, attribute: confirmed_on, value: "today()"}
    start:
      - {process: probation-note, as: initiator, values: {note: "'confirmed'", due_on: "add_days(ends_on, 30)"}}
    next: end
`

const probationNote = `key: probation-note
title: {zh: 考核记录, en: Review note}
subject: form
form:
  - {key: note, label: {zh: 记录, en: Note}, type: text}
  - {key: due_on, label: {zh: 截止日期, en: Due on}, type: date}
steps:
  - id: write
    title: {zh: 填写, en: Write}
    kind: task
    assignee: {relative: initiator}
    editable: [note]
`

// loadProbation loads the two definitions above (with src for the first)
// next to the shipped ones.
func loadProbation(t *testing.T, src string) error {
	t.Helper()
	reg := flow.NewRegistry()
	reg.RegisterGuard("hr.promotion_eligible", func(context.Context, flow.GuardInput) error { return nil })
	projects.RegisterNames(reg) // node-plan governs a plan revision
	dir := t.TempDir()
	for name, s := range map[string]string{"a.yaml": src, "b.yaml": probationNote} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, err := flow.Load(reg, dir)
	return err
}

// Ensure the values of set_person and start are type-checked like every
// other expression: lint names the step, the key and the mismatch (a
// set_person value against the attribute it sets), and the server refuses
// to load a start value that does not fit the field of the definition it
// starts, or a field or definition that is not there.
func TestExprTypes_BuiltinEffectValuesTyped(t *testing.T) {
	if err := loadProbation(t, probation); err != nil {
		t.Fatalf("the well-typed definition: %v", err)
	}
	for _, c := range []struct{ from, to, want string }{
		{`value: "today()"`, `value: "score"`, `a.yaml:14:52: steps[0].set_person[1].value: "score": gives number, not date`},
		{`value: "today()"`, `value: "now()"`, `steps[0].set_person[1].value: "now()": gives datetime, not date`},
		{`value: "'confirmed'"`, `value: "'hired'"`, `steps[0].set_person[0].value: "'hired'": "hired" is not one of probation, confirmed, extended, left`},
		{`value: "'confirmed'"`, `value: "trainee + 'x'"`, `steps[0].set_person[0].value: "trainee + 'x'": column 9: cannot add id and text`},
		{`value: "'confirmed'"`, `value: "in_use('nowhere', trainee)"`, `steps[0].set_person[0].value`},
		{`due_on: "add_days(ends_on, 30)"`, `due_on: "score"`, `steps[0].start[0].values.due_on: "score": field "due_on" of "probation-note": gives number, not date`},
		{`note: "'confirmed'"`, `note: "trainee"`, `steps[0].start[0].values.note: "trainee": field "note" of "probation-note": gives id, not text`},
		{`note: "'confirmed'"`, `nothing: "'x'"`, `steps[0].start[0].values: definition "probation-note" has no field "nothing"`},
		{`process: probation-note`, `process: probation-memo`, `steps[0].start[0].process: no definition with key "probation-memo"`},
		{`due_on: "add_days(ends_on, 30)"`, `due_on: "'2026-07-01'"`, ``}, // a text literal that reads as a date fits
	} {
		src := strings.Replace(probation, c.from, c.to, 1)
		err := loadProbation(t, src)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", c.to, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v\nwant %s", c.to, err, c.want)
		}
	}
}
