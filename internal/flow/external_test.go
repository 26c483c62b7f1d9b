package flow_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// The tests of a step that a person outside the institute completes by a
// one-time link (issue 8 §2; SPEC REL-5, the customer's satisfaction
// survey).

// externalExample loads the example of docs/DEFINITIONS.md, "People outside
// the institute": the guide's example is what these tests walk.
func externalExample(t *testing.T) *flow.Definition {
	t.Helper()
	doc, err := os.ReadFile("../../docs/DEFINITIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "## People outside the institute")
	_, rest, ok2 := strings.Cut(rest, "```yaml\n")
	src, _, ok3 := strings.Cut(rest, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("no yaml example under \"People outside the institute\" in docs/DEFINITIONS.md")
	}
	d, err := flow.Parse("DEFINITIONS.md", []byte(src), nil)
	if err != nil {
		t.Fatalf("the guide's example does not load: %v", err)
	}
	return d
}

// countThrottle counts failures per key and refuses a key after max.
type countThrottle struct {
	mu    sync.Mutex
	fails map[string]int
	max   int
}

func (c *countThrottle) Allow(_ context.Context, key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.max > 0 && c.fails[key] >= c.max {
		return domain.E(domain.KindTooMany, "test", "auth.throttled", "until", "later")
	}
	return nil
}

func (c *countThrottle) Fail(_ context.Context, key string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fails[key]++
	return nil
}

func (c *countThrottle) count(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fails[key]
}

type xenv struct {
	*env
	clk *storetest.Clock
	thr *countThrottle
}

// eachExternal runs f on SQLite and PostgreSQL with a clock the test moves
// and a throttle that counts.
func eachExternal(t *testing.T, f func(t *testing.T, v *xenv), defs ...func() *flow.Definition) {
	t.Helper()
	for _, d := range []store.Dialect{store.SQLite, store.Postgres} {
		t.Run(string(d), func(t *testing.T) {
			cfg := storetest.Config(t, d)
			clk := storetest.NewClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
			cfg.Now = clk.Now
			db, err := store.Open(ctx, cfg)
			if err != nil {
				t.Fatalf("open %s: %v", d, err)
			}
			t.Cleanup(func() { db.Close() })
			var ds []*flow.Definition
			for _, mk := range defs {
				ds = append(ds, mk())
			}
			v := &xenv{env: newEnv(t, db, ds...), clk: clk, thr: &countThrottle{fails: map[string]int{}}}
			v.e.UseThrottle(v.thr)
			f(t, v)
		})
	}
}

func surveyForm() map[string]any {
	return map[string]any{"customer_name": "陈先生", "customer_email": "chen@example.com", "service": "设备维修"}
}

// mailedLink returns the address and token of the latest link e-mailed
// for the instance (the outbox row that carries it to be sent).
func mailedLink(t *testing.T, db *store.DB, inst int64) (string, string) {
	t.Helper()
	var args string
	err := db.R().QueryRowContext(ctx, "SELECT args FROM flow_outbox WHERE channel = 'email' AND instance_id = $1 ORDER BY id DESC LIMIT 1", inst).Scan(&args)
	if err != nil {
		t.Fatalf("no e-mail for instance %d: %v", inst, err)
	}
	var m struct{ To, Path string }
	if err := json.Unmarshal([]byte(args), &m); err != nil {
		t.Fatal(err)
	}
	tok, ok := strings.CutPrefix(m.Path, "/x/")
	if !ok {
		t.Fatalf("e-mail without a link: %s", args)
	}
	return m.To, tok
}

func (v *xenv) mailed(inst int64) (string, string) {
	v.t.Helper()
	return mailedLink(v.t, v.db, inst)
}

func (v *xenv) submit(tok string, form map[string]any) (*flow.ExternalReceipt, error) {
	return v.e.SubmitExternal(ctx, tok, flow.ExternalInput{Form: form, IP: "203.0.113.7", UserAgent: "Survey/1.0"})
}

// wantNeutral checks the one answer to a link that is not open.
func wantNeutral(t *testing.T, err error) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.KindNotFound || de.Key != "flow.external.link_invalid" || len(de.Args) != 0 || len(de.Fields) != 0 {
		t.Fatalf("err = %v, want the neutral flow.external.link_invalid", err)
	}
}

func links(t *testing.T, v *xenv, who, inst int64) []flow.ExternalLink {
	t.Helper()
	return v.view(who, inst).External
}

