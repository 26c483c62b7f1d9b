package web_test

import (
	"context"
	"strings"
	"testing"
)

// Ensure the requests export lists what the caller may see, by the same
// rule as the list, and names each ended request's outcome by its label
// (issue 8 §2: outcomes in status, lists, notices and exports).
func TestPRJ12_RequestsExportShowsOutcomesOfWhatOneMaySee(t *testing.T) {
	e := newEnv(t)
	chen, err := e.app.People.PersonByUsername(context.Background(), "chenzhiqiang")
	if err != nil {
		t.Fatal(err)
	}
	r := e.as(t, "chenzhiqiang", "POST", "/api/v1/processes/recruitment/instances", map[string]any{"form": map[string]any{
		"position": "合成研究员", "department": chen.DepartmentID, "post_level": "staff", "reason": "新项目需要"}})
	if r.status != 201 {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	var in struct {
		ID int64 `json:"id"`
	}
	r.json(t, &in)
	task := e.taskOf(t, "zhengkai", in.ID)
	r = e.as(t, "zhengkai", "POST", "/api/v1/tasks/"+itoa64(task)+"/actions", map[string]any{"action": "approve",
		"form": map[string]any{"internal_result": "internal_found", "internal_candidate": e.personID(t, "wangfang")}})
	if r.status != 200 {
		t.Fatalf("internal search: %d %s", r.status, r.body)
	}
	r = e.as(t, "chenzhiqiang", "GET", "/api/v1/instances.csv?definition=recruitment", nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", r.status, r.header.Get("Content-Type"))
	}
	if !strings.Contains(r.body, "职员招聘") || !strings.Contains(r.body, "内部补缺") || !strings.Contains(r.body, "结果") {
		t.Fatalf("the export does not name the outcome: %s", r.body)
	}
	if en := e.do(t, nil, "GET", "/api/v1/instances.csv?definition=recruitment", nil,
		map[string]string{"Authorization": "Bearer " + e.token(t, "chenzhiqiang"), "Cookie": "lang=en"}); !strings.Contains(en.body, "Filled internally") {
		t.Fatalf("the English export: %s", en.body)
	}
	// A researcher of another department sees no row of it (PRJ-12).
	if other := e.as(t, "huanglei", "GET", "/api/v1/instances.csv?definition=recruitment", nil); other.status != 200 || strings.Contains(other.body, "合成研究员") {
		t.Fatalf("another department's researcher: %d %s", other.status, other.body)
	}
	if bad := e.as(t, "chenzhiqiang", "GET", "/api/v1/instances.csv?status=nonsense", nil); bad.status != 422 || !strings.Contains(bad.body, "status") {
		t.Fatalf("a bad status: %d %s", bad.status, bad.body)
	}
}
