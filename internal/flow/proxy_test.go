package flow_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// proxyDir is the test directory with standing proxies: the tasks of an
// absent person go to their proxy (flow.ProxyDirectory).
type proxyDir struct {
	*dir
	proxies map[int64]int64 // absent person -> proxy
}

func (p *proxyDir) ProxyFor(_ context.Context, person int64, _ string, _ time.Time) (flow.StandingProxy, bool, error) {
	q, ok := p.proxies[person]
	if !ok {
		return flow.StandingProxy{}, false, nil
	}
	return flow.StandingProxy{RuleID: 100 + person, Proxy: p.people[q]}, true, nil
}

// newProxyEnv is newEnv with standing proxies (absent -> proxy).
func newProxyEnv(t *testing.T, db *store.DB, proxies map[int64]int64, defs ...*flow.Definition) *env {
	t.Helper()
	d := newDir()
	e, err := flow.New(db.Flow(), flow.NewRegistry(), &proxyDir{dir: d, proxies: proxies}, fakeAuth{}, defs)
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, db: db, dir: d, e: e}
}

// Ensure a task arriving for an absent person goes to their standing
// proxy, who acts in their own name on the person's behalf: the signature
// is the proxy's own (COMPLIANCE R8) and the task, the timeline and the
// signature say for whom; the absent person may see the request and finds
// the task in their list; they can no longer act on it (issue 8 §4).
func TestR8_ProxySignsInOwnNameOnBehalf(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		signed := def("leave", flow.Step{ID: "director", Title: text("director"), Assignee: flow.Assignee{Relative: "initiator_director"},
			Signature: flow.MeaningApprove})
		v := newProxyEnv(t, db, map[int64]int64{dave: bob}, signed)
		in := v.start("leave", map[string]any{"title": "three days"})
		if len(in.Tasks) != 1 || in.Tasks[0].AssigneeID != bob || in.Tasks[0].OnBehalfOf != dave {
			t.Fatalf("the director's task: %+v", in.Tasks[0])
		}
		if v.hasTodo(dave, in.ID) || !v.hasTodo(bob, in.ID) {
			t.Fatal("the task should be the proxy's, not the absent director's")
		}
		ns, _ := v.e.Notifications(ctx, v.actor(bob), false, 10)
		if !hasKind(ns, in.ID, "proxy_task") {
			t.Fatalf("the proxy's notice: %+v", ns)
		}
		// The absent director cannot act on it.
		_, err := v.e.Act(ctx, v.actor(dave), in.Tasks[0].ID, flow.ActInput{Action: flow.ActApprove, Password: goodPassword})
		wantKind(t, err, domain.KindForbidden)
		out := v.must(bob, in.ID, flow.ActInput{Action: flow.ActApprove, Password: goodPassword})
		wantStatus(t, out, flow.StatusApproved)

		iv := v.view(dave, in.ID) // the absent director may see it
		if len(iv.Signatures) != 1 || iv.Signatures[0].SignerID != bob || iv.Signatures[0].SignerName != "N-bob" ||
			iv.Signatures[0].OnBehalfOf != dave || !iv.Signatures[0].Valid {
			t.Fatalf("signature: %+v", iv.Signatures)
		}
		found := false
		for _, a := range iv.Timeline {
			if a.Action == "approve" {
				found = a.ActorID == bob && a.OnBehalfOf == dave && a.OnBehalfName == "N-dave"
			}
		}
		if !found {
			t.Fatalf("timeline: %+v", iv.Timeline)
		}
		if iv.Tasks[0].OnBehalfName != "N-dave" {
			t.Fatalf("task: %+v", iv.Tasks[0])
		}
		items, err := v.e.OnBehalf(ctx, v.actor(dave), 10)
		if err != nil || len(items) != 1 || items[0].ProxyID != bob || items[0].InstanceID != in.ID || items[0].Outcome != "approved" ||
			items[0].StepTitle.ZH != "director" {
			t.Fatalf("on behalf: %+v %v", items, err)
		}
		// The hand-over is in the trail, and every record verifies.
		evs, _ := db.FindAudit(ctx, store.AuditFilter{Entity: "instance", EntityID: itoa(in.ID)})
		handed := false
		for _, e := range evs {
			handed = handed || e.Action == "flow.start" && containsAll(e.Changes, `"proxy"`, `"for":2`, `"to":3`)
		}
		if !handed {
			t.Fatalf("the trail does not record the hand-over: %+v", evs)
		}
		if _, err := db.VerifyAudit(ctx, ""); err != nil {
			t.Fatalf("verify: %v", err)
		}
	})
}

// Ensure nobody approves their own request through a proxy (R10): a task
// whose proxy started the request stays with the absent person.
func TestR10_NoSelfApprovalThroughProxy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		v := newProxyEnv(t, db, map[int64]int64{dave: alice}, def("leave", stepA("director", flow.Assignee{Relative: "initiator_director"})))
		in := v.start("leave", map[string]any{"title": "x"})
		if in.Tasks[0].AssigneeID != dave || in.Tasks[0].OnBehalfOf != 0 || v.hasTodo(alice, in.ID) {
			t.Fatalf("the initiator received her own approval through a proxy: %+v", in.Tasks[0])
		}
	})
}

// Ensure a proxy who already acts on a step does not take an absent
// person's slot too (nobody fills two slots), and that a task arriving
// later in a sequential step goes to the proxy of whom it arrives for.
func TestProxy_NoTwoSlotsAndSequentialArrival(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		all := flow.Step{ID: "buyers", Title: text("buyers"), Assignee: role(domain.RolePurchasing), Mode: flow.ModeAll}
		seq := flow.Step{ID: "buyers", Title: text("buyers"), Assignee: role(domain.RolePurchasing), Mode: flow.ModeSequential}
		v := newProxyEnv(t, db, map[int64]int64{carol: pat, pat: erin}, def("all", all), def("seq", seq))
		in := v.start("all", map[string]any{"title": "x"})
		// pat holds his own slot, so carol's stays hers; pat's own goes to erin.
		if !v.hasTodo(carol, in.ID) || !v.hasTodo(erin, in.ID) || v.hasTodo(pat, in.ID) {
			t.Fatalf("tasks: %+v", in.Tasks)
		}
		in = v.start("seq", map[string]any{"title": "y"})
		// carol's turn first: pat is later in the queue, so carol keeps it.
		if !v.hasTodo(carol, in.ID) || v.hasTodo(pat, in.ID) {
			t.Fatalf("first in the queue: %+v", in.Tasks)
		}
		out := v.approve(carol, in.ID)
		// pat's turn arrives: it goes to his proxy erin, on his behalf.
		if len(out.Tasks) != 1 || out.Tasks[0].AssigneeID != erin || out.Tasks[0].OnBehalfOf != pat {
			t.Fatalf("second in the queue: %+v", out.Tasks)
		}
		wantStatus(t, v.approve(erin, in.ID), flow.StatusApproved)
	})
}

func containsAll(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
