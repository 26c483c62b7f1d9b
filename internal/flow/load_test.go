package flow

import (
	"context"
	"os"
	"testing"

	"labflow/internal/domain"
)

func TestBuiltinDefinitionsLoad(t *testing.T) {
	defs, err := Load(testRegistry(), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(defs) == 0 {
		t.Fatal("no definitions")
	}
	for _, d := range defs {
		if d.Hash == "" || d.File == "" || len(d.Source) == 0 || d.First() == nil {
			t.Errorf("%s: File/Source/Hash/First not set", d.Key)
		}
	}
}

// testRegistry knows the guards and kinds of record the built-in
// definitions name.
func testRegistry() *Registry {
	r := NewRegistry()
	r.RegisterGuard("hr.promotion_eligible", nil)
	// node-plan governs a plan revision and points at a project (the
	// projects package, which imports this one).
	r.RegisterSubjectKind(named("projects.node_plan"))
	r.RegisterSubjectKind(named("projects.project"))
	// pre-check and analytical-plan-change govern a pre-check (experiments).
	r.RegisterSubjectKind(named("projects.precheck"))
	// 发补 responses and escalations (part psupp).
	r.RegisterSubjectKind(named("projects.supplement"))
	r.RegisterSubjectKind(named("projects.escalation"))
	// Stages (pstage): stage-closure and dossier-section govern these.
	// Initiation (pinit): project-initiation, kickoff-report and original-records govern these.
	r.RegisterSubjectKind(named("projects.initiation"))
	r.RegisterSubjectKind(named("projects.kickoff"))
	r.RegisterSubjectKind(named("projects.original_record"))
	r.RegisterSubjectKind(named("projects.closure"))
	r.RegisterSubjectKind(named("projects.dossier_section"))
	return r
}

// named is a kind of record of the projects package by name, saying who
// may see its records (nobody here), as the package's do, so that its
// definitions may let those see their requests (subject_viewers).
func named(name string) SubjectKind {
	return SubjectKind{Name: name,
		Visible:      func(context.Context, domain.Actor, int64) (bool, error) { return false, nil },
		VisibleWhere: func(domain.Actor, string, func(any) string) string { return "1 = 0" }}
}

func writeFile(name, content string) error { return os.WriteFile(name, []byte(content), 0o644) }