// Ensure the customer's link runs the step end to end (SPEC REL-5): the
// step waits for the outsider with a placeholder nobody inside holds; the
// link is e-mailed to the address on the form and the initiator is told;
// the holder sees the title and the step's fields only; the submission
// completes the step in one transaction, recorded as external (id 0, the
// name, address, browser and server time) on the timeline, in the audit
// trail and on the sealed link; the process goes on; verify holds.
func TestREL5_ExternalSurveyFullWalk(t *testing.T) {
	eachExternal(t, func(t *testing.T, v *xenv) {
		in := v.start("customer-feedback", surveyForm())
		iv := v.view(alice, in.ID)
		if len(iv.Tasks) != 1 || iv.Tasks[0].Kind != flow.TaskExternal || iv.Tasks[0].AssigneeID != 0 || iv.Tasks[0].AssigneeName != "陈先生" {
			t.Fatalf("the survey's placeholder: %+v", iv.Tasks)
		}
		for _, who := range []int64{alice, dave, bob, gina} {
			if items, _, _ := v.e.Inbox(ctx, v.actor(who), flow.BoxTodo, flow.InboxFilter{}); len(items) != 0 {
				t.Fatalf("%d has the outsider's step in 待办: %+v", who, items)
			}
		}
		to, tok := v.mailed(in.ID)
		if to != "chen@example.com" || len(tok) < 43 {
			t.Fatalf("mailed %q a token of %d characters", to, len(tok))
		}
		// The initiator, who filed it, sees the link that went out, once.
		if len(in.Issued) != 1 || in.Issued[0].Token != tok || in.Issued[0].Path != "/x/"+tok {
			t.Fatalf("issued to the initiator: %+v", in.Issued)
		}
		if iv.Instance.Issued != nil {
			t.Fatal("the instance page shows the token again")
		}
		ls := iv.External
		if len(ls) != 1 || ls[0].State != flow.LinkOpen || ls[0].Name != "陈先生" || ls[0].Contact != "chen@example.com" ||
			!ls[0].ExpiresAt.Equal(v.clk.Now().Add(7*24*time.Hour)) {
			t.Fatalf("links: %+v", ls)
		}
		// Only the token's SHA-256 is stored; the trail never holds it.
		var hash string
		if err := v.db.R().QueryRowContext(ctx, "SELECT token_hash FROM flow_external_link WHERE id = $1", ls[0].ID).Scan(&hash); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(tok))
		if hash != hex.EncodeToString(sum[:]) {
			t.Fatalf("stored %q, want the SHA-256 of the token", hash)
		}
		evs, _ := v.db.FindAudit(ctx, store.AuditFilter{Limit: 1000})
		for _, ev := range evs {
			if strings.Contains(ev.Changes, tok) {
				t.Fatalf("the token is in the audit trail: %s %s", ev.Action, ev.Changes)
			}
		}
		ns, _ := v.e.Notifications(ctx, v.actor(alice), false, 50)
		if !hasKind(ns, in.ID, "external_issued") {
			t.Fatalf("the initiator is not told the link went out: %+v", ns)
		}

		// The holder sees the title and the step's fields, nothing else.
		f, err := v.e.ExternalFormFor(ctx, tok, "203.0.113.7")
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Fields) != 2 || f.Fields[0].Key != "satisfaction" || f.Fields[1].Key != "remarks" || f.Name != "陈先生" ||
			f.Step.ZH != "客户填写调查" || len(f.Values) != 0 {
			t.Fatalf("external form: %+v", f)
		}
		b, _ := json.Marshal(f)
		for _, secret := range []string{"设备维修", "chen@example.com", "N-alice", "customer_email", "customer_name"} {
			if strings.Contains(string(b), secret) {
				t.Fatalf("the external form shows %q: %s", secret, b)
			}
		}

		v.clk.Add(time.Hour)
		rc, err := v.e.SubmitExternal(ctx, tok, flow.ExternalInput{Form: map[string]any{"satisfaction": "poor", "remarks": "等了三天"},
			IP: "203.0.113.7", UserAgent: "Mozilla/5.0 (survey)"})
		if err != nil {
			t.Fatal(err)
		}
		if rc.Name != "陈先生" || !rc.SubmittedAt.Equal(v.clk.Now()) {
			t.Fatalf("receipt %+v", rc)
		}
		iv = v.view(alice, in.ID)
		if iv.Instance.Form["satisfaction"] != "poor" || iv.Instance.Form["remarks"] != "等了三天" {
			t.Fatalf("form after the survey: %v", iv.Instance.Form)
		}
		// The process goes on: an unsatisfied answer goes to the director.
		if !v.hasTodo(dave, in.ID) {
			t.Fatal("the director has no follow-up")
		}
		var rec *flow.ActionRecord
		for i := range iv.Timeline {
			if iv.Timeline[i].Action == "external_submit" {
				rec = &iv.Timeline[i]
			}
		}
		if rec == nil || rec.ActorID != 0 || rec.ActorName != "陈先生" || rec.External == nil || rec.External.IP != "203.0.113.7" ||
			rec.External.UserAgent != "Mozilla/5.0 (survey)" || rec.External.Values["satisfaction"] != "poor" || !rec.At.Equal(v.clk.Now()) {
			t.Fatalf("timeline entry: %+v", rec)
		}
		l := iv.External[0]
		if l.State != flow.LinkUsed || l.SubmittedName != "陈先生" || l.IP != "203.0.113.7" || l.Values["remarks"] != "等了三天" || !l.ClosedAt.Equal(v.clk.Now()) {
			t.Fatalf("used link: %+v", l)
		}
		evs, _ = v.db.FindAudit(ctx, store.AuditFilter{Action: "flow.external_submit"})
		if len(evs) != 1 || evs[0].ActorID != 0 || evs[0].ActorName != "external: 陈先生" || evs[0].EntityID != itoa(in.ID) {
			t.Fatalf("audit: %+v", evs)
		}
		for _, want := range []string{`"form.satisfaction"`, `"poor"`, `"203.0.113.7"`, `"Mozilla/5.0 (survey)"`, `"external"`} {
			if !strings.Contains(evs[0].Changes, want) {
				t.Fatalf("the audit event lacks %s: %s", want, evs[0].Changes)
			}
		}
		if _, err := v.db.VerifyAudit(ctx, ""); err != nil {
			t.Fatalf("verify: %v", err)
		}
		// The trail alone rebuilds what the customer entered (R3).
		asof, err := v.e.AsOf(ctx, v.actor(alice), in.ID, v.clk.Now())
		if err != nil || len(asof.Changed) != 0 || asof.Snapshot.Form["remarks"] != "等了三天" {
			t.Fatalf("as of now: %+v %v", asof, err)
		}
		ns, _ = v.e.Notifications(ctx, v.actor(alice), false, 50)
		if !hasKind(ns, in.ID, "external_submitted") {
			t.Fatal("the initiator is not told the customer answered")
		}
	}, externalExampleDef(t))
}

