package web_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"labflow/internal/i18n"
)

// The HTTP side of a step that a person outside the institute completes
// by a one-time link (issue 8 §2; SPEC REL-5): the outsider's page and
// API, without a sign-in, and the initiator's re-issue and revocation.

// surveyFormBody is the customer survey as its initiator files it.
func surveyFormBody() map[string]any {
	return map[string]any{"form": map[string]any{"customer_name": "陈先生", "customer_email": "chen@example.com",
		"service": "离心机维修，更换转子"}}
}

// fileSurvey files the built-in customer survey as user and returns the
// instance and the token of the link e-mailed to the customer (read from
// the outbox row that carries it to be sent).
func fileSurvey(t *testing.T, e *env, user string) (int64, string) {
	t.Helper()
	r := e.as(t, user, "POST", "/api/v1/processes/customer-survey/instances", surveyFormBody())
	if r.status != 201 {
		t.Fatalf("file the survey: %d %s", r.status, r.body)
	}
	var in struct {
		ID     int64
		Issued []struct{ Token, Path string } `json:"issued_links"`
	}
	r.json(t, &in)
	tok := mailedToken(t, e, in.ID)
	// The initiator is shown the link that went to the customer, once.
	if len(in.Issued) != 1 || in.Issued[0].Token != tok || in.Issued[0].Path != "/x/"+tok {
		t.Fatalf("issued links in the answer to the initiator: %+v", in.Issued)
	}
	return in.ID, tok
}

func mailedToken(t *testing.T, e *env, inst int64) string {
	t.Helper()
	var args string
	err := e.app.DB.R().QueryRowContext(context.Background(),
		"SELECT args FROM flow_outbox WHERE channel = 'email' AND instance_id = $1 ORDER BY id DESC LIMIT 1", inst).Scan(&args)
	if err != nil {
		t.Fatalf("no e-mail for instance %d: %v", inst, err)
	}
	var m struct{ To, Path string }
	json.Unmarshal([]byte(args), &m)
	tok, ok := strings.CutPrefix(m.Path, "/x/")
	if !ok || m.To != "chen@example.com" {
		t.Fatalf("e-mail %s", args)
	}
	return tok
}

