package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The reproductions of issue 7 ("integrity before breadth"), each tried
// through the JSON API as the wrong person, with a forged field or a
// changed value, on the institute's own definitions.

type instView struct {
	Instance struct {
		ID     int64          `json:"id"`
		Status string         `json:"status"`
		Form   map[string]any `json:"form"`
	} `json:"instance"`
	Steps []struct {
		ID    string `json:"id"`
		State string `json:"state"`
	} `json:"steps"`
	Timeline []struct {
		Action  string `json:"action"`
		Comment string `json:"comment"`
	} `json:"timeline"`
	Signatures []struct {
		StepID     string   `json:"step_id"`
		Valid      bool     `json:"valid"`
		Changed    []string `json:"changed"`
		Superseded bool     `json:"superseded"`
	} `json:"signatures"`
	Warnings []struct {
		Step string `json:"step"`
	} `json:"warnings"`
}

func (e *env) view(t *testing.T, user string, id int64) instView {
	t.Helper()
	r := e.as(t, user, "GET", idPath("/api/v1/instances/%d", id), nil)
	if r.status != 200 {
		t.Fatalf("%s views %d: %d %s", user, id, r.status, r.body)
	}
	var v instView
	r.json(t, &v)
	return v
}

// taskOf returns user's open task on instance id ("" step: any).
func (e *env) taskOf(t *testing.T, user string, id int64) int64 {
	t.Helper()
	r := e.as(t, user, "GET", "/api/v1/inbox/todo?limit=500", nil)
	var box struct {
		Items []struct {
			TaskID     int64 `json:"task_id"`
			InstanceID int64 `json:"instance_id"`
		} `json:"items"`
	}
	r.json(t, &box)
	for _, it := range box.Items {
		if it.InstanceID == id {
			return it.TaskID
		}
	}
	t.Fatalf("%s has no task on %d", user, id)
	return 0
}

func (e *env) act(t *testing.T, user string, id int64, body map[string]any) response {
	t.Helper()
	return e.as(t, user, "POST", idPath("/api/v1/tasks/%d/actions", e.taskOf(t, user, id)), body)
}

func (e *env) mustAct(t *testing.T, user string, id int64, body map[string]any) {
	t.Helper()
	if r := e.act(t, user, id, body); r.status != 200 {
		t.Fatalf("%s %v on %d: %d %s", user, body["action"], id, r.status, r.body)
	}
}

func sign(body map[string]any) map[string]any {
	if body == nil {
		body = map[string]any{}
	}
	body["action"], body["password"] = "approve", "labflow-demo"
	return body
}

func (e *env) file(t *testing.T, user, def string, form map[string]any) int64 {
	t.Helper()
	r := e.as(t, user, "POST", "/api/v1/processes/"+def+"/instances", map[string]any{"form": form})
	if r.status != http.StatusCreated {
		t.Fatalf("%s files %s: %d %s", user, def, r.status, r.body)
	}
	var in struct{ ID int64 }
	r.json(t, &in)
	return in.ID
}

func wantField(t *testing.T, r response, status int, field, key string) {
	t.Helper()
	if r.status != status || !hasField(r.problem(t), field, key) {
		t.Fatalf("want %d with %s=%s, got %d %s", status, field, key, r.status, r.body)
	}
}