func externalExampleDef(t *testing.T) func() *flow.Definition {
	return func() *flow.Definition { return externalExample(t) }
}

// Ensure a link works once: a second submission, and opening it again,
// get the neutral answer, and so do an unknown and a malformed token;
// each such answer counts against the caller's address, and an address
// past the limit is refused before any lookup (no enumeration).
func TestREL5_ExternalLinkOnceAndNeutral(t *testing.T) {
	eachExternal(t, func(t *testing.T, v *xenv) {
		in := v.start("customer-feedback", surveyForm())
		_, tok := v.mailed(in.ID)
		if _, err := v.submit(tok, map[string]any{"satisfaction": "good"}); err != nil {
			t.Fatal(err)
		}
		_, err := v.submit(tok, map[string]any{"satisfaction": "poor"})
		wantNeutral(t, err)
		_, err = v.e.ExternalFormFor(ctx, tok, "203.0.113.7")
		wantNeutral(t, err)
		if got := v.view(alice, in.ID).Instance.Form["satisfaction"]; got != "good" {
			t.Fatalf("a second submission changed the answer to %v", got)
		}
		other := strings.Repeat("A", 43)
		_, err = v.submit(other, map[string]any{"satisfaction": "good"})
		wantNeutral(t, err)
		_, err = v.e.ExternalFormFor(ctx, "not-a-token", "203.0.113.7")
		wantNeutral(t, err)
		if n := v.thr.count("link:203.0.113.7"); n != 4 {
			t.Fatalf("failures counted: %d, want 4", n)
		}
		v.thr.max = 4
		_, err = v.e.ExternalFormFor(ctx, other, "203.0.113.7")
		if !domain.IsKind(err, domain.KindTooMany) {
			t.Fatalf("a throttled address: %v", err)
		}
		if _, err := v.e.ExternalFormFor(ctx, other, "198.51.100.1"); !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("another address is not throttled: %v", err)
		}
	}, externalExampleDef(t))
}

