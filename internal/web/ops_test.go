package web_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"labflow/internal/i18n"
)

// Ensure the OpenAPI document is OpenAPI 3.1 JSON that lists every API
// route with its method, and every {param} path declares the parameter.
func TestAPI_OpenAPIDocument(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.do(t, nil, "GET", "/api/v1/openapi.json", nil, nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("openapi: %d %q", r.status, r.header.Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string `json:"openapi"`
		Info    struct{ Title, Version string }
		Paths   map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Parameters  []struct {
				Name     string
				In       string
				Required bool
			}
			Responses map[string]any
		}
		Components struct {
			Schemas map[string]any
		}
	}
	if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if doc.OpenAPI != "3.1.0" || doc.Info.Title == "" {
		t.Errorf("openapi %q info %+v", doc.OpenAPI, doc.Info)
	}
	routes := e.app.Server.APIRoutes()
	if len(routes) < 30 {
		t.Fatalf("only %d API routes", len(routes))
	}
	ids := map[string]string{}
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt, " ")
		op, ok := doc.Paths[path][strings.ToLower(method)]
		if !ok {
			t.Errorf("%s is not in the document", rt)
			continue
		}
		if prev, dup := ids[op.OperationID]; dup || op.OperationID == "" {
			t.Errorf("%s: operationId %q (also %s)", rt, op.OperationID, prev)
		}
		ids[op.OperationID] = rt
		if len(op.Responses) == 0 {
			t.Errorf("%s has no responses", rt)
		}
		for _, m := range regexp.MustCompile(`\{([a-z_]+)\}`).FindAllStringSubmatch(path, -1) {
			found := false
			for _, p := range op.Parameters {
				if p.Name == m[1] && p.In == "path" && p.Required {
					found = true
				}
			}
			if !found {
				t.Errorf("%s does not declare path parameter %s", rt, m[1])
			}
		}
	}
	// Every documented path is a route (nothing stale).
	n := 0
	for _, ops := range doc.Paths {
		n += len(ops)
	}
	if n != len(routes) {
		t.Errorf("document has %d operations, server %d routes", n, len(routes))
	}
	// The document's schema references resolve.
	for _, ref := range regexp.MustCompile(`"\$ref":"#/components/schemas/([A-Za-z0-9_]+)"`).FindAllStringSubmatch(r.body, -1) {
		if _, ok := doc.Components.Schemas[ref[1]]; !ok {
			t.Errorf("dangling $ref %s", ref[1])
		}
	}
	// And every route in the document answers (not the mux's 404/405).
	for _, rt := range routes {
		method, path, _ := strings.Cut(rt, " ")
		path = strings.NewReplacer("{id}", "999999").Replace(path)
		path = regexp.MustCompile(`\{[a-z_]+\}`).ReplaceAllString(path, "x")
		r := e.do(t, nil, method, path, nil, nil)
		if r.status == http.StatusMethodNotAllowed || r.status == http.StatusNotFound && r.problem(t).Key == "error.not_found" && strings.Contains(r.body, "entity.page") {
			t.Errorf("%s: %d", rt, r.status)
		}
	}
}

