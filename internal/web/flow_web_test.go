package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"labflow/internal/app"
	"labflow/internal/i18n"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

const fwPassword = "labflow-demo"

type fwEnv struct {
	t   *testing.T
	srv *httptest.Server
	app *app.App
}

func fwNewEnv(t *testing.T, dsn ...string) *fwEnv {
	t.Helper()
	ctx := context.Background()
	cfg := app.Config{DataDir: t.TempDir(), Demo: true}
	if len(dsn) > 0 {
		cfg.DSN = dsn[0]
	}
	a, err := app.Open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(a.Server)
	t.Cleanup(func() { srv.Close(); a.Close() })
	return &fwEnv{t: t, srv: srv, app: a}
}

// fwUser is a signed-in client.
type fwUser struct {
	e    *fwEnv
	name string
	c    *http.Client
}

func (e *fwEnv) login(username string) *fwUser {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	u := &fwUser{e: e, name: username, c: c}
	code, body := u.json("POST", "/api/v1/session", map[string]any{"username": username, "password": fwPassword}, nil)
	if code != 200 {
		e.t.Fatalf("login %s: %d %s", username, code, body)
	}
	return u
}

func (u *fwUser) do(req *http.Request) (int, string, http.Header) {
	u.e.t.Helper()
	res, err := u.c.Do(req)
	if err != nil {
		u.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b), res.Header
}

func (u *fwUser) json(method, path string, in any, hdr map[string]string) (int, string) {
	u.e.t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, u.e.srv.URL+path, body)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	code, b, _ := u.do(req)
	return code, b
}

func (u *fwUser) page(path, lang string) (int, string) {
	u.e.t.Helper()
	req, _ := http.NewRequest("GET", u.e.srv.URL+path, nil)
	req.AddCookie(&http.Cookie{Name: "lang", Value: lang})
	req.Header.Set("Accept-Language", lang)
	code, b, _ := u.do(req)
	return code, b
}

func (u *fwUser) post(path string, form url.Values) (int, string, http.Header) {
	u.e.t.Helper()
	req, _ := http.NewRequest("POST", u.e.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return u.do(req)
}

func fwDecode[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("decode %T: %v: %s", v, err, s)
	}
	return v
}

type fwInstance struct {
	ID     int64          `json:"id"`
	Status string         `json:"status"`
	Form   map[string]any `json:"form"`
}

type fwView struct {
	Instance fwInstance `json:"instance"`
	Steps    []struct {
		ID    string `json:"id"`
		State string `json:"state"`
	} `json:"steps"`
	Signatures []struct {
		SignerName  string `json:"signer_name"`
		Meaning     string `json:"meaning"`
		ContentHash string `json:"content_hash"`
		Valid       bool   `json:"valid"`
	} `json:"signatures"`
	Allowed []struct {
		Action        string `json:"action"`
		TaskID        int64  `json:"task_id"`
		NeedsPassword bool   `json:"needs_password"`
	} `json:"allowed_actions"`
}

type fwInbox struct {
	Items []struct {
		TaskID     int64  `json:"task_id"`
		InstanceID int64  `json:"instance_id"`
		StepID     string `json:"step_id"`
	} `json:"items"`
	Total int `json:"total"`
}

func fwPurchaseForm() map[string]any {
	return map[string]any{
		"reason":     "合成路线 A 需要的试剂",
		"category":   "reagent",
		"acceptance": "requester_confirms",
		"items": []any{
			map[string]any{"name": "乙腈", "spec": "HPLC 4L", "quantity": 2, "unit": "瓶", "unit_price": "350.00"},
			map[string]any{"name": "甲醇", "quantity": "3", "unit": "瓶", "unit_price": "120.50"},
		},
	}
}

// fwRawKey finds an untranslated catalog key in a page.
var fwRawKey = regexp.MustCompile(`(^|[^a-zA-Z0-9_/-])((flowui|flow|field|error|entity|nav|common|action|auth|people)\.[a-z_]+(\.[a-z_]+)*)`)

