package notify_test

import (
	"crypto/tls"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"labflow/internal/domain"
	"labflow/internal/notify"
	"labflow/internal/notify/notifytest"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// Issue 9 item 4: a notice goes out by e-mail over SMTP as the
// administrator set it up — here STARTTLS with AUTH PLAIN, and implicit
// TLS — once, in the reader's language, naming the request (title and
// number) and linking to it.
func TestNotice_EmailOverSMTP(t *testing.T) {
	srv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{StartTLS: true, Users: map[string]string{"labflow": "s3cret-pw"}})
	tlsSrv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{Implicit: true})
	each(t, notify.Config{TLS: &tls.Config{RootCAs: srv.Roots}}, func(t *testing.T, e *env) {
		e.smtp(srv.Port(), notify.TLSStartTLS, "labflow", "s3cret-pw")
		before := len(srv.Mails())
		e.notice("zhang", "step_approved", 7, map[string]any{"by": "陈志强", "step": "部门总监审批", "step_en": "Director"})
		e.notice("guo", "returned", 8, map[string]any{"by": "李华", "reason": "型号？", "step": "业务院长审核", "step_en": "Business dean"})
		r := e.run(e.svc)
		if r.Dispatched != 2 || r.Sent != 2 || r.Failed != 0 {
			t.Fatalf("round %+v", r)
		}
		mails := srv.Mails()[before:]
		if len(mails) != 2 {
			t.Fatalf("mails %d", len(mails))
		}
		byTo := map[string]notifytest.Mail{}
		for _, m := range mails {
			byTo[m.To[0]] = m
			if !m.TLS || m.User != "labflow" || m.From != "labflow@lab.example" || m.Header.Get("Auto-Submitted") != "auto-generated" {
				t.Fatalf("session: %+v", m)
			}
		}
		zh := byTo["zhang@lab.example"]
		if !strings.Contains(zh.Subject, "已同意") || !strings.Contains(zh.Subject, "采购申请 #7") || !strings.Contains(zh.Subject, "陈志强") ||
			!strings.Contains(zh.Body, "https://labflow.example/instances/7") {
			t.Fatalf("zhang's mail: %q / %q", zh.Subject, zh.Body)
		}
		en := byTo["guo@lab.example"]
		if !strings.HasPrefix(en.Subject, "Returned to you: 采购申请 #8") || !strings.Contains(en.Subject, "reason: 型号？") || !strings.Contains(en.Subject, "Business dean") {
			t.Fatalf("guo's mail: %q", en.Subject)
		}
		// Once: another round sends nothing.
		if r := e.run(e.svc); r.Sent != 0 || r.Dispatched != 0 {
			t.Fatalf("second round %+v", r)
		}
		for _, d := range e.deliveries() {
			if d.State != store.DeliverySent || d.Attempts != 1 {
				t.Fatalf("delivery %+v", d)
			}
		}

		// Implicit TLS (port 465 style), no AUTH.
		_, err := e.svc.SetSettings(ctx, e.admin, notify.SettingsInput{SMTP: notify.SMTPInput{Enabled: true, Host: "127.0.0.1",
			Port: tlsSrv.Port(), TLS: notify.TLSImplicit, From: "labflow@lab.example"}})
		if err != nil {
			t.Fatal(err)
		}
		n := len(tlsSrv.Mails())
		e.notice("wu", "task", 9, map[string]any{"step": "审批"})
		if r := e.run(e.svc); r.Sent != 1 {
			t.Fatalf("implicit TLS round %+v", r)
		}
		if ms := tlsSrv.Mails()[n:]; len(ms) != 1 || !ms[0].TLS || !strings.Contains(ms[0].Subject, "新待办：采购申请 #9") || strings.Contains(ms[0].Body, "http") {
			t.Fatalf("implicit TLS mails %+v", ms)
		}
	})
}