// Ensure the operations endpoints answer, and that metrics are labelled by
// route pattern, never by raw path.
func TestOps_HealthReadyMetrics(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if r := e.do(t, nil, "GET", "/healthz", nil, nil); r.status != 200 || !strings.Contains(r.body, `"status":"ok"`) {
		t.Errorf("healthz: %d %s", r.status, r.body)
	}
	if r := e.do(t, nil, "GET", "/readyz", nil, nil); r.status != 200 || !strings.Contains(r.body, `"database":"sqlite"`) {
		t.Errorf("readyz: %d %s", r.status, r.body)
	}
	for _, id := range []string{"1", "2", "3", "424242"} {
		e.as(t, "admin", "GET", "/api/v1/people/"+id, nil)
	}
	e.as(t, "admin", "GET", "/api/v1/people", nil)
	e.do(t, nil, "GET", "/no/such/thing/77", nil, nil)
	r := e.do(t, nil, "GET", "/metrics", nil, nil)
	if r.status != 200 {
		t.Fatalf("metrics: %d", r.status)
	}
	for _, want := range []string{
		`labflow_http_requests_total{method="GET",route="GET /api/v1/people",status="200"}`,
		`labflow_http_requests_total{method="GET",route="GET /api/v1/people/{id}",status="200"} 3`,
		`labflow_http_requests_total{method="GET",route="GET /api/v1/people/{id}",status="404"} 1`,
		`labflow_errors_total{kind="not_found"}`,
		`labflow_http_request_duration_seconds_bucket{route="GET /api/v1/people",`,
	} {
		if !strings.Contains(r.body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// The group commit is visible: commits and writes so far (setting up
	// the test's people wrote some), and the queue.
	for _, name := range []string{"labflow_db_commits_total", "labflow_db_writes_total", "labflow_db_write_queue"} {
		m := regexp.MustCompile(`(?m)^` + name + ` ([0-9.e+]+)$`).FindStringSubmatch(r.body)
		if m == nil {
			t.Errorf("metrics lack %s", name)
		} else if name != "labflow_db_write_queue" && m[1] == "0" {
			t.Errorf("%s is 0 after writes", name)
		}
	}
	for _, line := range strings.Split(r.body, "\n") {
		if !strings.HasPrefix(line, "labflow_http_") {
			continue
		}
		if m := regexp.MustCompile(`route="([^"]*)"`).FindStringSubmatch(line); m != nil {
			if regexp.MustCompile(`/[0-9]+(/|$)`).MatchString(m[1]) || strings.Contains(m[1], "no/such") {
				t.Errorf("raw path in a metric label: %s", line)
			}
		}
	}
}

// Ensure every page renders in Chinese and English without a raw message
// key in its text (a missing translation shows as its key).
func TestI18N_PagesHaveNoRawKeys(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	keyRE := keyPattern()
	pages := []string{"/", "/people", "/people/1", "/people/12", "/people/new", "/people/12/edit", "/departments", "/departments/1", "/admin",
		"/admin/audit", "/admin/import", "/admin/waiting", "/account", "/no/such/page"}
	for _, lang := range []string{"zh", "en"} {
		t.Run(lang, func(t *testing.T) {
			c := e.login(t, "admin")
			form := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
			if r := e.do(t, c, "POST", "/lang", "lang="+lang, form); r.status != http.StatusSeeOther {
				t.Fatalf("POST /lang: %d", r.status)
			}
			for _, p := range pages {
				r := e.do(t, c, "GET", p, nil, nil)
				if r.status != 200 && !(p == "/no/such/page" && r.status == 404) {
					t.Errorf("%s: %d", p, r.status)
					continue
				}
				if want := `<html lang="` + map[string]string{"zh": "zh-CN", "en": "en"}[lang] + `"`; !strings.Contains(r.body, want) {
					t.Errorf("%s: not in %s", p, lang)
				}
				for _, k := range keyRE.FindAllString(visibleText(r.body), -1) {
					t.Errorf("%s (%s): raw key %q", p, lang, k)
				}
			}
		})
	}
	// The login page (signed out) and a form redisplayed with errors too.
	for _, lang := range []string{"zh", "en"} {
		r := e.do(t, nil, "GET", "/login?lang="+lang, nil, nil)
		for _, k := range keyRE.FindAllString(visibleText(r.body), -1) {
			t.Errorf("login (%s): raw key %q", lang, k)
		}
		c := e.login(t, "admin")
		e.do(t, c, "POST", "/lang", "lang="+lang, map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		r = e.do(t, c, "POST", "/people/new", "username=X!&name=&email=bad", map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
		if r.status != 422 {
			t.Errorf("bad person form: %d", r.status)
		}
		for _, k := range keyRE.FindAllString(visibleText(r.body), -1) {
			t.Errorf("person form errors (%s): raw key %q", lang, k)
		}
	}
}

// keyPattern matches message-key-like words: a catalog area, a dot, and a
// lowercase identifier (people.role.gm, field.required, nav.inbox …).
func keyPattern() *regexp.Regexp {
	areas := map[string]bool{}
	for _, k := range i18n.Keys(i18n.ZH) {
		a, _, _ := strings.Cut(k, ".")
		areas[a] = true
	}
	var as []string
	for a := range areas {
		as = append(as, regexp.QuoteMeta(a))
	}
	sort.Strings(as)
	return regexp.MustCompile(`\b(?:` + strings.Join(as, "|") + `)\.[a-z_]+(?:\.[a-z_0-9]+)*\b`)
}

var (
	// Audit action codes (person.create) are shown on purpose, as <code>.
	tagRE    = regexp.MustCompile(`(?s)<(script|style|code)\b.*?</(script|style|code)>|<[^>]*>`)
	attrTxRE = regexp.MustCompile(`\b(?:placeholder|title|aria-label|alt)="([^"]*)"`)
)

// visibleText is a page's text and its human-readable attributes, without
// code samples.
func visibleText(html string) string {
	var b strings.Builder
	for _, m := range attrTxRE.FindAllStringSubmatch(html, -1) {
		b.WriteString(m[1] + "\n")
	}
	b.WriteString(tagRE.ReplaceAllString(html, " "))
	return b.String()
}