func fwNoRawKeys(t *testing.T, what, body string) {
	t.Helper()
	if m := fwRawKey.FindStringSubmatch(body); m != nil {
		t.Errorf("%s: raw message key %q in page", what, m[2])
	}
}

func fwStartPurchase(t *testing.T, u *fwUser, idem string) fwInstance {
	t.Helper()
	hdr := map[string]string{}
	if idem != "" {
		hdr["Idempotency-Key"] = idem
	}
	code, body := u.json("POST", "/api/v1/processes/purchase-request/instances", map[string]any{"form": fwPurchaseForm()}, hdr)
	if code != http.StatusCreated {
		t.Fatalf("start: %d %s", code, body)
	}
	return fwDecode[fwInstance](t, body)
}

func fwTodoTask(t *testing.T, u *fwUser, instanceID int64) int64 {
	t.Helper()
	code, body := u.json("GET", "/api/v1/inbox/todo", nil, nil)
	if code != 200 {
		t.Fatalf("inbox: %d %s", code, body)
	}
	for _, it := range fwDecode[fwInbox](t, body).Items {
		if it.InstanceID == instanceID {
			return it.TaskID
		}
	}
	t.Fatalf("%s: instance %d not in todo: %s", u.name, instanceID, body)
	return 0
}

// TestR8_R10_PurchaseRequestThroughAPI walks PUR-1 through the JSON API:
// a researcher starts a request with line items, the director finds it in
// his inbox and signs with his password; the initiator may not approve.
func TestR8_R10_PurchaseRequestThroughAPI(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { testPurchaseAPI(t, fwNewEnv(t)) })
	t.Run("postgres", func(t *testing.T) {
		if os.Getenv("TEST_DATABASE_URL") == "" {
			t.Skip("TEST_DATABASE_URL not set")
		}
		testPurchaseAPI(t, fwNewEnv(t, storetest.NewPostgresDB(t)))
	})
}

