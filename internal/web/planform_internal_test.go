package web

import (
	"testing"

	"labflow/internal/projects"
)

// Ensure the plan form reads a node's test items one a line — the item,
// then its count after "×", "*", " x" or a space, 次 allowed after it —
// and gives a line without a count the count 0, which the service refuses
// naming the line (PRJ-3).
func TestPRJ3_PlanFormReadsTestItemLines(t *testing.T) {
	f := planForm{Nodes: []planNodeRow{{Name: "n", Tests: "HPLC 纯度 × 5\n\nMax 3\n残留溶剂 x 3\n水分3次\nHPLC5\nICP-MS X 10\nC18 柱效 12"}}}
	got := f.input().In.Nodes[0].Tests
	want := []projects.TestItem{{Item: "HPLC 纯度", Count: 5}, {Item: "Max", Count: 3}, {Item: "残留溶剂", Count: 3}, {Item: "水分3次", Count: 0},
		{Item: "HPLC5", Count: 0}, {Item: "ICP-MS", Count: 10}, {Item: "C18 柱效", Count: 12}}
	if len(got) != len(want) {
		t.Fatalf("items %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: %+v, want %+v", i+1, got[i], want[i])
		}
	}
	// The lines are counted as typed (the empty one too): the fourth item
	// is on line 5.
	in := f.input()
	fe := in.fieldsOnRows(map[string]string{"nodes.1.tests.4.count": "x"}, "zh")
	if fe["nodes.1.tests"] != "第 5 行：x" {
		t.Fatalf("the fourth item's problem: %q", fe)
	}
}
