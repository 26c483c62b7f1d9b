package flow_test

import (
	"strings"
	"testing"

	"labflow/internal/flow"
)

// Lint reports misuse of exclude, require_chair, dissent and signature
// meanings, naming the field.
func TestLint_DutiesAndCommitteeDecisions(t *testing.T) {
	base := `key: duties
title: {zh: 甲, en: X}
form:
  - {key: note, label: {zh: 注, en: Note}, type: text}
steps:
  - id: enter
    title: {zh: 录入, en: Enter}
    kind: task
    assignee: {role: analyst}
  - id: fork
    title: {zh: 分, en: Fork}
    kind: parallel
    parallel: [a, b]
    join: joined
  - id: a
    title: {zh: 甲, en: A}
    assignee: {role: gm}
    next: joined
  - id: b
    title: {zh: 乙, en: B}
    assignee: {role: gm}
    next: joined
  - id: joined
    title: {zh: 合, en: Joined}
    kind: join
  - id: decide
    title: {zh: 决, en: Decide}
    assignee: {committee: true}
    mode: quorum
    quorum: "2"
`
	if _, err := flow.Parse("d.yaml", []byte(base), flow.NewRegistry()); err != nil {
		t.Fatalf("the base loads: %v", err)
	}
	for add, want := range map[string]string{
		"    exclude: [nowhere]\n":          `steps[5].exclude[0]: no step "nowhere"`,
		"    exclude: [decide]\n":           "steps[5].exclude[0]: a step cannot exclude its own assignees",
		"    exclude: [fork]\n":             `steps[5].exclude[0]: step "fork" is a parallel step`,
		"    signature: disapproval\n":      `steps[5].signature: unknown signature meaning "disapproval"`,
		"    signature: authorship\n":       "",
		"    exclude: [enter, initiator]\n": "",
		"    require_chair: true\n":         "",
		"    actions: [dissent]\n":          "",
	} {
		_, err := flow.Parse("d.yaml", []byte(base+add), flow.NewRegistry())
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", strings.TrimSpace(add), err)
		case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
			t.Errorf("%s: want %q, got %v", strings.TrimSpace(add), want, err)
		}
	}
	sequential := strings.Replace(base, "    mode: quorum\n    quorum: \"2\"\n", "    mode: sequential\n", 1)
	for add, want := range map[string]string{
		"    require_chair: true\n": "steps[5].require_chair: applies to steps that decide by quorum or any",
		"    actions: [dissent]\n":  "steps[5].actions: dissent is a vote against while others decide",
	} {
		if _, err := flow.Parse("d.yaml", []byte(sequential+add), flow.NewRegistry()); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: want %q, got %v", strings.TrimSpace(add), want, err)
		}
	}
	notCommittee := strings.Replace(base, "    assignee: {committee: true}\n", "    assignee: {role: gm}\n", 1)
	if _, err := flow.Parse("d.yaml", []byte(notCommittee+"    require_chair: true\n"), flow.NewRegistry()); err == nil ||
		!strings.Contains(err.Error(), "steps[5].require_chair: applies to a committee's step") {
		t.Errorf("require_chair off a committee: %v", err)
	}
	task := strings.Replace(base, "  - id: fork\n", "    exclude: [initiator]\n  - id: fork\n", 1)
	if _, err := flow.Parse("d.yaml", []byte(task), flow.NewRegistry()); err != nil {
		t.Errorf("exclude initiator on a task step: %v", err)
	}
}