func testPurchaseAPI(t *testing.T, e *fwEnv) {
	zw := e.login("zhangwei")
	czq := e.login("chenzhiqiang")

	code, body := zw.json("GET", "/api/v1/definitions", nil, nil)
	if code != 200 || !strings.Contains(body, `"purchase-request"`) {
		t.Fatalf("definitions: %d %s", code, body)
	}
	code, body = zw.json("GET", "/api/v1/definitions/purchase-request", nil, nil)
	if code != 200 || !strings.Contains(body, `"items"`) {
		t.Fatalf("definition: %d %s", code, body)
	}

	inst := fwStartPurchase(t, zw, "req-1")
	if inst.Status != "running" || inst.Form["total"] != "1061.50" {
		t.Fatalf("instance: %+v", inst)
	}
	// The same idempotency key (header or body) returns the same instance.
	if again := fwStartPurchase(t, zw, "req-1"); again.ID != inst.ID {
		t.Fatalf("idempotency: %d then %d", inst.ID, again.ID)
	}
	code, body = zw.json("POST", "/api/v1/processes/purchase-request/instances", map[string]any{"form": fwPurchaseForm(), "idempotency_key": "req-1"}, nil)
	if code != http.StatusCreated || fwDecode[fwInstance](t, body).ID != inst.ID {
		t.Fatalf("idempotency (body): %d %s", code, body)
	}

	task := fwTodoTask(t, czq, inst.ID)
	code, body = czq.json("GET", "/api/v1/inbox/counts", nil, nil)
	if code != 200 || fwDecode[map[string]int](t, body)["todo"] < 1 {
		t.Fatalf("counts: %d %s", code, body)
	}

	// R10: the initiator cannot approve, and is not offered to.
	code, body = zw.json("POST", fmt.Sprintf("/api/v1/tasks/%d/actions", task), map[string]any{"action": "approve", "password": fwPassword}, nil)
	if code != http.StatusForbidden {
		t.Fatalf("initiator approving: %d %s", code, body)
	}
	code, body = zw.json("GET", fmt.Sprintf("/api/v1/instances/%d", inst.ID), nil, nil)
	if code != 200 {
		t.Fatalf("view: %d %s", code, body)
	}
	for _, a := range fwDecode[fwView](t, body).Allowed {
		if a.Action == "approve" {
			t.Fatalf("initiator offered approve: %s", body)
		}
	}

	// R8: approving a signature step needs the password.
	code, body = czq.json("POST", fmt.Sprintf("/api/v1/tasks/%d/actions", task), map[string]any{"action": "approve", "comment": "同意"}, nil)
	if code < 400 || code >= 500 || !strings.Contains(body, "password") {
		t.Fatalf("approve without password: %d %s", code, body)
	}
	code, body = czq.json("POST", fmt.Sprintf("/api/v1/tasks/%d/actions", task), map[string]any{"action": "approve", "password": "wrong-password"}, nil)
	if code < 400 || code >= 500 || !strings.Contains(body, "password") {
		t.Fatalf("approve with a wrong password: %d %s", code, body)
	}
	code, body = czq.json("GET", fmt.Sprintf("/api/v1/instances/%d", inst.ID), nil, nil)
	v := fwDecode[fwView](t, body)
	needs := false
	for _, a := range v.Allowed {
		if a.Action == "approve" && a.TaskID == task {
			needs = a.NeedsPassword
		}
	}
	if !needs {
		t.Fatalf("director not offered a signed approval: %s", body)
	}
	code, body = czq.json("POST", fmt.Sprintf("/api/v1/tasks/%d/actions", task), map[string]any{"action": "approve", "comment": "同意", "password": fwPassword}, nil)
	if code != 200 {
		t.Fatalf("approve: %d %s", code, body)
	}
	code, body = czq.json("GET", fmt.Sprintf("/api/v1/instances/%d", inst.ID), nil, nil)
	v = fwDecode[fwView](t, body)
	if len(v.Signatures) != 1 || !v.Signatures[0].Valid || v.Signatures[0].Meaning != "approve" || len(v.Signatures[0].ContentHash) != 64 {
		t.Fatalf("signatures: %s", body)
	}
	states := map[string]string{}
	for _, s := range v.Steps {
		states[s.ID] = s.State
	}
	if states["director_approve"] != "done" || states["business_dean_review"] != "current" {
		t.Fatalf("steps: %v", states)
	}
	// Acting again on the finished task is a conflict, not a second approval.
	code, _ = czq.json("POST", fmt.Sprintf("/api/v1/tasks/%d/actions", task), map[string]any{"action": "approve", "password": fwPassword}, nil)
	if code != http.StatusConflict && code != http.StatusForbidden {
		t.Fatalf("second approval: %d", code)
	}
	code, body = czq.json("GET", "/api/v1/inbox/done", nil, nil)
	if code != 200 || fwDecode[fwInbox](t, body).Total < 1 {
		t.Fatalf("done box: %d %s", code, body)
	}
	code, body = zw.json("GET", "/api/v1/inbox/started?q=乙腈", nil, nil)
	if code != 200 || fwDecode[fwInbox](t, body).Total != 1 {
		t.Fatalf("started box search: %d %s", code, body)
	}
	code, body = zw.json("GET", "/api/v1/inbox/nonsense", nil, nil)
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("bad box: %d %s", code, body)
	}

	// Notifications: the initiator hears nothing yet; the director got a task notice.
	code, body = czq.json("GET", "/api/v1/notifications", nil, nil)
	if code != 200 || !strings.Contains(body, `"kind":"task"`) {
		t.Fatalf("notifications: %d %s", code, body)
	}
	ns := fwDecode[[]struct {
		ID   int64  `json:"id"`
		Text string `json:"text"`
	}](t, body)
	if ns[0].Text == "" || strings.Contains(ns[0].Text, "flowui.") {
		t.Fatalf("notification text: %s", body)
	}
	code, body = czq.json("POST", "/api/v1/notifications/read", map[string]any{"ids": []int64{ns[0].ID}}, nil)
	if code != http.StatusNoContent {
		t.Fatalf("mark read: %d %s", code, body)
	}

	// Instance actions: the initiator may urge the business dean.
	code, body = zw.json("POST", fmt.Sprintf("/api/v1/instances/%d/actions", inst.ID), map[string]any{"action": "urge", "comment": "请尽快"}, nil)
	if code != 200 {
		t.Fatalf("urge: %d %s", code, body)
	}
	// Someone unrelated cannot see the instance.
	other := e.login("wangfang")
	if code, body := other.json("GET", fmt.Sprintf("/api/v1/instances/%d", inst.ID), nil, nil); code != http.StatusNotFound {
		t.Fatalf("unrelated viewer: %d %s", code, body)
	}

	// Bulk approval refuses definitions that do not allow it (and signature steps).
	inst2 := fwStartPurchase(t, zw, "")
	task2 := fwTodoTask(t, czq, inst2.ID)
	code, body = czq.json("POST", "/api/v1/inbox/bulk-approve", map[string]any{"task_ids": []int64{task2}}, nil)
	if code != 200 || !strings.Contains(body, `"failed":1`) || !strings.Contains(body, "flow.bulk_") {
		t.Fatalf("bulk approve: %d %s", code, body)
	}
	code, body = czq.json("POST", "/api/v1/inbox/bulk-approve", map[string]any{"task_ids": []int64{}}, nil)
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "task_ids") {
		t.Fatalf("empty bulk approve: %d %s", code, body)
	}
}