// Ensure an expired link is refused; the expiry is noticed once, the
// initiator told, and a re-issued link works while the old one does not.
func TestREL5_ExternalLinkExpiresAndIsReissued(t *testing.T) {
	eachExternal(t, func(t *testing.T, v *xenv) {
		in := v.start("customer-feedback", surveyForm())
		_, tok := v.mailed(in.ID)
		v.clk.Add(7*24*time.Hour + time.Second)
		_, err := v.submit(tok, map[string]any{"satisfaction": "good"})
		wantNeutral(t, err)
		n, err := v.e.ExpireExternalLinks(ctx, v.clk.Now())
		if err != nil || n != 1 {
			t.Fatalf("expired %d, %v", n, err)
		}
		if n, _ := v.e.ExpireExternalLinks(ctx, v.clk.Now()); n != 0 {
			t.Fatalf("expired again: %d", n)
		}
		if ls := links(t, v, alice, in.ID); ls[0].State != flow.LinkExpired {
			t.Fatalf("link: %+v", ls[0])
		}
		ns, _ := v.e.Notifications(ctx, v.actor(alice), false, 50)
		if !hasKind(ns, in.ID, "external_expired") {
			t.Fatal("the initiator is not told the link expired")
		}
		// The step still waits; the initiator issues a new link.
		if _, err := v.e.ReissueExternal(ctx, v.actor(dave), in.ID, flow.ExternalAction{}); !domain.IsKind(err, domain.KindForbidden) {
			t.Fatalf("the director re-issues: %v", err)
		}
		if _, err := v.e.ReissueExternal(ctx, v.actor(erin), in.ID, flow.ExternalAction{}); !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("a stranger re-issues: %v", err)
		}
		nl, err := v.e.ReissueExternal(ctx, v.actor(alice), in.ID, flow.ExternalAction{Comment: "客户未收到邮件"})
		if err != nil {
			t.Fatal(err)
		}
		if _, mailedTok := v.mailed(in.ID); mailedTok != nl.Token || nl.Path != "/x/"+nl.Token || nl.Link.State != flow.LinkOpen {
			t.Fatalf("re-issued %+v, mailed %s", nl, mailedTok)
		}
		if _, err := v.submit(nl.Token, map[string]any{"satisfaction": "good"}); err != nil {
			t.Fatal(err)
		}
		if st := v.status(in.ID); st != flow.StatusApproved {
			t.Fatalf("status %s after a satisfied answer", st)
		}
		evs, _ := v.db.FindAudit(ctx, store.AuditFilter{Action: "flow.external_expired"})
		if len(evs) != 1 {
			t.Fatalf("expiry events: %d", len(evs))
		}
		if _, err := v.db.VerifyAudit(ctx, ""); err != nil {
			t.Fatalf("verify: %v", err)
		}
	}, externalExampleDef(t))
}