// TestR9_PurchaseNegotiationCannotOutrunSignatures (reproduced):
// purchasing renamed a signed line, raised a quantity 100× and took the
// total from 0 to 9,000,000 CNY while the director's, the Business Dean's
// and the GM's signatures stayed valid, and the committee chair's step,
// passed over before prices existed, never ran.
func TestR9_PurchaseNegotiationCannotOutrunSignatures(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	line := func(name, qty, price string) map[string]any {
		m := map[string]any{"name": name, "quantity": qty, "unit": "台"}
		if price != "" {
			m["unit_price"] = price
		}
		return m
	}
	id := e.file(t, "zhangwei", "purchase-request", map[string]any{"reason": "新建 HPLC 平台", "category": "instrument",
		"acceptance": "requester_confirms", "items": []any{line("高效液相色谱仪", "1", ""), line("色谱柱", "10", "")}})
	e.mustAct(t, "chenzhiqiang", id, sign(nil))
	e.mustAct(t, "lihua", id, sign(nil))
	e.mustAct(t, "wangjianguo", id, sign(nil))
	e.mustAct(t, "gaoyuan", id, map[string]any{"action": "approve", "form": map[string]any{"supplier": "岛津"}})

	negotiate := func(items ...any) response {
		return e.act(t, "gaoyuan", id, map[string]any{"action": "approve", "form": map[string]any{"items": items}})
	}
	wantField(t, negotiate(line("液相色谱质谱联用仪", "1", "100"), line("色谱柱", "10", "10")), 422, "items.1.name", "flow.field.not_editable")
	wantField(t, negotiate(line("高效液相色谱仪", "100", "100"), line("色谱柱", "10", "10")), 422, "items.1.quantity", "flow.field.not_editable")
	wantField(t, negotiate(line("高效液相色谱仪", "1", "100")), 422, "items", "flow.field.not_editable")
	if r := negotiate(line("高效液相色谱仪", "1", "8900000"), line("色谱柱", "10", "10000")); r.status != 200 {
		t.Fatalf("negotiated prices: %d %s", r.status, r.body)
	}
	v := e.view(t, "zhangwei", id)
	if v.Instance.Form["total"] != "9000000.00" {
		t.Fatalf("total %v", v.Instance.Form["total"])
	}
	for _, g := range v.Signatures {
		if g.Valid {
			t.Fatalf("signature of %s still valid after the total rose from 0 to 9,000,000", g.StepID)
		}
	}
	reasons := ""
	for _, a := range v.Timeline {
		if a.Action == "resign" {
			reasons += a.Comment + "\n"
		}
	}
	if strings.Count(reasons, "合计（元）由 0.00 元增至 9000000.00 元") != 3 {
		t.Fatalf("reasons for signing again:\n%s", reasons)
	}
	// Back to the director, the dean and the GM, then the committee chair,
	// then purchasing goes on to the contract.
	e.mustAct(t, "chenzhiqiang", id, sign(nil))
	e.mustAct(t, "lihua", id, sign(nil))
	e.mustAct(t, "wangjianguo", id, sign(nil))
	states := map[string]string{}
	for _, s := range e.view(t, "zhangwei", id).Steps {
		states[s.ID] = s.State
	}
	if states["committee_chair_approve"] != "current" {
		t.Fatalf("the chair's step after the new signatures: %v", states)
	}
	e.mustAct(t, "wangjianguo", id, sign(nil))
	v = e.view(t, "zhangwei", id)
	valid := 0
	for _, g := range v.Signatures {
		if g.Valid {
			valid++
		} else if !g.Superseded {
			t.Fatalf("an invalid signature is not superseded: %+v", g)
		}
	}
	if valid != 4 || e.taskOf(t, "gaoyuan", id) == 0 {
		t.Fatalf("%d valid signatures; purchasing's contract task expected", valid)
	}
}

// TestFieldAuthority_StartAPIRefusesLaterFields (reproduced): the start API
// stored values of fields that later steps fill.
func TestFieldAuthority_StartAPIRefusesLaterFields(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.as(t, "zhangwei", "POST", "/api/v1/processes/purchase-request/instances", map[string]any{"form": map[string]any{
		"reason": "r", "category": "reagent", "acceptance": "requester_confirms", "supplier": "国药", "paid_on": "2026-01-01",
		"items": []any{map[string]any{"name": "x", "quantity": "1", "unit": "瓶"}}}})
	wantField(t, r, 422, "supplier", "flow.field.later_step")
	wantField(t, r, 422, "paid_on", "flow.field.later_step")
	// A person field set by a step is checked as at filing: the external
	// test's courier must be an active person with a business role.
	id := e.file(t, "chenzhiqiang", "external-test", map[string]any{"sample_name": "s", "test_items": "NMR", "requirements": "r",
		"sender": e.personID(t, "zhangwei"), "send_time": "2026-11-20T09:30", "purpose": "p"})
	e.mustAct(t, "lihua", id, sign(nil))
	wantField(t, e.act(t, "zhaomin", id, map[string]any{"action": "approve", "form": map[string]any{"courier": 99999, "courier_date": "2026-11-21"}}),
		422, "courier", "flow.field.bad_person")
	wantField(t, e.act(t, "zhaomin", id, map[string]any{"action": "approve", "form": map[string]any{"courier": e.personID(t, "admin"), "courier_date": "2026-11-21"}}),
		422, "courier", "flow.field.bad_person")
	// A step completes only with what it exists to record (issue 7 item 5).
	wantField(t, e.act(t, "zhaomin", id, map[string]any{"action": "approve"}), 422, "courier", "flow.field.required_at_step")
	e.mustAct(t, "zhaomin", id, map[string]any{"action": "approve", "form": map[string]any{"courier": e.personID(t, "zhengkai"), "courier_date": "2026-11-21"}})
	wantField(t, e.act(t, "chenzhiqiang", id, map[string]any{"action": "approve", "form": map[string]any{"result_notes": "ok"}}),
		422, "results", "flow.field.required_at_step")
}