func TestFlowOpenAPI(t *testing.T) {
	e := fwNewEnv(t)
	u := e.login("zhangwei")
	code, body := u.json("GET", "/api/v1/openapi.json", nil, nil)
	if code != 200 {
		t.Fatal(code)
	}
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct {
				Name   string         `json:"name"`
				Schema map[string]any `json:"schema"`
			} `json:"parameters"`
		} `json:"paths"`
	}
	json.Unmarshal([]byte(body), &doc)
	for _, p := range []string{"/api/v1/definitions", "/api/v1/definitions/{key}", "/api/v1/processes/{key}/instances", "/api/v1/instances/{id}",
		"/api/v1/instances/{id}/actions", "/api/v1/tasks/{id}/actions", "/api/v1/inbox/{box}", "/api/v1/inbox/counts", "/api/v1/inbox/bulk-approve",
		"/api/v1/notifications", "/api/v1/notifications/read"} {
		if doc.Paths[p] == nil {
			t.Errorf("OpenAPI lacks %s", p)
		}
	}
	for _, op := range doc.Paths["/api/v1/processes/{key}/instances"] {
		for _, prm := range op.Parameters {
			if prm.Name == "key" && prm.Schema["type"] != "string" {
				t.Errorf("key parameter: %v", prm.Schema)
			}
		}
	}
	for _, op := range doc.Paths["/api/v1/inbox/{box}"] {
		for _, prm := range op.Parameters {
			if prm.Name == "box" && prm.Schema["type"] != "string" {
				t.Errorf("box parameter: %v", prm.Schema)
			}
		}
	}
}

