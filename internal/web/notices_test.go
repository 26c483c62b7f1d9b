package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"labflow/internal/i18n"
	"labflow/internal/notify/notifytest"
	"labflow/internal/store"
)

// TestNotice_DecisionsReachTheRequesterByMailAndChat (issue 9 item 4),
// through the JSON API: the administrator sets up SMTP and 合成部's
// DingTalk robot; zhangwei files a purchase request; the director hears of
// his task by e-mail and in the group; he approves; zhangwei hears of the
// decision — who, which step, the request's title and number — by e-mail
// and in the group, and in the app. When zhangwei turns e-mail off, the
// next notice reaches him in the group only. Delivery runs beside the
// requests (the worker's round), never inside them.
func TestNotice_DecisionsReachTheRequesterByMailAndChat(t *testing.T) {
	t.Parallel()
	e := fwNewEnv(t)
	admin, zw, czq := e.login("admin"), e.login("zhangwei"), e.login("chenzhiqiang")
	srv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{})
	ding := notifytest.DingTalk(t, "syn-group", "SEC-syn-secret", e.app.DB.Now)
	code, body := admin.json("PUT", "/api/v1/admin/notices", map[string]any{"base_url": "https://labflow.example.cn",
		"smtp": map[string]any{"enabled": true, "host": "127.0.0.1", "port": srv.Port(), "tls": "none", "from": "LabFlow <labflow@labflow.example>"}}, nil)
	if code != 200 || strings.Contains(body, "password\":\"") {
		t.Fatalf("settings: %d %s", code, body)
	}
	syn := e.departmentID(t, "synthesis")
	code, body = admin.json("PUT", fmt.Sprintf("/api/v1/admin/notices/robots/%d", syn), map[string]any{"platform": "dingtalk",
		"webhook": ding.URL, "secret": "SEC-syn-secret", "enabled": true}, nil)
	if code != 200 || strings.Contains(body, "syn-group") || strings.Contains(body, "SEC-syn") {
		t.Fatalf("robot: %d %s", code, body)
	}
	code, body = zw.json("PUT", "/api/v1/admin/notices", map[string]any{"smtp": map[string]any{"enabled": false}}, nil)
	if code != http.StatusForbidden {
		t.Fatalf("a researcher changes the settings: %d %s", code, body)
	}

	inst := fwStartPurchase(t, zw, "")
	deliver := func() {
		t.Helper()
		if _, err := e.app.Notices.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	deliver()
	no := fmt.Sprintf("#%d", inst.ID)
	if m := mailTo(srv, "chenzhiqiang@labflow.example"); len(m) != 1 || !strings.Contains(m[0].Subject, "新待办") || !strings.Contains(m[0].Subject, no) ||
		!strings.Contains(m[0].Body, fmt.Sprintf("https://labflow.example.cn/instances/%d", inst.ID)) {
		t.Fatalf("the director's mail: %+v", m)
	}
	if p := ding.Posts(); len(p) != 1 || !strings.Contains(p[0].Text, "致 陈志强") || !strings.Contains(p[0].Text, no) {
		t.Fatalf("the group: %+v (refused %v)", p, ding.Refusals())
	}

	task := fwTodoTask(t, czq, inst.ID)
	if code, body := czq.json("POST", fmt.Sprintf("/api/v1/tasks/%d/actions", task), map[string]any{"action": "approve", "password": fwPassword, "comment": "同意"}, nil); code != 200 {
		t.Fatalf("approve: %d %s", code, body)
	}
	deliver()
	m := mailTo(srv, "zhangwei@labflow.example")
	if len(m) != 1 || !strings.Contains(m[0].Subject, "已同意") || !strings.Contains(m[0].Subject, no) || !strings.Contains(m[0].Subject, "陈志强") {
		t.Fatalf("the requester's mail: %+v", m)
	}
	if p := ding.Posts(); len(p) != 2 || !strings.Contains(p[1].Text, "致 张伟") || !strings.Contains(p[1].Text, "已同意") {
		t.Fatalf("the group after the decision: %+v", p)
	}
	code, body = zw.json("GET", "/api/v1/notifications", nil, map[string]string{"Accept-Language": "zh"})
	if code != 200 || !strings.Contains(body, `"kind":"step_approved"`) || !strings.Contains(body, "陈志强") {
		t.Fatalf("in-app: %d %s", code, body)
	}

	// zhangwei turns e-mail off: the next notice reaches him in the group only.
	code, body = zw.json("PUT", "/api/v1/me/notices", map[string]any{"email": false, "chat": true}, nil)
	if code != 200 || !strings.Contains(body, `"email":false`) || !strings.Contains(body, `"chat_ready":true`) {
		t.Fatalf("prefs: %d %s", code, body)
	}
	if code, body := zw.json("POST", fmt.Sprintf("/api/v1/instances/%d/actions", inst.ID), map[string]any{"action": "comment", "comment": "谢谢"}, nil); code != 200 {
		t.Fatalf("comment: %d %s", code, body)
	}
	lihua := e.login("lihua")
	task = fwTodoTask(t, lihua, inst.ID)
	if code, body := lihua.json("POST", fmt.Sprintf("/api/v1/tasks/%d/actions", task), map[string]any{"action": "return", "comment": "请补充报价"}, nil); code != 200 {
		t.Fatalf("return: %d %s", code, body)
	}
	deliver()
	if m := mailTo(srv, "zhangwei@labflow.example"); len(m) != 1 {
		t.Fatalf("mail after turning it off: %d", len(m))
	}
	p := ding.Posts()
	if last := p[len(p)-1]; !strings.Contains(last.Text, "已退回给您") || !strings.Contains(last.Text, "请补充报价") || !strings.Contains(last.Text, "李华") {
		t.Fatalf("the return in the group: %q", last.Text)
	}
}

