package web_test

import (
	"net/http"
	"testing"
)

// readyForPlan readies project code for its node plan as its director,
// chenzhiqiang, does: a candidate route, chosen with a reason, and the
// kick-off report on it, filed and signed (PRJ-1).
func readyForPlan(t *testing.T, e *env, code string) {
	t.Helper()
	var route struct{ ID int64 }
	r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/"+code+"/routes", map[string]any{"kind": "synthesis", "title": "路线A", "description": "六步合成"})
	if r.status != http.StatusCreated {
		t.Fatalf("route on %s: %d %s", code, r.status, r.body)
	}
	r.json(t, &route)
	if r := e.as(t, "chenzhiqiang", "POST", idPath("/api/v1/projects/"+code+"/routes/%d/choose", route.ID), map[string]any{"reason": "步骤最短"}); r.status != http.StatusOK {
		t.Fatalf("choose on %s: %d %s", code, r.status, r.body)
	}
	k := fileKickoff(t, e, code, route.ID)
	if r := signOwn(t, e, "chenzhiqiang", k.Instance.Tasks); r.status != http.StatusOK {
		t.Fatalf("sign the kick-off report of %s: %d %s", code, r.status, r.body)
	}
}

// kickoffFiled is a filed kick-off report with its signing.
type kickoffFiled struct {
	Kickoff struct {
		ID    int64  `json:"id"`
		State string `json:"state"`
	} `json:"kickoff"`
	Instance struct {
		ID    int64      `json:"id"`
		Tasks []taskLine `json:"tasks"`
	} `json:"instance"`
}

type taskLine struct {
	ID         int64 `json:"id"`
	AssigneeID int64 `json:"assignee_id"`
}

func fileKickoff(t *testing.T, e *env, code string, route int64) kickoffFiled {
	t.Helper()
	var k kickoffFiled
	r := e.as(t, "chenzhiqiang", "POST", "/api/v1/projects/"+code+"/kickoff", map[string]any{"route_id": route, "summary": "开题"})
	if r.status != http.StatusCreated {
		t.Fatalf("kick-off report on %s: %d %s", code, r.status, r.body)
	}
	r.json(t, &k)
	return k
}

// signOwn approves, with the password, user's task among tasks.
func signOwn(t *testing.T, e *env, user string, tasks []taskLine) response {
	t.Helper()
	id := personID(t, e, user)
	for _, tk := range tasks {
		if tk.AssigneeID == id {
			return e.as(t, user, "POST", idPath("/api/v1/tasks/%d/actions", tk.ID), map[string]any{"action": "approve", "password": "labflow-demo", "comment": "签署"})
		}
	}
	t.Fatalf("%s has no task among %+v", user, tasks)
	return response{}
}
