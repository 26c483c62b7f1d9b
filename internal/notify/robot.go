package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"unicode/utf8"

	"labflow/internal/store"
)

// Group robots, each as its platform documents its custom robot:
//
//   - DingTalk (钉钉自定义机器人): POST {"msgtype":"text","text":{"content":…}}
//     to the webhook (…/robot/send?access_token=…). With 加签 the URL
//     also carries timestamp (milliseconds) and sign: the HMAC-SHA256,
//     keyed with the secret, of timestamp+"\n"+secret, in base64, URL-
//     encoded. The answer is {"errcode":0,"errmsg":"ok"}.
//   - WeCom (企业微信群机器人): POST {"msgtype":"text","text":{"content":…}}
//     (at most 2048 bytes) to …/webhook/send?key=…; the key in the URL is
//     the credential. The answer is {"errcode":0,"errmsg":"ok"}.
//   - Feishu (飞书自定义机器人): POST {"msg_type":"text","content":{"text":…}}
//     to …/bot/v2/hook/…. With 签名校验 the body also carries timestamp
//     (seconds, as a string) and sign: the HMAC-SHA256 keyed with
//     timestamp+"\n"+secret of an empty message, in base64. The answer is
//     {"code":0,"msg":"success"} (older servers: "StatusCode":0).
//
// Both signatures are accepted within an hour of the platform's clock;
// they are made from the store's clock.

// RobotSign is the signature of a robot request made at timestamp, as
// platform (DingTalk or Feishu) computes it: base64 of an HMAC-SHA256, for
// DingTalk keyed with the secret over timestamp+"\n"+secret, for Feishu
// keyed with timestamp+"\n"+secret over nothing. (DingTalk's is URL-encoded
// in the query string.)
func RobotSign(platform, secret, timestamp string) string {
	if platform == ChannelFeishu {
		mac := hmac.New(sha256.New, []byte(timestamp+"\n"+secret))
		return base64.StdEncoding.EncodeToString(mac.Sum(nil))
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// wecomMax is the longest text a WeCom robot takes, in bytes.
const wecomMax = 2048

// dingtalkMax bounds a DingTalk text (its robots take about 20,000 bytes).
const dingtalkMax = 18000

type robotText struct {
	Content string `json:"content"`
}

type dingTalkBody struct {
	MsgType string    `json:"msgtype"`
	Text    robotText `json:"text"`
}

type feishuBody struct {
	Timestamp string `json:"timestamp,omitempty"`
	Sign      string `json:"sign,omitempty"`
	MsgType   string `json:"msg_type"`
	Content   struct {
		Text string `json:"text"`
	} `json:"content"`
}

// robotAnswer covers the three platforms' answers.
type robotAnswer struct {
	ErrCode    *int   `json:"errcode"`
	ErrMsg     string `json:"errmsg"`
	Code       *int   `json:"code"`
	Msg        string `json:"msg"`
	StatusCode *int   `json:"StatusCode"`
}

// postRobot posts text to a department's robot.
func (s *Service) postRobot(ctx context.Context, r store.NoticeRobot, text string) error {
	now := s.db.Now()
	target := r.Webhook
	var body any
	switch r.Platform {
	case ChannelDingTalk:
		if r.Secret != "" {
			u, err := url.Parse(r.Webhook)
			if err != nil {
				return permanent{fmt.Errorf("the webhook address: %w", err)}
			}
			ts := strconv.FormatInt(now.UnixMilli(), 10)
			q := u.Query()
			q.Set("timestamp", ts)
			q.Set("sign", RobotSign(ChannelDingTalk, r.Secret, ts))
			u.RawQuery = q.Encode()
			target = u.String()
		}
		body = dingTalkBody{MsgType: "text", Text: robotText{Content: cut(text, dingtalkMax)}}
	case ChannelWeCom:
		body = dingTalkBody{MsgType: "text", Text: robotText{Content: cut(text, wecomMax)}}
	case ChannelFeishu:
		b := feishuBody{MsgType: "text"}
		b.Content.Text = text
		if r.Secret != "" {
			b.Timestamp = strconv.FormatInt(now.Unix(), 10)
			b.Sign = RobotSign(ChannelFeishu, r.Secret, b.Timestamp)
		}
		body = b
	default:
		return permanent{errors.New("unknown robot platform " + r.Platform)}
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return permanent{err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(raw))
	if err != nil {
		return permanent{fmt.Errorf("the webhook address: %w", err)}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	res, err := s.cfg.HTTP.Do(req)
	if err != nil {
		// The error names the address, which holds the robot's token.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("post to %s: %w", Mask(r.Webhook), err)
	}
	defer res.Body.Close()
	ans, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if res.StatusCode/100 != 2 {
		err := fmt.Errorf("%s robot: HTTP %d %s", r.Platform, res.StatusCode, cut(string(ans), 200))
		if res.StatusCode >= 400 && res.StatusCode < 500 && res.StatusCode != http.StatusTooManyRequests && res.StatusCode != http.StatusRequestTimeout {
			return permanent{err}
		}
		return err
	}
	var a robotAnswer
	if err := json.Unmarshal(ans, &a); err != nil {
		return fmt.Errorf("%s robot: unreadable answer %q", r.Platform, cut(string(ans), 200))
	}
	code, msg := 0, ""
	switch {
	case a.ErrCode != nil:
		code, msg = *a.ErrCode, a.ErrMsg
	case a.Code != nil:
		code, msg = *a.Code, a.Msg
	case a.StatusCode != nil:
		code = *a.StatusCode
	}
	if code != 0 {
		// Rate limits and clock skew pass; a wrong token or signature
		// does not, but the administrator may mend it meanwhile.
		return fmt.Errorf("%s robot refused: %d %s", r.Platform, code, msg)
	}
	return nil
}

// cut bounds text to n bytes of whole characters.
func cut(text string, n int) string {
	if len(text) <= n {
		return text
	}
	text = text[:n]
	for !utf8.ValidString(text) {
		text = text[:len(text)-1]
	}
	return text
}
