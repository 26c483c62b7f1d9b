package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Ensure a researcher can file a purchase request from the Chinese UI and
// the director finds it in the inbox and signs it with the password asked
// again (SPEC PUR-1; COMPLIANCE R7, R8; issue 3).
func TestBrowser_PurchaseRequestSignedByDirector(t *testing.T) {
	base := startApp(t)
	ctx := newBrowser(t)
	login := func(user string) { signIn(t, ctx, base, user) }

	login("zhangwei")
	do(t, ctx,
		chromedp.Navigate(base+"/processes/purchase-request/new"),
		chromedp.WaitVisible(css("#start-form")),
		chromedp.SendKeys(css(`[name="reason"]`), "合成第三步需要无水四氢呋喃"),
		chromedp.SetValue(css(`[name="category"]`), "solvent"),
		chromedp.SetValue(css(`[name="acceptance"]`), "requester_confirms"),
		chromedp.SendKeys(css(`[name="items.1.name"]`), "无水四氢呋喃"),
		chromedp.SendKeys(css(`[name="items.1.quantity"]`), "2"),
		chromedp.SendKeys(css(`[name="items.1.unit"]`), "瓶"),
		chromedp.SendKeys(css(`[name="items.1.unit_price"]`), "385.50"),
	)
	// The line's amount and the total appear as they are typed.
	waitText := func(sel, want string) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			if got := text(t, ctx, sel); strings.Contains(got, want) {
				return
			} else if time.Now().After(deadline) {
				t.Fatalf("%s shows %q, want %q", sel, got, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitText(`[id="f-items.1.amount"]`, "771.00")
	waitText(`[id="f-total"]`, "771.00")
	screenshot(t, ctx, "10-purchase-form")
	do(t, ctx, chromedp.Click(css("#f-submit")), chromedp.WaitVisible(css("#form-values")))
	screenshot(t, ctx, "11-purchase-started")
	if vals := text(t, ctx, "#form-values"); !strings.Contains(vals, "771") {
		t.Fatalf("form values do not show the computed total 771.00: %q", vals)
	}
	do(t, ctx, chromedp.Click(css("#logout")), chromedp.WaitVisible(css("#login-form")))

	login("chenzhiqiang")
	do(t, ctx, chromedp.Navigate(base+"/inbox"), chromedp.WaitVisible(css("main")))
	screenshot(t, ctx, "12-director-inbox")
	if inbox := text(t, ctx, "main"); !strings.Contains(inbox, "张伟") {
		t.Fatalf("director's inbox does not list the request from 张伟: %q", inbox)
	}
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(css("main a.inst-link"), "href"))
	if err != nil {
		t.Fatal(err)
	}
	// The approval page puts the decision first: the bar, then the signing dialog.
	do(t, ctx, chromedp.Navigate(base+href.Value), chromedp.WaitVisible(css("#decide-bar")))
	screenshot(t, ctx, "12b-instance")
	// Signing without the password is refused in the dialog, which stays open.
	do(t, ctx, chromedp.Click(css("#act-approve")), chromedp.WaitVisible(css("#sign-password")))
	if st := text(t, ctx, "#sign-statement"); !strings.Contains(st, "批准") {
		t.Fatalf("the dialog does not say what is signed and its meaning: %q", st)
	}
	// The page comes back with the dialog open (class "open", set by the
	// server): wait for that page, not the one the click left.
	do(t, ctx, chromedp.Click(css("#sign-approve")), chromedp.WaitVisible(css("#sign.open #sign-password")))
	if page := text(t, ctx, "#sign"); !strings.Contains(page, "密码") {
		t.Fatalf("no password message after signing without a password: %q", page)
	}
	do(t, ctx,
		chromedp.SendKeys(css("#sign-password"), "labflow-demo"),
		chromedp.Click(css("#sign-approve")),
		chromedp.WaitVisible(css("#action-done")),
	)
	screenshot(t, ctx, "13-signed")
	sigs, err := chromedp.Run(ctx, chromedp.TextContent(css("#signatures")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(sigs, "陈志强") {
		t.Fatalf("signatures do not show the director's printed name: %q", sigs)
	}
}
