package flow

import (
	"os"
	"testing"
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
	r.RegisterSubjectKind(SubjectKind{Name: "projects.node_plan"})
	r.RegisterSubjectKind(SubjectKind{Name: "projects.project"})
	// pre-check and analytical-plan-change govern a pre-check (experiments).
	r.RegisterSubjectKind(SubjectKind{Name: "projects.precheck"})
	// 发补 responses and escalations (part psupp).
	r.RegisterSubjectKind(SubjectKind{Name: "projects.supplement"})
	r.RegisterSubjectKind(SubjectKind{Name: "projects.escalation"})
	// Stages (pstage): stage-closure and dossier-section govern these.
	// Initiation (pinit): project-initiation, kickoff-report and original-records govern these.
	r.RegisterSubjectKind(SubjectKind{Name: "projects.initiation"})
	r.RegisterSubjectKind(SubjectKind{Name: "projects.kickoff"})
	r.RegisterSubjectKind(SubjectKind{Name: "projects.original_record"})
	r.RegisterSubjectKind(SubjectKind{Name: "projects.closure"})
	r.RegisterSubjectKind(SubjectKind{Name: "projects.dossier_section"})
	return r
}

func writeFile(name, content string) error { return os.WriteFile(name, []byte(content), 0o644) }
