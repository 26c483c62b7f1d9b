package web_test

import (
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Ensure the audit trail endpoints filter by action prefix and dates,
// name a bad date, export CSV with formula injection defused, verify the
// chain, and are closed to people without oversight rights.
func TestR5_AuditTrailHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	zw := e.personID(t, "zhangwei")
	// A reason and a failed login name that a spreadsheet would run as formulas.
	evil := "=HYPERLINK(\"http://evil.example\",\"x\")"
	if r := e.as(t, "admin", "POST", idPath("/api/v1/people/%d/roles", zw), map[string]any{"role": "committee", "reason": evil}); r.status != 204 {
		t.Fatalf("grant: %d %s", r.status, r.body)
	}
	if r := e.as(t, "admin", "POST", idPath("/api/v1/people/%d/roles/revoke", zw), map[string]any{"role": "committee", "reason": "\t=1+1"}); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	e.do(t, nil, "POST", "/api/v1/session", map[string]string{"username": "@SUM(1+1)", "password": "x"}, nil)
	today := time.Now().UTC().Format(time.DateOnly)
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)

	type ev struct {
		Seq      int64
		Action   string
		Entity   string
		EntityID string `json:"entity_id"`
		Reason   string
		At       time.Time
	}
	events := func(t *testing.T, r response) []ev {
		var out []ev
		r.json(t, &out)
		return out
	}
	runScenarios(t, e, []scenario{
		{name: "action prefix", path: "/api/v1/audit?action=person.&limit=1000", as: "admin", wantStatus: 200,
			after: func(t *testing.T, e *env, r response) {
				evs := events(t, r)
				if len(evs) < 20 {
					t.Errorf("only %d person.* events", len(evs))
				}
				for _, x := range evs {
					if !strings.HasPrefix(x.Action, "person.") {
						t.Errorf("action %q in a person. filter", x.Action)
					}
				}
			}},
		{name: "exact action", path: "/api/v1/audit?action=role.grant&entity=person&entity_id=" + itoa(zw), as: "admin", wantStatus: 200,
			after: func(t *testing.T, e *env, r response) {
				evs := events(t, r)
				if len(evs) != 1 || evs[0].Reason != evil {
					t.Errorf("role.grant on zhangwei: %+v", evs)
				}
			}},
		{name: "LIKE wildcards are literal", path: "/api/v1/audit?action=%25.", as: "admin", wantStatus: 200, wantContains: []string{"[]"}},
		{name: "dates today", path: "/api/v1/audit?from=" + today + "&to=" + today + "&limit=5", as: "admin", wantStatus: 200,
			after: func(t *testing.T, e *env, r response) {
				if len(events(t, r)) != 5 {
					t.Errorf("no events today")
				}
			}},
		{name: "dates in the future", path: "/api/v1/audit?from=" + tomorrow, as: "admin", wantStatus: 200, wantContains: []string{"[]"}},
		{name: "ascending order", path: "/api/v1/audit?order=asc&limit=3", as: "admin", wantStatus: 200,
			after: func(t *testing.T, e *env, r response) {
				evs := events(t, r)
				if len(evs) != 3 || evs[0].Seq != 1 || evs[2].Seq != 3 {
					t.Errorf("asc: %+v", evs)
				}
			}},
		{name: "bad from date", path: "/api/v1/audit?from=yesterday", as: "admin", wantStatus: 422, wantField: map[string]string{"from": "field.bad_date"}},
		{name: "bad to date", path: "/api/v1/audit?to=2024-13-40", as: "admin", wantStatus: 422, wantField: map[string]string{"to": "field.bad_date"}},
		{name: "bad limit", path: "/api/v1/audit?limit=-1", as: "admin", wantStatus: 422, wantField: map[string]string{"limit": ""}},
		{name: "bad format", path: "/api/v1/audit?format=xml", as: "admin", wantStatus: 422, wantField: map[string]string{"format": "field.bad_choice"}},
		{name: "researcher cannot read the trail", path: "/api/v1/audit", as: "zhangwei", wantStatus: http.StatusForbidden},
		{name: "researcher cannot verify", path: "/api/v1/audit/verify", as: "zhangwei", wantStatus: http.StatusForbidden},
		{name: "GM reads the trail", path: "/api/v1/audit?limit=1", as: "wangjianguo", wantStatus: 200},
		{name: "verify", path: "/api/v1/audit/verify", as: "admin", wantStatus: 200, wantContains: []string{`"ok":true`, `"hash":"`}},
		{name: "CSV export", path: "/api/v1/audit?format=csv", as: "admin", wantStatus: 200,
			after: func(t *testing.T, e *env, r response) {
				if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
					t.Errorf("content type %q", ct)
				}
				if cd := r.header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
					t.Errorf("disposition %q", cd)
				}
				if !strings.HasPrefix(r.body, "\uFEFF") {
					t.Errorf("no BOM")
				}
				recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(r.body, "\uFEFF"))).ReadAll()
				if err != nil || len(recs) < 30 {
					t.Fatalf("csv: %d records, %v", len(recs), err)
				}
				if recs[0][0] != "seq" || recs[0][4] != "action" {
					t.Errorf("header %v", recs[0])
				}
				var sawGrant, sawRevoke, sawLogin bool
				for _, rec := range recs[1:] {
					for i, c := range rec {
						if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
							t.Errorf("cell %d %q of %v starts a formula", i, c, rec[:5])
						}
					}
					switch {
					case rec[4] == "role.grant" && rec[8] == "'"+evil:
						sawGrant = true
					case rec[4] == "role.revoke" && rec[8] == "'\t=1+1":
						sawRevoke = true
					case rec[4] == "auth.login_failed" && rec[6] == "'@sum(1+1)":
						sawLogin = true
					}
				}
				if !sawGrant || !sawRevoke || !sawLogin {
					t.Errorf("defused cells not found: grant %v revoke %v login %v", sawGrant, sawRevoke, sawLogin)
				}
			}},
	})
	// The trail's own HTML page takes the same filters.
	c := e.login(t, "admin")
	if r := e.do(t, c, "GET", "/admin/audit?"+url.Values{"action": {"person."}}.Encode(), nil, nil); r.status != 200 {
		t.Errorf("audit page: %d", r.status)
	}
	if r := e.do(t, c, "GET", "/admin/audit?from=yesterday", nil, nil); r.status != 422 {
		t.Errorf("audit page with bad date: %d", r.status)
	}
}

func itoa(n int64) string { return strings.TrimSpace(idPath("%d", n)) }
