package web_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// purchase is a small purchase request filed by zhangwei (合成部): its first
// step is his director chenzhiqiang's signed approval.
func purchase(t *testing.T, e *env) int64 {
	t.Helper()
	return e.file(t, "zhangwei", "purchase-request", map[string]any{"reason": "实验需要", "category": "reagent", "acceptance": "requester_confirms",
		"items": []any{map[string]any{"name": "乙腈", "quantity": "2", "unit": "瓶"}}})
}

type proxyView struct {
	ID           int64    `json:"id"`
	PersonID     int64    `json:"person_id"`
	ProxyID      int64    `json:"proxy_id"`
	Status       string   `json:"status"`
	ApproverName string   `json:"approver_name"`
	Definitions  []string `json:"definitions"`
}

// Ensure, through the JSON API and the pages, that a director on leave
// names a proxy and the request filed meanwhile goes to the proxy, who
// signs in their own name on the director's behalf (R8); the director can
// no longer act on it and finds it in their list; the timeline, the task
// and the signature say “代 陈志强” (issue 8 §4).
func TestR8_ProxySignsOnBehalfThroughTheAPI(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	liuyang := personID(t, e, "liuyang")
	today := time.Now().In(shanghaiZone(t)).Format("2006-01-02")
	// Someone else's proxy by a colleague: refused; one's own: in effect.
	r := e.as(t, "wangfang", "POST", "/api/v1/proxies", map[string]any{"person_id": personID(t, e, "chenzhiqiang"), "proxy_id": personID(t, e, "wangfang"),
		"from": today, "to": today})
	if r.status != http.StatusForbidden {
		t.Fatalf("a colleague sets the director's proxy: %d %s", r.status, r.body)
	}
	wantField(t, e.as(t, "chenzhiqiang", "POST", "/api/v1/proxies", map[string]any{"proxy_id": liuyang, "from": today, "to": "next week"}),
		422, "to", "org.bad_moment")
	r = e.as(t, "chenzhiqiang", "POST", "/api/v1/proxies", map[string]any{"proxy_id": liuyang, "from": today, "to": today,
		"definitions": []string{"purchase-request"}, "reason": "年假"})
	if r.status != http.StatusCreated {
		t.Fatalf("own proxy: %d %s", r.status, r.body)
	}
	var x proxyView
	r.json(t, &x)
	if x.Status != "active" || x.ProxyID != liuyang {
		t.Fatalf("proxy: %+v", x)
	}
	id := purchase(t, e)
	task := e.taskOf(t, "liuyang", id)
	// The absent director has no task and cannot act on the proxy's.
	if r := e.as(t, "chenzhiqiang", "POST", idPath("/api/v1/tasks/%d/actions", task), sign(nil)); r.status != http.StatusForbidden {
		t.Fatalf("the absent director acts on the proxy's task: %d %s", r.status, r.body)
	}
	e.mustAct(t, "liuyang", id, sign(nil))
	r = e.as(t, "chenzhiqiang", "GET", idPath("/api/v1/instances/%d", id), nil)
	var v struct {
		Tasks []struct {
			ID           int64  `json:"id"`
			AssigneeName string `json:"assignee_name"`
			OnBehalfName string `json:"on_behalf_name"`
		} `json:"tasks"`
		Timeline []struct {
			Action       string `json:"action"`
			ActorName    string `json:"actor_name"`
			OnBehalfName string `json:"on_behalf_name"`
		} `json:"timeline"`
		Signatures []struct {
			SignerName   string `json:"signer_name"`
			OnBehalfName string `json:"on_behalf_name"`
			Valid        bool   `json:"valid"`
		} `json:"signatures"`
	}
	r.json(t, &v)
	if len(v.Signatures) != 1 || v.Signatures[0].SignerName != "刘洋" || v.Signatures[0].OnBehalfName != "陈志强" || !v.Signatures[0].Valid {
		t.Fatalf("signature: %+v", v.Signatures)
	}
	if v.Tasks[0].ID != task || v.Tasks[0].AssigneeName != "刘洋" || v.Tasks[0].OnBehalfName != "陈志强" {
		t.Fatalf("task: %+v", v.Tasks[0])
	}
	approved := false
	for _, a := range v.Timeline {
		approved = approved || a.Action == "approve" && a.ActorName == "刘洋" && a.OnBehalfName == "陈志强"
	}
	if !approved {
		t.Fatalf("timeline: %+v", v.Timeline)
	}
	r = e.as(t, "chenzhiqiang", "GET", "/api/v1/me/on-behalf", nil)
	if r.status != 200 || !strings.Contains(r.body, `"proxy_name":"刘洋"`) || !strings.Contains(r.body, `"outcome":"approved"`) {
		t.Fatalf("on behalf: %d %s", r.status, r.body)
	}
	// The pages say so too.
	page := e.do(t, e.login(t, "chenzhiqiang"), "GET", idPath("/instances/%d", id), nil, nil)
	if !strings.Contains(page.body, "代 陈志强") {
		t.Fatalf("the instance page does not say on whose behalf")
	}
	page = e.do(t, e.login(t, "chenzhiqiang"), "GET", "/proxies", nil, nil)
	if page.status != 200 || !strings.Contains(page.body, "刘洋") || !strings.Contains(page.body, idPath("/instances/%d", id)) {
		t.Fatalf("the proxies page: %d", page.status)
	}
	// The next step (the Business Dean's) is nobody's proxy: it goes to lihua.
	e.taskOf(t, "lihua", id)
}