// Ensure the customer answers the survey through the page a link opens,
// with no account, no session and no cookie: the page shows the request's
// title and the step's fields only; a missing answer is shown beside its
// field; the submission completes the step and goes to the director; the
// request page shows whom the step waited for and, after, who entered
// what with their address and time; the trail records the outsider.
func TestREL5_ExternalSurveyThroughThePage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	inst, tok := fileSurvey(t, e, "zhangwei")

	page := e.do(t, nil, "GET", "/instances/"+itoa64(inst), nil, map[string]string{"Authorization": "Bearer " + e.token(t, "zhangwei")})
	for _, want := range []string{"外部人员（陈先生）", "chen@example.com", "等待填写", `id="external-reissue"`, `id="external-revoke"`} {
		if !strings.Contains(page.body, want) {
			t.Fatalf("the request page lacks %q", want)
		}
	}
	if strings.Contains(page.body, tok) {
		t.Fatal("the request page shows the e-mailed token")
	}
	// The director sees the request, and the link's state, but may not re-issue.
	page = e.do(t, nil, "GET", "/instances/"+itoa64(inst), nil, map[string]string{"Authorization": "Bearer " + e.token(t, "chenzhiqiang")})
	if !strings.Contains(page.body, "外部人员（陈先生）") || strings.Contains(page.body, `id="external-reissue"`) {
		t.Fatal("the director's view of the external step")
	}

	c := e.client(t) // the customer: no cookie, no session
	r := e.do(t, c, "GET", "/x/"+tok, nil, nil)
	if r.status != 200 {
		t.Fatalf("the customer's page: %d %s", r.status, r.body)
	}
	for _, want := range []string{"客户满意度回访", "客户填写满意度调查", "满意度", "意见和建议", `value="陈先生"`, `id="external-form"`} {
		if !strings.Contains(r.body, want) {
			t.Fatalf("the customer's page lacks %q: %.2000s", want, r.body)
		}
	}
	for _, secret := range []string{"离心机", "chen@example.com", "张伟", "跟进处理", "customer_email", `name="service"`, `name="follow_up"`} {
		if strings.Contains(r.body, secret) {
			t.Fatalf("the customer's page shows %q", secret)
		}
	}
	if r.header.Get("Referrer-Policy") != "no-referrer" || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("headers: %v", r.header)
	}
	if len(c.Jar.Cookies(mustURL(t, e.srv.URL))) != 0 {
		t.Fatal("the customer's page set a cookie")
	}
	r = e.do(t, c, "POST", "/x/"+tok, url.Values{"name": {"陈先生"}, "remarks": {"还行"}}.Encode(), formCT)
	if r.status != 422 || !strings.Contains(r.body, "此步骤必须填写") && !strings.Contains(r.body, "field-error") {
		t.Fatalf("without the rating: %d %.1500s", r.status, r.body)
	}
	if !strings.Contains(r.body, "还行") {
		t.Fatal("the refused form lost what the customer typed")
	}
	r = e.do(t, c, "POST", "/x/"+tok, url.Values{"name": {"陈先生"}, "satisfaction": {"2"}, "remarks": {"等了三天才修好"}}.Encode(),
		map[string]string{"Content-Type": "application/x-www-form-urlencoded", "User-Agent": "CustomerBrowser/2.0"})
	if r.status != 200 || !strings.Contains(r.body, `id="external-done"`) {
		t.Fatalf("the submission: %d %.1500s", r.status, r.body)
	}
	// An unsatisfied answer goes to the director.
	todo := e.as(t, "chenzhiqiang", "GET", "/api/v1/inbox/todo", nil)
	if !strings.Contains(todo.body, `"step_id":"follow_up"`) {
		t.Fatalf("the director's follow-up: %s", todo.body)
	}
	page = e.do(t, nil, "GET", "/instances/"+itoa64(inst), nil, map[string]string{"Authorization": "Bearer " + e.token(t, "zhangwei")})
	for _, want := range []string{"陈先生 填写", "IP 127.0.0.1", "CustomerBrowser/2.0", "等了三天才修好", "不满意", "已提交", "通过链接提交"} {
		if !strings.Contains(page.body, want) {
			t.Fatalf("the request page after the answer lacks %q", want)
		}
	}
	a := e.as(t, "admin", "GET", "/api/v1/audit?action=flow.external_submit", nil)
	if !strings.Contains(a.body, `"actor_name":"external: 陈先生"`) || !strings.Contains(a.body, "127.0.0.1") || !strings.Contains(a.body, "CustomerBrowser/2.0") {
		t.Fatalf("audit: %s", a.body)
	}
	if _, err := e.app.DB.VerifyAudit(context.Background(), ""); err != nil {
		t.Fatalf("verify: %v", err)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// Ensure the JSON API does the same for programs: the form, a forged
// field refused naming it, the submission with its receipt, and then the
// neutral problem — the same for a used, an unknown and a malformed
// token, in both languages (no enumeration).
func TestREL5_ExternalJSONAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, tok := fileSurvey(t, e, "zhangwei")
	p := "/api/v1/external/" + tok
	runScenarios(t, e, []scenario{
		{name: "form", path: p, wantStatus: 200, wantContains: []string{`"key":"satisfaction"`, `"key":"remarks"`, `"name":"陈先生"`},
			wantNotContains: []string{"离心机", "chen@example.com", "customer_email", "follow_up"}},
		{name: "forged field", method: "POST", path: p, body: map[string]any{"form": map[string]any{"satisfaction": "5", "service": "改了"}},
			wantStatus: 422, wantField: map[string]string{"service": "field.unknown"}},
		{name: "forged follow-up", method: "POST", path: p, body: map[string]any{"form": map[string]any{"satisfaction": "5", "follow_up": "无需"}},
			wantStatus: 422, wantField: map[string]string{"follow_up": "field.unknown"}},
		{name: "bad choice", method: "POST", path: p, body: map[string]any{"form": map[string]any{"satisfaction": "6"}},
			wantStatus: 422, wantField: map[string]string{"satisfaction": "field.bad_choice"}},
		{name: "unknown key", method: "POST", path: p, body: map[string]any{"form": map[string]any{"satisfaction": "5"}, "ip": "1.2.3.4"},
			wantStatus: 422, wantField: map[string]string{"ip": "field.unknown"}},
		{name: "submit", method: "POST", path: p, body: map[string]any{"form": map[string]any{"satisfaction": "5", "remarks": "很好"}, "name": "陈太太"},
			wantStatus: 200, wantContains: []string{`"name":"陈太太"`, `"submitted_at"`}},
	})
	var bodies []string
	for _, path := range []string{p, "/api/v1/external/" + strings.Repeat("x", 43), "/api/v1/external/short"} {
		for _, method := range []string{"GET", "POST"} {
			r := e.do(t, nil, method, path, map[string]any{"form": map[string]any{"satisfaction": "5"}}, nil)
			pr := r.problem(t)
			if r.status != 404 || pr.Key != "flow.external.link_invalid" || len(pr.Errors) != 0 {
				t.Fatalf("%s %s: %d %+v", method, path, r.status, pr)
			}
			bodies = append(bodies, pr.Detail+pr.Title+pr.Type)
		}
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Fatalf("the answers differ: %q and %q", bodies[0], b)
		}
	}
	r := e.do(t, nil, "GET", p, nil, map[string]string{"Accept-Language": "en"})
	if pr := r.problem(t); pr.Detail != i18n.T("en", "flow.external.link_invalid", nil) {
		t.Fatalf("in English: %+v", pr)
	}
}

