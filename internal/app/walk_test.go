package app_test

// End-to-end walks of the institute's seven process definitions
// (internal/flow/definitions/*.yaml) on the real application with the demo
// institute (internal/demo): who gets each task, which steps are electronic
// signatures (COMPLIANCE R7–R9), four eyes (R10), notifications, and a
// verifying audit chain at the end.

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"labflow/internal/app"
	"labflow/internal/auth"
	"labflow/internal/demo"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store/storetest"
)

func TestMain(m *testing.M) {
	// Demo seeding hashes the password with argon2id; a small memory cost
	// keeps the suite fast (the hash records its parameters).
	auth.Params.Memory = 1024
	auth.Params.Threads = 1
	os.Exit(m.Run())
}

var bg = context.Background()

// walker drives one demo application.
type walker struct {
	t *testing.T
	a *app.App
}

func openDemo(t *testing.T, dsn string) *walker {
	t.Helper()
	a, err := app.Open(bg, app.Config{DataDir: t.TempDir(), DSN: dsn, Demo: true})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return &walker{t: t, a: a}
}

func (w *walker) person(username string) domain.Person {
	w.t.Helper()
	p, err := w.a.People.PersonByUsername(bg, username)
	if err != nil {
		w.t.Fatalf("person %s: %v", username, err)
	}
	return p
}

func (w *walker) id(username string) int64 { return w.person(username).ID }

// started counts the instances username has started.
func (w *walker) started(username string) int {
	w.t.Helper()
	_, n, err := w.a.Flow.Inbox(bg, w.actor(username), flow.BoxStarted, flow.InboxFilter{})
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

func (w *walker) actor(username string) domain.Actor {
	w.t.Helper()
	ac, err := w.a.Auth.Actor(bg, w.id(username))
	if err != nil {
		w.t.Fatalf("actor %s: %v", username, err)
	}
	return ac
}

func (w *walker) start(username, key string, form map[string]any) *flow.Instance {
	w.t.Helper()
	in, err := w.a.Flow.Start(bg, w.actor(username), key, form, "")
	if err != nil {
		w.t.Fatalf("%s starts %s: %v", username, key, err)
	}
	if in.Status != flow.StatusRunning {
		w.t.Fatalf("%s started: status %s", key, in.Status)
	}
	return in
}

func (w *walker) view(username string, inst int64) *flow.InstanceView {
	w.t.Helper()
	v, err := w.a.Flow.Instance(bg, w.actor(username), inst)
	if err != nil {
		w.t.Fatalf("%s views %d: %v", username, inst, err)
	}
	return v
}

func (w *walker) name(id int64) string {
	w.t.Helper()
	p, err := w.a.People.Person(bg, id)
	if err != nil {
		return "?"
	}
	return p.Username
}

// expect checks that the open tasks of the instance are exactly on step and
// assigned to usernames (in any order), that each has the task in their
// 待办 inbox, and that the instance carries no fallback warning. It returns
// the task ids by username.
func (w *walker) expect(inst int64, step string, usernames ...string) map[string]int64 {
	w.t.Helper()
	v := w.view("wangjianguo", inst)
	if v.Instance.Status != flow.StatusRunning {
		w.t.Fatalf("instance %d: status %s, want running at %s", inst, v.Instance.Status, step)
	}
	var got []string
	for _, tk := range v.Tasks {
		if tk.State != flow.TaskOpen {
			continue
		}
		if tk.StepID != step {
			w.t.Fatalf("instance %d: open task on step %s (%s), want step %s", inst, tk.StepID, w.name(tk.AssigneeID), step)
		}
		got = append(got, w.name(tk.AssigneeID))
	}
	want := slices.Clone(usernames)
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		w.t.Fatalf("instance %d step %s: assignees %v, want %v", inst, step, got, want)
	}
	if len(v.Warnings) > 0 {
		w.t.Fatalf("instance %d: warnings %+v", inst, v.Warnings)
	}
	out := map[string]int64{}
	for _, u := range usernames {
		items, _, err := w.a.Flow.Inbox(bg, w.actor(u), flow.BoxTodo, flow.InboxFilter{})
		if err != nil {
			w.t.Fatal(err)
		}
		for _, it := range items {
			if it.InstanceID == inst && it.StepID == step {
				out[u] = it.TaskID
			}
		}
		if out[u] == 0 {
			w.t.Fatalf("%s has no 待办 task on instance %d step %s", u, inst, step)
		}
	}
	return out
}

// act performs in as username on their open task of step.
func (w *walker) act(username string, inst int64, step string, in flow.ActInput) (*flow.Instance, error) {
	w.t.Helper()
	items, _, err := w.a.Flow.Inbox(bg, w.actor(username), flow.BoxTodo, flow.InboxFilter{})
	if err != nil {
		w.t.Fatal(err)
	}
	for _, it := range items {
		if it.InstanceID == inst && it.StepID == step {
			return w.a.Flow.Act(bg, w.actor(username), it.TaskID, in)
		}
	}
	w.t.Fatalf("%s has no task on instance %d step %s", username, inst, step)
	return nil, nil
}

// complete approves (or completes) an unsigned step.
func (w *walker) complete(username string, inst int64, step string, form map[string]any) *flow.Instance {
	w.t.Helper()
	out, err := w.act(username, inst, step, flow.ActInput{Action: flow.ActApprove, Form: form, Comment: "ok"})
	if err != nil {
		w.t.Fatalf("%s completes %s on %d: %v", username, step, inst, err)
	}
	return out
}