// Issue 9 item 4: the departments' group robots get their members' notices
// in the format and with the signing each platform documents; the
// receivers check the signatures as the platforms do, and refuse a wrong
// secret (which the worker then retries and, at last, fails).
func TestNotice_GroupRobotsSignAsThePlatformsCheck(t *testing.T) {
	each(t, notify.Config{Attempts: 2}, func(t *testing.T, e *env) {
		ding := notifytest.DingTalk(t, "ding-token", "SECding-secret", e.clk.Now)
		wecom := notifytest.WeCom(t, "0b1c-wecom-key")
		feishu := notifytest.Feishu(t, "f00d-hook", "feishu-secret", e.clk.Now)
		set := func(dept, platform, hook, secret string) {
			t.Helper()
			if _, err := e.svc.SetRobot(ctx, e.admin, e.depts[dept], notify.RobotInput{Platform: platform, Webhook: hook, Secret: secret, Enabled: true}); err != nil {
				t.Fatalf("robot %s: %v", platform, err)
			}
		}
		set("syn", notify.ChannelDingTalk, ding.URL, "SECding-secret")
		set("ana", notify.ChannelWeCom, wecom.URL, "")
		set("frm", notify.ChannelFeishu, feishu.URL, "feishu-secret")
		e.notice("zhang", "urged", 11, map[string]any{"by": "王芳", "comment": "请尽快", "step": "部门总监审批"})
		e.notice("guo", "task", 12, map[string]any{"step": "检测", "step_en": "Testing"})
		e.notice("wu", "rejected", 13, map[string]any{"by": "李华", "reason": "预算不足"})
		r := e.run(e.svc)
		if r.Sent != 3 {
			t.Fatalf("round %+v; refusals %v %v %v", r, ding.Refusals(), wecom.Refusals(), feishu.Refusals())
		}
		check := func(rb *notifytest.Robot, want ...string) {
			t.Helper()
			ps := rb.Posts()
			if len(ps) != 1 || len(rb.Refusals()) != 0 {
				t.Fatalf("%s: posts %v refusals %v", rb.Platform, ps, rb.Refusals())
			}
			for _, w := range want {
				if !strings.Contains(ps[0].Text, w) {
					t.Fatalf("%s: %q lacks %q", rb.Platform, ps[0].Text, w)
				}
			}
		}
		check(ding, "致 张伟", "催办：采购申请 #11", "王芳", "请尽快")
		check(wecom, "To 郭强", "New task: 采购申请 #12", "Testing")
		check(feishu, "致 吴敏", "已拒绝：采购申请 #13", "预算不足")

		// A wrong secret: the receiver refuses the signature; the worker
		// retries after the back-off and then fails, visibly and audited.
		set("syn", notify.ChannelDingTalk, "", "SECwrong")
		e.notice("zhang", "task", 14, nil)
		if r := e.run(e.svc); r.Retrying != 1 {
			t.Fatalf("round with a wrong secret %+v", r)
		}
		if got := ding.Refusals(); len(got) != 1 || got[0] != "sign" {
			t.Fatalf("refusals %v", got)
		}
		e.clk.Add(31 * time.Second)
		if r := e.run(e.svc); r.Failed != 1 {
			t.Fatalf("last try %+v", r)
		}
		d := e.deliveries()[0]
		if d.State != store.DeliveryFailed || !strings.Contains(d.LastError, "310000") || d.Attempts != 2 {
			t.Fatalf("failed delivery %+v", d)
		}
		if evs := e.events("notice.failed"); len(evs) != 1 || evs[0].EntityID != fmt.Sprint(d.ID) {
			t.Fatalf("notice.failed events %+v", evs)
		}
		// The secret is not in the trail, nor the token of the address.
		for _, ev := range e.events("notice.robot") {
			if strings.Contains(ev.Changes, "SECwrong") || strings.Contains(ev.Changes, "ding-token") || strings.Contains(ev.Changes, "feishu-secret") {
				t.Fatalf("a secret in the trail: %s", ev.Changes)
			}
		}
		e.verify()
	})
}

