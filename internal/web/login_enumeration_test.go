package web_test

import (
	"net/http"
	"testing"
	"time"
)

// Ensure the same wrong sign-ins under a real name and under a made-up one
// get identical answers over HTTP — status, problem key and message, the
// lock and the time it ends included — so that the answers do not tell
// which accounts exist. Both names are tried at each step at the same
// (fake) time.
func TestR8_UnknownUserThrottledLikeKnown(t *testing.T) {
	onBothBackends(t, func(t *testing.T, e *env) {
		attempt := func(username string) response {
			t.Helper()
			return e.do(t, nil, "POST", "/api/v1/session", map[string]string{"username": username, "password": "wrong-password"}, nil)
		}
		var statuses []int
		step := func(what string) {
			t.Helper()
			known, unknown := attempt("zhangwei"), attempt("nosuchuser")
			if known.status != unknown.status {
				t.Fatalf("%s: zhangwei %d, nosuchuser %d", what, known.status, unknown.status)
			}
			kp, up := known.problem(t), unknown.problem(t)
			if kp.Key != up.Key || kp.Detail != up.Detail || kp.Status != up.Status || kp.Type != up.Type || kp.Title != up.Title {
				t.Fatalf("%s: zhangwei %+v, nosuchuser %+v", what, kp, up)
			}
			statuses = append(statuses, known.status)
		}
		for range 7 {
			step("attempt")
		}
		e.clk.Add(16 * time.Minute) // the lock has ended
		step("after the lock")
		want := []int{401, 401, 401, 401, 429, 429, 429, 429}
		for i := range want {
			if statuses[i] != want[i] {
				t.Fatalf("statuses %v, want %v", statuses, want)
			}
		}
		// The account itself is still reachable with the right password
		// once the lock is over, and the made-up name never is.
		e.clk.Add(16 * time.Minute)
		if r := e.do(t, nil, "POST", "/api/v1/session", map[string]string{"username": "zhangwei", "password": "labflow-demo"}, nil); r.status != http.StatusOK {
			t.Fatalf("right password after the lock: %d %s", r.status, r.body)
		}
	}, withClock())
}
