package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"labflow/internal/i18n"
	"labflow/internal/store"
)

// TestR8_SignatureMistakesThroughAPIAndPage (issue 9 item 7): a wrong
// signature password says so, with the attempts left before the lock,
// through the JSON API and on the page; the failure that locks says how
// long and until when, in the institute's time zone (Asia/Shanghai,
// UTC+08:00); the lock stays — the right password is refused, and so is
// signing in — and it is in the audit trail.
func TestR8_SignatureMistakesThroughAPIAndPage(t *testing.T) {
	t.Parallel()
	e := fwNewEnv(t)
	zw, czq := e.login("zhangwei"), e.login("chenzhiqiang")
	inst := fwStartPurchase(t, zw, "")
	task := fwTodoTask(t, czq, inst.ID)
	act := fmt.Sprintf("/api/v1/tasks/%d/actions", task)
	lang := map[string]string{"Accept-Language": "zh-CN"}

	// Wrong once through the API: 4 attempts left, named at the password field.
	code, body := czq.json("POST", act, map[string]any{"action": "approve", "password": "not-my-password"}, lang)
	p := fwDecode[struct {
		Key    string `json:"key"`
		Detail string `json:"detail"`
		Errors []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"errors"`
	}](t, body)
	if code != http.StatusUnprocessableEntity || p.Key != "auth.signature_wrong" {
		t.Fatalf("wrong password: %d %s", code, body)
	}
	if want := i18n.T("zh", "auth.signature_wrong", map[string]any{"left": 4, "minutes": 15}); p.Detail != want {
		t.Fatalf("detail %q, want %q", p.Detail, want)
	}
	if len(p.Errors) != 1 || p.Errors[0].Field != "password" || !strings.Contains(p.Errors[0].Message, "4") {
		t.Fatalf("field errors: %+v", p.Errors)
	}
	if strings.Contains(body, i18n.T("zh", "auth.reauth_failed", nil)) {
		t.Fatal("the banner still asks for the password as if none had been given")
	}

	// Wrong on the page: the message with 3 attempts left, beside the field.
	form := url.Values{"task_id": {fmt.Sprint(task)}, "action": {"approve"}, "password": {"still-wrong"}, "comment": {"同意采购"}}
	code, body, _ = czq.post(fmt.Sprintf("/instances/%d/act", inst.ID), form)
	if code != http.StatusUnprocessableEntity {
		t.Fatalf("page, wrong password: %d", code)
	}
	if want := i18n.T("zh", "auth.signature_wrong_left", map[string]any{"left": 3, "minutes": 15}); !strings.Contains(html.UnescapeString(body), want) {
		t.Fatalf("page lacks %q", want)
	}
	if !strings.Contains(body, "同意采购") {
		t.Error("the typed comment was lost")
	}

	// Two more wrong through the API, then the one that locks, on the page.
	for left := 2; left >= 1; left-- {
		code, body = czq.json("POST", act, map[string]any{"action": "approve", "password": "wrong again"}, lang)
		want := i18n.T("zh", "auth.signature_wrong", map[string]any{"left": left, "minutes": 15})
		if code != http.StatusUnprocessableEntity || !strings.Contains(body, want) {
			t.Fatalf("attempt with %d left: %d %s", left, code, body)
		}
	}
	locked := time.Now()
	code, body, _ = czq.post(fmt.Sprintf("/instances/%d/act", inst.ID), form)
	if code != http.StatusTooManyRequests {
		t.Fatalf("page, locking attempt: %d", code)
	}
	page := html.UnescapeString(body)
	if !strings.Contains(page, "(UTC+08:00)") || !strings.Contains(page, "15") {
		t.Fatalf("the lock message does not say how long in the institute's zone: %s", pageText(page))
	}
	if strings.Contains(page, "登录失败次数过多") {
		t.Fatal("the lock message speaks of failed sign-ins")
	}
	wantUntil := locked.Add(15 * time.Minute).In(institutesZone(t, "Asia/Shanghai")).Format("2006-01-02 15:04")
	if !strings.Contains(page, wantUntil) && !strings.Contains(page, locked.Add(16*time.Minute).In(institutesZone(t, "Asia/Shanghai")).Format("2006-01-02 15:04")) {
		t.Fatalf("the lock message lacks the end %s: %s", wantUntil, pageText(page))
	}

	// The lock stays: the right password is refused through the API, in English too.
	code, body = czq.json("POST", act, map[string]any{"action": "approve", "password": fwPassword}, map[string]string{"Accept-Language": "en"})
	if code != http.StatusTooManyRequests || !strings.Contains(body, `"key":"auth.signature_locked"`) || !strings.Contains(body, "(UTC+08:00)") {
		t.Fatalf("right password while locked: %d %s", code, body)
	}
	code, _ = (&fwUser{e: e, name: "czq2", c: &http.Client{}}).json("POST", "/api/v1/session",
		map[string]any{"username": "chenzhiqiang", "password": fwPassword}, nil)
	if code != http.StatusTooManyRequests {
		t.Fatalf("sign-in while locked: %d", code)
	}

	// And it is recorded: five failed re-authentications and the lockout.
	ctx := context.Background()
	p2, err := e.app.People.PersonByUsername(ctx, "chenzhiqiang")
	if err != nil {
		t.Fatal(err)
	}
	fails, err := e.app.DB.FindAudit(ctx, store.AuditFilter{Action: "auth.reauth_failed", EntityID: fmt.Sprint(p2.ID)})
	if err != nil || len(fails) != 5 {
		t.Fatalf("reauth_failed events: %d %v", len(fails), err)
	}
	locks, err := e.app.DB.FindAudit(ctx, store.AuditFilter{Action: "auth.lockout", EntityID: fmt.Sprint(p2.ID)})
	if err != nil || len(locks) != 1 {
		t.Fatalf("lockout events: %d %v", len(locks), err)
	}
}

func institutesZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// pageText is the start of a page's main content, for failure messages.
func pageText(page string) string {
	if i := strings.Index(page, "<main"); i >= 0 {
		page = page[i:]
	}
	return page[:min(len(page), 1500)]
}
