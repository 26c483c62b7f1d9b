package people_test

import (
	"strings"
	"testing"
	"time"

	"labflow/internal/domain"
	"labflow/internal/people"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// Ensure standing proxies: a person sets their own at once; the
// administrator's for someone else waits for that person's director, whom
// only may approve or refuse; the period is in the institute's zone and
// the processes listed; overlaps are refused; the person or the
// administrator cancels; ProxyFor answers what the engine asks; all
// audited (issue 8 §4).
func TestR12_StandingProxies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.svc.UseDefinitions(nil, nil, func(k string) bool { return k == "purchase-request" || k == "seal-use" })
		dir := f.person(t, "chen", "陈志强", f.syn.ID, domain.Grant{Role: domain.RoleDirector, DepartmentID: f.syn.ID})
		zhang := f.person(t, "zhang", "张伟", f.syn.ID, domain.Grant{Role: domain.RoleResearcher, DepartmentID: f.syn.ID})
		fang := f.person(t, "fang", "王芳", f.syn.ID, domain.Grant{Role: domain.RoleResearcher, DepartmentID: f.syn.ID})
		gm := f.person(t, "gm", "王建国", 0, domain.Grant{Role: domain.RoleGM})
		other := f.person(t, "other", "刘洋", f.ana.ID, domain.Grant{Role: domain.RoleDirector, DepartmentID: f.ana.ID})
		now := db.Now()
		day := func(d int) string { return now.In(shanghai).AddDate(0, 0, d).Format("2006-01-02") }

		// The person's own: in effect at once, whole days in the institute's zone.
		x, err := f.svc.SetProxy(ctx, actorOf(dir), people.ProxyInput{ProxyID: zhang.ID, From: day(0), To: day(2), Reason: "出差"})
		if err != nil || x.Status != domain.ProxyActive || x.ApproverID != 0 || x.PersonID != dir.ID {
			t.Fatalf("own proxy: %+v %v", x, err)
		}
		wantStart := time.Date(now.In(shanghai).Year(), now.In(shanghai).Month(), now.In(shanghai).Day(), 0, 0, 0, 0, shanghai)
		if !x.Start.Equal(wantStart) || !x.End.Equal(wantStart.AddDate(0, 0, 3)) {
			t.Fatalf("period %v – %v, want from %v for three days", x.Start, x.End, wantStart)
		}
		sp, ok, err := f.svc.ProxyFor(ctx, dir.ID, "anything", now)
		if err != nil || !ok || sp.Proxy.ID != zhang.ID || sp.RuleID != x.ID {
			t.Fatalf("ProxyFor: %+v %v %v", sp, ok, err)
		}
		if _, ok, _ := f.svc.ProxyFor(ctx, dir.ID, "anything", x.End); ok {
			t.Fatal("a proxy ends with its period")
		}
		// Bad input names the field.
		_, err = f.svc.SetProxy(ctx, actorOf(zhang), people.ProxyInput{ProxyID: zhang.ID, From: day(0), To: day(1)})
		wantField(t, err, "proxy_id", "org.proxy_self")
		_, err = f.svc.SetProxy(ctx, actorOf(zhang), people.ProxyInput{ProxyID: fang.ID, From: day(3), To: day(1)})
		wantField(t, err, "to", "org.proxy_end_before_start")
		_, err = f.svc.SetProxy(ctx, actorOf(zhang), people.ProxyInput{ProxyID: fang.ID, From: "tomorrow", To: day(1)})
		wantField(t, err, "from", "org.bad_moment")
		_, err = f.svc.SetProxy(ctx, actorOf(zhang), people.ProxyInput{ProxyID: fang.ID, From: day(0), To: day(1), Definitions: []string{"no-such"}})
		wantField(t, err, "definitions", "org.unknown_definition")
		_, err = f.svc.SetProxy(ctx, actorOf(zhang), people.ProxyInput{ProxyID: f.admin.ID, From: day(0), To: day(1)})
		wantField(t, err, "proxy_id", "org.proxy_not_business")
		_, err = f.svc.SetProxy(ctx, actorOf(dir), people.ProxyInput{ProxyID: fang.ID, From: day(1), To: day(4)})
		wantKind(t, err, domain.KindConflict, "org.proxy_overlap")
		// Someone else's: not by a colleague; the administrator's waits for the director.
		_, err = f.svc.SetProxy(ctx, actorOf(fang), people.ProxyInput{PersonID: zhang.ID, ProxyID: fang.ID, From: day(0), To: day(1)})
		wantKind(t, err, domain.KindForbidden, "")
		_, err = f.svc.SetProxy(ctx, f.admin, people.ProxyInput{ProxyID: fang.ID, From: day(0), To: day(1)})
		wantKind(t, err, domain.KindForbidden, "") // the administrator has no tasks to hand over (R12)
		p, err := f.svc.SetProxy(ctx, f.admin, people.ProxyInput{PersonID: zhang.ID, ProxyID: fang.ID, From: day(0) + "T13:30", To: day(5),
			Definitions: []string{"purchase-request"}, Reason: "休假"})
		if err != nil || p.Status != domain.ProxyPending || p.ApproverID != dir.ID || p.ApproverName != "陈志强" {
			t.Fatalf("administrator's proxy: %+v %v", p, err)
		}
		if _, ok, _ := f.svc.ProxyFor(ctx, zhang.ID, "purchase-request", now.Add(time.Hour*30)); ok {
			t.Fatal("a pending proxy is not in effect")
		}
		// A director's goes to the GM.
		q, err := f.svc.SetProxy(ctx, f.admin, people.ProxyInput{PersonID: other.ID, ProxyID: dir.ID, From: day(0), To: day(1)})
		if err != nil || q.ApproverID != gm.ID {
			t.Fatalf("a director's proxy: %+v %v", q, err)
		}
		// Only the approver decides; others who may see it are forbidden, the rest learn nothing.
		_, err = f.svc.ApproveProxy(ctx, actorOf(zhang), p.ID)
		wantKind(t, err, domain.KindForbidden, "")
		_, err = f.svc.ApproveProxy(ctx, f.admin, p.ID)
		wantKind(t, err, domain.KindForbidden, "")
		_, err = f.svc.ApproveProxy(ctx, actorOf(other), p.ID)
		wantKind(t, err, domain.KindNotFound, "")
		_, err = f.svc.RefuseProxy(ctx, actorOf(gm), q.ID, "")
		wantField(t, err, "reason", "field.required")
		if r, err := f.svc.RefuseProxy(ctx, actorOf(gm), q.ID, "另行安排"); err != nil || r.Status != domain.ProxyRefused {
			t.Fatalf("refuse: %+v %v", r, err)
		}
		a, err := f.svc.ApproveProxy(ctx, actorOf(dir), p.ID)
		if err != nil || a.Status != domain.ProxyActive || a.DecidedBy != dir.ID {
			t.Fatalf("approve: %+v %v", a, err)
		}
		_, err = f.svc.ApproveProxy(ctx, actorOf(dir), p.ID)
		wantKind(t, err, domain.KindConflict, "org.proxy_not_pending")
		// In effect from 13:30 on the first day, for purchase requests only.
		start := wantStart.Add(13*time.Hour + 30*time.Minute)
		if _, ok, _ := f.svc.ProxyFor(ctx, zhang.ID, "purchase-request", start.Add(-time.Minute)); ok {
			t.Fatal("before its start")
		}
		if sp, ok, _ := f.svc.ProxyFor(ctx, zhang.ID, "purchase-request", start); !ok || sp.Proxy.ID != fang.ID {
			t.Fatal("at its start")
		}
		if _, ok, _ := f.svc.ProxyFor(ctx, zhang.ID, "seal-use", start); ok {
			t.Fatal("only the processes listed")
		}
		// Lists: each sees what they are party to.
		if xs, _ := f.svc.Proxies(ctx, actorOf(fang), people.ProxyFilter{}); len(xs) != 1 || xs[0].ID != p.ID {
			t.Fatalf("the proxy's list: %+v", xs)
		}
		if xs, _ := f.svc.Proxies(ctx, f.admin, people.ProxyFilter{}); len(xs) != 3 {
			t.Fatalf("the administrator's list: %d", len(xs))
		}
		// Cancelled by the person (the proxy cannot).
		_, err = f.svc.CancelProxy(ctx, actorOf(fang), p.ID, "")
		wantKind(t, err, domain.KindForbidden, "")
		if c, err := f.svc.CancelProxy(ctx, actorOf(zhang), p.ID, ""); err != nil || c.Status != domain.ProxyCancelled {
			t.Fatalf("cancel: %+v %v", c, err)
		}
		if _, ok, _ := f.svc.ProxyFor(ctx, zhang.ID, "purchase-request", start); ok {
			t.Fatal("a cancelled proxy is not in effect")
		}
		var actions []string
		evs, _ := db.FindAudit(ctx, store.AuditFilter{Entity: "proxy"})
		for _, e := range evs {
			actions = append(actions, e.Action)
		}
		if strings.Join(actions, ",") != "proxy.set,proxy.request,proxy.request,proxy.refuse,proxy.approve,proxy.cancel" {
			t.Fatalf("trail: %v", actions)
		}
		if _, err := db.VerifyAudit(ctx, ""); err != nil {
			t.Fatalf("verify: %v", err)
		}
	})
}

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return l
}()
