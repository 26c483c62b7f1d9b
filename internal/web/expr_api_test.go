package web_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"labflow/internal/app"
)

// Conditions that say the rulebook's rules, through the JSON API of a
// server that loaded them from its definitions folder (issue 8 §2, §3, §7).

// withDefinitions (decisions_test.go) loads the definitions below.

const apiSampleDelivery = `key: sample-delivery
title: {zh: 送样, en: Sample delivery}
rules: [SAM-7]
subject: form
initiators: [researcher]
form:
  - {key: sample, label: {zh: 样品, en: Sample}, type: text, required: true}
  - {key: booked_at, label: {zh: 预约送样时间, en: Booked at}, type: datetime, required: true}
  - {key: received_at, label: {zh: 实际送达时间, en: Received at}, type: datetime}
steps:
  - id: receive
    title: {zh: 接收样品, en: Receive the sample}
    kind: task
    assignee: {person: guoqiang}
    editable: [received_at]
    required: [received_at]
    branches:
      - {when: "minutes_between(booked_at, received_at) > 30", to: late}
    next: analyse
  - id: late
    title: {zh: 迟到说明, en: Late delivery}
    assignee: {relative: initiator_director}
    next: analyse
  - id: analyse
    title: {zh: 分析, en: Analyse}
    kind: task
    assignee: {person: guoqiang}
`

const apiUnitPrice = `key: unit-price
title: {zh: 单价审批, en: Unit price}
subject: form
initiators: [researcher]
form:
  - {key: total, label: {zh: 总价, en: Total}, type: money, required: true}
  - {key: qty, label: {zh: 数量, en: Quantity}, type: number, required: true}
  - {key: person, label: {zh: 经办人, en: Person}, type: person, required: true}
steps:
  - id: dean
    title: {zh: 院长审批, en: Dean}
    assignee: {role: business_dean}
    when: "total / qty > 1000"
  - id: gm
    title: {zh: 总经理审批, en: GM}
    assignee: {role: gm}
    when: "rank_of(person) == 'senior_a' && rank_since(person) <= add_days(today(), -730) && hired_on(person) < '2019-01-01'"
  - id: director
    title: {zh: 总监确认, en: Director}
    assignee: {relative: initiator_director}
`

type apiInst struct {
	ID    int64 `json:"id"`
	State struct {
		Active []struct {
			Step string `json:"step"`
		} `json:"active"`
	} `json:"state"`
	Tasks []struct {
		ID         int64 `json:"id"`
		AssigneeID int64 `json:"assignee_id"`
	} `json:"tasks"`
}

func (i apiInst) at() string {
	var s []string
	for _, a := range i.State.Active {
		s = append(s, a.Step)
	}
	return strings.Join(s, ",")
}

// Ensure SAM-7's late delivery is routed by its one condition through the
// API, that the receipt time cannot be forged by the submitter when
// filing (only the receiving step records it), and that only the
// analyst records it.
func TestSAM7_API_LateDeliveryRoutedByCondition(t *testing.T) {
	e := newEnv(t, withDefinitions(t, map[string]string{"sample-delivery.yaml": apiSampleDelivery}))
	start := func(form map[string]any) (apiInst, response) {
		r := e.as(t, "zhangwei", "POST", "/api/v1/processes/sample-delivery/instances", map[string]any{"form": form})
		var in apiInst
		if r.status == http.StatusCreated {
			r.json(t, &in)
		}
		return in, r
	}
	// The submitter cannot file the receipt time: it belongs to the receiving step.
	_, r := start(map[string]any{"sample": "S-1", "booked_at": "2026-01-05T09:00", "received_at": "2026-01-05T09:00"})
	if p := r.problem(t); r.status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "received_at" {
		t.Fatalf("forged receipt time: %d %s", r.status, r.body)
	}
	for _, c := range []struct{ received, next string }{{"2026-01-05T09:30", "analyse"}, {"2026-01-05T09:31", "late"}} {
		in, r := start(map[string]any{"sample": "S-1", "booked_at": "2026-01-05T09:00"})
		if r.status != http.StatusCreated || len(in.Tasks) != 1 {
			t.Fatalf("start: %d %s", r.status, r.body)
		}
		path := fmt.Sprintf("/api/v1/tasks/%d/actions", in.Tasks[0].ID)
		act := map[string]any{"action": "approve", "form": map[string]any{"received_at": c.received}}
		// Someone else cannot record the delivery.
		if r := e.as(t, "zhangwei", "POST", path, act); r.status == http.StatusOK {
			t.Fatalf("the submitter recorded the delivery: %s", r.body)
		}
		r = e.as(t, "guoqiang", "POST", path, act)
		if r.status != http.StatusOK {
			t.Fatalf("receive: %d %s", r.status, r.body)
		}
		r.json(t, &in)
		if in.at() != c.next {
			t.Errorf("received %s: at %s, want %s", c.received, in.at(), c.next)
		}
	}
}

// Ensure a condition the values cannot answer is a translated 422 naming
// the field (not a server error), and the directory's rank, rank date and
// hire date decide a step through the API.
func TestExpr_API_ConditionsThroughTheAPI(t *testing.T) {
	e := newEnv(t, withDefinitions(t, map[string]string{"unit-price.yaml": apiUnitPrice}))
	zw := e.personID(t, "zhangwei")
	form := func(qty string, person int64) map[string]any {
		return map[string]any{"form": map[string]any{"total": "5000", "qty": qty, "person": person}}
	}
	r := e.as(t, "zhangwei", "POST", "/api/v1/processes/unit-price/instances", form("0", zw))
	p := r.problem(t)
	if r.status != http.StatusUnprocessableEntity || p.Key != "expr.condition_failed" || p.Detail != "步骤“院长审批”的条件无法根据所填内容计算：除数为零。" ||
		len(p.Errors) != 1 || p.Errors[0].Field != "qty" || p.Errors[0].Message != "除数为零。" {
		t.Errorf("%d %+v", r.status, p)
	}
	// zhangwei: senior_a since 2022-09-01, hired 2018-07-02 → the GM;
	// wangfang: researcher_a → straight to the director.
	for _, c := range []struct {
		person string
		at     string
	}{{"zhangwei", "gm"}, {"wangfang", "director"}} {
		r := e.as(t, "zhangwei", "POST", "/api/v1/processes/unit-price/instances", form("10", e.personID(t, c.person)))
		var in apiInst
		r.json(t, &in)
		if r.status != http.StatusCreated || in.at() != c.at {
			t.Errorf("%s: %d at %q, want %q (%s)", c.person, r.status, in.at(), c.at, r.body)
		}
	}
}

// Ensure the server refuses to start with a definition whose expression
// mixes types, naming the file, line, field and mismatch.
func TestExpr_ServerRefusesMistypedDefinition(t *testing.T) {
	bad := strings.Replace(apiUnitPrice, `when: "total / qty > 1000"`, `when: "total + person > 1000"`, 1)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := app.Open(context.Background(), app.Config{DataDir: t.TempDir(), Definitions: dir, DSN: ""})
	if err == nil || !strings.Contains(err.Error(), `bad.yaml:13:5: steps[0].when: "total + person > 1000": column 7: cannot add number and id`) {
		t.Fatalf("err = %v", err)
	}
}
