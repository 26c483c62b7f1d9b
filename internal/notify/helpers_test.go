package notify_test

import (
	"context"
	"testing"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/notify"
	"labflow/internal/people"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

var ctx = context.Background()

// env is one database with a fake clock, a small institute and the
// notice service on it.
type env struct {
	t     *testing.T
	cfg   store.Config
	db    *store.DB
	clk   *storetest.Clock
	ppl   *people.Service
	svc   *notify.Service
	admin domain.Actor
	ids   map[string]int64 // username → person
	depts map[string]int64 // code → department
}

// each runs f on SQLite and (with TEST_DATABASE_URL) PostgreSQL.
func each(t *testing.T, cfg notify.Config, f func(t *testing.T, e *env)) {
	t.Helper()
	for _, d := range storetest.Backends() {
		t.Run(string(d), func(t *testing.T) { f(t, newEnv(t, d, cfg)) })
	}
}

func newEnv(t *testing.T, d store.Dialect, cfg notify.Config) *env {
	t.Helper()
	sc := storetest.Config(t, d)
	clk := storetest.NewClock(time.Now().UTC().Truncate(time.Second))
	sc.Now = clk.Now
	db, err := store.Open(ctx, sc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{t: t, cfg: sc, db: db, clk: clk, ppl: people.New(db), ids: map[string]int64{}, depts: map[string]int64{}}
	for _, dp := range []struct{ code, zh, en string }{{"syn", "合成部", "Synthesis"}, {"ana", "分析部", "Analytical"}, {"frm", "制剂部", "Formulation"}} {
		x, err := e.ppl.CreateDepartment(ctx, domain.System, people.DepartmentInput{Code: dp.code, NameZH: dp.zh, NameEN: dp.en})
		if err != nil {
			t.Fatal(err)
		}
		e.depts[dp.code] = x.ID
	}
	for _, p := range []struct{ user, name, dept, lang string }{
		{"zhang", "张伟", "syn", "zh"}, {"guo", "郭强", "ana", "en"}, {"wu", "吴敏", "frm", "zh"}, {"admin", "管理员", "", ""}} {
		in := people.PersonInput{Username: p.user, Name: p.name, Email: p.user + "@lab.example", Lang: p.lang, DepartmentID: e.depts[p.dept]}
		if p.dept != "" {
			in.Roles = []domain.Grant{{Role: domain.RoleResearcher, DepartmentID: e.depts[p.dept]}}
		} else {
			in.Roles = []domain.Grant{{Role: domain.RoleSysAdmin}}
		}
		x, err := e.ppl.CreatePerson(ctx, domain.System, in)
		if err != nil {
			t.Fatalf("person %s: %v", p.user, err)
		}
		e.ids[p.user] = x.ID
	}
	e.admin = e.actor("admin")
	e.svc = notify.New(db, e.ppl, cfg)
	return e
}

// actor is username signed in.
func (e *env) actor(username string) domain.Actor {
	e.t.Helper()
	p, err := e.ppl.Person(ctx, e.ids[username])
	if err != nil {
		e.t.Fatal(err)
	}
	return domain.Actor{ID: p.ID, Username: p.Username, Name: p.Name, Grants: p.Grants, Lang: p.Lang, Via: "session"}
}

// notice writes an outbox row for username, as the engine does in the
// transaction of the change it tells of.
func (e *env) notice(username, kind string, instance int64, args map[string]any) {
	e.t.Helper()
	a := map[string]any{"title": "采购申请"}
	for k, v := range args {
		a[k] = v
	}
	err := e.db.Flow().Write(ctx, func(tx flow.Tx) error {
		return tx.InsertNotification(&flow.Notification{RecipientID: e.ids[username], Kind: kind, InstanceID: instance, Args: a})
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

// run runs one round of the worker.
func (e *env) run(svc *notify.Service) notify.Round {
	e.t.Helper()
	r, err := svc.RunOnce(ctx)
	if err != nil {
		e.t.Fatalf("RunOnce: %v", err)
	}
	return r
}

// deliveries lists every delivery, newest first.
func (e *env) deliveries() []notify.Delivery {
	e.t.Helper()
	l, err := e.svc.Deliveries(ctx, e.admin, nil, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	return l.Deliveries
}

// smtp points the settings at a mail server on 127.0.0.1.
func (e *env) smtp(port int, tls, user, password string) {
	e.t.Helper()
	_, err := e.svc.SetSettings(ctx, e.admin, notify.SettingsInput{BaseURL: "https://labflow.example", SMTP: notify.SMTPInput{
		Enabled: true, Host: "127.0.0.1", Port: port, TLS: tls, From: "LabFlow 通知 <labflow@lab.example>", Username: user, Password: password}})
	if err != nil {
		e.t.Fatalf("smtp settings: %v", err)
	}
}

// events lists the audit events of action.
func (e *env) events(action string) []audit.Event {
	e.t.Helper()
	evs, err := e.db.FindAudit(ctx, store.AuditFilter{Action: action, Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// verify checks the trail and every sealed record.
func (e *env) verify() {
	e.t.Helper()
	if _, err := e.db.VerifyAudit(ctx, ""); err != nil {
		e.t.Fatalf("verify: %v", err)
	}
}
