package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Ensure the lifecycle up to the first experiment runs in a browser
// (issue 10; SPEC PRJ-2, EXP-1): a director creates a project, files its
// node plan and puts a researcher on the team; the Technical Committee
// signs the plan (a quorum with the chair, not the author); the researcher
// files a pre-check on the project page, the director approves it, the
// researcher records the start; the project page shows the pre-check
// approved and the experiment in progress.
func TestBrowser_EXP1_PrecheckApprovedThenExperimentStarts(t *testing.T) {
	base := startApp(t)
	ctx := newBrowser(t)
	login := func(user string) { signIn(t, ctx, base, user) }
	logout := func() { do(t, ctx, chromedp.Click(css("#logout")), chromedp.WaitVisible(css("#login-form"))) }
	// api calls the JSON API from the page, with the page's session.
	api := func(method, path, body string) map[string]any {
		t.Helper()
		js := fmt.Sprintf(`fetch(%q, {method: %q, headers: {"Content-Type": "application/json"}, body: %s}).then(async r => ({status: r.status, body: await r.json()}))`,
			path, method, map[bool]string{true: "undefined", false: "JSON.stringify(" + body + ")"}[body == ""])
		out, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]any](js, chromedp.EvalAwaitPromise))
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		if st, _ := out["status"].(float64); st >= 300 {
			t.Fatalf("%s %s: %v", method, path, out)
		}
		b, _ := out["body"].(map[string]any)
		return b
	}
	// sign approves the request at path with the demo password.
	sign := func(path string) {
		t.Helper()
		do(t, ctx, chromedp.Navigate(base+path), chromedp.WaitVisible(css("#decide-bar")),
			chromedp.Click(css("#act-approve")), chromedp.WaitVisible(css("#sign-password")),
			chromedp.SendKeys(css("#sign-password"), "labflow-demo"),
			chromedp.Click(css("#sign-approve")), chromedp.WaitVisible(css("#action-done")))
	}
	day := func(n int) string { return time.Now().AddDate(0, 0, n).Format(time.DateOnly) }

	// The director creates the project (taken over in lab scale: its
	// initiation was on paper; the page's form creates projects in
	// initiation, whose go / no-go is the initiation part's), chooses its
	// route and signs the kick-off report that a node plan needs (PRJ-1).
	login("chenzhiqiang")
	do(t, ctx, chromedp.Navigate(base+"/projects"), chromedp.WaitVisible(css("#project-create")))
	api("POST", "/api/v1/projects", `{"code": "LF-E2E-01", "name": "浏览器测试原料药", "kind": "api", "stage": "lab"}`)
	me := api("GET", "/api/v1/me", "")
	route := api("POST", "/api/v1/projects/LF-E2E-01/routes", `{"kind": "synthesis", "title": "路线A", "description": "六步合成"}`)
	api("POST", fmt.Sprintf("/api/v1/projects/LF-E2E-01/routes/%d/choose", int64(route["id"].(float64))), `{"reason": "步骤最短"}`)
	kick := api("POST", "/api/v1/projects/LF-E2E-01/kickoff", fmt.Sprintf(`{"route_id": %d, "summary": "开题"}`, int64(route["id"].(float64))))
	for _, tk := range kick["instance"].(map[string]any)["tasks"].([]any) {
		if tk := tk.(map[string]any); tk["assignee_id"] == me["id"] {
			api("POST", fmt.Sprintf("/api/v1/tasks/%d/actions", int64(tk["id"].(float64))), `{"action": "approve", "password": "labflow-demo"}`)
		}
	}
	// Files the node plan and puts zhangwei on the team.
	filed := api("POST", "/api/v1/projects/LF-E2E-01/plans", fmt.Sprintf(`{"nodes": [{"name": "路线摸索", "start": %q, "end": %q,
		"tests": [{"item": "HPLC 纯度", "count": 5}]}], "rewards": [{"stage": "lab", "amount": "10000"}]}`, day(-1), day(30)))
	inst := filed["instance"].(map[string]any)["id"].(float64)
	people := api("GET", "/api/v1/people?q=zhangwei", "")
	var zw float64
	for _, p := range people["items"].([]any) {
		if p.(map[string]any)["username"] == "zhangwei" {
			zw = p.(map[string]any)["id"].(float64)
		}
	}
	api("POST", "/api/v1/projects/LF-E2E-01/members", fmt.Sprintf(`{"person_id": %d, "from": %q}`, int64(zw), day(-1)))
	do(t, ctx, chromedp.Navigate(base+"/projects/LF-E2E-01"), chromedp.WaitVisible(css("#plan-not-signed")))
	logout()

	// The committee signs: three members with the chair, not the author
	// (each person in a browser of their own: each browser has its own
	// time limit, and this machine is slow).
	for _, u := range []string{"lihua", "liuyang", "wangjianguo"} {
		ctx = newBrowser(t)
		login(u)
		sign(fmt.Sprintf("/instances/%d", int64(inst)))
	}

	// The researcher files a pre-check on the project page.
	ctx = newBrowser(t)
	login("zhangwei")
	do(t, ctx, chromedp.Navigate(base+"/projects/LF-E2E-01"), chromedp.WaitVisible(css("#precheck-form")),
		chromedp.SendKeys(css(`#precheck-form [name="step"]`), "第一步：酰胺化，DCM，0 ℃"),
		chromedp.SendKeys(css(`#precheck-form [name="materials"]`), "起始物料 10 g"))
	boxes, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#precheck-form input[name="checks"]')).map(b => { b.checked = true; return b.value })`))
	if err != nil || len(boxes) == 0 {
		t.Fatalf("check boxes %v: %v", boxes, err)
	}
	do(t, ctx, chromedp.Click(css("#precheck-submit")), chromedp.WaitVisible(css("#experiments .precheck-state")))
	screenshot(t, ctx, "30-precheck-filed")
	if st := text(t, ctx, "#experiments .precheck-state"); !strings.Contains(st, "待总监审批") {
		t.Fatalf("pre-check state %q, want 待总监审批", st)
	}
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(css("#experiments .exp-prechecks a"), "href"))
	if err != nil {
		t.Fatal(err)
	}
	logout()

	// The director approves it.
	ctx = newBrowser(t)
	login("chenzhiqiang")
	sign(href.Value)

	// The researcher records the start; the page shows both states.
	ctx = newBrowser(t)
	login("zhangwei")
	do(t, ctx, chromedp.Navigate(base+"/projects/LF-E2E-01"), chromedp.WaitVisible(css("#start-form")),
		chromedp.Click(css("#start-submit")), chromedp.WaitVisible(css("#experiments .exp-state")))
	screenshot(t, ctx, "31-experiment-started")
	if st := text(t, ctx, "#experiments .precheck-state"); !strings.Contains(st, "总监已同意") {
		t.Fatalf("pre-check state %q, want 总监已同意", st)
	}
	if st := text(t, ctx, "#experiments .exp-state"); !strings.Contains(st, "进行中") {
		t.Fatalf("experiment state %q, want 进行中", st)
	}
}

// Ensure the experiments panel — its tables and forms — fits a phone
// (390×844) and a desktop without sideways scrolling, for the researcher
// who files and the director who decides (issue 9 item 1, issue 10).
func TestBrowser_EXP_PanelFitsAPhone(t *testing.T) {
	base := startApp(t)
	for _, user := range []string{"zhangwei", "chenzhiqiang"} {
		ctx := newBrowser(t)
		signIn(t, ctx, base, user)
		for _, size := range [][2]int64{{390, 844}, {1366, 900}} {
			for _, p := range []string{"/projects/LF-2026-01", "/projects/LF-2026-01/experiments"} {
				do(t, ctx, chromedp.EmulateViewport(size[0], size[1]), chromedp.Navigate(base+p), chromedp.WaitVisible(css("#experiments")))
				over, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`))
				if err != nil {
					t.Fatal(err)
				}
				if over > 0 {
					screenshot(t, ctx, fmt.Sprintf("exp-overflow-%d-%s", size[0], user))
					t.Errorf("%s at %d px as %s: %d px of sideways scrolling", p, size[0], user, over)
				}
			}
		}
	}
}