// Ensure the neutral page is one page: a used link, an unknown and a
// malformed one look alike, in Chinese and in English.
func TestREL5_ExternalNeutralPageNoEnumeration(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, tok := fileSurvey(t, e, "zhangwei")
	r := e.do(t, nil, "POST", "/x/"+tok, url.Values{"satisfaction": {"4"}}.Encode(), formCT)
	if r.status != 200 {
		t.Fatalf("submit: %d", r.status)
	}
	for _, lang := range []string{"zh", "en"} {
		h := map[string]string{"Accept-Language": lang}
		var first string
		for i, path := range []string{"/x/" + tok, "/x/" + strings.Repeat("Q", 43), "/x/nothing"} {
			r := e.do(t, nil, "GET", path, nil, h)
			if r.status != 404 || !strings.Contains(r.body, i18n.T(lang, "flow.external.link_invalid", nil)) {
				t.Fatalf("%s %s: %d %.500s", lang, path, r.status, r.body)
			}
			// The page names no path: only its language switch carries it back.
			body := strings.ReplaceAll(r.body, path, "")
			if i == 0 {
				first = body
			} else if body != first {
				t.Fatalf("%s: the page for %s differs from the one for a used link", lang, path)
			}
		}
	}
}

// Ensure an expired link is refused; the expiry reaches the initiator,
// who issues a new link on the request page and sees it once; the new
// link works, the old one does not; a revocation needs a reason (R4).
func TestREL5_ExternalExpiredReissuedOnThePage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, withClock())
	inst, tok := fileSurvey(t, e, "zhangwei")
	e.clk.Add(7*24*time.Hour + time.Minute)
	if r := e.do(t, nil, "GET", "/x/"+tok, nil, nil); r.status != 404 {
		t.Fatalf("an expired link: %d", r.status)
	}
	if n, err := e.app.Flow.ExpireExternalLinks(context.Background(), e.clk.Now()); err != nil || n != 1 {
		t.Fatalf("expired %d: %v", n, err)
	}
	ns := e.as(t, "zhangwei", "GET", "/api/v1/notifications", nil)
	if !strings.Contains(ns.body, `"kind":"external_expired"`) {
		t.Fatalf("notifications: %s", ns.body)
	}
	c := e.login(t, "zhangwei")
	r := e.do(t, c, "POST", "/instances/"+itoa64(inst)+"/external/revoke", url.Values{"comment": {"无效"}}.Encode(), formCT)
	if r.status != 409 || !strings.Contains(r.body, i18n.T("zh", "flow.external.no_link", nil)) {
		t.Fatalf("revoking an expired link: %d", r.status)
	}
	r = e.do(t, c, "POST", "/instances/"+itoa64(inst)+"/external/reissue", url.Values{"comment": {"客户说没收到"}}.Encode(), formCT)
	if r.status != 200 || !strings.Contains(r.body, `id="issued-url"`) {
		t.Fatalf("re-issue on the page: %d %.1500s", r.status, r.body)
	}
	newTok := mailedToken(t, e, inst)
	if !strings.Contains(r.body, e.srv.URL[len("http://"):]+"/x/"+newTok) {
		t.Fatal("the page does not show the new link with this server's address")
	}
	// Shown once: the page read again does not show it.
	if again := e.do(t, c, "GET", "/instances/"+itoa64(inst), nil, nil); strings.Contains(again.body, newTok) {
		t.Fatal("the new link is shown again")
	}
	r = e.do(t, c, "POST", "/instances/"+itoa64(inst)+"/external/revoke", url.Values{"comment": {"  "}}.Encode(), formCT)
	if r.status != 422 || !strings.Contains(r.body, `id="external-error"`) {
		t.Fatalf("revoke without a reason: %d", r.status)
	}
	if r := e.do(t, nil, "GET", "/x/"+newTok, nil, nil); r.status != 200 {
		t.Fatalf("the new link: %d", r.status)
	}
	r = e.do(t, c, "POST", "/instances/"+itoa64(inst)+"/external/revoke", url.Values{"comment": {"客户已电话答复"}}.Encode(), formCT)
	if r.status != 303 {
		t.Fatalf("revoke: %d %.500s", r.status, r.body)
	}
	if r := e.do(t, nil, "GET", "/x/"+newTok, nil, nil); r.status != 404 {
		t.Fatalf("a revoked link: %d", r.status)
	}
	a := e.as(t, "admin", "GET", "/api/v1/audit?action=flow.external_revoke", nil)
	if !strings.Contains(a.body, "客户已电话答复") {
		t.Fatalf("the revocation's reason is not in the trail: %s", a.body)
	}
}

