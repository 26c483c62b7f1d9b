package flow_test

import (
	"strings"
	"testing"

	"labflow/internal/flow"
)

// Ensure lint names a deadline's bad warnings (not a duration, not before
// due) and a notice to a chosen approver, the way the engine would not
// run them (the 发补 clock's keys, PRJ-10).
func TestDeadlineWarnings_LintNamesBadOnes(t *testing.T) {
	src := `key: bad-warnings
title: {zh: 坏, en: Bad}
form:
  - {key: title, label: {zh: 标题, en: Title}, type: text}
  - {key: owner, label: {zh: 负责人, en: Owner}, type: person}
deadlines:
  - id: clock
    title: {zh: 时限, en: Clock}
    due: 10d
    warnings: [3 days, 10d]
    notify: [{field: nobody}, {role: gm, chosen_by: initiator}]
steps:
  - id: a
    title: {zh: 甲, en: A}
    assignee: {field: owner}
`
	_, err := flow.Parse("bad.yaml", []byte(src), nil)
	for _, want := range []string{"deadlines[0].warnings[0]", "deadlines[0].warnings[1]: a warning (before due) must be shorter than due",
		"deadlines[0].notify[0]", "deadlines[0].notify[1].chosen_by"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("lint lacks %q: %v", want, err)
		}
	}
	ok := strings.Replace(strings.Replace(src, "[3 days, 10d]", "[7d, 3d]", 1), "[{field: nobody}, {role: gm, chosen_by: initiator}]", "[{field: owner}, {role: gm}]", 1)
	if _, err := flow.Parse("ok.yaml", []byte(ok), nil); err != nil {
		t.Errorf("good warnings refused: %v", err)
	}
}
