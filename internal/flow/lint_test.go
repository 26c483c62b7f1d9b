package flow

import (
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