// Ensure a link whose step has moved on is refused: the initiator withdrew
// the request.
func TestREL5_ExternalLinkAfterWithdrawal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	inst, tok := fileSurvey(t, e, "zhangwei")
	r := e.as(t, "zhangwei", "POST", idPath("/api/v1/instances/%d/actions", inst), map[string]any{"action": "withdraw", "comment": "客户已电话反馈"})
	if r.status != 200 {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	if r := e.do(t, nil, "POST", "/api/v1/external/"+tok, map[string]any{"form": map[string]any{"satisfaction": "5"}}, nil); r.status != 404 {
		t.Fatalf("a link of a withdrawn request: %d %s", r.status, r.body)
	}
	v := e.as(t, "zhangwei", "GET", idPath("/api/v1/instances/%d", inst), nil)
	if !strings.Contains(v.body, `"state":"closed"`) {
		t.Fatalf("the link is not closed: %s", v.body)
	}
}

// Ensure nobody inside acts on the outsider's step through the API
// (COMPLIANCE R12): the placeholder task is refused to the initiator and
// to who sees the request, and unknown to the others.
func TestR12_ExternalPlaceholderRefusedOverHTTP(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	inst, _ := fileSurvey(t, e, "zhangwei")
	var v struct {
		Tasks []struct {
			ID   int64
			Kind string
		}
	}
	e.as(t, "zhangwei", "GET", idPath("/api/v1/instances/%d", inst), nil).json(t, &v)
	if len(v.Tasks) != 1 || v.Tasks[0].Kind != "external" {
		t.Fatalf("tasks: %+v", v.Tasks)
	}
	p := idPath("/api/v1/tasks/%d/actions", v.Tasks[0].ID)
	for user, want := range map[string]int{"zhangwei": 403, "chenzhiqiang": 403, "wangjianguo": 403, "wangfang": 404, "admin": 403} {
		r := e.as(t, user, "POST", p, map[string]any{"action": "approve", "form": map[string]any{"satisfaction": "5"}})
		if r.status != want {
			t.Fatalf("%s approves the outsider's step: %d, want %d", user, r.status, want)
		}
	}
	var after struct {
		Instance struct{ Form map[string]any }
	}
	e.as(t, "zhangwei", "GET", idPath("/api/v1/instances/%d", inst), nil).json(t, &after)
	if _, ok := after.Instance.Form["satisfaction"]; ok || len(after.Instance.Form) != 3 {
		t.Fatalf("an insider wrote the answer: %v", after.Instance.Form)
	}
}

// Ensure failed uses of links are limited per address as failed sign-ins
// are, with their own count: past the limit the address is refused (429)
// before any lookup, even with a good link, and can still sign in.
func TestREL5_ExternalLinksThrottledPerAddress(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, tok := fileSurvey(t, e, "zhangwei")
	for i := 0; i < 20; i++ {
		if r := e.do(t, nil, "GET", "/x/"+strings.Repeat("z", 42)+string(rune('a'+i)), nil, nil); r.status != 404 {
			t.Fatalf("guess %d: %d", i, r.status)
		}
	}
	r := e.do(t, nil, "GET", "/api/v1/external/"+tok, nil, nil)
	if pr := r.problem(t); r.status != 429 || pr.Key != "flow.external.throttled" {
		t.Fatalf("after 20 guesses: %d %+v", r.status, pr)
	}
	e.login(t, "wangfang")
}

