package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"labflow/internal/i18n"
)

// TestNotice_UrgeThroughAPI (issue 9 item 4): two clicks on 催办 within a
// second send one reminder, and the second is refused with a translated
// error saying how long to wait; the reminder names who urged and the
// request (title and number); nobody but the initiator urges.
func TestNotice_UrgeThroughAPI(t *testing.T) {
	t.Parallel()
	e := fwNewEnv(t)
	zw, czq := e.login("zhangwei"), e.login("chenzhiqiang")
	inst := fwStartPurchase(t, zw, "")
	path := fmt.Sprintf("/api/v1/instances/%d/actions", inst.ID)

	codes := make([]int, 2)
	bodies := make([]string, 2)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], bodies[i] = zw.json("POST", path, map[string]any{"action": "urge", "comment": "请尽快"}, map[string]string{"Accept-Language": "zh"})
		}()
	}
	wg.Wait()
	ok, refused := 0, ""
	for i, c := range codes {
		switch c {
		case http.StatusOK:
			ok++
		case http.StatusTooManyRequests:
			refused = bodies[i]
		default:
			t.Fatalf("urge: %d %s", c, bodies[i])
		}
	}
	if ok != 1 || !strings.Contains(refused, `"key":"flow.urge_too_soon"`) || !strings.Contains(refused, "60 分钟") {
		t.Fatalf("two urges at once: %v %v", codes, refused)
	}

	code, body := czq.json("GET", "/api/v1/notifications", nil, map[string]string{"Accept-Language": "zh"})
	if code != 200 {
		t.Fatalf("notifications: %d %s", code, body)
	}
	ns := fwDecode[[]struct {
		Kind string `json:"kind"`
		Text string `json:"text"`
	}](t, body)
	urged := 0
	for _, n := range ns {
		if n.Kind == "urged" {
			urged++
			if !strings.Contains(n.Text, "张伟") || !strings.Contains(n.Text, fmt.Sprintf("#%d", inst.ID)) || !strings.Contains(n.Text, "请尽快") {
				t.Errorf("the reminder does not name who urged and the request: %q", n.Text)
			}
			if want := i18n.T("zh", "notice.urged", map[string]any{"request": ""}); !strings.HasPrefix(n.Text, strings.TrimSpace(want)) {
				t.Errorf("reminder text %q", n.Text)
			}
		}
	}
	if urged != 1 {
		t.Fatalf("the director got %d reminders, want 1", urged)
	}
	if code, body := czq.json("POST", path, map[string]any{"action": "urge"}, nil); code != http.StatusForbidden {
		t.Fatalf("the director urges: %d %s", code, body)
	}
}
