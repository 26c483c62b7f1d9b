package web_test

import (
	"encoding/json"
	"testing"
)

// Ensure the OpenAPI document is taken from the handlers' own types: a
// typed route's query parameters (with their types, defaults and choices)
// come from its input's query fields, its request body from its input,
// and a route whose handler returns nothing answers 204 (issue 9).
func TestAPI_OpenAPIFromHandlerTypes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.as(t, "", "GET", "/api/v1/openapi.json", nil)
	type param struct {
		Name   string         `json:"name"`
		In     string         `json:"in"`
		Schema map[string]any `json:"schema"`
	}
	type op struct {
		Parameters  []param                    `json:"parameters"`
		RequestBody map[string]any             `json:"requestBody"`
		Responses   map[string]json.RawMessage `json:"responses"`
	}
	var doc struct {
		Paths map[string]map[string]op `json:"paths"`
	}
	r.json(t, &doc)
	query := func(path, method, name string) map[string]any {
		t.Helper()
		for _, p := range doc.Paths[path][method].Parameters {
			if p.Name == name && p.In == "query" {
				return p.Schema
			}
		}
		t.Fatalf("%s %s lacks query parameter %s", method, path, name)
		return nil
	}
	if s := query("/api/v1/inbox/{box}", "get", "limit"); s["type"] != "integer" || s["default"] != float64(50) {
		t.Errorf("inbox limit: %v", s)
	}
	if s := query("/api/v1/inbox/{box}", "get", "status"); s["type"] != "string" || len(s["enum"].([]any)) != 5 {
		t.Errorf("inbox status: %v", s)
	}
	if s := query("/api/v1/notifications", "get", "unread"); s["type"] != "boolean" {
		t.Errorf("notifications unread: %v", s)
	}
	if s := query("/api/v1/audit", "get", "format"); s["type"] != "string" {
		t.Errorf("audit format (a streaming route documents its query from its type): %v", s)
	}
	if doc.Paths["/api/v1/session"]["post"].RequestBody == nil {
		t.Error("sign-in has no request body")
	}
	if doc.Paths["/api/v1/me"]["get"].RequestBody != nil {
		t.Error("GET /api/v1/me has a request body")
	}
	if _, ok := doc.Paths["/api/v1/me/tokens/{id}"]["delete"].Responses["204"]; !ok {
		t.Error("revoking a token does not answer 204")
	}
	if _, ok := doc.Paths["/api/v1/me/tokens"]["post"].Responses["201"]; !ok {
		t.Error("creating a token does not answer 201")
	}
	// The adapter reads the query as documented: a bad integer names it.
	sc := scenario{as: "zhangwei", path: "/api/v1/inbox/todo?limit=x", wantStatus: 422, wantField: map[string]string{"limit": "field.bad_type"}}
	sc.run(t, e)
}
