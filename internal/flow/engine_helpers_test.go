package flow_test

import (
	"context"
	"testing"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// The fixed people of the engine tests.
const (
	alice = int64(1) // researcher, dept 10 (the usual initiator)
	dave  = int64(2) // director, dept 10
	bob   = int64(3) // business dean
	gina  = int64(4) // GM
	carol = int64(5) // purchasing
	pat   = int64(6) // purchasing
	sam   = int64(7) // sysadmin
	cm1   = int64(8) // committee
	cm2   = int64(9) // committee
	chair = int64(10)
	erin  = int64(11) // researcher, dept 10
	dan   = int64(12) // director, dept 20
)

type dir struct{ people map[int64]domain.Person }

func person(id int64, user string, dept int64, grants ...domain.Grant) domain.Person {
	return domain.Person{ID: id, Username: user, Name: "N-" + user, DepartmentID: dept, Active: true, Grants: grants}
}

func newDir() *dir {
	g := func(r domain.Role, d int64) domain.Grant { return domain.Grant{Role: r, DepartmentID: d} }
	ps := []domain.Person{
		person(alice, "alice", 10, g(domain.RoleResearcher, 10)),
		person(dave, "dave", 10, g(domain.RoleDirector, 10)),
		person(bob, "bob", 0, g(domain.RoleBusinessDean, 0)),
		person(gina, "gina", 0, g(domain.RoleGM, 0)),
		person(carol, "carol", 0, g(domain.RolePurchasing, 0)),
		person(pat, "pat", 0, g(domain.RolePurchasing, 0)),
		person(sam, "sam", 0, g(domain.RoleSysAdmin, 0)),
		person(cm1, "cm1", 0, g(domain.RoleCommittee, 0)),
		person(cm2, "cm2", 0, g(domain.RoleCommittee, 0)),
		person(chair, "chair", 0, g(domain.RoleCommitteeChair, 0)),
		person(erin, "erin", 10, g(domain.RoleResearcher, 10)),
		person(dan, "dan", 20, g(domain.RoleDirector, 20)),
	}
	d := &dir{people: map[int64]domain.Person{}}
	for _, p := range ps {
		d.people[p.ID] = p
	}
	return d
}

func (d *dir) Person(_ context.Context, id int64) (domain.Person, error) {
	if p, ok := d.people[id]; ok {
		return p, nil
	}
	return domain.Person{}, domain.NotFound("dir", "entity.person")
}

func (d *dir) PersonByUsername(_ context.Context, u string) (domain.Person, error) {
	for _, p := range d.people {
		if p.Username == u {
			return p, nil
		}
	}
	return domain.Person{}, domain.NotFound("dir", "entity.person")
}

func (d *dir) DirectorOf(ctx context.Context, dept int64) (domain.Person, error) {
	ps, _ := d.WithRole(ctx, domain.RoleDirector, dept)
	if len(ps) == 0 || dept == 0 {
		return domain.Person{}, domain.NotFound("dir", "entity.person")
	}
	return ps[0], nil
}

func (d *dir) WithRole(_ context.Context, role domain.Role, dept int64) ([]domain.Person, error) {
	var out []domain.Person
	for id := int64(1); id <= 50; id++ {
		p, ok := d.people[id]
		if !ok || !p.Active {
			continue
		}
		for _, g := range p.Grants {
			if g.Role == role && (dept == 0 || g.DepartmentID == dept) {
				out = append(out, p)
				break
			}
		}
	}
	return out, nil
}

func (d *dir) Committee(ctx context.Context) ([]domain.Person, domain.Person, error) {
	ms, _ := d.WithRole(ctx, domain.RoleCommittee, 0)
	cs, _ := d.WithRole(ctx, domain.RoleCommitteeChair, 0)
	var c domain.Person
	if len(cs) > 0 {
		c = cs[0]
		ms = append(ms, c)
	}
	return ms, c, nil
}

const goodPassword = "correct horse battery"

type fakeAuth struct{}

func (fakeAuth) Reauthenticate(_ context.Context, _ domain.Actor, pw string) error {
	if pw != goodPassword {
		return domain.E(domain.KindUnauthenticated, "auth.Reauthenticate", "auth.bad_password")
	}
	return nil
}

type env struct {
	t   *testing.T
	db  *store.DB
	dir *dir
	e   *flow.Engine
	reg *flow.Registry
}

func newEnv(t *testing.T, db *store.DB, defs ...*flow.Definition) *env {
	t.Helper()
	reg := flow.NewRegistry()
	return newEnvReg(t, db, reg, defs...)
}

func newEnvReg(t *testing.T, db *store.DB, reg *flow.Registry, defs ...*flow.Definition) *env {
	t.Helper()
	d := newDir()
	e, err := flow.New(db.Flow(), reg, d, fakeAuth{}, defs)
	if err != nil {
		t.Fatalf("flow.New: %v", err)
	}
	return &env{t: t, db: db, dir: d, e: e, reg: reg}
}

func (v *env) actor(id int64) domain.Actor {
	p := v.dir.people[id]
	return domain.Actor{ID: p.ID, Username: p.Username, Name: p.Name, Grants: p.Grants, Via: "session"}
}

func (v *env) start(key string, form map[string]any) *flow.Instance {
	v.t.Helper()
	in, err := v.e.Start(context.Background(), v.actor(alice), key, form, "")
	if err != nil {
		v.t.Fatalf("start %s: %v", key, err)
	}
	return in
}

// todo returns who's open task on instance id (fails if none).
func (v *env) todo(who, inst int64) int64 {
	v.t.Helper()
	items, _, err := v.e.Inbox(context.Background(), v.actor(who), flow.BoxTodo, flow.InboxFilter{})
	if err != nil {
		v.t.Fatal(err)
	}
	for _, it := range items {
		if it.InstanceID == inst {
			return it.TaskID
		}
	}
	v.t.Fatalf("person %d has no open task on instance %d", who, inst)
	return 0
}

func (v *env) hasTodo(who, inst int64) bool {
	items, _, _ := v.e.Inbox(context.Background(), v.actor(who), flow.BoxTodo, flow.InboxFilter{})
	for _, it := range items {
		if it.InstanceID == inst {
			return true
		}
	}
	return false
}

func (v *env) act(who, inst int64, in flow.ActInput) (*flow.Instance, error) {
	v.t.Helper()
	return v.e.Act(context.Background(), v.actor(who), v.todo(who, inst), in)
}

func (v *env) must(who, inst int64, in flow.ActInput) *flow.Instance {
	v.t.Helper()
	out, err := v.act(who, inst, in)
	if err != nil {
		v.t.Fatalf("%d %s on %d: %v", who, in.Action, inst, err)
	}
	return out
}

func (v *env) approve(who, inst int64) *flow.Instance {
	v.t.Helper()
	return v.must(who, inst, flow.ActInput{Action: flow.ActApprove})
}

func (v *env) view(who, inst int64) *flow.InstanceView {
	v.t.Helper()
	iv, err := v.e.Instance(context.Background(), v.actor(who), inst)
	if err != nil {
		v.t.Fatalf("view %d: %v", inst, err)
	}
	return iv
}

func (v *env) status(inst int64) flow.Status {
	v.t.Helper()
	return v.view(alice, inst).Instance.Status
}

func text(s string) flow.Text { return flow.Text{ZH: s, EN: s} }

// def builds a definition with a free-text "title" and "amount" number field.
func def(key string, steps ...flow.Step) *flow.Definition {
	return &flow.Definition{Key: key, Title: text(key), Subject: "form",
		Form: []flow.Field{{Key: "title", Label: text("title"), Type: flow.FieldText},
			{Key: "amount", Label: text("amount"), Type: flow.FieldNumber},
			{Key: "price", Label: text("price"), Type: flow.FieldNumber},
			{Key: "approver", Label: text("approver"), Type: flow.FieldPerson}},
		Steps: steps}
}

func role(r domain.Role) flow.Assignee { return flow.Assignee{Role: string(r)} }

func stepA(id string, a flow.Assignee) flow.Step {
	return flow.Step{ID: id, Title: text(id), Assignee: a}
}

func wantStatus(t *testing.T, in *flow.Instance, s flow.Status) {
	t.Helper()
	if in.Status != s {
		t.Fatalf("status = %s, want %s", in.Status, s)
	}
}

func wantKind(t *testing.T, err error, k domain.Kind) {
	t.Helper()
	if !domain.IsKind(err, k) {
		t.Fatalf("err = %v, want kind %s", err, k)
	}
}