// Ensure the initiator's re-issue revokes the open link and a revocation
// needs a reason (COMPLIANCE R4); both are on the timeline and audited.
func TestR4_ExternalLinkRevokedWithReason(t *testing.T) {
	eachExternal(t, func(t *testing.T, v *xenv) {
		in := v.start("customer-feedback", surveyForm())
		_, first := v.mailed(in.ID)
		nl, err := v.e.ReissueExternal(ctx, v.actor(alice), in.ID, flow.ExternalAction{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = v.submit(first, map[string]any{"satisfaction": "good"})
		wantNeutral(t, err)
		err = v.e.RevokeExternal(ctx, v.actor(alice), in.ID, flow.ExternalAction{})
		if fkey(err, "comment") != "field.required" {
			t.Fatalf("revoke without a reason: %v", err)
		}
		if err := v.e.RevokeExternal(ctx, v.actor(alice), in.ID, flow.ExternalAction{Comment: "发错了客户"}); err != nil {
			t.Fatal(err)
		}
		_, err = v.submit(nl.Token, map[string]any{"satisfaction": "good"})
		wantNeutral(t, err)
		if err := v.e.RevokeExternal(ctx, v.actor(alice), in.ID, flow.ExternalAction{Comment: "again"}); !domain.IsKind(err, domain.KindConflict) {
			t.Fatalf("revoking no link: %v", err)
		}
		ls := links(t, v, alice, in.ID)
		if len(ls) != 2 || ls[0].State != flow.LinkRevoked || ls[1].State != flow.LinkRevoked || ls[1].ClosedBy != alice {
			t.Fatalf("links: %+v", ls)
		}
		evs, _ := v.db.FindAudit(ctx, store.AuditFilter{Action: "flow.external_revoke"})
		if len(evs) != 1 || evs[0].Reason != "发错了客户" || evs[0].ActorID != alice {
			t.Fatalf("revocation events: %+v", evs)
		}
		acts := map[string]bool{}
		for _, a := range v.view(alice, in.ID).Timeline {
			acts[a.Action] = true
		}
		if !acts["external_issue"] || !acts["external_reissue"] || !acts["external_revoke"] {
			t.Fatalf("timeline: %v", acts)
		}
	}, externalExampleDef(t))
}

// Ensure an outsider writes the step's editable fields only: a forged
// field — a start field, another step's, one the form lacks — is refused
// with the same message, naming the field and nothing of the form; a
// value is checked as any edit; the required one must be given.
func TestR11_ExternalForgedFieldsRefused(t *testing.T) {
	eachExternal(t, func(t *testing.T, v *xenv) {
		in := v.start("customer-feedback", surveyForm())
		_, tok := v.mailed(in.ID)
		for _, k := range []string{"service", "customer_email", "no_such_field"} {
			_, err := v.submit(tok, map[string]any{"satisfaction": "good", k: "x"})
			if fkey(err, k) != "field.unknown" {
				t.Fatalf("forged %s: %v", k, err)
			}
		}
		_, err := v.submit(tok, map[string]any{"satisfaction": "excellent"})
		if fkey(err, "satisfaction") != "field.bad_choice" {
			t.Fatalf("bad choice: %v", err)
		}
		_, err = v.submit(tok, map[string]any{"remarks": "no rating"})
		if fkey(err, "satisfaction") != "flow.field.required_at_step" {
			t.Fatalf("without the required field: %v", err)
		}
		_, err = v.e.SubmitExternal(ctx, tok, flow.ExternalInput{Form: map[string]any{"satisfaction": "good"}, Name: "陈\u200b先生"})
		if fkey(err, "name") != "field.bad_name" {
			t.Fatalf("a name hiding a character: %v", err)
		}
		if got := v.view(alice, in.ID).Instance.Form; got["service"] != "设备维修" || got["satisfaction"] != nil {
			t.Fatalf("form changed by refused submissions: %v", got)
		}
		// The link still works, under the name the customer gives.
		if _, err := v.e.SubmitExternal(ctx, tok, flow.ExternalInput{Form: map[string]any{"satisfaction": "good"}, Name: "陈太太"}); err != nil {
			t.Fatal(err)
		}
		evs, _ := v.db.FindAudit(ctx, store.AuditFilter{Action: "flow.external_submit"})
		if len(evs) != 1 || evs[0].ActorName != "external: 陈太太" {
			t.Fatalf("audit: %+v", evs)
		}
	}, externalExampleDef(t))
}

// approvalThenSurvey: the director approves, then the customer answers,
// in parallel with a review by the Business Dean (who may return or
// reject while the customer has the link).
func approvalThenSurvey() *flow.Definition {
	d := &flow.Definition{Key: "ext-moves", Title: text("ext-moves"), Subject: "form",
		Form: []flow.Field{{Key: "name", Label: text("name"), Type: flow.FieldText}, {Key: "mail", Label: text("mail"), Type: flow.FieldText},
			{Key: "score", Label: text("score"), Type: flow.FieldNumber}, {Key: "path", Label: text("path"), Type: flow.FieldText}},
		Steps: []flow.Step{
			{ID: "director", Title: text("director"), Assignee: flow.Assignee{Relative: "initiator_director"},
				Branches: []flow.Branch{{When: "path == 'fork'", To: "fork"}}},
			{ID: "survey", Title: text("survey"), Kind: flow.StepTask, Editable: []string{"score"},
				Assignee: flow.Assignee{External: &flow.External{NameField: "name", ContactField: "mail", Expires: "2d"}}, Next: "end"},
			{ID: "fork", Title: text("fork"), Kind: flow.StepParallel, Parallel: []string{"survey2", "dean"}, Join: "joined"},
			{ID: "survey2", Title: text("survey2"), Kind: flow.StepTask, Editable: []string{"score"},
				Assignee: flow.Assignee{External: &flow.External{NameField: "name", ContactField: "mail"}}, Next: "joined"},
			{ID: "dean", Title: text("dean"), Assignee: role(domain.RoleBusinessDean), Next: "joined"},
			{ID: "joined", Title: text("joined"), Kind: flow.StepJoin},
		}}
	return d
}

// Ensure a link whose step has moved on is refused: the initiator
// withdrew the request, the approver took back the step before it, an
// approver returned or rejected the request meanwhile. The link shows as
// closed, and verify holds.
func TestREL5_ExternalLinkRefusedWhenStepMovedOn(t *testing.T) {
	eachExternal(t, func(t *testing.T, v *xenv) {
		form := func(path string) map[string]any {
			return map[string]any{"name": "Kunde", "mail": "kunde@example.com", "path": path}
		}
		closed := func(inst int64, tok string) {
			t.Helper()
			_, err := v.submit(tok, map[string]any{"score": "5"})
			wantNeutral(t, err)
			for _, l := range links(t, v, alice, inst) {
				if l.State != flow.LinkClosed {
					t.Fatalf("link %+v, want closed", l)
				}
			}
		}
		// Taken back by the director who approved. His approval issued the
		// link; it is the initiator's to pass on, not shown to him.
		in := v.start("ext-moves", form(""))
		if out := v.approve(dave, in.ID); out.Issued != nil {
			t.Fatalf("the approver is shown the link: %+v", out.Issued)
		}
		_, tok := v.mailed(in.ID)
		if _, err := v.e.ActOnInstance(ctx, v.actor(dave), in.ID, flow.ActInput{Action: flow.ActTakeBack, Comment: "漏看一项"}); err != nil {
			t.Fatal(err)
		}
		closed(in.ID, tok)
		// Returned by the dean on the other branch.
		in = v.start("ext-moves", form("fork"))
		v.approve(dave, in.ID)
		_, tok = v.mailed(in.ID)
		v.must(bob, in.ID, flow.ActInput{Action: flow.ActReturn, Comment: "客户信息有误"})
		wantStatus(t, v.view(alice, in.ID).Instance, flow.StatusReturned)
		closed(in.ID, tok)
		// Rejected by the dean.
		in = v.start("ext-moves", form("fork"))
		v.approve(dave, in.ID)
		_, tok = v.mailed(in.ID)
		v.must(bob, in.ID, flow.ActInput{Action: flow.ActReject, Comment: "不再回访"})
		closed(in.ID, tok)
		// Withdrawn by the initiator while the customer's step is the first.
		in2, err := v.e.Start(ctx, v.actor(alice), "customer-feedback", surveyForm(), "")
		if err != nil {
			t.Fatal(err)
		}
		_, tok = v.mailed(in2.ID)
		if _, err := v.e.ActOnInstance(ctx, v.actor(alice), in2.ID, flow.ActInput{Action: flow.ActWithdraw, Comment: "客户已电话反馈"}); err != nil {
			t.Fatal(err)
		}
		closed(in2.ID, tok)
		// Resubmitted: the step runs again with a new link, which works.
		if _, err := v.e.ActOnInstance(ctx, v.actor(alice), in2.ID, flow.ActInput{Action: flow.ActResubmit}); err != nil {
			t.Fatal(err)
		}
		_, tok2 := v.mailed(in2.ID)
		if tok2 == tok {
			t.Fatal("the resubmission reused the closed link")
		}
		if _, err := v.submit(tok2, map[string]any{"satisfaction": "good"}); err != nil {
			t.Fatal(err)
		}
		if _, err := v.db.VerifyAudit(ctx, ""); err != nil {
			t.Fatalf("verify: %v", err)
		}
	}, approvalThenSurvey, externalExampleDef(t))
}

// Ensure nobody inside acts on the outsider's step (COMPLIANCE R12): its
// placeholder task is refused to the initiator and the GM, who see the
// request, and is unknown to whoever does not; the system administrator
// re-issues nothing.
func TestR12_InternalUserCannotActOnExternalStep(t *testing.T) {
	eachExternal(t, func(t *testing.T, v *xenv) {
		in := v.start("customer-feedback", surveyForm())
		task := v.view(alice, in.ID).Tasks[0].ID
		for who, kind := range map[int64]domain.Kind{alice: domain.KindForbidden, gina: domain.KindForbidden, bob: domain.KindForbidden,
			erin: domain.KindNotFound, sam: domain.KindForbidden} {
			for _, a := range []flow.Action{flow.ActApprove, flow.ActComment, flow.ActTransfer, flow.ActReject} {
				_, err := v.e.Act(ctx, v.actor(who), task, flow.ActInput{Action: a, Comment: "x", PersonID: dave,
					Form: map[string]any{"satisfaction": "good"}})
				if !domain.IsKind(err, kind) {
					t.Fatalf("%d %s on the placeholder: %v, want %v", who, a, err, kind)
				}
			}
		}
		res, _ := v.e.BulkApprove(ctx, v.actor(gina), []int64{task}, "")
		if res[0].OK {
			t.Fatal("bulk approval of the outsider's step")
		}
		if _, err := v.e.ReissueExternal(ctx, v.actor(sam), in.ID, flow.ExternalAction{}); !domain.IsKind(err, domain.KindForbidden) {
			t.Fatalf("the administrator re-issues: %v", err)
		}
		if got := v.view(alice, in.ID).Instance.Form["satisfaction"]; got != nil {
			t.Fatalf("an insider wrote the outsider's answer: %v", got)
		}
	}, externalExampleDef(t))
}

// Ensure two submissions of one link at once: one completes the step,
// the other gets the neutral answer.
func TestREL5_ExternalConcurrentSubmissionsOneWins(t *testing.T) {
	eachExternal(t, func(t *testing.T, v *xenv) {
		in := v.start("customer-feedback", surveyForm())
		_, tok := v.mailed(in.ID)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = v.submit(tok, map[string]any{"satisfaction": []string{"good", "poor"}[i%2]})
			}()
		}
		wg.Wait()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if !domain.IsKind(err, domain.KindNotFound) && !domain.IsKind(err, domain.KindConflict) {
				t.Fatalf("a losing submission: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d submissions succeeded, want 1 (%v)", ok, errs)
		}
		evs, _ := v.db.FindAudit(ctx, store.AuditFilter{Action: "flow.external_submit"})
		if len(evs) != 1 {
			t.Fatalf("%d submissions audited", len(evs))
		}
	}, externalExampleDef(t))
}

