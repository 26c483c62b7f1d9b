package flow

import (
	"os"
	"strings"
	"testing"
)

func TestLint(t *testing.T) {
	dir := t.TempDir()
	good, bad, dup := dir+"/good.yaml", dir+"/bad.yaml", dir+"/dup.yaml"
	if err := writeFile(good, base); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(bad, strings.Replace(base, "    assignee: {committee: true}", "    assignee: {role: wizard}", 1)); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(dup, base); err != nil {
		t.Fatal(err)
	}
	if err := Lint(NewRegistry(), good); err != nil {
		t.Fatal(err)
	}
	err := Lint(NewRegistry(), good, bad, dup, dir+"/missing.yaml")
	if err == nil {
		t.Fatal("want errors")
	}
	msg := err.Error()
	for _, want := range []string{bad + ":42:", "steps[2].assignee.role: unknown role \"wizard\"", dup + ":1:1: key:", "missing.yaml"} {
		if !strings.Contains(msg, want) {
			t.Errorf("missing %q in:\n%s", want, msg)
		}
	}
}

// The example in docs/DEFINITIONS.md is a definition that loads, so the
// guide cannot drift from what the loader accepts.
func TestDefinitionsGuideExampleLoads(t *testing.T) {
	doc, err := os.ReadFile("../../docs/DEFINITIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```yaml\n")
	src, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("no yaml example in docs/DEFINITIONS.md")
	}
	d, err := Parse("DEFINITIONS.md", []byte(src), NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if d.Key != "leave" || len(d.Steps) != 2 || d.Steps[0].Signature != MeaningApprove {
		t.Fatalf("example parsed as %+v", d)
	}
}
