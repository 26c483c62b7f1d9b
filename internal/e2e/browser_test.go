// Package e2e drives the whole LabFlow in a real headless Chromium (Debian's
// chromium package). The tests run when LABFLOW_BROWSER is set (to 1, or to
// the browser's path); .ci/run sets it after installing chromium.
package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"labflow/internal/app"
)

// browserPath returns the Chromium to drive, or skips the test.
func browserPath(t *testing.T) string {
	t.Helper()
	v := os.Getenv("LABFLOW_BROWSER")
	if v == "" {
		t.Skip("browser tests skipped: set LABFLOW_BROWSER=1 (and install Debian's chromium) to run them; .ci/run does")
	}
	if v != "1" && v != "true" {
		return v
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("LABFLOW_BROWSER is set but no chromium was found on PATH")
	return ""
}

// startApp runs LabFlow with the demo institute on a free loopback port.
func startApp(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, app.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Demo: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Listen(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { a.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; a.Close() })
	return "http://" + a.Addr()
}

// newBrowser starts headless Chromium with the flags this machine needs
// (no sandbox as root, no background networking on a closed network).
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return newBrowserWithin(t, 90*time.Second)
}

// newBrowserWithin is newBrowser for a test that needs the browser longer.
func newBrowserWithin(t *testing.T, limit time.Duration) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browserPath(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("accept-lang", "zh-CN,zh"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, limit)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return ctx
}

// screenshot saves the page for a person to look at (kept under
// LABFLOW_SCREENSHOTS when set).
// css selects by a CSS selector.
func css(s string) chromedp.CSS { return chromedp.CSS(s) }

// signIn signs user in with the demo password on the login page.
func signIn(t *testing.T, ctx context.Context, base, user string) {
	t.Helper()
	do(t, ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(css("#login-form")),
		chromedp.SendKeys(css("#username"), user),
		chromedp.SendKeys(css("#password"), "labflow-demo"),
		chromedp.Click(css("#login-submit")),
		chromedp.WaitVisible(css("nav.main")),
	)
}

func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("LABFLOW_SCREENSHOTS")
	if dir == "" {
		return
	}
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return
	}
	os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// Ensure a new user can log in on the Chinese login page, switch to
// English, create a person, and see the creation in that person's history
// (issue 2; COMPLIANCE R1).
func TestBrowser_LoginSwitchLanguageCreatePerson(t *testing.T) {
	base := startApp(t)
	ctx := newBrowser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	do(t, ctx, chromedp.Navigate(base+"/"), chromedp.WaitVisible(css("#login-form")))
	if got := text(t, ctx, "h2"); got != "登录" {
		t.Fatalf("login heading %q, want 登录 (Chinese by default)", got)
	}
	screenshot(t, ctx, "01-login")

	do(t, ctx,
		chromedp.SendKeys(css("#username"), "admin"),
		chromedp.SendKeys(css("#password"), "labflow-demo"),
		chromedp.Click(css("#login-submit")),
		chromedp.WaitVisible(css("nav.main")),
	)
	if nav := text(t, ctx, "nav.main"); !strings.Contains(nav, "人员") {
		t.Fatalf("navigation after login: %q, want Chinese", nav)
	}
	do(t, ctx, chromedp.Click(css("#lang-switch")), chromedp.WaitVisible(css("nav.main")))
	time.Sleep(300 * time.Millisecond)
	if nav := text(t, ctx, "nav.main"); !strings.Contains(nav, "People") || strings.Contains(nav, "人员") {
		t.Fatalf("navigation after switching to English: %q", nav)
	}
	screenshot(t, ctx, "02-home-en")

	do(t, ctx,
		chromedp.Navigate(base+"/people/new"),
		chromedp.WaitVisible(css("#person-form")),
		chromedp.SendKeys(css("#f-username"), "xiaoming"),
		chromedp.SendKeys(css("#f-name"), "肖明"),
		chromedp.SetValue(css("#f-department"), "1"),
		chromedp.Click(css("#f-submit")),
		chromedp.WaitVisible(css("#history")),
	)
	screenshot(t, ctx, "03-person")
	if got := text(t, ctx, "#person-name"); !strings.Contains(got, "肖明") {
		t.Fatalf("person page heading %q", got)
	}
	hist := text(t, ctx, "#history")
	if !strings.Contains(hist, "Person created") || !strings.Contains(hist, "周明") || !strings.Contains(hist, "xiaoming") {
		t.Fatalf("history does not show the creation by the admin: %q", hist)
	}
}