// TestFlowPages renders the process pages in both languages with no raw
// message keys, and shows form errors next to the field.
func TestFlowPages(t *testing.T) {
	e := fwNewEnv(t)
	zw := e.login("zhangwei")
	czq := e.login("chenzhiqiang")
	inst := fwStartPurchase(t, zw, "")

	for _, lang := range []string{"zh", "en"} {
		for _, c := range []struct {
			u    *fwUser
			path string
			want []string
		}{
			{zw, "/inbox", []string{i18n.T(lang, "flowui.box.todo", nil), i18n.T(lang, "flowui.box.started", nil)}},
			{zw, "/inbox?box=started", []string{fmt.Sprintf("/instances/%d", inst.ID)}},
			{czq, "/inbox?box=todo", []string{fmt.Sprintf("/instances/%d", inst.ID)}},
			{zw, "/processes", []string{"/processes/purchase-request/new"}},
			{zw, "/processes/purchase-request/new", []string{`name="items.5.quantity"`, `name="rows.items"`, `id="more-items"`}},
			{zw, "/processes/purchase-request/new?rows.items=12", []string{`name="items.12.quantity"`}},
			{zw, fmt.Sprintf("/instances/%d", inst.ID), []string{"乙腈", i18n.T(lang, "page.record", nil), `class="step current"`}},
			{czq, fmt.Sprintf("/instances/%d", inst.ID), []string{`value="approve"`, `type="password"`}},
			{czq, "/notifications", []string{i18n.T(lang, "flowui.notifications.title", nil)}},
		} {
			code, body := c.u.page(c.path, lang)
			if code != 200 {
				t.Errorf("%s %s (%s): %d", c.u.name, c.path, lang, code)
				continue
			}
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("%s %s (%s): lacks %q", c.u.name, c.path, lang, w)
				}
			}
			fwNoRawKeys(t, c.u.name+" "+c.path+" "+lang, body)
		}
	}
	// The initiator's page offers no approval (only the viewer's actions).
	_, body := zw.page(fmt.Sprintf("/instances/%d", inst.ID), "zh")
	if strings.Contains(body, `value="approve"`) {
		t.Error("initiator's page offers approve")
	}
	if !strings.Contains(body, `value="withdraw"`) {
		t.Error("initiator's page lacks withdraw before anyone acted")
	}
	// The English page shows English titles.
	_, body = zw.page("/processes", "en")
	if !strings.Contains(body, "Purchase request") {
		t.Error("English process title missing")
	}

	// The UI start form: a bad quantity is shown next to its cell.
	form := url.Values{"reason": {"测试"}, "category": {"reagent"}, "acceptance": {"requester_confirms"}, "rows.items": {"5"},
		"items.1.name": {"乙腈"}, "items.1.quantity": {"2"}, "items.1.unit": {"瓶"},
		"items.2.name": {"甲醇"}, "items.2.quantity": {"abc"}, "items.2.unit": {"瓶"}, "idempotency_key": {"ui-1"}}
	code, body, _ := zw.post("/processes/purchase-request/new", form)
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("bad quantity: %d", code)
	}
	msg := i18n.T("zh", "flow.field.bad_number", nil)
	i := strings.Index(body, `id="f-items.2.quantity"`)
	if i < 0 || !strings.Contains(body[i:min(len(body), i+400)], msg) {
		t.Fatalf("field error %q not next to items.2.quantity", msg)
	}
	if !strings.Contains(body, `value="甲醇"`) {
		t.Error("entered values not kept")
	}
	fwNoRawKeys(t, "start form with errors", body)
	// "More rows" keeps what was entered.
	form.Set("more_rows", "items")
	code, body, _ = zw.post("/processes/purchase-request/new", form)
	if code != 200 || !strings.Contains(body, `name="items.10.quantity"`) || !strings.Contains(body, `value="甲醇"`) {
		t.Fatalf("more rows: %d", code)
	}
	form.Del("more_rows")
	// Corrected, it starts the instance; the same idempotency key does not start another.
	form.Set("items.2.quantity", "3")
	code, _, hdr := zw.post("/processes/purchase-request/new", form)
	if code != http.StatusSeeOther || !strings.HasPrefix(hdr.Get("Location"), "/instances/") {
		t.Fatalf("start via UI: %d %v", code, hdr)
	}
	code, _, hdr2 := zw.post("/processes/purchase-request/new", form)
	if code != http.StatusSeeOther || hdr2.Get("Location") != hdr.Get("Location") {
		t.Fatalf("repeat start via UI: %d %s vs %s", code, hdr2.Get("Location"), hdr.Get("Location"))
	}

	// The UI approval without a password shows the error at the password field, not a login page.
	task := fwTodoTask(t, czq, inst.ID)
	code, body, _ = czq.post(fmt.Sprintf("/instances/%d/act", inst.ID), url.Values{"task_id": {fmt.Sprint(task)}, "action": {"approve"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="action-error"`) {
		t.Fatalf("UI approve without password: %d", code)
	}
	i = strings.Index(body, `id="sign-password"`)
	if i < 0 || !strings.Contains(body[i:min(len(body), i+400)], "field-error") || !strings.Contains(body, `class="sign-dialog open"`) {
		t.Fatal("password error not next to the password field")
	}
	code, _, _ = czq.post(fmt.Sprintf("/instances/%d/act", inst.ID), url.Values{"task_id": {fmt.Sprint(task)}, "action": {"approve"}, "password": {fwPassword}, "comment": {"同意"}})
	if code != http.StatusSeeOther {
		t.Fatalf("UI approve: %d", code)
	}
	_, body = czq.page(fmt.Sprintf("/instances/%d", inst.ID), "en")
	if !strings.Contains(body, i18n.T("en", "flowui.sig.valid", nil)) || !strings.Contains(body, "同意") {
		t.Error("signature or comment not shown after approval")
	}
	fwNoRawKeys(t, "instance after approval", body)
	_, body = czq.page("/inbox?box=done", "zh")
	if !strings.Contains(body, fmt.Sprintf("/instances/%d", inst.ID)) {
		t.Error("done box lacks the approved instance")
	}
}

// R4: refusing or undoing someone's work needs a reason. Through the API,
// a rejection, a return or a withdrawal without one is refused (422, naming
// the field, in the user's language) and nothing changes; with one, the
// reason is in the audit trail.
func TestR4_ReasonRequiredThroughAPI(t *testing.T) {
	e := fwNewEnv(t)
	zw := e.login("zhangwei")
	czq := e.login("chenzhiqiang")
	inst := fwStartPurchase(t, zw, "r4-1")
	task := fwTodoTask(t, czq, inst.ID)
	for _, c := range []struct {
		who  *fwUser
		path string
		in   map[string]any
	}{
		{czq, fmt.Sprintf("/api/v1/tasks/%d/actions", task), map[string]any{"action": "reject", "password": fwPassword}},
		{czq, fmt.Sprintf("/api/v1/tasks/%d/actions", task), map[string]any{"action": "return", "comment": "  "}},
		{zw, fmt.Sprintf("/api/v1/instances/%d/actions", inst.ID), map[string]any{"action": "withdraw"}},
	} {
		code, body := c.who.json("POST", c.path, c.in, nil)
		if code != http.StatusUnprocessableEntity && code != http.StatusBadRequest {
			t.Fatalf("%v without a reason: %d %s", c.in["action"], code, body)
		}
		if !strings.Contains(body, `"field":"comment"`) || !strings.Contains(body, "请填写原因") {
			t.Fatalf("%v: the error does not name the comment field in the user's language: %s", c.in["action"], body)
		}
	}
	code, body := zw.json("POST", fmt.Sprintf("/api/v1/instances/%d/actions", inst.ID), map[string]any{"action": "withdraw", "comment": "报价有误，需重新填写"}, nil)
	if code != http.StatusOK {
		t.Fatalf("withdraw with a reason: %d %s", code, body)
	}
	evs, err := e.app.DB.FindAudit(context.Background(), store.AuditFilter{Action: "flow.withdraw"})
	if err != nil || len(evs) != 1 || evs[0].Reason != "报价有误，需重新填写" {
		t.Fatalf("audit of the withdrawal: %+v %v", evs, err)
	}
}

// Pages show times in the institute's zone (Asia/Shanghai unless
// configured), the zone and its offset stated once at the foot of the
// page, while the API keeps server UTC (R1, R6; issue 9 item 5).
func TestPagesShowTimesInTheInstituteZone(t *testing.T) {
	e := fwNewEnv(t)
	zw := e.login("zhangwei")
	inst := fwStartPurchase(t, zw, "tz-1")
	code, body := zw.json("GET", fmt.Sprintf("/api/v1/instances/%d", inst.ID), nil, nil)
	if code != 200 {
		t.Fatalf("instance: %d %s", code, body)
	}
	var v struct {
		Instance struct {
			CreatedAt time.Time `json:"created_at"`
		} `json:"instance"`
	}
	if err := json.Unmarshal([]byte(body), &v); err != nil || v.Instance.CreatedAt.Location() != time.UTC {
		t.Fatalf("API time %v (%v), want UTC", v.Instance.CreatedAt, err)
	}
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	want := v.Instance.CreatedAt.In(sh).Format("2006-01-02 15:04")
	code, page := zw.page(fmt.Sprintf("/instances/%d", inst.ID), "zh")
	if code != 200 || !strings.Contains(page, want) {
		t.Fatalf("instance page (%d) does not show %q", code, want)
	}
	if n := strings.Count(page, "UTC&#43;08:00"); n != 1 || !strings.Contains(page, "Asia/Shanghai") { // "+" as html/template writes it
		t.Fatalf("the zone is stated %d times, want once with its name", n)
	}
}

// The inbox filters by initiator chosen by name, not by a number to type.
func TestInboxInitiatorFilterByName(t *testing.T) {
	e := fwNewEnv(t)
	zw := e.login("zhangwei")
	czq := e.login("chenzhiqiang")
	inst := fwStartPurchase(t, zw, "by-name")
	ctx := context.Background()
	p, err := e.app.People.PersonByUsername(ctx, "zhangwei")
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.app.People.PersonByUsername(ctx, "lihua")
	if err != nil {
		t.Fatal(err)
	}
	link := fmt.Sprintf(`href="/instances/%d"`, inst.ID)
	code, page := czq.page(fmt.Sprintf("/inbox?box=todo&initiator=%d", p.ID), "zh")
	option := fmt.Sprintf(`<option value="%d" selected>张伟 (zhangwei)</option>`, p.ID)
	if code != 200 || !strings.Contains(page, option) || !strings.Contains(page, link) {
		t.Fatalf("inbox filtered by 张伟 (%d): selected option or the request missing", code)
	}
	if _, page = czq.page(fmt.Sprintf("/inbox?box=todo&initiator=%d", other.ID), "zh"); strings.Contains(page, link) {
		t.Fatal("inbox filtered by 李华 lists 张伟's request")
	}
}

// While the form is filled in, the page asks the server for the computed
// fields: each line's amount (blank lines keep their numbers) and the
// total. Nothing is stored.
func TestStartFormPreviewComputesAsYouType(t *testing.T) {
	e := fwNewEnv(t)
	zw := e.login("zhangwei")
	// What zhangwei started already (the demo's pre-checks among them).
	_, counts := zw.json("GET", "/api/v1/inbox/counts", nil, nil)
	started := fwDecode[map[string]int](t, counts)["started"]
	form := url.Values{"rows.items": {"5"},
		"items.1.name": {"乙腈"}, "items.1.quantity": {"2"}, "items.1.unit": {"瓶"}, "items.1.unit_price": {"385.50"},
		"items.3.name": {"甲醇"}, "items.3.quantity": {"3"}, "items.3.unit": {"瓶"}, "items.3.unit_price": {"10"}}
	code, body, _ := zw.post("/processes/purchase-request/preview", form)
	if code != 200 {
		t.Fatalf("preview: %d %s", code, body)
	}
	got := fwDecode[struct {
		Values map[string]string `json:"values"`
	}](t, body).Values
	want := map[string]string{"items.1.amount": "771.00", "items.3.amount": "30.00", "total": "801.00"}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("preview values %v, want %s = %s", got, k, v)
		}
	}
	// A line without a price (purchasing fills it after the inquiry) counts
	// 0, as the request will be stored.
	form.Del("items.3.unit_price")
	_, body, _ = zw.post("/processes/purchase-request/preview", form)
	got = fwDecode[struct {
		Values map[string]string `json:"values"`
	}](t, body).Values
	if got["items.3.amount"] != "0.00" || got["items.1.amount"] != "771.00" || got["total"] != "771.00" {
		t.Fatalf("preview with a line without price: %v", got)
	}
	if code, body := zw.json("GET", "/api/v1/inbox/counts", nil, nil); code != 200 || fwDecode[map[string]int](t, body)["started"] != started {
		t.Fatalf("a preview stored an instance: %d %s", code, body)
	}
}