// TestR12_NoOneToActNeverTheAdministrator (reproduced): with the only
// Administrative Dean deactivated, a seal-use approval fell back to admin,
// who approved it.
func TestR12_NoOneToActNeverTheAdministrator(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if r := e.as(t, "admin", "POST", idPath("/api/v1/people/%d/active", e.personID(t, "zhaomin")),
		map[string]any{"active": false, "reason": "离职"}); r.status != 204 {
		t.Fatalf("deactivate: %d %s", r.status, r.body)
	}
	id := e.file(t, "zhangwei", "seal-use", map[string]any{"seal": "contract", "document": "采购合同", "copies": 1, "purpose": "签合同", "use_date": "2026-12-02"})
	e.mustAct(t, "chenzhiqiang", id, map[string]any{"action": "approve"})
	v := e.view(t, "zhangwei", id)
	if len(v.Warnings) != 1 || v.Warnings[0].Step != "admin_dean_approve" {
		t.Fatalf("the initiator sees no reason: %+v", v.Warnings)
	}
	r := e.as(t, "admin", "GET", "/api/v1/inbox/todo", nil)
	if strings.Contains(r.body, `"instance_id":`+itoa64(id)) {
		t.Fatalf("the administrator has a task: %s", r.body)
	}
	r = e.as(t, "admin", "GET", "/api/v1/admin/waiting", nil)
	var ws []struct {
		TaskID     int64  `json:"task_id"`
		InstanceID int64  `json:"instance_id"`
		StepID     string `json:"step_id"`
	}
	r.json(t, &ws)
	if len(ws) != 1 || ws[0].InstanceID != id {
		t.Fatalf("waiting: %s", r.body)
	}
	if r := e.as(t, "admin", "POST", idPath("/api/v1/tasks/%d/actions", ws[0].TaskID), map[string]any{"action": "approve", "password": "labflow-demo"}); r.status != 403 {
		t.Fatalf("the administrator approves: %d", r.status)
	}
	if r := e.as(t, "zhangwei", "GET", "/api/v1/admin/waiting", nil); r.status != 403 {
		t.Fatalf("a researcher lists waiting steps: %d", r.status)
	}
	// The administrator grants the role to the 行政部 director: the step
	// goes to him at once.
	if r := e.as(t, "admin", "POST", idPath("/api/v1/people/%d/roles", e.personID(t, "zhengkai")),
		map[string]any{"role": "admin_dean", "reason": "代理行政院长"}); r.status != 204 {
		t.Fatalf("grant: %d %s", r.status, r.body)
	}
	e.mustAct(t, "zhengkai", id, sign(nil))
}

// TestPRJ12_WhoMaySeeARequest (reproduced): decision owners told about
// meeting minutes got "not found"; the Business Dean could not open a
// purchase request before her step; a researcher of 制剂部 downloaded a
// file of a request he may not open.
func TestPRJ12_WhoMaySeeARequest(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	pid := func(u string) int64 { return e.personID(t, u) }
	mm := e.file(t, "zhengkai", "meeting-minutes", map[string]any{"meeting_type": "weekly_admin", "held_at": "2026-11-30T08:30",
		"host": pid("wangjianguo"), "minute_taker": pid("zhengkai"), "attendees": []any{map[string]any{"person": pid("lihua")}},
		"agenda": "周例会", "minutes": "讨论采购", "decisions": []any{map[string]any{"decision": "编制预算", "owner": pid("xuli"), "due": "2026-12-15"}}})
	e.view(t, "xuli", mm) // the decision's owner, named in it
	if r := e.as(t, "wangfang", "GET", idPath("/api/v1/instances/%d", mm), nil); r.status != 404 {
		t.Fatalf("someone not at the meeting: %d", r.status)
	}
	pr := e.file(t, "zhangwei", "purchase-request", map[string]any{"reason": "r", "category": "reagent", "acceptance": "requester_confirms",
		"items": []any{map[string]any{"name": "x", "quantity": "1", "unit": "瓶"}}})
	e.view(t, "lihua", pr) // before her step
	ct, body := multipartBody(t, "报价.pdf", []byte("%PDF quote"))
	r := e.do(t, nil, "POST", "/api/v1/attachments", body, map[string]string{"Content-Type": ct, "Authorization": "Bearer " + e.token(t, "zhangwei")})
	var att struct {
		SHA256 string `json:"sha256"`
	}
	r.json(t, &att)
	if r := e.as(t, "zhangwei", "POST", idPath("/api/v1/instances/%d/actions", pr), map[string]any{"action": "comment", "comment": "报价", "attachments": []string{att.SHA256}}); r.status != 200 {
		t.Fatalf("comment: %d %s", r.status, r.body)
	}
	if r := e.as(t, "xuli", "GET", "/api/v1/files/"+att.SHA256, nil); r.status != 404 {
		t.Fatalf("制剂部 researcher downloads the file: %d", r.status)
	}
	if r := e.as(t, "chenzhiqiang", "GET", "/api/v1/files/"+att.SHA256, nil); r.status != 200 {
		t.Fatalf("the director downloads it: %d", r.status)
	}
	// Naming someone else's file in one's own request does not open it.
	mine := e.file(t, "xuli", "purchase-request", map[string]any{"reason": "r", "category": "reagent", "acceptance": "requester_confirms",
		"items": []any{map[string]any{"name": "x", "quantity": "1", "unit": "瓶"}}})
	wantField(t, e.as(t, "xuli", "POST", idPath("/api/v1/instances/%d/actions", mine), map[string]any{"action": "comment", "comment": "x", "attachments": []string{att.SHA256}}),
		422, "attachments", "flow.field.bad_file")
}

