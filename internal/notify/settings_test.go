package notify_test

import (
	"encoding/json"
	"strings"
	"testing"

	"labflow/internal/domain"
	"labflow/internal/notify"
	"labflow/internal/notify/notifytest"
)

func fieldKey(err error, field string) string {
	m, _ := domain.FieldError(err, field)
	return m.Key
}

// Issue 9 item 4: the settings are the administrator's, checked field by
// field; the SMTP password and a robot's secret and token are never shown
// again nor written to the trail; each change is audited and sealed.
func TestNotice_SettingsCheckedAndSecretsNeverEchoed(t *testing.T) {
	each(t, notify.Config{}, func(t *testing.T, e *env) {
		zhang := e.actor("zhang")
		if _, err := e.svc.Settings(ctx, zhang); !domain.IsKind(err, domain.KindForbidden) {
			t.Fatalf("a researcher reads the settings: %v", err)
		}
		if _, err := e.svc.SetSettings(ctx, zhang, notify.SettingsInput{}); !domain.IsKind(err, domain.KindForbidden) {
			t.Fatalf("a researcher saves the settings: %v", err)
		}
		_, err := e.svc.SetSettings(ctx, e.admin, notify.SettingsInput{BaseURL: "ftp://x", SMTP: notify.SMTPInput{Enabled: true,
			Host: "smtp.example.cn:25", Port: 70000, TLS: "ssl", From: "not an address"}})
		for field, key := range map[string]string{"base_url": "notice.bad_base_url", "smtp.host": "notice.bad_host", "smtp.port": "notice.bad_port",
			"smtp.tls": "field.bad_choice", "smtp.from": "notice.bad_from"} {
			if got := fieldKey(err, field); got != key {
				t.Errorf("%s: %q, want %q (%v)", field, got, key, err)
			}
		}
		_, err = e.svc.SetSettings(ctx, e.admin, notify.SettingsInput{SMTP: notify.SMTPInput{Enabled: true, Host: "smtp.example.cn", TLS: notify.TLSNone,
			From: "labflow@example.cn", Username: "u", Password: "p"}})
		if fieldKey(err, "smtp.tls") != "notice.auth_needs_tls" {
			t.Fatalf("a password in the clear: %v", err)
		}

		s, err := e.svc.SetSettings(ctx, e.admin, notify.SettingsInput{BaseURL: "https://labflow.example.cn/", Reason: "go live",
			SMTP: notify.SMTPInput{Enabled: true, Host: "smtp.example.cn", From: "LabFlow <labflow@example.cn>", Username: "labflow", Password: "pa55-word!"}})
		if err != nil {
			t.Fatal(err)
		}
		if s.BaseURL != "https://labflow.example.cn" || s.SMTP.Port != 587 || s.SMTP.TLS != notify.TLSStartTLS || !s.SMTP.PasswordSet {
			t.Fatalf("saved %+v", s)
		}
		// Saved again without a password: the stored one is kept.
		s, err = e.svc.SetSettings(ctx, e.admin, notify.SettingsInput{BaseURL: s.BaseURL, SMTP: notify.SMTPInput{Enabled: true,
			Host: "smtp.example.cn", Port: 587, From: "LabFlow <labflow@example.cn>", Username: "labflow"}})
		if err != nil || !s.SMTP.PasswordSet {
			t.Fatalf("kept: %+v %v", s, err)
		}
		b, _ := json.Marshal(s)
		if strings.Contains(string(b), "pa55-word") {
			t.Fatalf("the password echoed: %s", b)
		}
		evs := e.events("notice.settings")
		if len(evs) != 1 || evs[0].Reason != "go live" || !strings.Contains(evs[0].Changes, "smtp_host") || strings.Contains(evs[0].Changes, "pa55") ||
			!strings.Contains(evs[0].Changes, `"set"`) {
			t.Fatalf("notice.settings events %+v", evs)
		}

		// Robots: the address must be the platform's kind; WeCom has no secret.
		_, err = e.svc.SetRobot(ctx, e.admin, e.depts["syn"], notify.RobotInput{Platform: "dingtalk", Webhook: "https://oapi.dingtalk.com/robot/send", Enabled: true})
		if fieldKey(err, "webhook") != "notice.webhook_dingtalk" {
			t.Fatalf("a DingTalk address without token: %v", err)
		}
		_, err = e.svc.SetRobot(ctx, e.admin, e.depts["syn"], notify.RobotInput{Platform: "wecom", Webhook: "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", Secret: "x"})
		if fieldKey(err, "secret") != "notice.wecom_no_secret" {
			t.Fatalf("a WeCom secret: %v", err)
		}
		_, err = e.svc.SetRobot(ctx, e.admin, e.depts["syn"], notify.RobotInput{Platform: "slack", Webhook: "https://x"})
		if fieldKey(err, "platform") != "field.bad_choice" {
			t.Fatalf("an unknown platform: %v", err)
		}
		if _, err := e.svc.SetRobot(ctx, e.admin, 9999, notify.RobotInput{Platform: "wecom"}); !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("no such department: %v", err)
		}
		if _, err := e.svc.SetRobot(ctx, zhang, e.depts["syn"], notify.RobotInput{Platform: "wecom"}); !domain.IsKind(err, domain.KindForbidden) {
			t.Fatalf("a researcher sets a robot: %v", err)
		}
		hook := "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdef-token"
		r, err := e.svc.SetRobot(ctx, e.admin, e.depts["syn"], notify.RobotInput{Platform: "dingtalk", Webhook: hook, Secret: "SECxyz-secret", Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(r.Webhook, "0123456789") || !r.SecretSet || r.Department != "合成部" {
			t.Fatalf("robot %+v", r)
		}
		// Disabled, never deleted; the address kept.
		r, err = e.svc.SetRobot(ctx, e.admin, e.depts["syn"], notify.RobotInput{Platform: "dingtalk", Enabled: false})
		if err != nil || r.Enabled || !r.SecretSet {
			t.Fatalf("disabled %+v %v", r, err)
		}
		rs, _ := e.svc.Robots(ctx, e.admin)
		b, _ = json.Marshal(rs)
		if len(rs) != 1 || strings.Contains(string(b), "token") || strings.Contains(string(b), "SECxyz") {
			t.Fatalf("robots %s", b)
		}
		for _, ev := range e.events("notice.robot") {
			if strings.Contains(ev.Changes, "0123456789") || strings.Contains(ev.Changes, "SECxyz") {
				t.Fatalf("a secret in the trail: %s", ev.Changes)
			}
		}
		e.verify()
	})
}

// Issue 9 item 4: each person chooses their channels, for themselves only;
// a notice goes to the channels chosen and set up, to active people.
func TestNotice_EachPersonChoosesChannels(t *testing.T) {
	srv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{})
	each(t, notify.Config{}, func(t *testing.T, e *env) {
		wecom := notifytest.WeCom(t, "prefs")
		e.smtp(srv.Port(), notify.TLSNone, "", "")
		if _, err := e.svc.SetRobot(ctx, e.admin, e.depts["syn"], notify.RobotInput{Platform: notify.ChannelWeCom, Webhook: wecom.URL, Enabled: true}); err != nil {
			t.Fatal(err)
		}
		zhang := e.actor("zhang")
		p, err := e.svc.Prefs(ctx, zhang)
		if err != nil || !p.Email || !p.Chat || !p.EmailReady || !p.ChatReady || p.ChatPlatform != "wecom" || p.EmailAddress != "zhang@lab.example" {
			t.Fatalf("defaults %+v %v", p, err)
		}
		p, err = e.svc.SetPrefs(ctx, zhang, notify.PrefsInput{Email: false, Chat: true})
		if err != nil || p.Email || !p.Chat {
			t.Fatalf("saved %+v %v", p, err)
		}
		if evs := e.events("notice.prefs"); len(evs) != 1 || evs[0].ActorID != zhang.ID {
			t.Fatalf("notice.prefs %+v", evs)
		}
		before := len(srv.Mails())
		e.notice("zhang", "task", 41, nil)
		e.notice("guo", "task", 42, nil) // analytical: no robot; e-mail on by default
		e.run(e.svc)
		mails := srv.Mails()[before:]
		if len(mails) != 1 || mails[0].To[0] != "guo@lab.example" {
			t.Fatalf("mails %+v", mails)
		}
		if ps := wecom.Posts(); len(ps) != 1 || !strings.Contains(ps[0].Text, "#41") {
			t.Fatalf("chat %+v", ps)
		}
		// Deactivated people get nothing beyond the app.
		if err := e.ppl.SetPersonActive(ctx, domain.System, e.ids["guo"], false, "left"); err != nil {
			t.Fatal(err)
		}
		e.notice("guo", "task", 43, nil)
		if r := e.run(e.svc); r.Dispatched != 1 || r.Sent != 0 {
			t.Fatalf("round for an inactive person %+v", r)
		}
		e.verify()
	})
}
