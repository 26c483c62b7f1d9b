package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Ensure a customer answers the satisfaction survey in a real browser by
// a one-time link, without an account (issue 8 §2; SPEC REL-5): the
// initiator files the survey, issues a new link on the request page and
// sees it once; signed out, the link opens the customer's page, which
// answers once and then is the neutral page; the request page shows what
// the customer entered with their address.
func TestBrowser_CustomerAnswersSurveyByLink(t *testing.T) {
	base := startApp(t)
	ctx := newBrowser(t)
	login := func(user string) { signIn(t, ctx, base, user) }

	login("zhangwei")
	do(t, ctx,
		chromedp.Navigate(base+"/processes/customer-survey/new"),
		chromedp.WaitVisible(css("#start-form")),
		chromedp.SendKeys(css(`[name="customer_name"]`), "陈先生"),
		chromedp.SendKeys(css(`[name="customer_email"]`), "chen@example.com"),
		chromedp.SendKeys(css(`[name="service"]`), "离心机维修，更换转子"),
		chromedp.Click(css("#f-submit")),
		chromedp.WaitVisible(css("#external")),
	)
	steps, err := chromedp.Run(ctx, chromedp.TextContent(css("#flow-steps")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(steps, "外部人员（陈先生）") {
		t.Fatalf("the diagram does not show whom the step waits for: %q", steps)
	}
	// The request's own address (the page was answered to the filing POST).
	asof, err := chromedp.Run(ctx, chromedp.AttributeValue(css("#asof-control"), "action"))
	if err != nil {
		t.Fatal(err)
	}
	instance := base + strings.TrimSuffix(asof.Value, "/as-of")
	do(t, ctx, chromedp.Click(css("#external-reissue-button")), chromedp.WaitVisible(css("#issued-url")))
	screenshot(t, ctx, "40-survey-link-issued")
	link, err := chromedp.Run(ctx, chromedp.Value(css("#issued-url")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(link, base+"/x/") {
		t.Fatalf("issued link %q", link)
	}
	do(t, ctx, chromedp.Click(css("#logout")), chromedp.WaitVisible(css("#login-form")))

	// The customer: no account, no session.
	do(t, ctx, chromedp.Navigate(link), chromedp.WaitVisible(css("#external-form")))
	screenshot(t, ctx, "41-survey-customer-page")
	if page := text(t, ctx, "main"); strings.Contains(page, "离心机") || strings.Contains(page, "张伟") || !strings.Contains(page, "满意度") {
		t.Fatalf("the customer's page: %q", page)
	}
	do(t, ctx,
		chromedp.SetValue(css(`[name="satisfaction"]`), "2"),
		chromedp.SendKeys(css(`[name="remarks"]`), "等了三天才修好"),
		chromedp.Click(css("#external-submit")),
		chromedp.WaitVisible(css("#external-done")),
	)
	screenshot(t, ctx, "42-survey-submitted")
	do(t, ctx, chromedp.Navigate(link), chromedp.WaitVisible(css("#external-refused")))
	screenshot(t, ctx, "43-survey-link-used")

	login("zhangwei")
	do(t, ctx, chromedp.Navigate(instance), chromedp.WaitVisible(css("#external-links")))
	deadline := time.Now().Add(5 * time.Second)
	for {
		links := text(t, ctx, "#external-links")
		if strings.Contains(links, "等了三天才修好") && strings.Contains(links, "IP 127.0.0.1") && strings.Contains(links, "已提交") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the request page after the answer: %q", links)
		}
		time.Sleep(100 * time.Millisecond)
	}
	screenshot(t, ctx, "44-survey-answer-on-request")
}