// TestR8_NumbersStayExact (reproduced): 12345678901234567.25 came back as
// 12345678901234568; it must stay exact through the API, the store, the
// instance cache and a signature.
func TestR8_NumbersStayExact(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	r := e.as(t, "zhangwei", "POST", "/api/v1/processes/purchase-request/instances",
		`{"form":{"reason":"r","category":"reagent","acceptance":"requester_confirms","items":[{"name":"x","quantity":12345678901234567.25,"unit":"g","unit_price":"0.01"}]}}`)
	if r.status != 201 || !strings.Contains(r.body, `"quantity":12345678901234567.25`) {
		t.Fatalf("start: %d %s", r.status, r.body)
	}
	var in struct{ ID int64 }
	r.json(t, &in)
	e.mustAct(t, "chenzhiqiang", in.ID, sign(nil))
	r = e.as(t, "lihua", "GET", idPath("/api/v1/instances/%d", in.ID), nil)
	if !strings.Contains(r.body, `"quantity":12345678901234567.25`) || !strings.Contains(r.body, `"total":"123456789012345.67"`) {
		t.Fatalf("read back: %s", r.body)
	}
	var v instView
	r.json(t, &v)
	if len(v.Signatures) != 1 || !v.Signatures[0].Valid {
		t.Fatalf("signature over exact numbers: %+v", v.Signatures)
	}
}

// TestR9_NegotiationPageOpensOnlyTheUnitPrices: on the page, purchasing's
// negotiation shows the signed lines read-only and only the unit prices as
// inputs; the form posted from it is accepted.
func TestR9_NegotiationPageOpensOnlyTheUnitPrices(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	id := e.file(t, "zhangwei", "purchase-request", map[string]any{"reason": "r", "category": "reagent", "acceptance": "requester_confirms",
		"items": []any{map[string]any{"name": "乙腈", "quantity": "2", "unit": "瓶"}}})
	e.mustAct(t, "chenzhiqiang", id, sign(nil))
	e.mustAct(t, "lihua", id, sign(nil))
	e.mustAct(t, "wangjianguo", id, sign(nil))
	e.mustAct(t, "gaoyuan", id, map[string]any{"action": "approve", "form": map[string]any{"supplier": "国药"}})
	c := e.login(t, "gaoyuan")
	page := e.do(t, c, "GET", idPath("/instances/%d", id), nil, nil)
	if !strings.Contains(page.body, `<span class="readonly">乙腈</span>`) || !strings.Contains(page.body, `name="items.1.unit_price"`) ||
		strings.Contains(page.body, `id="more-items"`) {
		t.Fatalf("negotiation form: %s", page.body)
	}
	task := e.taskOf(t, "gaoyuan", id)
	form := url.Values{"task_id": {itoa64(task)}, "edit": {"1"}, "action": {"approve"}, "supplier": {"国药"}, "rows.items": {"1"},
		"items.1.name": {"乙腈"}, "items.1.quantity": {"2"}, "items.1.unit": {"瓶"}, "items.1.unit_price": {"35.50"}}
	r := e.do(t, c, "POST", idPath("/instances/%d/act", id), form.Encode(), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if r.status != http.StatusSeeOther {
		t.Fatalf("post the negotiated price: %d %s", r.status, r.body)
	}
	if v := e.view(t, "zhangwei", id); v.Instance.Form["total"] != "71.00" {
		t.Fatalf("total %v", v.Instance.Form["total"])
	}
}
