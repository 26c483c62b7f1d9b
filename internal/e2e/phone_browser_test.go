package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// Ensure the pages people use every day work on a phone (390×844) and a
// desktop (1366×900) without sideways scrolling (issue 9 item 1): the
// home page, the boxes, the processes, a start form with a line-item
// table, a request page, projects, and the administrator's pages.
func TestBrowser_PagesFitAPhoneAndADesktop(t *testing.T) {
	base := startApp(t)
	pages := map[string][]string{
		"zhangwei":     {"/", "/inbox", "/inbox?box=started", "/processes", "/processes/purchase-request/new", "/notifications", "/account", "/projects"},
		"chenzhiqiang": {"/inbox", "/purchasing", "/projects", "/proxies"},
		"admin":        {"/admin", "/admin/audit", "/people", "/departments", "/admin/calendar", "/admin/roles"},
	}
	for user, paths := range pages {
		ctx := newBrowser(t) // a browser of one's own: no signing out between people
		signIn(t, ctx, base, user)
		for _, size := range [][2]int64{{390, 844}, {1366, 900}} {
			for _, p := range paths {
				do(t, ctx,
					chromedp.EmulateViewport(size[0], size[1]),
					chromedp.Navigate(base+p),
					chromedp.WaitReady(css("body")),
				)
				over, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
				if err != nil {
					t.Fatal(err)
				}
				if over > 0 {
					screenshot(t, ctx, fmt.Sprintf("overflow-%d-%s", size[0], user))
					t.Errorf("%s at %d px as %s: %d px of sideways scrolling", p, size[0], user, over)
				}
			}
		}
		// The measure sees sideways scrolling where there is some (the style
		// is set through the DOM: the pages' policy refuses inline styles).
		wide, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(() => { const d = document.createElement("div"); d.textContent = "x"; d.style.width = "3000px"; document.body.appendChild(d); return document.documentElement.scrollWidth - window.innerWidth })()`))
		if err != nil || wide <= 0 {
			t.Fatalf("a 3000 px element measured %d px of sideways scrolling (err %v)", wide, err)
		}
	}
}