// sign approves a signature step: refused without a password (R8) and with
// a wrong one, then signed with the demo password; the signature record
// holds the signer, the meaning and a valid content hash (R7, R9).
func (w *walker) sign(username string, inst int64, step string, meaning flow.Meaning, form map[string]any) *flow.Instance {
	w.t.Helper()
	if _, err := w.act(username, inst, step, flow.ActInput{Action: flow.ActApprove, Form: form}); !domain.IsKind(err, domain.KindUnauthenticated) {
		w.t.Fatalf("%s signs %s without a password: err = %v, want unauthenticated", username, step, err)
	}
	if _, err := w.act(username, inst, step, flow.ActInput{Action: flow.ActApprove, Form: form, Password: "not-the-password"}); err == nil {
		w.t.Fatalf("%s signs %s with a wrong password: accepted", username, step)
	}
	out, err := w.act(username, inst, step, flow.ActInput{Action: flow.ActApprove, Form: form, Password: demo.Password, Comment: "signed"})
	if err != nil {
		w.t.Fatalf("%s signs %s on %d: %v", username, step, inst, err)
	}
	v := w.view(username, inst)
	found := false
	for _, g := range v.Signatures {
		if g.StepID == step && g.SignerID == w.id(username) {
			found = true
			if g.Meaning != meaning || !g.Valid || g.SignerName != w.person(username).Name || len(g.ContentHash) != 64 || g.SignedAt.IsZero() {
				w.t.Fatalf("signature of %s on %s: %+v (want meaning %s, valid)", username, step, g, meaning)
			}
		}
	}
	if !found {
		w.t.Fatalf("no signature of %s on step %s", username, step)
	}
	return out
}

// ended checks the final status and the audit chain.
func (w *walker) ended(inst int64, want flow.Status) *flow.InstanceView {
	w.t.Helper()
	v := w.view("wangjianguo", inst)
	if v.Instance.Status != want {
		w.t.Fatalf("instance %d: status %s, want %s", inst, v.Instance.Status, want)
	}
	for _, tk := range v.Tasks {
		if tk.State == flow.TaskOpen || tk.State == flow.TaskWaiting {
			w.t.Fatalf("instance %d ended with a live task %+v", inst, tk)
		}
	}
	if _, err := w.a.DB.VerifyAudit(bg, ""); err != nil {
		w.t.Fatalf("audit chain: %v", err)
	}
	// Later steps only filled what the definition gives them (supplier,
	// negotiated prices, results): every signature still holds (R9).
	for _, g := range v.Signatures {
		if !g.Valid {
			w.t.Fatalf("instance %d: signature of step %s invalidated by %v", inst, g.StepID, g.Changed)
		}
	}
	return v
}

// notified reports whether username has a notification of kind on inst.
func (w *walker) notified(username string, inst int64, kind string) bool {
	w.t.Helper()
	ns, err := w.a.Flow.Notifications(bg, w.actor(username), false, 500)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, n := range ns {
		if n.InstanceID == inst && n.Kind == kind {
			return true
		}
	}
	return false
}

// signers lists the steps signed on inst as "step:user:meaning".
func (w *walker) signers(inst int64) []string {
	w.t.Helper()
	var out []string
	for _, g := range w.view("wangjianguo", inst).Signatures {
		out = append(out, g.StepID+":"+w.name(g.SignerID)+":"+string(g.Meaning))
	}
	return out
}

func wantErrKey(t *testing.T, err error, kind domain.Kind, key string) *domain.Error {
	t.Helper()
	var de *domain.Error
	if !domain.IsKind(err, kind) || !asErr(err, &de) || de.Key != key {
		t.Fatalf("err = %v, want %s %s", err, kind, key)
	}
	return de
}

// ---- PUR-1..4 ----

func purchaseForm(acceptance string, qty, price string) map[string]any {
	return map[string]any{
		"purpose": "HPLC 流动相", "reason": "项目实验需要，库存不足",
		"category": "solvent", "acceptance": acceptance, "needed_by": "2026-12-20",
		"items": []any{
			map[string]any{"name": "乙腈 HPLC级", "spec": "4L", "quantity": qty, "unit": "瓶", "unit_price": price},
		},
	}
}

// purchaseToPurchasing walks a purchase request from the approvals through
// purchasing and finance to the hand-over; it returns after the hand-over.
func (w *walker) purchasing(inst int64, director string) {
	w.t.Helper()
	w.expect(inst, "inquiry", "gaoyuan")
	w.complete("gaoyuan", inst, "inquiry", map[string]any{"supplier": "国药集团化学试剂有限公司"})
	w.expect(inst, "negotiation", "gaoyuan")
	// Purchasing may edit only the fields its step lists.
	if _, err := w.act("gaoyuan", inst, "negotiation", flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"reason": "changed"}}); !domain.IsKind(err, domain.KindInvalid) {
		w.t.Fatalf("purchasing edits the reason: %v", err)
	}
	w.expect(inst, "negotiation", "gaoyuan")
	w.complete("gaoyuan", inst, "negotiation", nil)
	w.expect(inst, "contract", "gaoyuan")
	// A step completes only with what it exists to record.
	if _, err := w.act("gaoyuan", inst, "contract", flow.ActInput{Action: flow.ActApprove}); !domain.IsKind(err, domain.KindInvalid) {
		w.t.Fatalf("the contract step completes without a contract: %v", err)
	}
	w.complete("gaoyuan", inst, "contract", map[string]any{"contract_files": []string{w.upload("gaoyuan", "合同.pdf", "contract "+w.t.Name())}})
	w.expect(inst, "receipt", "gaoyuan")
	w.complete("gaoyuan", inst, "receipt", map[string]any{"received_on": "2026-12-10"})
	w.expect(inst, "payment", "liangqian")
	w.complete("liangqian", inst, "payment", map[string]any{"paid_on": "2026-12-11"})
	w.expect(inst, "handover", "gaoyuan")
	w.complete("gaoyuan", inst, "handover", nil)
}

func TestPUR1_4_PurchaseRequestWalk(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { purchaseWalk(t, openDemo(t, "")) })
	t.Run("postgres", func(t *testing.T) { purchaseWalk(t, openDemo(t, storetest.NewPostgresDB(t))) })
}

