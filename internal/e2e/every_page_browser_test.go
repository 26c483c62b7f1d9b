package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The checks every page of every role passes (issue 9 item 1): no sideways
// scrolling on a phone and a desktop, and no serious or critical finding of
// axe-core (vendored under testdata/axe, injected by the test only).

// axeSHA256 is the checksum of the vendored axe.min.js (testdata/axe/README.md).
const axeSHA256 = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"

// everyPageSizes are the phone and the desktop the pages must fit.
var everyPageSizes = [][2]int64{{390, 844}, {1366, 900}}

// maxPagesPerRole bounds the crawl of one person's pages.
const maxPagesPerRole = 60

// axeSource reads the vendored axe-core and checks it is the one the README
// names.
func axeSource(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("testdata/axe/axe.min.js")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != axeSHA256 {
		t.Fatalf("testdata/axe/axe.min.js has sha256 %s, want %s (update testdata/axe/README.md and axeSHA256 together)", got, axeSHA256)
	}
	return string(b)
}

// apiClient is a signed-in HTTP client of the JSON API, used to set up
// the requests the pages then show.
type apiClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

func apiSignIn(t *testing.T, base, user string) *apiClient {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	a := &apiClient{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	a.do("POST", "/api/v1/session", map[string]any{"username": user, "password": "labflow-demo"}, nil)
	return a
}

func (a *apiClient) do(method, path string, in, out any) {
	a.t.Helper()
	var body bytes.Buffer
	if in != nil {
		json.NewEncoder(&body).Encode(in)
	}
	req, _ := http.NewRequest(method, a.base+path, &body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", a.base)
	res, err := a.c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer res.Body.Close()
	var raw bytes.Buffer
	raw.ReadFrom(res.Body)
	if res.StatusCode >= 300 {
		a.t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, raw.String())
	}
	if out != nil {
		if err := json.Unmarshal(raw.Bytes(), out); err != nil {
			a.t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// visibleInstances returns, for each definition, one request the person
// may see (the newest).
func (a *apiClient) visibleInstances() map[string]int64 {
	a.t.Helper()
	var out struct {
		Items []struct {
			ID            int64  `json:"id"`
			DefinitionKey string `json:"definition_key"`
		} `json:"items"`
	}
	a.do("GET", "/api/v1/instances?limit=200", nil, &out)
	m := map[string]int64{}
	for _, it := range out.Items {
		if _, ok := m[it.DefinitionKey]; !ok {
			m[it.DefinitionKey] = it.ID
		}
	}
	return m
}

// pageKeyQuery are the query parameters that make another page rather
// than another view of the same one.
var pageKeyQuery = []string{"box", "action", "state", "unread"}

var numericSegment = regexp.MustCompile(`/[0-9]+(/|$)`)

// pageKey is a link's route pattern: numbers in the path are ids, and only
// the query parameters that choose another page count.
func pageKey(u *url.URL) string {
	p := u.Path
	for numericSegment.MatchString(p) {
		p = numericSegment.ReplaceAllString(p, "/{id}$1")
	}
	k := p
	q := u.Query()
	for _, name := range pageKeyQuery {
		if v := q.Get(name); v != "" {
			k += "?" + name + "=" + v
		}
	}
	return k
}

// crawlable says whether a same-origin link is a page to visit: not the
// API, files, downloads or exports.
func crawlable(u *url.URL) bool {
	for _, p := range []string{"/api/", "/static/", "/files/", "/attachments/", "/healthz", "/readyz", "/metrics", "/favicon"} {
		if strings.HasPrefix(u.Path, p) {
			return false
		}
	}
	f := u.Query().Get("format")
	for _, ext := range []string{".csv", ".json", ".xlsx", "/xlsx"} {
		if strings.HasSuffix(u.Path, ext) {
			return false // a download, not a page
		}
	}
	return f == ""
}

// axeFinding is one serious or critical axe-core violation.
type axeFinding struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// runAxe injects axe-core into the page and runs it with its default
// rules, returning the serious and critical violations.
func runAxe(t *testing.T, ctx context.Context, src string) []axeFinding {
	t.Helper()
	script := `(async () => {
	if (!window.axe) { ` + src + `
	}
	const r = await axe.run(document, {resultTypes: ["violations"]});
	return r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
		id: v.id, impact: v.impact, help: v.help,
		targets: v.nodes.slice(0, 5).map(n => n.target.join(" ")),
	}));
})()`
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeFinding](script, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("running axe-core: %v", err)
	}
	return out
}

// shapeJS describes a page's structure: its elements with their ids
// (numbers left out) and classes, and whether each is shown.
const shapeJS = `Array.from(new Set(Array.from(document.querySelectorAll("body *")).map(e =>
	e.tagName + "#" + (e.getAttribute("id") || "").replace(/[0-9]+/g, "") + "." + (e.getAttribute("class") || "") + (e.getClientRects().length ? "" : ":hidden")))).sort().join("\n")`

// overflow is the sideways scrolling of the page in px (the measure of
// TestBrowser_PagesFitAPhoneAndADesktop).
const overflowJS = `document.documentElement.scrollWidth - window.innerWidth`

// Ensure every page reachable by each demo role fits a phone (390×844)
// and a desktop (1366×900) without sideways scrolling, and has no serious
// or critical axe-core violation (issue 9 item 1): the crawl follows the
// same-origin links from home (one page per route pattern), and adds a
// request page per process the person may see, every start form, and the
// audit page's tabs. The approval page of a purchase request awaiting the
// director shows its summary, amount and 同意 without scrolling on a phone
// (issue 9, numbers).
func TestBrowser_EveryPageOfEveryRoleFitsAndPassesAxe(t *testing.T) {
	started := time.Now()
	src := axeSource(t)
	base := startApp(t)
	origin, _ := url.Parse(base)

	// Requests the pages show: a purchase request awaiting the director,
	// and a seal request from the analytical department.
	zw := apiSignIn(t, base, "zhangwei")
	var pr struct {
		ID int64 `json:"id"`
	}
	zw.do("POST", "/api/v1/processes/purchase-request/instances", map[string]any{"form": map[string]any{
		"reason": "合成路线 A 需要的试剂", "category": "reagent", "acceptance": "requester_confirms",
		"items": []any{
			map[string]any{"name": "乙腈", "spec": "HPLC 4L", "quantity": 2, "unit": "瓶", "unit_price": "350.00"},
			map[string]any{"name": "甲醇", "quantity": "3", "unit": "瓶", "unit_price": "120.50"},
		},
	}}, &pr)
	apiSignIn(t, base, "guoqiang").do("POST", "/api/v1/processes/seal-use/instances", map[string]any{"form": map[string]any{
		"seal": "contract", "document": "检测服务合同（第 2026-118 号）", "copies": 2, "purpose": "与委托方签订检测服务合同", "use_date": time.Now().Format("2006-01-02"),
	}}, nil)

	roles := []string{"zhangwei", "guoqiang", "chenzhiqiang", "lihua", "zhaomin", "wangjianguo", "gaoyuan", "liangqian", "admin"}
	if v := os.Getenv("LABFLOW_ROLES"); v != "" {
		roles = strings.Split(v, ",") // to look at some roles only
	}
	chk := &axeChecks{src: src, checked: map[string]bool{}}
	t.Run("roles", func(t *testing.T) {
		for _, user := range roles {
			t.Run(user, func(t *testing.T) {
				t.Parallel() // two browsers at a time on two cores
				checkEveryPage(t, base, origin, user, chk)
				if user == "chenzhiqiang" {
					checkApprovalOnOneScreen(t, base, pr.ID)
				}
			})
		}
	})

	// The measures see what they measure: a page made too wide, an
	// unlabelled field.
	ctx := newBrowser(t)
	do(t, ctx, chromedp.Navigate(base+"/login"), chromedp.WaitReady(css("body")))
	wide, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(() => { const d = document.createElement("div"); d.textContent = "x"; d.style.width = "3000px"; document.body.appendChild(d); return `+overflowJS+` })()`))
	if err != nil || wide <= 0 {
		t.Fatalf("a 3000 px element measured %d px of sideways scrolling (err %v)", wide, err)
	}
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { document.querySelector("main").appendChild(document.createElement("select")); return true })()`)); err != nil {
		t.Fatal(err)
	}
	if v := runAxe(t, ctx, src); !slices.ContainsFunc(v, func(f axeFinding) bool { return f.ID == "select-name" }) {
		t.Fatalf("axe-core did not report an unlabelled select: %+v", v)
	}
	t.Logf("every page of %d roles checked in %v (axe-core ran on %d pages in %v)", len(roles), time.Since(started).Round(time.Millisecond), chk.runs, chk.took.Round(time.Millisecond))
}

// axeChecks are the axe-core runs shared by the roles' crawls. On a phone
// axe-core checks each page shape (elements, ids, classes, what is shown):
// a page with the same shape as one checked (the same template showing
// other data) is not checked again. On the desktop, where the same
// elements are laid out wider and the menu is a bar, it checks each route
// pattern once.
type axeChecks struct {
	src     string
	mu      sync.Mutex
	checked map[string]bool
	runs    int
	took    time.Duration
}

// claim says whether key is still to be checked, and marks it checked.
func (c *axeChecks) claim(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.checked[key] {
		return false
	}
	c.checked[key] = true
	c.runs++
	return true
}

func (c *axeChecks) ran(d time.Duration) {
	c.mu.Lock()
	c.took += d
	c.mu.Unlock()
}

// checkEveryPage crawls user's pages from home and checks each at both
// sizes.
func checkEveryPage(t *testing.T, base string, origin *url.URL, user string, chk *axeChecks) {
	roleStart := time.Now()
	ctx := newBrowserWithin(t, 20*time.Minute)
	signIn(t, ctx, base, user)

	// The seeds: home, and a request page per process the person may see.
	seen := map[string]bool{}
	var queue []string
	add := func(href string) {
		u, err := url.Parse(href)
		if err != nil || (u.Host != "" && u.Host != origin.Host) || !crawlable(u) {
			return
		}
		k := pageKey(u)
		if seen[k] {
			return
		}
		seen[k] = true
		queue = append(queue, u.RequestURI())
	}
	add("/")
	insts := apiSignIn(t, base, user).visibleInstances()
	keys := make([]string, 0, len(insts))
	for k := range insts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		queue = append(queue, fmt.Sprintf("/instances/%d", insts[k]))
	}
	if len(insts) > 0 {
		seen["/instances/{id}"] = true // one request page per process, not per link
	}

	visited := 0
	for len(queue) > 0 && visited < maxPagesPerRole {
		p := queue[0]
		queue = queue[1:]
		visited++
		u, _ := url.Parse(p)
		route := pageKey(u)
		do(t, ctx, chromedp.EmulateViewport(everyPageSizes[0][0], everyPageSizes[0][1]), chromedp.Navigate(base+p), chromedp.WaitReady(css("body")))
		for i, size := range everyPageSizes {
			do(t, ctx, chromedp.EmulateViewport(size[0], size[1]))
			over, err := chromedp.Run(ctx, chromedp.Evaluate[int](overflowJS))
			if err != nil {
				t.Fatal(err)
			}
			if over > 0 {
				screenshot(t, ctx, fmt.Sprintf("overflow-%d-%s-%d", size[0], user, visited))
				t.Errorf("%s at %d px as %s: %d px of sideways scrolling", p, size[0], user, over)
			}
			key := fmt.Sprintf("%d %s", size[0], route)
			if i == 0 {
				shape, err := chromedp.Run(ctx, chromedp.Evaluate[string](shapeJS))
				if err != nil {
					t.Fatal(err)
				}
				sum := sha256.Sum256([]byte(shape))
				key = fmt.Sprintf("%d %x", size[0], sum[:8])
			}
			if !chk.claim(key) {
				continue
			}
			axeStart := time.Now()
			found := runAxe(t, ctx, chk.src)
			chk.ran(time.Since(axeStart))
			for _, v := range found {
				t.Errorf("%s at %d px as %s: axe %s (%s) %s at %s", p, size[0], user, v.ID, v.Impact, v.Help, strings.Join(v.Targets, " | "))
			}
		}
		links, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("a[href]")).map(a => a.href)`))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range links {
			add(l)
		}
	}
	if visited < 3 {
		t.Errorf("%s: only %d pages reached from home", user, visited)
	}
	t.Logf("%s: %d pages, %d left unvisited by the bound, %v", user, visited, len(queue), time.Since(roleStart).Round(time.Millisecond))
}

// checkApprovalOnOneScreen opens the purchase request awaiting the
// director on a phone: its summary, amount and 同意 are in the first
// screen, without scrolling.
func checkApprovalOnOneScreen(t *testing.T, base string, id int64) {
	ctx := newBrowser(t)
	signIn(t, ctx, base, "chenzhiqiang")
	do(t, ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(fmt.Sprintf("%s/instances/%d", base, id)), chromedp.WaitVisible(css("#act-approve")))
	for _, sel := range []string{"#summary", "#summary .money", "#act-approve"} {
		in, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const e = document.querySelector(`+jsString(sel)+`); if (!e) return "missing";
			const r = e.getBoundingClientRect();
			return (r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth) ? "in" : JSON.stringify({top: r.top, bottom: r.bottom, left: r.left, right: r.right, h: window.innerHeight}) })()`))
		if err != nil {
			t.Fatal(err)
		}
		if in != "in" {
			screenshot(t, ctx, "approval-one-screen")
			t.Errorf("approval page at 390×844: %s not within the first screen: %s", sel, in)
		}
	}
	if amount := text(t, ctx, "#summary .money"); !strings.Contains(amount, "¥1,061.50") {
		t.Errorf("the summary's amount reads %q, want ¥1,061.50", amount)
	}
	// The check sees what is below the first screen: the approval record.
	below, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector("#record").getBoundingClientRect().top > window.innerHeight`))
	if err != nil || !below {
		t.Fatalf("the approval record starts within the first screen too (err %v): the check measures nothing", err)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
