package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"labflow/internal/app"
	"labflow/internal/flow"
)

func TestCLI_DefinitionsLint(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("key: bad\ntitle: {zh: x, en: x}\nsubject: form\nform: []\nsteps:\n  - id: a\n    title: {zh: a, en: a}\n    assignee: {role: nosuchrole}\n"), 0o644)
	good := filepath.Join("..", "..", "internal", "flow", "definitions", "purchase-request.yaml")
	r := cmd(t, "", "definitions", "lint", good, bad)
	if r.code() != 1 {
		t.Fatalf("lint with a bad file: exit %d\n%s%s", r.code(), r.stdout, r.stderr)
	}
	if !regexp.MustCompile(`bad\.yaml:8:\d+: steps\[0\]\.assignee\.role: `).MatchString(r.stdout) {
		t.Errorf("lint output lacks file:line:field: %s", r.stdout)
	}
	if !strings.Contains(r.stdout, "purchase-request.yaml: ok") {
		t.Errorf("good file not reported ok: %s", r.stdout)
	}
	mustOK(t, cmd(t, "", "definitions", "lint", good))
	if r := cmd(t, "", "definitions", "lint"); r.code() != 2 {
		t.Errorf("lint without files: exit %d", r.code())
	}
}

// TestCLI_DefinitionsList: what is loaded, and which version running
// instances use after a definition changed.
func TestCLI_DefinitionsList(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		r := mustOK(t, cmd(t, "", args(b, "definitions", "list")...))
		if !regexp.MustCompile(`purchase-request\s+v1\s+采购申请 / Purchase request\s+0`).MatchString(r.stdout) {
			t.Fatalf("list: %s", r.stdout)
		}
		// Start one purchase request on v1.
		ctx := context.Background()
		cfg := b.cfg
		cfg.Demo = true
		a, err := app.Open(ctx, cfg)
		if err != nil {
			t.Fatal(err)
		}
		p, _ := a.People.PersonByUsername(ctx, "zhangwei")
		actor, err := a.Auth.Actor(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, err = a.Flow.Start(ctx, actor, "purchase-request", map[string]any{"reason": "r", "category": "reagent", "acceptance": "requester_confirms",
			"items": []any{map[string]any{"name": "x", "quantity": "1", "unit": "瓶"}}}, "")
		a.Close()
		if err != nil {
			t.Fatal(err)
		}
		// An institute override changes the definition: v2 for new instances, v1 keeps its instance.
		src, err := flow.Builtin.ReadFile("definitions/purchase-request.yaml")
		if err != nil {
			t.Fatal(err)
		}
		over := t.TempDir()
		os.WriteFile(filepath.Join(over, "purchase-request.yaml"), append(src, []byte("\n# institute override\n")...), 0o644)
		r = mustOK(t, cmd(t, "", args(b, "definitions", "list", "--definitions", over)...))
		if !regexp.MustCompile(`purchase-request\s+v2\s+采购申请 / Purchase request\s+0\s+\S*purchase-request.yaml`).MatchString(r.stdout) ||
			!regexp.MustCompile(`\s+v1\s+\(older, [0-9-]+\)\s+1`).MatchString(r.stdout) {
			t.Fatalf("list after an override: %s", r.stdout)
		}
	})
}

func TestCLI_BenchApproval(t *testing.T) {
	for _, extra := range [][]string{nil, {"--http"}} {
		r := mustOK(t, cmd(t, "", append([]string{"bench", "approval", "--instances", "12", "--concurrency", "4", "--json"}, extra...)...))
		var out map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("%v: %v: %s", extra, err, r.stdout)
		}
		for _, k := range []string{"instances_per_s", "transitions_per_s", "approve_p50_ms", "approve_p99_ms", "peak_rss_mb", "backend"} {
			if _, ok := out[k]; !ok {
				t.Errorf("%v: no %s in %s", extra, k, r.stdout)
			}
		}
		if out["backend"] != "sqlite" || out["instances_per_s"].(float64) <= 0 {
			t.Errorf("%v: %s", extra, r.stdout)
		}
	}
	r := mustOK(t, cmd(t, "", "bench", "approval", "--instances", "8", "--concurrency", "2"))
	if !strings.Contains(r.stdout, "instances/s") || !strings.Contains(r.stdout, "approve p99") {
		t.Errorf("text output: %s", r.stdout)
	}
}