func purchaseWalk(t *testing.T, w *walker) {
	t.Run("requester confirms quality", func(t *testing.T) {
		w.t = t
		in := w.start("wangfang", "purchase-request", purchaseForm("requester_confirms", "4", "260.50"))
		if got := in.Form["total"]; got != "1042.00" {
			t.Fatalf("total = %v, want 1042.00", got)
		}
		// PUR-1: the requester's own director signs (合成部: 陈志强).
		tasks := w.expect(in.ID, "director_approve", "chenzhiqiang")
		// R10: the requester cannot act on it, nor have it transferred to her.
		if _, err := w.a.Flow.Act(bg, w.actor("wangfang"), tasks["chenzhiqiang"], flow.ActInput{Action: flow.ActApprove, Password: demo.Password}); !domain.IsKind(err, domain.KindForbidden) {
			t.Fatalf("the requester approves her own request: %v", err)
		}
		if _, err := w.act("chenzhiqiang", in.ID, "director_approve", flow.ActInput{Action: flow.ActTransfer, PersonID: w.id("wangfang")}); !domain.IsKind(err, domain.KindInvalid) {
			t.Fatalf("transfer to the requester: %v", err)
		}
		w.sign("chenzhiqiang", in.ID, "director_approve", flow.MeaningApprove, nil)
		// PUR-2: the Business Dean reviews and signs, then the GM.
		w.expect(in.ID, "business_dean_review", "lihua")
		w.sign("lihua", in.ID, "business_dean_review", flow.MeaningReview, nil)
		w.expect(in.ID, "gm_approve", "wangjianguo")
		w.sign("wangjianguo", in.ID, "gm_approve", flow.MeaningApprove, nil)
		// ≤ 50,000: no committee chair signature; PUR-3: purchasing.
		w.purchasing(in.ID, "chenzhiqiang")
		// PUR-4: the goods were handed to the director and the requester.
		if !w.notified("wangfang", in.ID, "step_done") || !w.notified("chenzhiqiang", in.ID, "step_done") {
			t.Fatal("hand-over did not inform the requester and the director")
		}
		// The requester confirms the quality herself (her own goods: a task, not an approval).
		w.expect(in.ID, "quality_confirm", "wangfang")
		w.sign("wangfang", in.ID, "quality_confirm", flow.MeaningConfirm, nil)
		w.expect(in.ID, "feedback", "gaoyuan")
		w.complete("gaoyuan", in.ID, "feedback", map[string]any{"feedback_notes": "已到货并验收，已反馈业务院长。"})
		w.ended(in.ID, flow.StatusApproved)
		if !w.notified("lihua", in.ID, "step_done") {
			t.Fatal("purchasing's feedback did not reach the Business Dean")
		}
		if !w.notified("wangfang", in.ID, "approved") {
			t.Fatal("the requester was not told the request completed")
		}
		want := []string{"director_approve:chenzhiqiang:approve", "business_dean_review:lihua:review", "gm_approve:wangjianguo:approve",
			"quality_confirm:wangfang:confirm"}
		if got := w.signers(in.ID); !slices.Equal(got, want) {
			t.Fatalf("signatures = %v, want %v", got, want)
		}
	})

	t.Run("acceptance test by the analytical department", func(t *testing.T) {
		w.t = t
		in := w.start("xuli", "purchase-request", purchaseForm("analytical_test", "2", "1500"))
		// 制剂部: 刘洋.
		w.expect(in.ID, "director_approve", "liuyang")
		w.sign("liuyang", in.ID, "director_approve", flow.MeaningApprove, nil)
		w.expect(in.ID, "business_dean_review", "lihua")
		w.sign("lihua", in.ID, "business_dean_review", flow.MeaningReview, nil)
		w.expect(in.ID, "gm_approve", "wangjianguo")
		w.sign("wangjianguo", in.ID, "gm_approve", flow.MeaningApprove, nil)
		w.purchasing(in.ID, "liuyang")
		// PUR-4: the analysts of 分析部 (any one of them) test the goods.
		w.expect(in.ID, "acceptance_test", "guoqiang", "songjia", "linna", "luotao")
		w.complete("songjia", in.ID, "acceptance_test", map[string]any{"acceptance_report": []string{w.upload("songjia", "验收检测.pdf", "HPLC 纯度 99.9%")}})
		w.expect(in.ID, "acceptance_review", "sunli")
		w.sign("sunli", in.ID, "acceptance_review", flow.MeaningReview, nil)
		w.expect(in.ID, "feedback", "gaoyuan")
		w.complete("gaoyuan", in.ID, "feedback", map[string]any{"feedback_notes": "已到货并验收，已反馈业务院长。"})
		w.ended(in.ID, flow.StatusApproved)
		if !w.notified("lihua", in.ID, "step_done") {
			t.Fatal("purchasing's feedback did not reach the Business Dean")
		}
	})

	t.Run("above 50,000 CNY: the committee chair signs too", func(t *testing.T) {
		w.t = t
		form := purchaseForm("requester_confirms", "1", "86000")
		form["category"] = "instrument"
		in := w.start("guoqiang", "purchase-request", form)
		// 分析部: 孙丽.
		w.expect(in.ID, "director_approve", "sunli")
		w.sign("sunli", in.ID, "director_approve", flow.MeaningApprove, nil)
		w.expect(in.ID, "business_dean_review", "lihua")
		w.sign("lihua", in.ID, "business_dean_review", flow.MeaningReview, nil)
		w.expect(in.ID, "gm_approve", "wangjianguo")
		w.sign("wangjianguo", in.ID, "gm_approve", flow.MeaningApprove, nil)
		w.expect(in.ID, "committee_chair_approve", "wangjianguo")
		w.sign("wangjianguo", in.ID, "committee_chair_approve", flow.MeaningApprove, nil)
		w.purchasing(in.ID, "sunli")
		w.expect(in.ID, "quality_confirm", "guoqiang")
		w.sign("guoqiang", in.ID, "quality_confirm", flow.MeaningConfirm, nil)
		w.complete("gaoyuan", in.ID, "feedback", map[string]any{"feedback_notes": "已到货并验收，已反馈业务院长。"})
		w.ended(in.ID, flow.StatusApproved)
		want := []string{"director_approve:sunli:approve", "business_dean_review:lihua:review", "gm_approve:wangjianguo:approve",
			"committee_chair_approve:wangjianguo:approve", "quality_confirm:guoqiang:confirm"}
		if got := w.signers(in.ID); !slices.Equal(got, want) {
			t.Fatalf("signatures = %v, want %v", got, want)
		}
	})

	t.Run("a director raises it directly: no self-approval step", func(t *testing.T) {
		w.t = t
		in := w.start("liuyang", "purchase-request", purchaseForm("requester_confirms", "10", "35"))
		// A small purchase whose requester confirms quality: the diagram
		// shows the large-amount signature and the analytical acceptance
		// test as not needed, and the later steps as still to come.
		states := map[string]string{}
		for _, s := range w.view("liuyang", in.ID).Steps {
			states[s.ID] = s.State
		}
		if states["committee_chair_approve"] != "skipped" || states["gm_approve"] != "pending" || states["business_dean_review"] != "current" ||
			states["acceptance_test"] != "skipped" || states["acceptance_review"] != "skipped" || states["quality_confirm"] != "pending" {
			t.Fatalf("diagram states %v", states)
		}
		w.expect(in.ID, "business_dean_review", "lihua")
		w.sign("lihua", in.ID, "business_dean_review", flow.MeaningReview, nil)
		w.expect(in.ID, "gm_approve", "wangjianguo")
		w.sign("wangjianguo", in.ID, "gm_approve", flow.MeaningApprove, nil)
		w.purchasing(in.ID, "liuyang")
		w.expect(in.ID, "quality_confirm", "liuyang")
		w.sign("liuyang", in.ID, "quality_confirm", flow.MeaningConfirm, nil)
		w.complete("gaoyuan", in.ID, "feedback", map[string]any{"feedback_notes": "已到货并验收，已反馈业务院长。"})
		v := w.ended(in.ID, flow.StatusApproved)
		for _, s := range v.Steps {
			// Passed over, and the diagram says so.
			if s.ID == "director_approve" && s.State != "skipped" {
				t.Fatalf("director_approve %s for a director's own request", s.State)
			}
		}
		for _, g := range v.Signatures {
			if g.StepID == "director_approve" {
				t.Fatalf("director signed his own request: %+v", g)
			}
		}
	})
}