// Ensure the administrator cannot set someone's proxy without that
// person's director: it waits for the director's approval, which nobody
// else may give, and only then do tasks go to the proxy (issue 8 §4).
func TestR12_AdministratorsProxyNeedsTheDirector(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	today := time.Now().In(shanghaiZone(t)).Format("2006-01-02")
	chen, zhang, liu := personID(t, e, "chenzhiqiang"), personID(t, e, "zhangwei"), personID(t, e, "liuyang")
	// The administrator has no business to hand over (R12).
	if r := e.as(t, "admin", "POST", "/api/v1/proxies", map[string]any{"proxy_id": liu, "from": today, "to": today}); r.status != http.StatusForbidden {
		t.Fatalf("the administrator's own proxy: %d %s", r.status, r.body)
	}
	// For the director himself: his approver is the GM.
	r := e.as(t, "admin", "POST", "/api/v1/proxies", map[string]any{"person_id": chen, "proxy_id": liu, "from": today, "to": today, "reason": "病假"})
	if r.status != http.StatusCreated {
		t.Fatalf("set: %d %s", r.status, r.body)
	}
	var x proxyView
	r.json(t, &x)
	if x.Status != "pending" || x.ApproverName != "王建国" {
		t.Fatalf("pending: %+v", x)
	}
	// Not yet in effect.
	id := purchase(t, e)
	e.taskOf(t, "chenzhiqiang", id)
	// Nobody but the approver decides; who may not see it learns nothing.
	for user, want := range map[string]int{"admin": 403, "chenzhiqiang": 403, "liuyang": 403, "lihua": 404, "zhangwei": 404} {
		if r := e.as(t, user, "POST", idPath("/api/v1/proxies/%d/approve", x.ID), nil); r.status != want {
			t.Fatalf("%s approves: %d %s", user, r.status, r.body)
		}
	}
	ns := e.as(t, "wangjianguo", "GET", "/api/v1/notifications", nil)
	if !strings.Contains(ns.body, `"kind":"proxy_request"`) {
		t.Fatalf("the approver is not told: %s", ns.body)
	}
	if r := e.as(t, "wangjianguo", "POST", idPath("/api/v1/proxies/%d/approve", x.ID), nil); r.status != 200 || !strings.Contains(r.body, `"status":"active"`) {
		t.Fatalf("approve: %d %s", r.status, r.body)
	}
	if r := e.as(t, "wangjianguo", "POST", idPath("/api/v1/proxies/%d/refuse", x.ID), map[string]any{"reason": "晚了"}); r.status != http.StatusConflict {
		t.Fatalf("decided twice: %d %s", r.status, r.body)
	}
	// Now in effect: a new request goes to the proxy.
	id = purchase(t, e)
	e.taskOf(t, "liuyang", id)
	// A researcher's director approves a proxy for him through the page.
	r = e.as(t, "admin", "POST", "/api/v1/proxies", map[string]any{"person_id": zhang, "proxy_id": personID(t, e, "wangfang"), "from": today, "to": today})
	r.json(t, &x)
	if x.ApproverName != "陈志强" {
		t.Fatalf("zhangwei's approver: %+v", x)
	}
	c := e.login(t, "chenzhiqiang")
	page := e.do(t, c, "GET", "/proxies", nil, nil)
	if !strings.Contains(page.body, idPath(`id="approve-%d"`, x.ID)) {
		t.Fatalf("the director's page does not offer the approval")
	}
	if r := e.do(t, c, "POST", idPath("/proxies/%d/approve", x.ID), "reason=", formCT); r.status != http.StatusSeeOther {
		t.Fatalf("approve on the page: %d %s", r.status, r.body)
	}
	r = e.as(t, "zhangwei", "GET", idPath("/api/v1/proxies/%d", x.ID), nil)
	if r.json(t, &x); x.Status != "active" {
		t.Fatalf("after the page: %s", r.body)
	}
}

func shanghaiZone(t *testing.T) *time.Location {
	t.Helper()
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return l
}