// TestNotice_AdministratorSeesFailuresAndRetries (issue 9 item 4), on the
// pages: a delivery the mail server refuses is listed on 系统管理 → 通知设置
// with the server's answer and a retry button; the retry is audited and
// the notice goes; nobody else sees the page; no secret is on it.
func TestNotice_AdministratorSeesFailuresAndRetries(t *testing.T) {
	t.Parallel()
	e := fwNewEnv(t)
	admin, zw := e.login("admin"), e.login("zhangwei")
	srv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{})
	srv.Reply(func(cmd string, n int) string {
		if cmd == "RCPT" && n == 1 {
			return "550 5.1.1 mailbox unavailable"
		}
		return ""
	})
	form := url.Values{"base_url": {"https://labflow.example.cn"}, "smtp_enabled": {"1"}, "smtp_host": {"127.0.0.1"},
		"smtp_port": {fmt.Sprint(srv.Port())}, "smtp_tls": {"none"}, "smtp_from": {"labflow@labflow.example"}, "reason": {"上线"}}
	code, body, _ := admin.post("/admin/notices", form)
	if code != 200 || !strings.Contains(body, i18n.T("zh", "notice.settings_saved", nil)) {
		t.Fatalf("save settings: %d %s", code, pageText(body))
	}
	// A bad value is named beside its field.
	bad := url.Values{"smtp_enabled": {"1"}, "smtp_host": {"127.0.0.1"}, "smtp_port": {"99999"}, "smtp_tls": {"none"}, "smtp_from": {"labflow@labflow.example"}}
	code, body, _ = admin.post("/admin/notices", bad)
	if code != http.StatusUnprocessableEntity || !strings.Contains(html.UnescapeString(body), i18n.T("zh", "notice.bad_port", nil)) {
		t.Fatalf("bad port: %d", code)
	}

	inst := fwStartPurchase(t, zw, "")
	if _, err := e.app.Notices.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, body = admin.page("/admin/notices", "zh")
	page := html.UnescapeString(body)
	var id int64
	if i := strings.Index(page, `<tr id="delivery-`); i < 0 {
		t.Fatalf("no failed delivery listed: %s", pageText(page))
	} else if _, err := fmt.Sscanf(page[i:], `<tr id="delivery-%d"`, &id); err != nil {
		t.Fatalf("no failed delivery listed: %s", pageText(page))
	}
	row := page[strings.Index(page, fmt.Sprintf(`<tr id="delivery-%d">`, id)):]
	row = row[:strings.Index(row, "</tr>")]
	for _, want := range []string{"550", "mailbox unavailable", i18n.T("zh", "notice.state.failed", nil), "陈志强", fmt.Sprintf("#%d", inst.ID),
		fmt.Sprintf(`action="/admin/deliveries/%d/retry"`, id)} {
		if !strings.Contains(row, want) {
			t.Fatalf("the failed delivery's row lacks %q: %s", want, row)
		}
	}
	if code, _ := zw.page("/admin/notices", "zh"); code != http.StatusForbidden {
		t.Fatalf("a researcher sees the notices page: %d", code)
	}
	code, body, _ = admin.post(fmt.Sprintf("/admin/deliveries/%d/retry", id), url.Values{"reason": {"地址已更正"}})
	if code != 200 || !strings.Contains(body, i18n.T("zh", "notice.retry_done", nil)) {
		t.Fatalf("retry: %d %s", code, pageText(body))
	}
	if _, err := e.app.Notices.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m := mailTo(srv, "chenzhiqiang@labflow.example"); len(m) != 1 {
		t.Fatalf("mails after the retry: %d", len(m))
	}
	evs, err := e.app.DB.FindAudit(context.Background(), store.AuditFilter{Action: "notice.", Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	acts := map[string]int{}
	for _, ev := range evs {
		acts[ev.Action]++
	}
	if acts["notice.failed"] != 1 || acts["notice.retry"] != 1 || acts["notice.settings"] != 1 {
		t.Fatalf("audited %v", acts)
	}
	// Through the API too: the list, and no second sending of a sent one.
	code, body = admin.json("GET", "/api/v1/admin/deliveries?state=sent", nil, nil)
	if code != 200 || !strings.Contains(body, fmt.Sprintf(`"id":%d`, id)) {
		t.Fatalf("deliveries: %d %s", code, body)
	}
	if code, body := admin.json("POST", fmt.Sprintf("/api/v1/admin/deliveries/%d/retry", id), nil, nil); code != http.StatusConflict {
		t.Fatalf("retry a sent delivery: %d %s", code, body)
	}

	// One's own channels, on the account page.
	code, body, _ = zw.post("/account/notices", url.Values{"chat": {"1"}})
	if code != 200 || !strings.Contains(body, i18n.T("zh", "notice.prefs_saved", nil)) {
		t.Fatalf("prefs page: %d", code)
	}
	code, body = zw.json("GET", "/api/v1/me/notices", nil, nil)
	if code != 200 || !strings.Contains(body, `"email":false`) || !strings.Contains(body, `"chat":true`) {
		t.Fatalf("prefs: %d %s", code, body)
	}
	fwNoRawKeys(t, "notices page", page)
}

// departmentID returns the id of the department with code.
func (e *fwEnv) departmentID(t *testing.T, code string) int64 {
	t.Helper()
	ds, err := e.app.People.Departments(context.Background(), true)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		if d.Code == code {
			return d.ID
		}
	}
	t.Fatalf("no department %s", code)
	return 0
}

func mailTo(s *notifytest.SMTPServer, addr string) []notifytest.Mail {
	var out []notifytest.Mail
	for _, m := range s.Mails() {
		if len(m.To) == 1 && m.To[0] == addr {
			out = append(out, m)
		}
	}
	return out
}