// Ensure an external link row is a sealed record (COMPLIANCE R1): an
// address changed behind the trail's back is named by verify.
func TestR1_ExternalLinkSealed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := &xenv{env: newEnv(t, db, externalExample(t)), thr: &countThrottle{fails: map[string]int{}}}
		in := v.start("customer-feedback", surveyForm())
		_, tok := v.mailed(in.ID)
		if _, err := v.submit(tok, map[string]any{"satisfaction": "good"}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.VerifyAudit(ctx, ""); err != nil {
			t.Fatalf("verify: %v", err)
		}
		storetest.Exec(t, db, "UPDATE flow_external_link SET ip = '192.0.2.1'")
		_, err := db.VerifyAudit(ctx, "")
		var re *store.RecordsError
		if !errors.As(err, &re) || len(re.Problems) != 1 || re.Problems[0].Table != "flow_external_link" || re.Problems[0].Reason != "edited" {
			t.Fatalf("verify after editing the link: %v", err)
		}
	})
}

// Ensure lint refuses what an external step cannot be: without editable
// fields, of another kind, signed (an outsider has no account to sign
// with, COMPLIANCE R7, R8), naming fields that do not exist or are not
// text, editing who the link is for, with fields an outsider cannot fill,
// with a bad expiry, with actions, a mode, an SLA, another selector, or
// outside a step's assignee.
func TestR7_LintRefusesBadExternalSteps(t *testing.T) {
	base := func(step string) string {
		return `key: ext-lint
title: {zh: 外部, en: External}
form:
  - {key: who, label: {zh: 姓名, en: Name}, type: text}
  - {key: mail, label: {zh: 邮箱, en: Mail}, type: text}
  - {key: note, label: {zh: 说明, en: Note}, type: longtext}
  - {key: score, label: {zh: 评分, en: Score}, type: number}
  - {key: owner, label: {zh: 负责人, en: Owner}, type: person}
  - {key: docs, label: {zh: 文件, en: Files}, type: files}
  - key: rows
    label: {zh: 行, en: Rows}
    type: table
    columns: [{key: c, label: {zh: 列, en: Column}, type: text}]
steps:
  - id: s
    title: {zh: 步骤, en: Step}
` + step
	}
	ok := "    kind: task\n    assignee: {external: {name_field: who, contact_field: mail, expires: 3d}}\n    editable: [score]\n"
	if _, err := flow.Parse("ok.yaml", []byte(base(ok)), nil); err != nil {
		t.Fatalf("a good external step: %v", err)
	}
	cases := map[string]struct{ step, want string }{
		"no editable":  {"    kind: task\n    assignee: {external: {name_field: who}}\n", "steps[0].editable: an external step needs editable fields"},
		"parallel":     {"    kind: parallel\n    parallel: [s, s]\n    join: s\n    assignee: {external: {name_field: who}}\n", "steps[0].assignee.external: a person outside the institute acts on task and approval steps only"},
		"signed":       {"    assignee: {external: {name_field: who}}\n    editable: [score]\n    signature: approve\n", "steps[0].signature: an outsider cannot sign"},
		"no name":      {"    assignee: {external: {contact_field: mail}}\n    editable: [score]\n", "steps[0].assignee.external.name_field: required"},
		"unknown name": {"    assignee: {external: {name_field: nobody}}\n    editable: [score]\n", `steps[0].assignee.external.name_field: unknown field "nobody"`},
		"name longtext": {"    assignee: {external: {name_field: note}}\n    editable: [score]\n",
			`steps[0].assignee.external.name_field: field "note" is not a text field`},
		"unknown contact": {"    assignee: {external: {name_field: who, contact_field: phone}}\n    editable: [score]\n",
			`steps[0].assignee.external.contact_field: unknown field "phone"`},
		"edits contact": {"    assignee: {external: {name_field: who, contact_field: mail}}\n    editable: [score, mail]\n",
			`steps[0].assignee.external.contact_field: field "mail" is editable at this step`},
		"unknown editable": {"    assignee: {external: {name_field: who}}\n    editable: [rating]\n", `steps[0].editable[0]: unknown field "rating"`},
		"person field":     {"    assignee: {external: {name_field: who}}\n    editable: [owner]\n", "steps[0].editable[0]: an outsider cannot fill a person field"},
		"files field":      {"    assignee: {external: {name_field: who}}\n    editable: [docs]\n", "steps[0].editable[0]: an outsider cannot fill a files field"},
		"table column":     {"    assignee: {external: {name_field: who}}\n    editable: [rows.c]\n", "steps[0].editable[0]: an outsider fills whole fields"},
		"bad expiry":       {"    assignee: {external: {name_field: who, expires: 7x}}\n    editable: [score]\n", `steps[0].assignee.external.expires: "7x" is not a validity`},
		"zero days":        {"    assignee: {external: {name_field: who, expires: 0d}}\n    editable: [score]\n", `steps[0].assignee.external.expires: "0d"`},
		"a year":           {"    assignee: {external: {name_field: who, expires: 365d}}\n    editable: [score]\n", `steps[0].assignee.external.expires: "365d"`},
		"minutes":          {"    assignee: {external: {name_field: who, expires: 30m}}\n    editable: [score]\n", `steps[0].assignee.external.expires: "30m"`},
		"actions":          {"    assignee: {external: {name_field: who}}\n    editable: [score]\n    actions: [reject]\n", "steps[0].actions: an outsider only submits"},
		"mode":             {"    assignee: {external: {name_field: who}}\n    editable: [score]\n    mode: all\n", "steps[0].mode: one outsider acts"},
		"sla":              {"    assignee: {external: {name_field: who}}\n    editable: [score]\n    sla: {due: 48h}\n", "steps[0].sla: an external step's deadline is its link's expires"},
		"two selectors":    {"    assignee: {role: gm, external: {name_field: who}}\n    editable: [score]\n", "steps[0].assignee: an external person is the step's only selector"},
		"in cc":            {"    assignee: {role: gm}\n    cc: [{external: {name_field: who}}]\n", "steps[0].cc[0].external: only a task or approval step's assignee"},
		"each":             {"    assignee: {external: {name_field: who}}\n    editable: [score]\n    each: rows\n", "steps[0].each: one outsider acts on an external step"},
		"exclude":          {"    assignee: {external: {name_field: who}}\n    editable: [score]\n    exclude: [initiator]\n", "steps[0].exclude: an outsider is nobody inside"},
		"on_reject":        {"    assignee: {external: {name_field: who}}\n    editable: [score]\n    on_reject: s\n", "steps[0].on_reject: "},
		"set_person": {"    assignee: {external: {name_field: who}}\n    editable: [score]\n    set_person: [{person: owner, attribute: rank, value: \"'P3'\"}]\n",
			"steps[0].set_person: an outsider cannot change a person"},
		"deactivate_person": {"    assignee: {external: {name_field: who}}\n    editable: [score]\n    deactivate_person: owner\n",
			"steps[0].deactivate_person: an outsider cannot deactivate"},
	}
	for name, c := range cases {
		_, err := flow.Parse("bad.yaml", []byte(base(c.step)), nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v\nwant %q", name, err, c.want)
		}
	}
}

// Ensure ParseExpiry reads days and Go durations within 1h..90d.
func TestParseExpiry(t *testing.T) {
	for s, want := range map[string]time.Duration{"": 7 * 24 * time.Hour, "7d": 7 * 24 * time.Hour, "48h": 48 * time.Hour, "90d": 90 * 24 * time.Hour, "1h": time.Hour} {
		if got, err := flow.ParseExpiry(s); err != nil || got != want {
			t.Errorf("%q: %v %v, want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"91d", "59m", "-1d", "d", "1w", "7 d"} {
		if _, err := flow.ParseExpiry(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}
