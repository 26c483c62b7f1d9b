package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var hrefRE = regexp.MustCompile(`<a\b[^>]*\bhref="([^"]+)"`)

// demoRoles are one demo account of every kind of user.
var demoRoles = []string{"admin", "wangjianguo", "lihua", "zhaomin", "chenzhiqiang", "zhangwei", "guoqiang", "gaoyuan", "liangqian", "hanmei"}

// Ensure nothing leads nowhere: signed in as each demo role, every link on
// every page that role can reach opens a working page (no 404, no error),
// in Chinese and English, with no untranslated message key (issue 7 item
// 12: 采购 led to a 404, 项目 and 送样检测 to "coming soon").
func TestLinks_EveryRoleEveryLinkWorks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Requests in several states, so that the pages have rows to link.
	pr := e.as(t, "zhangwei", "POST", "/api/v1/processes/purchase-request/instances", map[string]any{"form": map[string]any{
		"reason": "项目实验需要", "category": "reagent", "acceptance": "requester_confirms",
		"items": []any{map[string]any{"name": "乙腈", "quantity": "2", "unit": "瓶", "unit_price": "120"}}}})
	if pr.status != http.StatusCreated {
		t.Fatalf("start: %d %s", pr.status, pr.body)
	}
	var inst struct{ ID int64 }
	pr.json(t, &inst)
	todo := e.as(t, "chenzhiqiang", "GET", "/api/v1/inbox/todo", nil)
	var box struct {
		Items []struct {
			TaskID int64 `json:"task_id"`
		}
	}
	todo.json(t, &box)
	if r := e.as(t, "chenzhiqiang", "POST", idPath("/api/v1/tasks/%d/actions", box.Items[0].TaskID),
		map[string]any{"action": "approve", "password": "labflow-demo", "comment": "同意"}); r.status != 200 {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	keyRE := keyPattern()
	for _, user := range demoRoles {
		for _, lang := range []string{"zh", "en"} {
			t.Run(user+"/"+lang, func(t *testing.T) {
				c := e.login(t, user)
				if r := e.do(t, c, "POST", "/lang", "lang="+lang, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}); r.status != http.StatusSeeOther {
					t.Fatalf("POST /lang: %d", r.status)
				}
				seen := map[string]bool{"/": true}
				from := map[string]string{} // the page a link was found on
				queue := []string{"/"}
				for len(queue) > 0 && len(seen) < 400 {
					p := queue[0]
					queue = queue[1:]
					r := e.do(t, c, "GET", p, nil, nil)
					if r.status != http.StatusOK {
						t.Errorf("%s: GET %s (linked from %s): %d", user, p, from[p], r.status)
						continue
					}
					if !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
						continue // a download, the API's JSON or CSV
					}
					for _, k := range keyRE.FindAllString(visibleText(r.body), -1) {
						t.Errorf("%s: %s: raw key %q", user, p, k)
					}
					for _, m := range hrefRE.FindAllStringSubmatch(r.body, -1) {
						link := strings.ReplaceAll(m[1], "&amp;", "&")
						u, err := url.Parse(link)
						if err != nil || u.Host != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "/static/") {
							continue
						}
						u.Fragment = ""
						k := u.String()
						if !seen[k] && !pageExplored(seen, u) {
							seen[k] = true
							from[k] = p
							queue = append(queue, k)
						}
					}
				}
				if len(seen) < 4 {
					t.Fatalf("%s reached only %v", user, keys(seen))
				}
			})
		}
	}
}

// pageExplored keeps the crawl finite: a page pattern (path with numbers
// as {id}) is followed at most a few times with different queries.
func pageExplored(seen map[string]bool, u *url.URL) bool {
	pattern := regexp.MustCompile(`/[0-9]+`).ReplaceAllString(u.Path, "/{id}")
	n := 0
	for k := range seen {
		ku, _ := url.Parse(k)
		if regexp.MustCompile(`/[0-9]+`).ReplaceAllString(ku.Path, "/{id}") == pattern {
			n++
		}
	}
	return n >= 6
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
