package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Ensure a director runs a project's start in the browser, through the
// pages only (issue 10, "Browser test"; SPEC DIR-2, PRJ-1, PRJ-2, DIR-3,
// EXP-1): the director creates the project in its initiation and files the
// feasibility report, the GM decides go in the sign dialog; the director
// adds a route, chooses it with a reason, files the kick-off report and
// signs it, puts zhangwei on the team and files the node plan with its
// form; the Technical Committee signs it (a quorum with the chair, not the
// author); zhangwei files a pre-check, the director approves it, zhangwei
// records the start, and the Gantt chart shows the node in progress. Each
// person in a browser of their own (each browser has its own time limit,
// and this machine is slow).
func TestBrowser_PRJ2_DirectorRunsAProjectFromCreationToTheFirstExperiment(t *testing.T) {
	base := startApp(t)
	const code = "LF-E2E-01"
	project := base + "/projects/" + code
	loc, _ := time.LoadLocation("Asia/Shanghai")
	day := func(n int) string { return time.Now().In(loc).AddDate(0, 0, n).Format(time.DateOnly) }
	// as opens a browser signed in as user.
	as := func(user string, limit time.Duration) context.Context {
		ctx := newBrowserWithin(t, limit)
		signIn(t, ctx, base, user)
		return ctx
	}
	// eval runs a script on the page (to choose an option by its text,
	// tick the boxes) and fails the test when it reports false.
	eval := func(ctx context.Context, what, js string) {
		t.Helper()
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
		if err != nil || !ok {
			t.Fatalf("%s: %v (%v)", what, ok, err)
		}
	}
	href := func(ctx context.Context, sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.AttributeValue(css(sel), "href"))
		if err != nil || v.Value == "" {
			t.Fatalf("the link %s: %v", sel, err)
		}
		return v.Value
	}
	// step runs actions, keeping a screenshot of the page when they fail
	// (under LABFLOW_SCREENSHOTS).
	step := func(ctx context.Context, name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(ctx, time.Minute)
		defer cancel()
		if err := chromedp.Do(sctx, actions...); err != nil {
			screenshot(t, ctx, "prj2-failed-"+name)
			t.Fatalf("%s: %v", name, err)
		}
	}
	// sign approves the request at path in the sign dialog with the demo
	// password (after fill, if any, has filled the step's fields).
	sign := func(ctx context.Context, path string, fill ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		do(t, ctx, chromedp.Navigate(base+path), chromedp.WaitVisible(css("#decide-bar")))
		do(t, ctx, fill...)
		do(t, ctx, chromedp.Click(css("#act-approve")), chromedp.WaitVisible(css("#sign-password")),
			chromedp.SendKeys(css("#sign-password"), "labflow-demo"),
			chromedp.Click(css("#sign-approve")), chromedp.WaitVisible(css("#action-done")))
	}

	// The director creates the project in its initiation, 合成部 only, and
	// files his department's feasibility report (DIR-2).
	ctx := as("chenzhiqiang", 2*time.Minute)
	do(t, ctx, chromedp.Navigate(base+"/projects"), chromedp.WaitVisible(css("#project-create")),
		chromedp.SendKeys(css(`#project-create [name="code"]`), code),
		chromedp.SendKeys(css(`#project-create [name="name"]`), "浏览器测试原料药"),
		chromedp.SetValue(css(`#project-create [name="kind"]`), "api"))
	eval(ctx, "choose 合成部", `(() => { let n = 0; document.querySelectorAll('#project-create select[name="departments"] option').forEach(o => { o.selected = o.textContent.trim() === "合成部"; n += o.selected }); return n === 1 })()`)
	do(t, ctx, chromedp.Click(css("#project-create-submit")), chromedp.WaitVisible(css("#report-form")),
		chromedp.SetValue(css(`#report-form [name="conclusion"]`), "feasible"),
		chromedp.SendKeys(css(`#report-form [name="difficulty"]`), "手性中心控制难度中等"),
		chromedp.Click(css(`#report-form button.primary`)), chromedp.WaitVisible(css("#initiation-decision")))
	if st := text(t, ctx, "#initiation-decision"); !strings.Contains(st, "待") {
		t.Fatalf("after the report: %q", st)
	}

	// The GM decides go on the request page, in the sign dialog.
	gm := as("wangjianguo", 90*time.Second)
	do(t, gm, chromedp.Navigate(project), chromedp.WaitVisible(css("#initiation-decision a")))
	sign(gm, href(gm, "#initiation-decision a"),
		chromedp.SetValue(css(`#act-form select[name$="decision"]`), "go"),
		chromedp.SendKeys(css(`#act-form textarea[name$="reason"]`), "市场前景好，立项"))

	// The director adds a route, chooses it with a reason, files the
	// kick-off report and signs it (PRJ-1).
	ctx = as("chenzhiqiang", 3*time.Minute)
	step(ctx, "route", chromedp.Navigate(project), chromedp.WaitVisible(css("#route-form")),
		chromedp.SendKeys(css(`#route-form [name="title"]`), "路线A"),
		chromedp.SendKeys(css(`#route-form [name="description"]`), "六步合成"),
		chromedp.Click(css(`#route-form button.primary`)), chromedp.WaitVisible(css(`#route-list form [name="reason"]`)))
	step(ctx, "choose", chromedp.SendKeys(css(`#route-list form [name="reason"]`), "步骤最短"),
		chromedp.Click(css(`#route-list form button`)), chromedp.WaitNotPresent(css(`#route-list form`)))
	step(ctx, "kickoff", chromedp.SendKeys(css(`#kickoff-form [name="summary"]`), "开题：路线A"),
		chromedp.Click(css(`#kickoff-form button.primary`)), chromedp.WaitVisible(css("#decide-bar")))
	kickoff, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	sign(ctx, strings.TrimPrefix(kickoff, base)) // the filed report's request, his to sign

	// Puts zhangwei on the team with the team form (DIR-3).
	do(t, ctx, chromedp.Navigate(project), chromedp.WaitVisible(css("#member-form")))
	eval(ctx, "choose zhangwei", `(() => { const o = Array.from(document.querySelectorAll("#member-person option")).find(o => o.textContent.includes("(zhangwei)")); if (o) o.selected = true; return !!o })()`)
	do(t, ctx, chromedp.SetValue(css("#member-from"), day(-1)), chromedp.Click(css("#member-submit")),
		chromedp.WaitVisible(css("#project-team tr[data-member]")))
	if team := text(t, ctx, "#project-team tbody"); !strings.Contains(team, "张伟") || !strings.Contains(team, day(-1)) {
		t.Fatalf("the team after the form: %q", team)
	}

	// Files the node plan with its form: one node from yesterday to 30
	// days on, one test item, a reward for lab scale (PRJ-2, PRJ-3); a row
	// added by the script, left empty, is left out.
	do(t, ctx, chromedp.Click(css("#plan-form-link")), chromedp.WaitVisible(css("#plan-form")),
		chromedp.Click(css(`[data-add-row="plan-nodes"]`)), chromedp.WaitReady(css(`#plan-nodes [name="nodes.4.tests"]`)),
		chromedp.SendKeys(css(`[name="nodes.1.name"]`), "路线摸索"),
		chromedp.SetValue(css(`[name="nodes.1.start"]`), day(-1)),
		chromedp.SetValue(css(`[name="nodes.1.end"]`), day(30)),
		chromedp.SendKeys(css(`[name="nodes.1.tests"]`), "HPLC 纯度 × 5"),
		chromedp.SetValue(css(`[name="rewards.1.stage"]`), "lab"),
		chromedp.SendKeys(css(`[name="rewards.1.amount"]`), "10000"),
		chromedp.Click(css("#plan-submit")), chromedp.WaitVisible(css("#plan-processes a")))
	if st := text(t, ctx, "#plan-state"); !strings.Contains(st, "签署中") {
		t.Fatalf("the filed plan: %q", st)
	}
	signing := href(ctx, "#plan-processes a")
	do(t, ctx, chromedp.Navigate(project), chromedp.WaitVisible(css("#plan-not-signed")))

	// The committee signs: three members with the chair, not the author.
	for _, u := range []string{"lihua", "liuyang", "wangjianguo"} {
		sign(as(u, 90*time.Second), signing)
	}

	// zhangwei files a pre-check on the project page (EXP-1).
	zw := as("zhangwei", 90*time.Second)
	do(t, zw, chromedp.Navigate(project), chromedp.WaitVisible(css("#precheck-form")),
		chromedp.SendKeys(css(`#precheck-form [name="step"]`), "第一步：酰胺化，DCM，0 ℃"),
		chromedp.SendKeys(css(`#precheck-form [name="materials"]`), "起始物料 10 g"))
	eval(zw, "tick the checks", `(() => { const b = document.querySelectorAll('#precheck-form input[name="checks"]'); b.forEach(x => x.checked = true); return b.length > 0 })()`)
	do(t, zw, chromedp.Click(css("#precheck-submit")), chromedp.WaitVisible(css("#experiments .precheck-state")))
	if st := text(t, zw, "#experiments .precheck-state"); !strings.Contains(st, "待总监审批") {
		t.Fatalf("pre-check state %q, want 待总监审批", st)
	}
	precheck := href(zw, "#experiments .exp-prechecks a")

	// The director approves it.
	sign(as("chenzhiqiang", 90*time.Second), precheck)

	// zhangwei records the start; the Gantt chart shows the node in
	// progress: its actual bar, from today, marked in progress.
	do(t, zw, chromedp.Navigate(project), chromedp.WaitVisible(css("#start-form")),
		chromedp.Click(css("#start-submit")), chromedp.WaitVisible(css("#experiments .exp-state")))
	screenshot(t, zw, "31-experiment-started")
	if st := text(t, zw, "#experiments .exp-state"); !strings.Contains(st, "进行中") {
		t.Fatalf("experiment state %q, want 进行中", st)
	}
	bar, err := chromedp.Run(zw, chromedp.Evaluate[string](`(() => {
		const g = document.querySelector('#gantt g.node[data-node="路线摸索"]');
		return g ? g.getAttribute("data-state") + "|" + g.classList.contains("node-progress") + "|" + !!g.querySelector("rect.actual.progress") : "none" })()`))
	if err != nil || bar != "in_progress|true|true" {
		t.Fatalf("the Gantt chart's node 路线摸索: %q (%v), want in progress with its actual bar", bar, err)
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
