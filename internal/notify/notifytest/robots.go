package notifytest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Post is one message a robot receiver accepted.
type Post struct {
	Platform string
	Text     string
	Raw      map[string]any // the request body as sent
}

// Robot is a group robot's webhook endpoint, checking requests as its
// platform documents (see each constructor), against the clock Now.
type Robot struct {
	URL      string // the webhook address to configure
	Platform string

	srv    *httptest.Server
	secret string
	token  string
	now    func() time.Time

	mu       sync.Mutex
	posts    []Post
	refusals []string
	fail     int // answer this many requests with a platform error first
}

// Posts returns the messages accepted so far.
func (r *Robot) Posts() []Post {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Post(nil), r.posts...)
}

// Refusals returns why requests were refused (bad signature, stale time…).
func (r *Robot) Refusals() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.refusals...)
}

// FailNext makes the next n requests fail as an overloaded platform answers.
func (r *Robot) FailNext(n int) {
	r.mu.Lock()
	r.fail = n
	r.mu.Unlock()
}

func (r *Robot) refuse(w http.ResponseWriter, why string, body any) {
	r.mu.Lock()
	r.refusals = append(r.refusals, why)
	r.mu.Unlock()
	writeJSON(w, body)
}

func (r *Robot) failing() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail > 0 {
		r.fail--
		return true
	}
	return false
}

func (r *Robot) accept(w http.ResponseWriter, text string, raw map[string]any, ok any) {
	r.mu.Lock()
	r.posts = append(r.posts, Post{Platform: r.Platform, Text: text, Raw: raw})
	r.mu.Unlock()
	writeJSON(w, ok)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func readBody(req *http.Request) (map[string]any, error) {
	b, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

func within(now time.Time, t time.Time) bool {
	d := now.Sub(t)
	return d < time.Hour && d > -time.Hour
}

// hmacB64 is base64(HMAC-SHA256(key, msg)), as both platforms' examples
// compute it.
func hmacB64(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// DingTalk is a DingTalk custom robot with 加签: the webhook is
// /robot/send?access_token=TOKEN; a request carries timestamp
// (milliseconds, within an hour) and sign, which must equal
// urlEncode(base64(HmacSHA256(secret, timestamp+"\n"+secret))) — Go's
// query parsing undoes the URL encoding, as the platform's does. The body
// is {"msgtype":"text","text":{"content":…}}; the answer
// {"errcode":0,"errmsg":"ok"}, or 310000 "sign not match".
func DingTalk(t testing.TB, token, secret string, now func() time.Time) *Robot {
	r := &Robot{Platform: "dingtalk", secret: secret, token: token, now: now}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		q := req.URL.Query()
		if req.Method != http.MethodPost || req.URL.Path != "/robot/send" || q.Get("access_token") != r.token {
			r.refuse(w, "token", map[string]any{"errcode": 300001, "errmsg": "token is not exist"})
			return
		}
		if r.secret != "" {
			ms, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
			if err != nil || !within(r.now(), time.UnixMilli(ms)) {
				r.refuse(w, "timestamp", map[string]any{"errcode": 310000, "errmsg": "invalid timestamp"})
				return
			}
			if q.Get("sign") != hmacB64(r.secret, q.Get("timestamp")+"\n"+r.secret) {
				r.refuse(w, "sign", map[string]any{"errcode": 310000, "errmsg": "sign not match"})
				return
			}
		}
		body, err := readBody(req)
		text, _ := dig(body, "text", "content").(string)
		if err != nil || body["msgtype"] != "text" || text == "" {
			r.refuse(w, "body", map[string]any{"errcode": 40035, "errmsg": "缺少参数 json"})
			return
		}
		if r.failing() {
			r.refuse(w, "busy", map[string]any{"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
			return
		}
		r.accept(w, text, body, map[string]any{"errcode": 0, "errmsg": "ok"})
	}))
	t.Cleanup(r.srv.Close)
	r.URL = r.srv.URL + "/robot/send?access_token=" + token
	return r
}

// WeCom is a WeCom group robot: the webhook is /cgi-bin/webhook/send?key=KEY
// (the key is the credential); the body {"msgtype":"text","text":{"content":…}}
// with content at most 2048 bytes; the answer {"errcode":0,"errmsg":"ok"},
// or 93000 for a wrong key.
func WeCom(t testing.TB, key string) *Robot {
	r := &Robot{Platform: "wecom", token: key}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost || req.URL.Path != "/cgi-bin/webhook/send" || req.URL.Query().Get("key") != r.token {
			r.refuse(w, "key", map[string]any{"errcode": 93000, "errmsg": "invalid webhook url"})
			return
		}
		body, err := readBody(req)
		text, _ := dig(body, "text", "content").(string)
		if err != nil || body["msgtype"] != "text" || text == "" || len(text) > 2048 {
			r.refuse(w, "body", map[string]any{"errcode": 40008, "errmsg": "invalid message type or content"})
			return
		}
		if r.failing() {
			r.refuse(w, "busy", map[string]any{"errcode": 45009, "errmsg": "api freq out of limit"})
			return
		}
		r.accept(w, text, body, map[string]any{"errcode": 0, "errmsg": "ok"})
	}))
	t.Cleanup(r.srv.Close)
	r.URL = r.srv.URL + "/cgi-bin/webhook/send?key=" + key
	return r
}

// Feishu is a Feishu custom robot with 签名校验: the webhook is
// /open-apis/bot/v2/hook/ID; the body carries timestamp (seconds, as a
// string, within an hour) and sign, which must equal
// base64(HmacSHA256(key: timestamp+"\n"+secret, message: "")), with
// {"msg_type":"text","content":{"text":…}}; the answer
// {"code":0,"msg":"success"}, or 19021 when the signature does not match.
func Feishu(t testing.TB, hook, secret string, now func() time.Time) *Robot {
	r := &Robot{Platform: "feishu", secret: secret, token: hook, now: now}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.Method != http.MethodPost || req.URL.Path != "/open-apis/bot/v2/hook/"+r.token {
			r.refuse(w, "hook", map[string]any{"code": 19001, "msg": "param invalid: incoming webhook access token invalid"})
			return
		}
		body, err := readBody(req)
		if err != nil {
			r.refuse(w, "body", map[string]any{"code": 9499, "msg": "Bad Request"})
			return
		}
		if r.secret != "" {
			ts, _ := body["timestamp"].(string)
			sec, err := strconv.ParseInt(ts, 10, 64)
			sign, _ := body["sign"].(string)
			if err != nil || !within(r.now(), time.Unix(sec, 0)) || sign != hmacB64(ts+"\n"+r.secret, "") {
				r.refuse(w, "sign", map[string]any{"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"})
				return
			}
		}
		text, _ := dig(body, "content", "text").(string)
		if body["msg_type"] != "text" || text == "" {
			r.refuse(w, "body", map[string]any{"code": 9499, "msg": "Bad Request"})
			return
		}
		if r.failing() {
			r.refuse(w, "busy", map[string]any{"code": 11232, "msg": "frequency limited"})
			return
		}
		r.accept(w, text, body, map[string]any{"code": 0, "msg": "success", "data": map[string]any{}})
	}))
	t.Cleanup(r.srv.Close)
	r.URL = r.srv.URL + "/open-apis/bot/v2/hook/" + hook
	return r
}

func dig(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}