// Issue 9 item 4: a failed send is retried with exponential back-off on
// the store's clock (here 30 s, then 60 s); a permanent refusal (5xx)
// fails at once; after Attempts tries the delivery fails; each final
// failure is audited.
func TestNotice_RetryWithBackoff(t *testing.T) {
	srv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{})
	each(t, notify.Config{Attempts: 4, Backoff: 30 * time.Second}, func(t *testing.T, e *env) {
		e.smtp(srv.Port(), notify.TLSNone, "", "")
		fails := 2
		var mu sync.Mutex
		srv.Reply(func(cmd string, n int) string {
			mu.Lock()
			defer mu.Unlock()
			if cmd == "DATA" && fails > 0 {
				fails--
				return "451 4.3.0 mailbox busy, try later"
			}
			return ""
		})
		t.Cleanup(func() { srv.Reply(nil) })
		before := len(srv.Mails())
		e.notice("zhang", "task", 21, nil)
		if r := e.run(e.svc); r.Retrying != 1 || r.Sent != 0 {
			t.Fatalf("first try %+v", r)
		}
		d := e.deliveries()[0]
		if d.State != store.DeliveryPending || d.Attempts != 1 || !d.NextAt.Equal(e.clk.Now().Add(30*time.Second)) || !strings.Contains(d.LastError, "451") {
			t.Fatalf("after the first try %+v (now %v)", d, e.clk.Now())
		}
		e.clk.Add(29 * time.Second)
		if r := e.run(e.svc); r.Retrying+r.Sent != 0 {
			t.Fatalf("tried before the back-off: %+v", r)
		}
		e.clk.Add(time.Second)
		if r := e.run(e.svc); r.Retrying != 1 {
			t.Fatalf("second try %+v", r)
		}
		if d := e.deliveries()[0]; d.Attempts != 2 || !d.NextAt.Equal(e.clk.Now().Add(60*time.Second)) {
			t.Fatalf("the back-off doubles: %+v", d)
		}
		e.clk.Add(59 * time.Second)
		e.run(e.svc)
		e.clk.Add(time.Second)
		if r := e.run(e.svc); r.Sent != 1 {
			t.Fatalf("third try %+v", r)
		}
		if got := srv.Mails()[before:]; len(got) != 1 {
			t.Fatalf("mails %d", len(got))
		}
		if d := e.deliveries()[0]; d.State != store.DeliverySent || d.Attempts != 3 || d.LastError != "" {
			t.Fatalf("sent %+v", d)
		}

		// A permanent refusal fails at once.
		srv.Reply(func(cmd string, n int) string {
			if cmd == "RCPT" {
				return "550 5.1.1 no such user"
			}
			return ""
		})
		e.notice("guo", "task", 22, nil)
		if r := e.run(e.svc); r.Failed != 1 {
			t.Fatalf("permanent refusal %+v", r)
		}
		if d := e.deliveries()[0]; d.State != store.DeliveryFailed || d.Attempts != 1 || !strings.Contains(d.LastError, "550") {
			t.Fatalf("refused %+v", d)
		}
		// A server that keeps failing: Attempts tries, then failed.
		srv.Reply(func(cmd string, n int) string {
			if cmd == "MAIL" {
				return "421 4.7.0 try again later"
			}
			return ""
		})
		e.notice("wu", "task", 23, nil)
		for i := 0; i < 10; i++ {
			e.run(e.svc)
			e.clk.Add(time.Hour)
		}
		if d := e.deliveries()[0]; d.State != store.DeliveryFailed || d.Attempts != 4 {
			t.Fatalf("kept failing %+v", d)
		}
		if evs := e.events("notice.failed"); len(evs) != 2 {
			t.Fatalf("notice.failed events %d", len(evs))
		}
	})
}

// Issue 9 item 4: two LabFlow servers on one database deliver each notice
// at most once per channel: both fan the outbox out and claim deliveries
// at the same time; every message arrives exactly once.
func TestNotice_TwoServersDeliverEachOnce(t *testing.T) {
	srv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{})
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			if d == store.Postgres && !hasPostgres() {
				t.Skip("PostgreSQL tests skipped: set TEST_DATABASE_URL")
			}
			e := newEnv(t, d, notify.Config{})
			e.smtp(srv.Port(), notify.TLSNone, "", "")
			wecom := notifytest.WeCom(t, "two-servers")
			if _, err := e.svc.SetRobot(ctx, e.admin, e.depts["syn"], notify.RobotInput{Platform: notify.ChannelWeCom, Webhook: wecom.URL, Enabled: true}); err != nil {
				t.Fatal(err)
			}
			// The second server: its own connections to the same database.
			db2, err := store.Open(ctx, e.cfg)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db2.Close() })
			a := notify.New(e.db, e.ppl, notify.Config{Owner: "server-a", Batch: 3})
			b := notify.New(db2, e.ppl, notify.Config{Owner: "server-b", Batch: 3})
			before := len(srv.Mails())
			const n = 30
			for i := 0; i < n; i++ {
				e.notice([]string{"zhang", "guo", "wu"}[i%3], "task", int64(100+i), nil)
			}
			var wg sync.WaitGroup
			for _, s := range []*notify.Service{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 6; i++ {
						if _, err := s.RunOnce(ctx); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			mails := srv.Mails()[before:]
			seen := map[string]int{}
			for _, m := range mails {
				seen[m.Header.Get("Message-ID")]++
			}
			if len(mails) != n || len(seen) != n {
				t.Fatalf("%d mails, %d distinct, want %d each once", len(mails), len(seen), n)
			}
			if got := len(wecom.Posts()); got != n/3 {
				t.Fatalf("robot posts %d, want %d", got, n/3)
			}
			ds := e.deliveries()
			if len(ds) != n+n/3 {
				t.Fatalf("deliveries %d, want %d", len(ds), n+n/3)
			}
			for _, d := range ds {
				if d.State != store.DeliverySent || d.Attempts != 1 {
					t.Fatalf("delivery %+v", d)
				}
			}
		})
	}
}

