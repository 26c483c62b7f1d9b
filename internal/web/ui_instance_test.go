package web_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"labflow/internal/i18n"
)

// Ensure the approval page puts the decision first (issue 9 item 2): the
// summary the definition chooses with the amount as ¥, then the form, then
// the approval record, the diagram folded away; 同意/拒绝/退回 under their
// stable ids; the signing dialog states what is signed and its meaning;
// after the approval the page says what happened and links the next item
// in 待办.
func TestIssue9_ApprovalPageDecisionFirst(t *testing.T) {
	e := fwNewEnv(t)
	zw := e.login("zhangwei")
	czq := e.login("chenzhiqiang")
	first := fwStartPurchase(t, zw, "i9-1")
	second := fwStartPurchase(t, zw, "i9-2")

	code, body := czq.page(fmt.Sprintf("/instances/%d", first.ID), "zh")
	if code != 200 {
		t.Fatalf("approval page: %d", code)
	}
	at := func(s string) int {
		i := strings.Index(body, s)
		if i < 0 {
			t.Fatalf("approval page lacks %q", s)
		}
		return i
	}
	summary, form, record, diagram := at(`id="summary"`), at(`id="form-values"`), at(`id="record"`), at(`<details class="fold" id="diagram"`)
	if !(summary < form && form < record && record < diagram) {
		t.Errorf("order summary %d, form %d, record %d, diagram %d", summary, form, record, diagram)
	}
	if s := body[summary:form]; !strings.Contains(s, "¥1,061.50") {
		t.Errorf("the summary lacks the amount as ¥1,061.50: %.600s", s)
	}
	for _, id := range []string{`id="act-approve"`, `id="act-reject"`, `id="act-return"`, `id="more"`} {
		at(id)
	}
	stmt := body[at(`id="sign-statement"`):]
	stmt = stmt[:strings.Index(stmt, "</p>")]
	if !strings.Contains(stmt, "本人确认") || !strings.Contains(stmt, "签名含义") {
		t.Errorf("the signing dialog states %q", stmt)
	}
	if at(`id="sign"`) > at(`id="sign-password"`) {
		t.Error("the password is not asked in the signing dialog")
	}

	task := fwTodoTask(t, czq, first.ID)
	code, _, hdr := czq.post(fmt.Sprintf("/instances/%d/act", first.ID), url.Values{"task_id": {fmt.Sprint(task)}, "action": {"approve"}, "password": {fwPassword}})
	if code != http.StatusSeeOther {
		t.Fatalf("approve: %d", code)
	}
	_, body = czq.page(hdr.Get("Location"), "zh")
	done := strings.Index(body, `id="action-done"`)
	if done < 0 || !strings.Contains(body[done:], i18n.T("zh", "page.done.approve", nil)) {
		t.Fatal("no message after approving")
	}
	if !strings.Contains(body[done:], fmt.Sprintf(`<a href="/instances/%d" id="next-item"`, second.ID)) {
		t.Errorf("no link to the next item in 待办 (#%d): %.400s", second.ID, body[done:])
	}
}

// Ensure lists tell requests apart (issue 9 item 3): each row is titled by
// the definition's list_title with the amount, shows where the request
// stands and who has it, and the page title names the box.
func TestIssue9_ListsTellRequestsApart(t *testing.T) {
	e := fwNewEnv(t)
	zw := e.login("zhangwei")
	fwStartPurchase(t, zw, "i9-3")
	code, body := zw.page("/inbox?box=started", "zh")
	if code != 200 {
		t.Fatalf("started: %d", code)
	}
	title := i18n.T("zh", "flowui.box.started", nil)
	if !strings.Contains(body, "<title>"+title) || !strings.Contains(body, `id="box-title">`+title) {
		t.Errorf("the page is not titled %q", title)
	}
	i := strings.Index(body, `class="inst-link item-title"`)
	if i < 0 {
		t.Fatal("no request listed")
	}
	row := body[i:min(len(body), i+1500)]
	if !strings.Contains(row, "¥1,061.50") {
		t.Errorf("the row lacks the amount: %s", row)
	}
	if !strings.Contains(row, i18n.T("zh", "page.now_at", nil)) || !strings.Contains(row, "陈志强") {
		t.Errorf("the row does not say who has the request: %s", row)
	}
}

// Ensure an upload over the 64 MB limit on the approval page answers the
// page itself with the limit named at the file picker and the typed comment
// kept (issue 9 item 8), and that the limit is stated before the upload.
func TestIssue9_TooLargeUploadKeepsWhatWasTyped(t *testing.T) {
	e := fwNewEnv(t)
	zw := e.login("zhangwei")
	czq := e.login("chenzhiqiang")
	inst := fwStartPurchase(t, zw, "i9-4")
	task := fwTodoTask(t, czq, inst.ID)
	limit := i18n.T("zh", "field.file_too_large", map[string]any{"max_mb": 64})
	if _, body := czq.page(fmt.Sprintf("/instances/%d", inst.ID), "zh"); !strings.Contains(body, "64 MB") {
		t.Error("the page does not state the 64 MB limit before the upload")
	}

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("task_id", fmt.Sprint(task))
	_ = mw.WriteField("action", "comment")
	_ = mw.WriteField("comment", "请核对报价单第二页")
	fw, _ := mw.CreateFormFile("attachments", "big.bin")
	_, _ = fw.Write(make([]byte, 64<<20+1))
	_ = mw.Close()
	req, _ := http.NewRequest("POST", e.srv.URL+fmt.Sprintf("/instances/%d/act", inst.ID), &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: "lang", Value: "zh"})
	code, body, _ := czq.do(req)
	if code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversize upload: %d", code)
	}
	if !strings.Contains(body, "请核对报价单第二页") {
		t.Error("the typed comment was lost")
	}
	if !strings.Contains(body, limit) || !strings.Contains(body, `id="instance-title"`) {
		t.Errorf("not the request page with %q", limit)
	}
}