// Ensure the access log keeps no usable link.
func TestREL5_ExternalTokenNotLogged(t *testing.T) {
	t.Parallel()
	var log syncBuffer
	e := newEnv(t, withLog(&log))
	_, tok := fileSurvey(t, e, "zhangwei")
	e.do(t, nil, "GET", "/x/"+tok, nil, nil)
	e.do(t, nil, "GET", "/api/v1/external/"+tok, nil, nil)
	if strings.Contains(log.String(), tok) {
		t.Fatal("the log holds the token")
	}
	if len(accessLines(t, log.String(), "/x/…")) != 1 || len(accessLines(t, log.String(), "/api/v1/external/…")) != 1 {
		t.Fatalf("the requests are not logged: %s", log.String())
	}
}

// Ensure the outsider's page is in English when their browser asks for it.
func TestREL5_ExternalPageInEnglish(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, tok := fileSurvey(t, e, "zhangwei")
	r := e.do(t, nil, "GET", "/x/"+tok, nil, map[string]string{"Accept-Language": "en-US,en"})
	for _, want := range []string{"Customer satisfaction survey", "Satisfaction", "Your name", ">Submit<", "Very satisfied"} {
		if !strings.Contains(r.body, want) {
			t.Fatalf("the English page lacks %q", want)
		}
	}
}

// Ensure every message the external pages and errors use is in both catalogs.
func TestREL5_ExternalMessagesInBothLanguages(t *testing.T) {
	for _, k := range []string{"flow.external.link_invalid", "flow.external.throttled", "flow.external.refused", "flow.external.no_step",
		"flow.external.no_link", "flowui.notify.external_issued", "flowui.notify.external_expired", "flowui.notify.external_submitted",
		"flowui.action.external_issue", "flowui.action.external_reissue", "flowui.action.external_revoke", "flowui.action.external_submit",
		"flowui.action.external_expired", "external.state.open", "external.state.used", "external.state.revoked", "external.state.expired",
		"external.state.closed", "external.waiting_for", "external.done", "external.issued"} {
		for _, lang := range i18n.Langs {
			if !i18n.Has(lang, k) {
				t.Errorf("%s lacks %s", lang, k)
			}
		}
	}
}

// Ensure the outsider's form needs no cookie but keeps cross-site posts
// out: a browser's post from another site is refused (CSRF), one from the
// page itself goes through.
func TestREL5_ExternalFormRefusesCrossSitePosts(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, tok := fileSurvey(t, e, "zhangwei")
	body := url.Values{"satisfaction": {"4"}}.Encode()
	r := e.do(t, nil, "POST", "/x/"+tok, body, map[string]string{"Content-Type": "application/x-www-form-urlencoded",
		"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"})
	if r.status != 403 {
		t.Fatalf("a cross-site post: %d", r.status)
	}
	r = e.do(t, nil, "POST", "/x/"+tok, body, map[string]string{"Content-Type": "application/x-www-form-urlencoded",
		"Sec-Fetch-Site": "same-origin", "Origin": e.srv.URL})
	if r.status != 200 || !strings.Contains(r.body, `id="external-done"`) {
		t.Fatalf("the page's own post: %d %.500s", r.status, r.body)
	}
}

// Ensure filing a request whose first step is the customer's shows the
// initiator the link that was e-mailed, on the request page, once.
func TestREL5_ExternalLinkShownToInitiatorWhenFiled(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	c := e.login(t, "zhangwei")
	form := url.Values{"customer_name": {"陈先生"}, "customer_email": {"chen@example.com"}, "service": {"年度校准"}}
	r := e.do(t, c, "POST", "/processes/customer-survey/new", form.Encode(), formCT)
	if r.status != 200 || !strings.Contains(r.body, `id="issued-url"`) {
		t.Fatalf("filing: %d %.800s", r.status, r.body)
	}
	var inst int64
	if err := e.app.DB.R().QueryRowContext(context.Background(), "SELECT MAX(id) FROM flow_instance").Scan(&inst); err != nil {
		t.Fatal(err)
	}
	tok := mailedToken(t, e, inst)
	if !strings.Contains(r.body, "/x/"+tok) {
		t.Fatal("the page does not show the link that was e-mailed")
	}
	if again := e.do(t, c, "GET", "/instances/"+itoa64(inst), nil, nil); strings.Contains(again.body, tok) {
		t.Fatal("the link is shown again")
	}
}
