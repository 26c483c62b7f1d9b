package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"labflow/internal/demo"
)

// probationTest: the trainee files their probation review; their director
// decides (confirm, or extend with a new end date; a rejection dismisses);
// the Administrative Dean approves; the people changes are the
// definition's built-in effects.
const probationTest = `key: probation-test
title: {zh: 试用期考核, en: Probation review}
rules: [REL-3]
outcomes:
  - {key: confirmed, label: {zh: 转正, en: Confirmed}}
  - {key: extended, label: {zh: 延长试用, en: Probation extended}}
  - {key: dismissed, label: {zh: 辞退, en: Dismissed}}
outcome_from: decision
form:
  - {key: trainee, label: {zh: 试用人员, en: Trainee}, type: person, required: true}
  - key: decision
    label: {zh: 考核结论, en: Decision}
    type: select
    options: [{value: confirmed, label: {zh: 转正, en: Confirm}}, {value: extended, label: {zh: 延长试用, en: Extend}}]
  - {key: new_end, label: {zh: 延长至, en: Extended until}, type: date}
steps:
  - id: director
    title: {zh: 总监考核, en: Director's review}
    assignee: {relative: initiator_director}
    editable: [decision, new_end]
    required: [decision]
    on_reject: dismissed
  - id: dean
    title: {zh: 行政院长批准, en: Administrative Dean approves}
    assignee: {role: admin_dean}
    branches:
      - {when: "decision == 'extended'", to: extended}
    next: confirmed
  - id: confirmed
    title: {zh: 转正, en: Confirmed}
    kind: end
    outcome: confirmed
    set_person:
      - {person: trainee, attribute: employment_status, value: "'confirmed'"}
      - {person: trainee, attribute: confirmed_on, value: "today()"}
  - id: extended
    title: {zh: 延长试用, en: Extended}
    kind: end
    outcome: extended
    set_person:
      - {person: trainee, attribute: employment_status, value: "'extended'"}
      - {person: trainee, attribute: probation_ends_on, value: "new_end"}
  - id: dismissed
    title: {zh: 辞退, en: Dismissed}
    kind: end
    outcome: dismissed
    set_person:
      - {person: trainee, attribute: employment_status, value: "'left'"}
    deactivate_person: trainee
`

// TestREL3_ProbationReviewChangesThePerson walks a probation review whose
// decisions change the person through the definition's built-in effects
// alone: confirmed (status and date), extended (status and new end date),
// dismissed (status, and the account deactivated: the login fails).
func TestREL3_ProbationReviewChangesThePerson(t *testing.T) {
	e := newEnv(t, withDefinitions(t, map[string]string{"probation-test.yaml": probationTest}))
	attrs := func(user string) map[string]string {
		var out struct{ Current map[string]string }
		r := e.as(t, "zhaomin", "GET", idPath("/api/v1/people/%d/attributes", e.personID(t, user)), nil)
		if r.status != http.StatusOK {
			t.Fatalf("attributes: %d %s", r.status, r.body)
		}
		r.json(t, &out)
		return out.Current
	}
	// Confirmed.
	id := e.file(t, "lijun", "probation-test", map[string]any{"trainee": e.personID(t, "lijun")})
	e.mustAct(t, "chenzhiqiang", id, map[string]any{"action": "approve", "form": map[string]any{"decision": "confirmed"}})
	e.mustAct(t, "zhaomin", id, map[string]any{"action": "approve"})
	if v := e.view(t, "lijun", id); v.Instance.Status != "approved" {
		t.Fatalf("status %s", v.Instance.Status)
	}
	today := time.Now().In(mustZone(t)).Format("2006-01-02")
	if a := attrs("lijun"); a["employment_status"] != "confirmed" || (a["confirmed_on"] != today && a["confirmed_on"] != time.Now().UTC().Format("2006-01-02")) {
		t.Fatalf("confirmed: %v", a)
	}
	page := e.as(t, "zhaomin", "GET", idPath("/people/%d", e.personID(t, "lijun")), nil)
	if !strings.Contains(page.body, `id="person-attributes"`) || !strings.Contains(page.body, "已转正") {
		t.Fatal("the person page shows the status the review set")
	}
	hist := e.as(t, "admin", "GET", idPath("/api/v1/people/%d/history", e.personID(t, "lijun")), nil)
	if !strings.Contains(hist.body, `"person.attribute"`) {
		t.Fatalf("the person's history records the change: %s", hist.body)
	}

	// Extended, with the new end date from the form.
	id = e.file(t, "yangxue", "probation-test", map[string]any{"trainee": e.personID(t, "yangxue")})
	e.mustAct(t, "chenzhiqiang", id, map[string]any{"action": "approve", "form": map[string]any{"decision": "extended", "new_end": "2027-03-31"}})
	e.mustAct(t, "zhaomin", id, map[string]any{"action": "approve"})
	if a := attrs("yangxue"); a["employment_status"] != "extended" || a["probation_ends_on"] != "2027-03-31" {
		t.Fatalf("extended: %v", a)
	}

	// Dismissed: the director's rejection routes to the dismissal.
	id = e.file(t, "luotao", "probation-test", map[string]any{"trainee": e.personID(t, "luotao")})
	e.mustAct(t, "sunli", id, map[string]any{"action": "reject", "comment": "试用期考核不合格"})
	var v struct {
		Instance struct{ Status, Outcome string } `json:"instance"`
	}
	e.as(t, "sunli", "GET", idPath("/api/v1/instances/%d", id), nil).json(t, &v)
	if v.Instance.Status != "approved" || v.Instance.Outcome != "dismissed" {
		t.Fatalf("dismissal: %+v", v.Instance)
	}
	if a := attrs("luotao"); a["employment_status"] != "left" {
		t.Fatalf("dismissed: %v", a)
	}
	r := e.do(t, e.client(t), "POST", "/api/v1/session", map[string]string{"username": "luotao", "password": demo.Password}, nil)
	if r.status == http.StatusOK {
		t.Fatal("a dismissed person can no longer sign in")
	}
}

func mustZone(t *testing.T) *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