// Issue 9 item 4: a delivery whose server stopped while sending it is not
// sent again on its own (it may have arrived): once its lease ends it
// fails, audited, and the administrator decides; retried, it goes once. A
// delivery sent is never retried.
func TestNotice_InterruptedSendFailsUntilRetried(t *testing.T) {
	srv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{})
	each(t, notify.Config{Lease: time.Minute}, func(t *testing.T, e *env) {
		e.smtp(srv.Port(), notify.TLSNone, "", "")
		before := len(srv.Mails())
		e.notice("guo", "task", 32, nil)
		if n, err := e.svc.Dispatch(ctx); err != nil || n != 1 {
			t.Fatalf("dispatch: %d %v", n, err)
		}
		// Another server claims it and stops before recording anything.
		claimed, err := e.db.ClaimDeliveries(ctx, "stopped-server", e.clk.Now(), e.clk.Now().Add(time.Minute), 10)
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claim: %v %d", err, len(claimed))
		}
		// While its lease runs, nobody else sends it.
		if r := e.run(e.svc); r.Sent+r.Failed != 0 {
			t.Fatalf("round during the lease %+v", r)
		}
		e.clk.Add(2 * time.Minute)
		if r := e.run(e.svc); r.Failed != 1 || r.Sent != 0 {
			t.Fatalf("round after the lease %+v", r)
		}
		d := e.deliveries()[0]
		if d.State != store.DeliveryFailed || !strings.Contains(d.LastError, "interrupted") {
			t.Fatalf("interrupted delivery %+v", d)
		}
		if evs := e.events("notice.failed"); len(evs) != 1 || evs[0].EntityID != fmt.Sprint(d.ID) {
			t.Fatalf("notice.failed %+v", evs)
		}
		if len(srv.Mails()) != before {
			t.Fatal("an interrupted delivery was sent again on its own")
		}

		// Only the administrator retries, and it goes once.
		if _, err := e.svc.Retry(ctx, e.actor("zhang"), d.ID, ""); !domain.IsKind(err, domain.KindForbidden) {
			t.Fatalf("a researcher retries: %v", err)
		}
		out, err := e.svc.Retry(ctx, e.admin, d.ID, "the server was restarted")
		if err != nil || out.State != store.DeliveryPending || out.Attempts != 0 {
			t.Fatalf("retry: %+v %v", out, err)
		}
		if evs := e.events("notice.retry"); len(evs) != 1 || evs[0].Reason != "the server was restarted" || evs[0].ActorID != e.admin.ID {
			t.Fatalf("notice.retry %+v", evs)
		}
		if r := e.run(e.svc); r.Sent != 1 {
			t.Fatalf("round after the retry %+v", r)
		}
		if got := len(srv.Mails()) - before; got != 1 {
			t.Fatalf("mails after the retry %d", got)
		}
		if _, err := e.svc.Retry(ctx, e.admin, d.ID, ""); !domain.IsKind(err, domain.KindConflict) {
			t.Fatalf("retrying a sent delivery: %v", err)
		}
		e.verify()
	})
}

func hasPostgres() bool { return storetest.PostgresURL() != "" }