func asErr(err error, target **domain.Error) bool {
	for err != nil {
		if de, ok := err.(*domain.Error); ok {
			*target = de
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// upload stores a small file as username and returns its SHA-256.
func (w *walker) upload(username, name, body string) string {
	w.t.Helper()
	at, err := w.a.Attach.Upload(bg, w.actor(username), name, strings.NewReader(body), "", "")
	if err != nil {
		w.t.Fatalf("upload %s: %v", name, err)
	}
	return at.SHA256
}

// openSteps returns the open tasks of inst as "step:user", sorted.
func (w *walker) openSteps(inst int64) []string {
	w.t.Helper()
	var out []string
	for _, tk := range w.view("wangjianguo", inst).Tasks {
		if tk.State == flow.TaskOpen {
			out = append(out, tk.StepID+":"+w.name(tk.AssigneeID))
		}
	}
	sort.Strings(out)
	return out
}

func (w *walker) wantOpen(inst int64, want ...string) {
	w.t.Helper()
	sort.Strings(want)
	if got := w.openSteps(inst); !slices.Equal(got, want) {
		w.t.Fatalf("instance %d open tasks %v, want %v", inst, got, want)
	}
}

// ---- EXT-1 ----

func TestEXT1_ExternalTestWalk(t *testing.T) {
	w := openDemo(t, "")
	form := map[string]any{"sample_name": "API-07 批次 3 中间体", "test_items": "核磁（1H、13C）、元素分析",
		"requirements": "CDCl3 溶解；元素分析 C、H、N", "sender": w.id("zhangwei"), "send_time": "2026-11-20T09:30:00+08:00",
		"purpose": "结构确证", "remarks": "样品避光保存"}
	// EXT-1: the director registers; a researcher applies to the director, not here.
	if _, err := w.a.Flow.Start(bg, w.actor("zhangwei"), "external-test", form, ""); !domain.IsKind(err, domain.KindForbidden) {
		t.Fatalf("a researcher registers an external test: %v", err)
	}
	in := w.start("chenzhiqiang", "external-test", form)
	if in.Form["send_time"] != "2026-11-20T01:30:00Z" {
		t.Fatalf("send time stored as %v (server UTC)", in.Form["send_time"])
	}
	// The Business Dean approves (signs).
	w.expect(in.ID, "business_dean_approve", "lihua")
	w.sign("lihua", in.ID, "business_dean_approve", flow.MeaningApprove, nil)
	// The Administrative Dean arranges who carries the sample; only those fields.
	w.expect(in.ID, "courier", "zhaomin")
	if _, err := w.act("zhaomin", in.ID, "courier", flow.ActInput{Action: flow.ActApprove, Form: map[string]any{"results": []string{}}}); !domain.IsKind(err, domain.KindInvalid) {
		t.Fatalf("the courier step edits the results: %v", err)
	}
	w.complete("zhaomin", in.ID, "courier", map[string]any{"courier": w.id("zhengkai"), "courier_date": "2026-11-21"})
	// Results come back and are registered with the director.
	w.expect(in.ID, "register_results", "chenzhiqiang")
	report := w.upload("chenzhiqiang", "nmr-report.pdf", "%PDF-1.4 NMR report")
	w.complete("chenzhiqiang", in.ID, "register_results", map[string]any{"results": []string{report}, "result_notes": "结构与预期一致"})
	v := w.ended(in.ID, flow.StatusApproved)
	if fmt.Sprint(v.Instance.Form["courier"]) != strconv.FormatInt(w.id("zhengkai"), 10) {
		t.Fatalf("courier = %#v", v.Instance.Form["courier"])
	}
	// EXT-1: both deans are informed of the results.
	for _, dean := range []string{"lihua", "zhaomin"} {
		if !w.notified(dean, in.ID, "step_done") {
			t.Fatalf("%s was not informed of the results", dean)
		}
	}
	if !w.notified("chenzhiqiang", in.ID, "approved") {
		t.Fatal("the director was not told the process completed")
	}
}

// ---- EXT-2 ----

func siteLoanForm() map[string]any {
	return map[string]any{"host": "华东中试基地", "purpose": "制剂中试放大（10 kg 批）", "start_date": "2026-12-07", "end_date": "2026-12-18"}
}

func TestEXT2_SiteLoanWalk(t *testing.T) {
	w := openDemo(t, "")
	t.Run("both deans, the GM, then the director's work", func(t *testing.T) {
		w.t = t
		in := w.start("liuyang", "site-loan", siteLoanForm())
		// EXT-2: both deans at once.
		w.wantOpen(in.ID, "business_dean_approve:lihua", "admin_dean_approve:zhaomin")
		w.sign("zhaomin", in.ID, "admin_dean_approve", flow.MeaningApprove, nil)
		w.expect(in.ID, "business_dean_approve", "lihua")
		w.sign("lihua", in.ID, "business_dean_approve", flow.MeaningApprove, nil)
		w.expect(in.ID, "gm_approve", "wangjianguo")
		w.sign("wangjianguo", in.ID, "gm_approve", flow.MeaningApprove, nil)
		// The director agrees with the host, sends staff, logs issues and reports.
		w.expect(in.ID, "host_agreement", "liuyang")
		agreement := w.upload("liuyang", "agreement.pdf", "%PDF site agreement")
		w.complete("liuyang", in.ID, "host_agreement", map[string]any{"conditions": "12月7日至18日，每日8:00–18:00，使用 B 车间", "agreement": []string{agreement}})
		w.expect(in.ID, "staffing", "liuyang")
		w.complete("liuyang", in.ID, "staffing", map[string]any{"staff": []any{
			map[string]any{"person": w.id("huanglei"), "role_on_site": "工艺负责人"},
			map[string]any{"person": w.id("mayue"), "role_on_site": "操作"}}})
		w.expect(in.ID, "issue_log", "liuyang")
		w.complete("liuyang", in.ID, "issue_log", map[string]any{"issues": []any{
			map[string]any{"date": "2026-12-09", "issue": "制粒机转速不稳", "action": "更换备用机"}}})
		w.expect(in.ID, "report", "liuyang")
		records := w.upload("liuyang", "batch-records.pdf", "%PDF batch records")
		w.complete("liuyang", in.ID, "report", map[string]any{"report": "三批放大均合格，详见原始记录", "records": []string{records}})
		w.expect(in.ID, "director_confirm", "liuyang")
		w.sign("liuyang", in.ID, "director_confirm", flow.MeaningConfirm, nil)
		v := w.ended(in.ID, flow.StatusApproved)
		if rows, _ := v.Instance.Form["staff"].([]any); len(rows) != 2 {
			t.Fatalf("staff = %#v", v.Instance.Form["staff"])
		}
	})

	t.Run("the GM returns it to the Business Dean (a step inside the parallel block)", func(t *testing.T) {
		w.t = t
		in := w.start("liuyang", "site-loan", siteLoanForm())
		w.sign("lihua", in.ID, "business_dean_approve", flow.MeaningApprove, nil)
		w.sign("zhaomin", in.ID, "admin_dean_approve", flow.MeaningApprove, nil)
		w.expect(in.ID, "gm_approve", "wangjianguo")
		if _, err := w.act("wangjianguo", in.ID, "gm_approve", flow.ActInput{Action: flow.ActReturn, To: "business_dean_approve", Comment: "请核实场地资质"}); err != nil {
			t.Fatal(err)
		}
		// Only the Business Dean's branch runs again; the Administrative Dean's approval stands.
		w.expect(in.ID, "business_dean_approve", "lihua")
		w.sign("lihua", in.ID, "business_dean_approve", flow.MeaningApprove, nil)
		w.expect(in.ID, "gm_approve", "wangjianguo")
		w.sign("wangjianguo", in.ID, "gm_approve", flow.MeaningApprove, nil)
		w.expect(in.ID, "host_agreement", "liuyang")
	})

	t.Run("a dean takes back an approval while the other dean has not acted", func(t *testing.T) {
		w.t = t
		in := w.start("liuyang", "site-loan", siteLoanForm())
		w.sign("lihua", in.ID, "business_dean_approve", flow.MeaningApprove, nil)
		if _, err := w.a.Flow.ActOnInstance(bg, w.actor("lihua"), in.ID, flow.ActInput{Action: flow.ActTakeBack, Comment: "reason"}); err != nil {
			t.Fatal(err)
		}
		w.wantOpen(in.ID, "business_dean_approve:lihua", "admin_dean_approve:zhaomin")
		w.sign("lihua", in.ID, "business_dean_approve", flow.MeaningApprove, nil)
		w.expect(in.ID, "admin_dean_approve", "zhaomin")
		w.sign("zhaomin", in.ID, "admin_dean_approve", flow.MeaningApprove, nil)
		w.expect(in.ID, "gm_approve", "wangjianguo")
	})

	t.Run("one dean returns to the other's step while the block runs", func(t *testing.T) {
		w.t = t
		in := w.start("liuyang", "site-loan", siteLoanForm())
		w.sign("lihua", in.ID, "business_dean_approve", flow.MeaningApprove, nil)
		if _, err := w.act("zhaomin", in.ID, "admin_dean_approve", flow.ActInput{Action: flow.ActReturn, To: "previous", Comment: "请业务院长再看一下时间"}); err != nil {
			t.Fatal(err)
		}
		w.wantOpen(in.ID, "business_dean_approve:lihua", "admin_dean_approve:zhaomin")
		w.sign("lihua", in.ID, "business_dean_approve", flow.MeaningApprove, nil)
		w.sign("zhaomin", in.ID, "admin_dean_approve", flow.MeaningApprove, nil)
		w.expect(in.ID, "gm_approve", "wangjianguo")
	})
}

// ---- ORG-4 ----

func TestORG4_PromotionWalk(t *testing.T) {
	w := openDemo(t, "")
	today := time.Now().UTC()
	// setRank gives username a new current rank since the given date, as the administrator.
	setRank := func(username string, rank domain.Rank, since time.Time) string {
		t.Helper()
		s := since.Format(time.DateOnly)
		if err := w.a.People.AddRank(bg, w.actor("admin"), w.id(username), rank, s, "walk test"); err != nil {
			t.Fatalf("add rank: %v", err)
		}
		return s
	}
	sinceDate := func(s string, years int) string {
		d, _ := time.Parse(time.DateOnly, s)
		return d.AddDate(years, 0, 0).Format(time.DateOnly)
	}

	t.Run("two years in rank: the normal path", func(t *testing.T) {
		w.t = t
		// 郭强: 研究员A since 2021-04-01 → 高级研究员B.
		in := w.start("guoqiang", "promotion", map[string]any{"person": w.id("guoqiang"), "target_rank": "senior_b", "path": "normal"})
		w.expect(in.ID, "director_review", "sunli")
		w.sign("sunli", in.ID, "director_review", flow.MeaningReview, nil)
		// No outstanding-path signature on the normal path.
		w.expect(in.ID, "gm_approve", "wangjianguo")
		w.sign("wangjianguo", in.ID, "gm_approve", flow.MeaningApprove, nil)
		w.ended(in.ID, flow.StatusApproved)
		want := []string{"director_review:sunli:review", "gm_approve:wangjianguo:approve"}
		if got := w.signers(in.ID); !slices.Equal(got, want) {
			t.Fatalf("signatures = %v, want %v", got, want)
		}
	})

	t.Run("not the adjacent rank: refused when filed", func(t *testing.T) {
		w.t = t
		_, err := w.a.Flow.Start(bg, w.actor("guoqiang"), "promotion", map[string]any{"person": w.id("guoqiang"), "target_rank": "senior_a", "path": "normal"}, "")
		de := wantErrKey(t, err, domain.KindInvalid, "flow.promotion.not_adjacent")
		if _, ok := de.Fields["target_rank"]; !ok {
			t.Fatalf("refusal not shown on the target rank: %+v", de.Fields)
		}
	})

	// 林娜: 研究员A for 13 months.
	since13 := setRank("linna", domain.RankResearchA, today.AddDate(-1, -1, 0))

	t.Run("13 months on the normal path: refused when filed", func(t *testing.T) {
		w.t = t
		before := w.started("linna")
		_, err := w.a.Flow.Start(bg, w.actor("linna"), "promotion", map[string]any{"person": w.id("linna"), "target_rank": "senior_b", "path": "normal"}, "")
		de := wantErrKey(t, err, domain.KindInvalid, "flow.promotion.needs_outstanding")
		if de.Args["date"] != sinceDate(since13, 2) || de.Args["since"] != since13 {
			t.Fatalf("refusal args = %v, want since %s, date %s", de.Args, since13, sinceDate(since13, 2))
		}
		if _, ok := de.Fields["path"]; !ok {
			t.Fatalf("refusal not shown on the path field: %+v", de.Fields)
		}
		if after := w.started("linna"); after != before {
			t.Fatalf("a refused request was filed anyway (%d → %d started)", before, after)
		}
	})

	t.Run("13 months, outstanding: justification and the committee chair's signature", func(t *testing.T) {
		w.t = t
		form := map[string]any{"person": w.id("linna"), "target_rank": "senior_b", "path": "outstanding"}
		_, err := w.a.Flow.Start(bg, w.actor("linna"), "promotion", form, "")
		de := wantErrKey(t, err, domain.KindInvalid, "error.invalid")
		if _, ok := de.Fields["justification"]; !ok {
			t.Fatalf("outstanding path without a justification: fields %+v", de.Fields)
		}
		form["justification"] = "独立完成两个项目的分析方法开发与验证，并主导了新型号液相色谱仪的方法转移工作。"
		in := w.start("linna", "promotion", form)
		w.expect(in.ID, "director_review", "sunli")
		w.sign("sunli", in.ID, "director_review", flow.MeaningReview, nil)
		w.expect(in.ID, "outstanding_approve", "wangjianguo")
		w.sign("wangjianguo", in.ID, "outstanding_approve", flow.MeaningApprove, nil)
		w.expect(in.ID, "gm_approve", "wangjianguo")
		w.sign("wangjianguo", in.ID, "gm_approve", flow.MeaningApprove, nil)
		w.ended(in.ID, flow.StatusApproved)
		want := []string{"director_review:sunli:review", "outstanding_approve:wangjianguo:approve", "gm_approve:wangjianguo:approve"}
		if got := w.signers(in.ID); !slices.Equal(got, want) {
			t.Fatalf("signatures = %v, want %v", got, want)
		}
	})

	t.Run("under a year: refused when filed, with the date of eligibility", func(t *testing.T) {
		w.t = t
		// 罗涛: 助理研究员A for 5 months; his director proposes him.
		since5 := setRank("luotao", domain.RankAssistantA, today.AddDate(0, -5, 0))
		_, err := w.a.Flow.Start(bg, w.actor("sunli"), "promotion", map[string]any{"person": w.id("luotao"), "target_rank": "researcher_b",
			"path": "outstanding", "justification": "入职以来表现突出，独立承担了多项样品检测任务，差错率为零。"}, "")
		de := wantErrKey(t, err, domain.KindInvalid, "flow.promotion.too_early")
		if de.Args["date"] != sinceDate(since5, 1) {
			t.Fatalf("refusal args = %v, want date %s", de.Args, sinceDate(since5, 1))
		}
	})

	t.Run("rank changed after filing: refused at the signature", func(t *testing.T) {
		w.t = t
		in := w.start("guoqiang", "promotion", map[string]any{"person": w.id("guoqiang"), "target_rank": "senior_b", "path": "normal"})
		w.expect(in.ID, "director_review", "sunli")
		// Meanwhile the rank history says he reached 高级研究员B already.
		setRank("guoqiang", domain.RankSeniorB, today.AddDate(0, 0, -1))
		_, err := w.act("sunli", in.ID, "director_review", flow.ActInput{Action: flow.ActApprove, Password: demo.Password})
		wantErrKey(t, err, domain.KindInvalid, "flow.promotion.not_adjacent")
		// Refused means nothing moved: the director still has it, and rejects it.
		w.expect(in.ID, "director_review", "sunli")
		if _, err := w.act("sunli", in.ID, "director_review", flow.ActInput{Action: flow.ActReject, Comment: "已晋级"}); err != nil {
			t.Fatal(err)
		}
		w.ended(in.ID, flow.StatusRejected)
	})
	if _, err := w.a.DB.VerifyAudit(bg, ""); err != nil {
		t.Fatal(err)
	}
}

// ---- REL-2: seal use ----

func TestREL2_SealUseWalk(t *testing.T) {
	w := openDemo(t, "")
	form := func(seal string) map[string]any {
		return map[string]any{"seal": seal, "document": "委托检测合同（华测）", "copies": 2, "purpose": "外部检测委托合同盖章", "use_date": "2026-12-01"}
	}
	t.Run("contract seal: director, Administrative Dean, seal applied", func(t *testing.T) {
		w.t = t
		in := w.start("wangfang", "seal-use", form("contract"))
		w.expect(in.ID, "director_approve", "chenzhiqiang")
		w.complete("chenzhiqiang", in.ID, "director_approve", nil) // no e-signature on this step
		w.expect(in.ID, "admin_dean_approve", "zhaomin")
		w.sign("zhaomin", in.ID, "admin_dean_approve", flow.MeaningApprove, nil)
		w.expect(in.ID, "apply_seal", "zhaomin")
		w.complete("zhaomin", in.ID, "apply_seal", nil)
		w.ended(in.ID, flow.StatusApproved)
		if !w.notified("wangfang", in.ID, "step_done") {
			t.Fatal("the requester was not told the seal was applied")
		}
	})
	t.Run("finance seal: the GM approves too", func(t *testing.T) {
		w.t = t
		in := w.start("hanmei", "seal-use", form("finance"))
		w.expect(in.ID, "director_approve", "wuxiaoyan")
		w.complete("wuxiaoyan", in.ID, "director_approve", nil)
		w.sign("zhaomin", in.ID, "admin_dean_approve", flow.MeaningApprove, nil)
		w.expect(in.ID, "gm_approve", "wangjianguo")
		w.sign("wangjianguo", in.ID, "gm_approve", flow.MeaningApprove, nil)
		w.expect(in.ID, "apply_seal", "zhaomin")
		w.complete("zhaomin", in.ID, "apply_seal", nil)
		w.ended(in.ID, flow.StatusApproved)
	})
}

// ---- REL-2: expense reimbursement ----

func expenseForm(w *walker, who string, amounts ...string) map[string]any {
	var rows []any
	for _, a := range amounts {
		rows = append(rows, map[string]any{"date": "2026-11-18", "category": "travel", "description": "上海出差交通费", "amount": a})
	}
	return map[string]any{"items": rows, "receipts": []string{w.upload(who, "receipt-"+who+".pdf", "%PDF receipt "+who+strings.Join(amounts, ","))}}
}

func TestREL2_ExpenseReimbursementWalk(t *testing.T) {
	w := openDemo(t, "")
	t.Run("director, finance review, payment", func(t *testing.T) {
		w.t = t
		in := w.start("yangxue", "expense-reimbursement", expenseForm(w, "yangxue", "560.00", "300"))
		if in.Form["total"] != "860.00" {
			t.Fatalf("total = %v", in.Form["total"])
		}
		w.expect(in.ID, "director_approve", "chenzhiqiang")
		w.sign("chenzhiqiang", in.ID, "director_approve", flow.MeaningApprove, nil)
		w.expect(in.ID, "finance_review", "liangqian")
		w.sign("liangqian", in.ID, "finance_review", flow.MeaningReview, nil)
		// ≤ 5,000: no GM.
		w.expect(in.ID, "payment", "liangqian")
		w.complete("liangqian", in.ID, "payment", nil)
		w.ended(in.ID, flow.StatusApproved)
		if !w.notified("yangxue", in.ID, "step_done") {
			t.Fatal("the claimant was not told of the payment")
		}
	})
	t.Run("above 5,000: the GM approves; a director's own claim skips the director", func(t *testing.T) {
		w.t = t
		in := w.start("sunli", "expense-reimbursement", expenseForm(w, "sunli", "4200", "1800.50"))
		w.expect(in.ID, "finance_review", "liangqian")
		w.sign("liangqian", in.ID, "finance_review", flow.MeaningReview, nil)
		w.expect(in.ID, "gm_approve", "wangjianguo")
		w.sign("wangjianguo", in.ID, "gm_approve", flow.MeaningApprove, nil)
		w.expect(in.ID, "payment", "liangqian")
		w.complete("liangqian", in.ID, "payment", nil)
		w.ended(in.ID, flow.StatusApproved)
	})
}

// ---- REL-1: meeting minutes ----

func minutesForm(w *walker, host, taker string, decisions ...map[string]any) map[string]any {
	ds := make([]any, len(decisions))
	for i, d := range decisions {
		ds[i] = d
	}
	return map[string]any{"meeting_type": "weekly_admin", "held_at": "2026-11-23T08:30:00+08:00", "host": w.id(host), "minute_taker": w.id(taker),
		"attendees": []any{map[string]any{"person": w.id("lihua")}, map[string]any{"person": w.id("zhaomin")}, map[string]any{"person": w.id("chenzhiqiang")}},
		"agenda":    "1. 上周工作回顾 2. 本周安排", "minutes": "各部门汇报上周进展……", "decisions": ds}
}

func TestREL1_MeetingMinutesWalk(t *testing.T) {
	w := openDemo(t, "")
	decisions := []map[string]any{
		{"decision": "12月5日前完成中试场地考察", "owner": w.id("liuyang"), "due": "2026-12-05"},
		{"decision": "更新危化品台账", "owner": w.id("zhaomin"), "due": "2026-11-30"},
	}
	t.Run("the minute-taker records, the host confirms, the minutes go out", func(t *testing.T) {
		w.t = t
		// A decision needs an owner and a due date.
		_, err := w.a.Flow.Start(bg, w.actor("zhengkai"), "meeting-minutes", minutesForm(w, "wangjianguo", "zhengkai",
			map[string]any{"decision": "无负责人的决议"}), "")
		if de := wantErrKey(t, err, domain.KindInvalid, "error.invalid"); len(de.Fields) == 0 {
			t.Fatal("a decision without owner and due date was accepted without field errors")
		}
		in := w.start("zhengkai", "meeting-minutes", minutesForm(w, "wangjianguo", "zhengkai", decisions...))
		rows, _ := in.Form["decisions"].([]map[string]any)
		if len(rows) != 2 || rows[0]["due"] != "2026-12-05" || rows[1]["owner"] != w.id("zhaomin") {
			t.Fatalf("decisions = %#v", in.Form["decisions"])
		}
		w.expect(in.ID, "host_confirm", "wangjianguo")
		w.complete("wangjianguo", in.ID, "host_confirm", nil)
		w.expect(in.ID, "distribute", "zhengkai")
		w.complete("zhengkai", in.ID, "distribute", nil)
		v := w.ended(in.ID, flow.StatusApproved)
		if ds, _ := v.Instance.Form["decisions"].([]any); len(ds) != 2 {
			t.Fatalf("stored decisions = %#v", v.Instance.Form["decisions"])
		}
		if !w.notified("wangjianguo", in.ID, "step_done") {
			t.Fatal("the host was not informed when the minutes went out")
		}
		// Each decision's owner is told, once.
		for _, owner := range []string{"liuyang", "zhaomin"} {
			if !w.notified(owner, in.ID, "step_done") {
				t.Fatalf("decision owner %s was not informed", owner)
			}
		}
		// 赵敏 attended and owns a decision: one notice.
		ns, err := w.a.Flow.Notifications(bg, w.actor("zhaomin"), false, 100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, x := range ns {
			if x.InstanceID == in.ID && x.Kind == "step_done" {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("zhaomin was informed %d times, want once", n)
		}
	})
	t.Run("the host writes them himself: no self-confirmation", func(t *testing.T) {
		w.t = t
		in := w.start("zhaomin", "meeting-minutes", minutesForm(w, "zhaomin", "zhaomin", decisions...))
		w.expect(in.ID, "distribute", "zhaomin")
		w.complete("zhaomin", in.ID, "distribute", nil)
		w.ended(in.ID, flow.StatusApproved)
	})
}

// ---- bulk approve ----

func TestBulkApprove_MeetingMinutes(t *testing.T) {
	w := openDemo(t, "")
	var ids, tasks []int64
	for i := 0; i < 3; i++ {
		in := w.start("zhengkai", "meeting-minutes", minutesForm(w, "wangjianguo", "zhengkai"))
		ids = append(ids, in.ID)
		tasks = append(tasks, w.expect(in.ID, "host_confirm", "wangjianguo")["wangjianguo"])
	}
	// The host confirms the three minutes with one call.
	res, err := w.a.Flow.BulkApprove(bg, w.actor("wangjianguo"), tasks, "已阅")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res {
		if !r.OK || r.InstanceID != ids[i] {
			t.Fatalf("bulk result %d: %+v (%v)", i, r, r.Err)
		}
		w.expect(ids[i], "distribute", "zhengkai")
	}
	// Someone else's tasks are not theirs to bulk-approve.
	other := w.start("zhengkai", "meeting-minutes", minutesForm(w, "wangjianguo", "zhengkai"))
	otherTask := w.expect(other.ID, "host_confirm", "wangjianguo")["wangjianguo"]
	res, _ = w.a.Flow.BulkApprove(bg, w.actor("zhaomin"), []int64{otherTask}, "")
	if res[0].OK || !domain.IsKind(res[0].Err, domain.KindForbidden) {
		t.Fatalf("bulk approve of another's task: %+v", res[0])
	}

	// A step with an e-signature is refused even where the definition allows
	// bulk approval; a definition without bulk approval is refused too. The
	// unsigned payment step goes through.
	exp := w.start("yangxue", "expense-reimbursement", expenseForm(w, "yangxue", "120"))
	w.sign("chenzhiqiang", exp.ID, "director_approve", flow.MeaningApprove, nil)
	review := w.expect(exp.ID, "finance_review", "liangqian")["liangqian"]
	pur := w.start("wangfang", "purchase-request", purchaseForm("requester_confirms", "1", "10"))
	w.sign("chenzhiqiang", pur.ID, "director_approve", flow.MeaningApprove, nil)
	w.sign("lihua", pur.ID, "business_dean_review", flow.MeaningReview, nil)
	w.sign("wangjianguo", pur.ID, "gm_approve", flow.MeaningApprove, nil)
	w.complete("gaoyuan", pur.ID, "inquiry", map[string]any{"supplier": "国药集团"})
	w.complete("gaoyuan", pur.ID, "negotiation", nil)
	w.complete("gaoyuan", pur.ID, "contract", map[string]any{"contract_files": []string{w.upload("gaoyuan", "c.pdf", "bulk contract")}})
	w.complete("gaoyuan", pur.ID, "receipt", map[string]any{"received_on": "2026-12-10"})
	purPay := w.expect(pur.ID, "payment", "liangqian")["liangqian"]
	res, _ = w.a.Flow.BulkApprove(bg, w.actor("liangqian"), []int64{review, purPay}, "")
	if res[0].OK || res[0].Error != "flow.bulk_signature" {
		t.Fatalf("bulk approve of a signature step: %+v", res[0])
	}
	if res[1].OK || res[1].Error != "flow.bulk_not_allowed" {
		t.Fatalf("bulk approve where the definition does not allow it: %+v", res[1])
	}
	w.expect(exp.ID, "finance_review", "liangqian")
	w.sign("liangqian", exp.ID, "finance_review", flow.MeaningReview, nil)
	pay := w.expect(exp.ID, "payment", "liangqian")["liangqian"]
	res, _ = w.a.Flow.BulkApprove(bg, w.actor("liangqian"), []int64{pay}, "")
	if !res[0].OK {
		t.Fatalf("bulk payment: %+v (%v)", res[0], res[0].Err)
	}
	w.ended(exp.ID, flow.StatusApproved)
}
