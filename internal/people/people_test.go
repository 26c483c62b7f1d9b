package people_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/people"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

var ctx = context.Background()

// fixture is a fresh organization: an administrator and two departments.
type fixture struct {
	db    *store.DB
	svc   *people.Service
	admin domain.Actor
	syn   domain.Department
	ana   domain.Department
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	t.Helper()
	f := &fixture{db: db, svc: people.New(db)}
	var err error
	if f.syn, err = f.svc.CreateDepartment(ctx, domain.System, people.DepartmentInput{Code: "synthesis", NameZH: "合成部", NameEN: "Synthesis"}); err != nil {
		t.Fatal(err)
	}
	if f.ana, err = f.svc.CreateDepartment(ctx, domain.System, people.DepartmentInput{Code: "analytical", NameZH: "分析部", NameEN: "Analytical"}); err != nil {
		t.Fatal(err)
	}
	p, err := f.svc.CreatePerson(ctx, domain.System, people.PersonInput{Username: "admin", Name: "周明",
		Roles: []domain.Grant{{Role: domain.RoleSysAdmin}}})
	if err != nil {
		t.Fatal(err)
	}
	f.admin = actorOf(p)
	return f
}

func actorOf(p domain.Person) domain.Actor {
	return domain.Actor{ID: p.ID, Username: p.Username, Name: p.Name, Grants: p.Grants, Via: "session"}
}

func (f *fixture) person(t *testing.T, username, name string, dept int64, roles ...domain.Grant) domain.Person {
	t.Helper()
	p, err := f.svc.CreatePerson(ctx, f.admin, people.PersonInput{Username: username, Name: name, DepartmentID: dept, HiredOn: "2020-03-01", Roles: roles})
	if err != nil {
		t.Fatalf("create %s: %v", username, err)
	}
	return p
}

func wantKind(t *testing.T, err error, k domain.Kind, key string) {
	t.Helper()
	if !domain.IsKind(err, k) {
		t.Fatalf("err=%v, want kind %s", err, k)
	}
	if key != "" {
		if de := err.(*domain.Error); de.Key != key {
			t.Fatalf("key=%q, want %q (err %v)", de.Key, key, err)
		}
	}
}

func wantField(t *testing.T, err error, field, key string) {
	t.Helper()
	m, ok := domain.FieldError(err, field)
	if !ok || m.Key != key {
		t.Fatalf("field %s = %v (%v), want %s; err=%v", field, m.Key, ok, key, err)
	}
}

func events(t *testing.T, db *store.DB, entity string, id int64) []audit.Event {
	t.Helper()
	evs, err := db.FindAudit(ctx, store.AuditFilter{Entity: entity, EntityID: fmt.Sprint(id)})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func changes(t *testing.T, e audit.Event) map[string]audit.Change {
	t.Helper()
	cs, err := e.DecodeChanges()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]audit.Change{}
	for _, c := range cs {
		m[c.Field] = c
	}
	return m
}

// Ensure only the system administrator changes people, departments and roles (R12).
func TestR12_OnlyAdminChangesOrganization(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		dir := f.person(t, "chenzhiqiang", "陈志强", f.syn.ID, domain.Grant{Role: domain.RoleDirector, DepartmentID: f.syn.ID})
		gm := f.person(t, "wangjianguo", "王建国", 0, domain.Grant{Role: domain.RoleGM})
		for _, a := range []domain.Actor{actorOf(dir), actorOf(gm), {ID: 99, Name: "nobody"}} {
			_, err := f.svc.CreatePerson(ctx, a, people.PersonInput{Username: "x1", Name: "X"})
			wantKind(t, err, domain.KindForbidden, "")
			_, err = f.svc.CreateDepartment(ctx, a, people.DepartmentInput{Code: "x", NameZH: "X", NameEN: "X"})
			wantKind(t, err, domain.KindForbidden, "")
			_, err = f.svc.UpdateDepartment(ctx, a, f.syn.ID, people.DepartmentInput{Code: "x", NameZH: "X", NameEN: "X"}, "")
			wantKind(t, err, domain.KindForbidden, "")
			wantKind(t, f.svc.SetDepartmentActive(ctx, a, f.ana.ID, false, "r"), domain.KindForbidden, "")
			wantKind(t, f.svc.GrantRole(ctx, a, gm.ID, domain.Grant{Role: domain.RoleCommittee}, "测试授权"), domain.KindForbidden, "")
			wantKind(t, f.svc.RevokeRole(ctx, a, dir.ID, domain.Grant{Role: domain.RoleDirector, DepartmentID: f.syn.ID}, "r"), domain.KindForbidden, "")
			wantKind(t, f.svc.SetPersonActive(ctx, a, dir.ID, false, "r"), domain.KindForbidden, "")
			wantKind(t, f.svc.AddRank(ctx, a, dir.ID, domain.RankSeniorA, "2021-01-01", ""), domain.KindForbidden, "")
			name := "Y"
			_, err = f.svc.UpdatePerson(ctx, a, dir.ID, people.PersonUpdate{Name: &name}, "")
			wantKind(t, err, domain.KindForbidden, "")
			_, err = f.svc.Import(ctx, a, "p.csv", strings.NewReader("username,name\nabc,ABC\n"))
			wantKind(t, err, domain.KindForbidden, "")
		}
		// Reading needs no administrator.
		if _, err := f.svc.Person(ctx, dir.ID); err != nil {
			t.Fatal(err)
		}
	})
}

// Ensure nobody holds sysadmin together with a business role, and the
// administrator cannot change their own roles (R12).
func TestR12_AdminCannotHoldBusinessRole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		admin2, err := f.svc.CreatePerson(ctx, f.admin, people.PersonInput{Username: "admin2", Name: "备用管理员", Roles: []domain.Grant{{Role: domain.RoleSysAdmin}}})
		if err != nil {
			t.Fatal(err)
		}
		err = f.svc.GrantRole(ctx, f.admin, admin2.ID, domain.Grant{Role: domain.RoleResearcher, DepartmentID: f.syn.ID}, "测试授权")
		wantKind(t, err, domain.KindConflict, "people.r12_business_with_admin")
		err = f.svc.GrantRole(ctx, f.admin, admin2.ID, domain.Grant{Role: domain.RoleGM}, "测试授权")
		wantKind(t, err, domain.KindConflict, "people.r12_business_with_admin")

		dir := f.person(t, "sunli", "孙丽", f.ana.ID, domain.Grant{Role: domain.RoleDirector, DepartmentID: f.ana.ID})
		err = f.svc.GrantRole(ctx, f.admin, dir.ID, domain.Grant{Role: domain.RoleSysAdmin}, "测试授权")
		wantKind(t, err, domain.KindConflict, "people.r12_admin_with_business")

		_, err = f.svc.CreatePerson(ctx, f.admin, people.PersonInput{Username: "both", Name: "两者",
			Roles: []domain.Grant{{Role: domain.RoleSysAdmin}, {Role: domain.RoleFinance}}})
		wantKind(t, err, domain.KindConflict, "people.r12_business_with_admin")
		if _, err := f.svc.PersonByUsername(ctx, "both"); !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("refused person exists: %v", err)
		}

		err = f.svc.GrantRole(ctx, f.admin, f.admin.ID, domain.Grant{Role: domain.RoleGM}, "测试授权")
		wantKind(t, err, domain.KindForbidden, "people.self_grant")
		err = f.svc.RevokeRole(ctx, f.admin, f.admin.ID, domain.Grant{Role: domain.RoleSysAdmin}, "leaving")
		wantKind(t, err, domain.KindForbidden, "people.self_grant")
		wantKind(t, f.svc.SetPersonActive(ctx, f.admin, f.admin.ID, false, "x"), domain.KindForbidden, "people.self_deactivate")

		p, _ := f.svc.Person(ctx, dir.ID)
		if len(p.Grants) != 1 || p.Grants[0].Role != domain.RoleDirector {
			t.Fatalf("grants=%v", p.Grants)
		}
	})
}

// Ensure grants and revocations are audited on the person with actor, old
// and new values and reason, stay in the role history, and the current role
// list exports for the administrator and the GM only (R13).
func TestR13_RoleGrantAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		p := f.person(t, "zhangwei", "张伟", f.syn.ID, domain.Grant{Role: domain.RoleResearcher, DepartmentID: f.syn.ID})
		if err := f.svc.GrantRole(ctx, f.admin, p.ID, domain.Grant{Role: domain.RoleCommittee}, "elected 2024"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.RevokeRole(ctx, f.admin, p.ID, domain.Grant{Role: domain.RoleCommittee}, ""); !domain.IsKind(err, domain.KindInvalid) {
			t.Fatalf("revoke without reason: %v", err)
		}
		if err := f.svc.RevokeRole(ctx, f.admin, p.ID, domain.Grant{Role: domain.RoleCommittee}, "term ended"); err != nil {
			t.Fatal(err)
		}
		wantKind(t, f.svc.RevokeRole(ctx, f.admin, p.ID, domain.Grant{Role: domain.RoleCommittee}, "again"), domain.KindConflict, "people.role_not_held")

		evs := events(t, db, "person", p.ID)
		if len(evs) != 3 {
			t.Fatalf("events=%d, want 3 (create, grant, revoke)", len(evs))
		}
		g, r := evs[1], evs[2]
		if g.Action != "role.grant" || g.ActorID != f.admin.ID || g.ActorName != "周明" || g.Reason != "elected 2024" {
			t.Fatalf("grant event=%+v", g)
		}
		if c := changes(t, g)["role"]; c.New != "committee" {
			t.Fatalf("grant change=%+v", c)
		}
		if r.Action != "role.revoke" || r.Reason != "term ended" {
			t.Fatalf("revoke event=%+v", r)
		}
		if c := changes(t, r)["role"]; c.Old != "committee" || c.New != nil {
			t.Fatalf("revoke change=%+v", c)
		}
		hist, err := f.svc.RoleHistory(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(hist) != 2 || hist[1].Role != domain.RoleCommittee || hist[1].RevokedAt.IsZero() || hist[1].RevokedBy != f.admin.ID || hist[1].GrantedBy != f.admin.ID {
			t.Fatalf("history=%+v", hist)
		}

		var buf bytes.Buffer
		if err := f.svc.ExportRoles(ctx, f.admin, &buf); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(buf.Bytes(), []byte("\uFEFF")) {
			t.Fatal("export lacks the UTF-8 BOM")
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(buf.Bytes(), []byte("\uFEFF")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(recs[0], ","); got != "username,name,department,role,role department,granted at,granted by" {
			t.Fatalf("header=%s", got)
		}
		found := false
		for _, rec := range recs[1:] {
			if rec[0] == "zhangwei" {
				found = true
				if rec[1] != "张伟" || rec[2] != "合成部" || rec[3] != "researcher" || rec[4] != "合成部" || rec[6] != "周明" {
					t.Fatalf("row=%v", rec)
				}
			}
			if rec[3] == "committee" {
				t.Fatalf("revoked role exported: %v", rec)
			}
		}
		if !found || len(recs) != 3 { // header, admin, zhangwei
			t.Fatalf("export=%v", recs)
		}
		gm := f.person(t, "wangjianguo", "王建国", 0, domain.Grant{Role: domain.RoleGM})
		if err := f.svc.ExportRoles(ctx, actorOf(gm), &bytes.Buffer{}); err != nil {
			t.Fatalf("GM export: %v", err)
		}
		wantKind(t, f.svc.ExportRoles(ctx, actorOf(p), &bytes.Buffer{}), domain.KindForbidden, "")
	})
}

// Ensure scoped roles need a department and others must not have one, each
// department has one director, the committee one chair, and the chair is a member (ORG-2).
func TestORG2_RoleScopesAndSeats(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		a := f.person(t, "chenzhiqiang", "陈志强", f.syn.ID)
		b := f.person(t, "liuyang", "刘洋", f.syn.ID)
		err := f.svc.GrantRole(ctx, f.admin, a.ID, domain.Grant{Role: domain.RoleDirector}, "测试授权")
		wantField(t, err, "department_id", "people.role_needs_department")
		err = f.svc.GrantRole(ctx, f.admin, a.ID, domain.Grant{Role: domain.RoleGM, DepartmentID: f.syn.ID}, "测试授权")
		wantField(t, err, "department_id", "people.role_unscoped")
		err = f.svc.GrantRole(ctx, f.admin, a.ID, domain.Grant{Role: "king"}, "测试授权")
		wantField(t, err, "role", "field.bad_choice")
		err = f.svc.GrantRole(ctx, f.admin, a.ID, domain.Grant{Role: domain.RoleDirector, DepartmentID: 9999}, "测试授权")
		wantField(t, err, "department_id", "people.department_unknown")

		if err := f.svc.GrantRole(ctx, f.admin, a.ID, domain.Grant{Role: domain.RoleDirector, DepartmentID: f.syn.ID}, "测试授权"); err != nil {
			t.Fatal(err)
		}
		wantKind(t, f.svc.GrantRole(ctx, f.admin, a.ID, domain.Grant{Role: domain.RoleDirector, DepartmentID: f.syn.ID}, "测试授权"), domain.KindConflict, "people.role_held")
		wantKind(t, f.svc.GrantRole(ctx, f.admin, b.ID, domain.Grant{Role: domain.RoleDirector, DepartmentID: f.syn.ID}, "测试授权"), domain.KindConflict, "people.director_taken")
		if err := f.svc.GrantRole(ctx, f.admin, b.ID, domain.Grant{Role: domain.RoleDirector, DepartmentID: f.ana.ID}, "测试授权"); err != nil {
			t.Fatalf("director of another department: %v", err)
		}
		d, err := f.svc.DirectorOf(ctx, f.syn.ID)
		if err != nil || d.ID != a.ID {
			t.Fatalf("DirectorOf=%v, %v", d.Username, err)
		}

		// The chair implies membership.
		if err := f.svc.GrantRole(ctx, f.admin, a.ID, domain.Grant{Role: domain.RoleCommitteeChair}, "appointed"); err != nil {
			t.Fatal(err)
		}
		wantKind(t, f.svc.GrantRole(ctx, f.admin, b.ID, domain.Grant{Role: domain.RoleCommitteeChair}, "测试授权"), domain.KindConflict, "people.chair_taken")
		if err := f.svc.GrantRole(ctx, f.admin, b.ID, domain.Grant{Role: domain.RoleCommittee}, "测试授权"); err != nil {
			t.Fatal(err)
		}
		members, chair, err := f.svc.Committee(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(members) != 2 || chair.ID != a.ID {
			t.Fatalf("committee=%d chair=%v", len(members), chair.Username)
		}
		wantKind(t, f.svc.RevokeRole(ctx, f.admin, a.ID, domain.Grant{Role: domain.RoleCommittee}, "x"), domain.KindConflict, "people.chair_needs_member")
		ws, err := f.svc.WithRole(ctx, domain.RoleCommittee, 0)
		if err != nil || len(ws) != 2 {
			t.Fatalf("WithRole committee=%d, %v", len(ws), err)
		}
		ws, err = f.svc.WithRole(ctx, domain.RoleDirector, f.ana.ID)
		if err != nil || len(ws) != 1 || ws[0].ID != b.ID {
			t.Fatalf("WithRole director ana=%v, %v", ws, err)
		}
		// A deactivated director frees the seat; reactivating then conflicts.
		if err := f.svc.SetPersonActive(ctx, f.admin, a.ID, false, "left the institute"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.DirectorOf(ctx, f.syn.ID); !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("DirectorOf after deactivation: %v", err)
		}
		c := f.person(t, "zhoujie", "周杰", f.syn.ID, domain.Grant{Role: domain.RoleDirector, DepartmentID: f.syn.ID})
		_ = c
		wantKind(t, f.svc.SetPersonActive(ctx, f.admin, a.ID, true, ""), domain.KindConflict, "people.director_taken")
	})
}

// Ensure deactivation keeps the row, needs a reason, ends sessions and is audited (R5).
func TestR5_DeactivateKeepsRow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		p := f.person(t, "lijun", "李军", f.syn.ID, domain.Grant{Role: domain.RoleResearcher, DepartmentID: f.syn.ID})
		storetest.Exec(t, db, `INSERT INTO session (id, person_id, created_at, last_seen_at, expires_at) VALUES ('s1', $1, 'a', 'a', 'z')`, p.ID)
		err := f.svc.SetPersonActive(ctx, f.admin, p.ID, false, "")
		wantField(t, err, "reason", "field.required")
		if err := f.svc.SetPersonActive(ctx, f.admin, p.ID, false, "resigned"); err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.Person(ctx, p.ID)
		if err != nil || got.Active {
			t.Fatalf("person after deactivation=%+v, %v", got, err)
		}
		if len(got.Grants) != 1 {
			t.Fatalf("grants kept as history: %v", got.Grants)
		}
		var ended string
		if err := db.R().QueryRowContext(ctx, "SELECT ended_at FROM session WHERE id = 's1'").Scan(&ended); err != nil || ended == "" {
			t.Fatalf("session not ended: %q %v", ended, err)
		}
		list, total, err := f.svc.People(ctx, people.PersonFilter{})
		if err != nil || total != 1 || list[0].Username != "admin" {
			t.Fatalf("active list=%d %v", total, err)
		}
		if _, total, _ = f.svc.People(ctx, people.PersonFilter{IncludeInactive: true}); total != 2 {
			t.Fatalf("with inactive total=%d", total)
		}
		evs := events(t, db, "person", p.ID)
		last := evs[len(evs)-1]
		if last.Action != "person.deactivate" || last.Reason != "resigned" || changes(t, last)["active"].New != false {
			t.Fatalf("event=%+v", last)
		}
		wantKind(t, f.svc.GrantRole(ctx, f.admin, p.ID, domain.Grant{Role: domain.RoleCommittee}, "测试授权"), domain.KindConflict, "people.person_inactive")
		if err := f.svc.SetPersonActive(ctx, f.admin, p.ID, true, ""); err != nil {
			t.Fatal(err)
		}

		// Departments are deactivated, never deleted, and only when unused.
		wantKind(t, f.svc.SetDepartmentActive(ctx, f.admin, f.syn.ID, false, "merged"), domain.KindConflict, "people.department_in_use")
		if err := f.svc.SetDepartmentActive(ctx, f.admin, f.ana.ID, false, "merged"); err != nil {
			t.Fatal(err)
		}
		d, err := f.svc.Department(ctx, f.ana.ID)
		if err != nil || d.Active {
			t.Fatalf("department=%+v %v", d, err)
		}
		if ds, _ := f.svc.Departments(ctx, false); len(ds) != 1 {
			t.Fatalf("active departments=%d", len(ds))
		}
		_, err = f.svc.CreatePerson(ctx, f.admin, people.PersonInput{Username: "newbie", Name: "新人", DepartmentID: f.ana.ID})
		wantField(t, err, "department_id", "people.department_inactive")
		var n int
		db.R().QueryRowContext(ctx, "SELECT COUNT(*) FROM department").Scan(&n)
		if n != 2 {
			t.Fatalf("department rows=%d", n)
		}
	})
}

// Ensure the rank history keeps every entry and the current rank is the one
// with the latest since date (ORG-3, ORG-4).
func TestORG3_RankHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		p, err := f.svc.CreatePerson(ctx, f.admin, people.PersonInput{Username: "wangfang", Name: "王芳", DepartmentID: f.syn.ID,
			HiredOn: "2019-07-01", Roles: []domain.Grant{{Role: domain.RoleResearcher}}, Rank: domain.RankResearchB, RankSince: "2019-07-01"})
		if err != nil {
			t.Fatal(err)
		}
		if p.Rank != domain.RankResearchB || len(p.Grants) != 1 || p.Grants[0].DepartmentID != f.syn.ID {
			t.Fatalf("created=%+v", p)
		}
		if err := f.svc.AddRank(ctx, f.admin, p.ID, domain.RankSeniorB, "2023-07-01", "PhD completed"); err != nil {
			t.Fatal(err)
		}
		// Entered late, but earlier in time: not the current rank.
		if err := f.svc.AddRank(ctx, f.admin, p.ID, domain.RankResearchA, "2021-07-01", "two years in rank"); err != nil {
			t.Fatal(err)
		}
		got, _ := f.svc.Person(ctx, p.ID)
		if got.Rank != domain.RankSeniorB {
			t.Fatalf("current rank=%s, want senior_b", got.Rank)
		}
		hist, err := f.svc.RankHistory(ctx, p.ID)
		if err != nil || len(hist) != 3 || hist[1].Rank != domain.RankResearchA || hist[2].Note != "PhD completed" {
			t.Fatalf("history=%+v %v", hist, err)
		}
		err = f.svc.AddRank(ctx, f.admin, p.ID, "professor", "2024-01-01", "")
		wantField(t, err, "rank", "field.bad_choice")
		err = f.svc.AddRank(ctx, f.admin, p.ID, domain.RankSeniorA, "2024-13-01", "")
		wantField(t, err, "since", "field.bad_date")
		err = f.svc.AddRank(ctx, f.admin, p.ID, domain.RankSeniorA, "2018-01-01", "")
		wantField(t, err, "since", "people.rank_before_hire")
		err = f.svc.AddRank(ctx, f.admin, p.ID, domain.RankSeniorA, "2999-01-01", "")
		wantField(t, err, "since", "people.date_future")
		wantKind(t, f.svc.AddRank(ctx, f.admin, p.ID, domain.RankSeniorB, "2023-07-01", ""), domain.KindConflict, "people.rank_exists")
		_, err = f.svc.CreatePerson(ctx, f.admin, people.PersonInput{Username: "norank", Name: "无", Rank: domain.RankSeniorA})
		wantField(t, err, "rank_since", "field.required")

		evs := events(t, db, "person", p.ID)
		if len(evs) != 3 || evs[2].Action != "rank.add" || evs[2].Reason != "two years in rank" {
			t.Fatalf("events=%+v", evs)
		}
		if c := changes(t, evs[2])["rank"]; c.Old != "senior_b" || c.New != "researcher_a" {
			t.Fatalf("rank change=%+v", c)
		}
	})
}

// Ensure person input is validated field by field, usernames are unique,
// SQL meta-characters are stored verbatim and password hashes never reach the audit trail.
func TestPerson_Validation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		cases := []struct {
			in         people.PersonInput
			field, key string
		}{
			{people.PersonInput{Username: "Bad Name!", Name: "x"}, "username", "field.bad_username"},
			{people.PersonInput{Username: "", Name: "x"}, "username", "field.required"},
			{people.PersonInput{Username: "okname", Name: " "}, "name", "field.required"},
			{people.PersonInput{Username: "okname", Name: strings.Repeat("长", 101)}, "name", "field.too_long"},
			{people.PersonInput{Username: "okname", Name: "x", Email: "not-an-email"}, "email", "field.bad_email"},
			{people.PersonInput{Username: "okname", Name: "x", Phone: "call me"}, "phone", "people.bad_phone"},
			{people.PersonInput{Username: "okname", Name: "x", HiredOn: "2020/01/01"}, "hired_on", "field.bad_date"},
			{people.PersonInput{Username: "okname", Name: "x", Lang: "fr"}, "lang", "field.bad_choice"},
			{people.PersonInput{Username: "okname", Name: "x", DepartmentID: 4242}, "department_id", "people.department_unknown"},
			{people.PersonInput{Username: "okname", Name: "x", Roles: []domain.Grant{{Role: "boss"}}}, "roles", "field.bad_choice"},
			{people.PersonInput{Username: "okname", Name: "x", Roles: []domain.Grant{{Role: domain.RoleAnalyst}}}, "roles", "people.role_needs_department"},
			{people.PersonInput{Username: "okname", Name: "x", Rank: "boss", RankSince: "2020-01-01"}, "rank", "field.bad_choice"},
			{people.PersonInput{Username: "okname", Name: "a\x00b"}, "name", "field.bad_text"},
		}
		for _, c := range cases {
			_, err := f.svc.CreatePerson(ctx, f.admin, c.in)
			wantField(t, err, c.field, c.key)
		}
		_, err := f.svc.CreatePerson(ctx, f.admin, people.PersonInput{Username: "ADMIN", Name: "dup"})
		wantField(t, err, "username", "field.taken")

		evil := `O'Brien"; DROP TABLE person;--`
		p, err := f.svc.CreatePerson(ctx, f.admin, people.PersonInput{Username: "obrien", Name: evil, Email: "o'brien@example.com",
			Phone: "+86 (10) 1234-5678", Lang: "en", PasswordHash: "$argon2id$v=19$secret-hash"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.PersonByUsername(ctx, "obrien")
		if err != nil || got.Name != evil || got.Email != "o'brien@example.com" || got.Lang != "en" {
			t.Fatalf("round trip=%+v %v", got, err)
		}
		if list, _, _ := f.svc.People(ctx, people.PersonFilter{Query: "'brien\""}); len(list) != 1 {
			t.Fatalf("search with quotes=%d", len(list))
		}
		evs := events(t, db, "person", p.ID)
		if len(evs) != 1 || evs[0].Action != "person.create" || strings.Contains(evs[0].Changes, "secret-hash") {
			t.Fatalf("create events=%+v", evs)
		}
		if c := changes(t, evs[0])["name"]; c.New != evil || c.Old != nil {
			t.Fatalf("name change=%+v", c)
		}
	})
}

// Ensure an update records every changed field with its old and new value and the reason (R1).
func TestR1_UpdatePersonAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		p := f.person(t, "yangxue", "杨雪", f.syn.ID)
		name, email, dept := "杨雪梅", "yang@example.com", f.ana.ID
		got, err := f.svc.UpdatePerson(ctx, f.admin, p.ID, people.PersonUpdate{Name: &name, Email: &email, DepartmentID: &dept}, "married; transferred")
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != name || got.Email != email || got.DepartmentID != dept {
			t.Fatalf("updated=%+v", got)
		}
		bad := "x@"
		_, err = f.svc.UpdatePerson(ctx, f.admin, p.ID, people.PersonUpdate{Email: &bad}, "")
		wantField(t, err, "email", "field.bad_email")
		// No change, no event.
		if _, err := f.svc.UpdatePerson(ctx, f.admin, p.ID, people.PersonUpdate{Name: &name}, ""); err != nil {
			t.Fatal(err)
		}
		evs := events(t, db, "person", p.ID)
		if len(evs) != 2 {
			t.Fatalf("events=%d, want 2", len(evs))
		}
		e := evs[1]
		cs := changes(t, e)
		if e.Action != "person.update" || e.Reason != "married; transferred" || len(cs) != 3 ||
			cs["name"].Old != "杨雪" || cs["name"].New != name || cs["email"].Old != "" {
			t.Fatalf("event=%+v", e)
		}
		if _, err := f.svc.UpdatePerson(ctx, f.admin, 777, people.PersonUpdate{Name: &name}, ""); !domain.IsKind(err, domain.KindNotFound) {
			t.Fatalf("missing person: %v", err)
		}

		// Departments too.
		d, err := f.svc.UpdateDepartment(ctx, f.admin, f.syn.ID, people.DepartmentInput{Code: "synthesis", NameZH: "合成研究部", NameEN: "Synthesis"}, "renamed")
		if err != nil || d.NameZH != "合成研究部" {
			t.Fatalf("department=%+v %v", d, err)
		}
		_, err = f.svc.UpdateDepartment(ctx, f.admin, f.syn.ID, people.DepartmentInput{Code: "analytical", NameZH: "合成部", NameEN: "Synthesis"}, "")
		wantField(t, err, "code", "field.taken")
		_, err = f.svc.CreateDepartment(ctx, f.admin, people.DepartmentInput{Code: "synthesis", NameZH: "合成部", NameEN: "S"})
		wantField(t, err, "code", "field.taken")
		_, err = f.svc.CreateDepartment(ctx, f.admin, people.DepartmentInput{Code: "9x", NameZH: "", NameEN: "S"})
		wantField(t, err, "code", "people.bad_code")
		wantField(t, err, "name_zh", "field.required")
		devs := events(t, db, "department", f.syn.ID)
		if len(devs) != 2 || devs[1].Action != "department.update" || changes(t, devs[1])["name_zh"].Old != "合成部" {
			t.Fatalf("department events=%+v", devs)
		}
	})
}

// Ensure the people list filters by text, department and role and pages with a total.
func TestPeople_FilterAndPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		for i := 0; i < 5; i++ {
			f.person(t, fmt.Sprintf("res%d", i), fmt.Sprintf("研究员%d", i), f.syn.ID, domain.Grant{Role: domain.RoleResearcher, DepartmentID: f.syn.ID})
		}
		f.person(t, "ana1", "分析员甲", f.ana.ID, domain.Grant{Role: domain.RoleAnalyst, DepartmentID: f.ana.ID})
		list, total, err := f.svc.People(ctx, people.PersonFilter{DepartmentID: f.syn.ID, Limit: 2, Offset: 2})
		if err != nil || total != 5 || len(list) != 2 || list[0].Username != "res2" {
			t.Fatalf("page=%v total=%d err=%v", list, total, err)
		}
		if list, total, _ = f.svc.People(ctx, people.PersonFilter{Role: domain.RoleAnalyst}); total != 1 || list[0].Grants[0].Role != domain.RoleAnalyst {
			t.Fatalf("by role=%v", list)
		}
		if _, total, _ = f.svc.People(ctx, people.PersonFilter{Query: "研究员"}); total != 5 {
			t.Fatalf("by query total=%d", total)
		}
		if _, total, _ = f.svc.People(ctx, people.PersonFilter{Query: "RES1"}); total != 1 {
			t.Fatalf("case-insensitive query total=%d", total)
		}
		if _, total, _ = f.svc.People(ctx, people.PersonFilter{Query: "%"}); total != 0 {
			t.Fatalf("wildcard must be literal, total=%d", total)
		}
	})
}

// Ensure a person may set their own UI language (audited) but nothing else
// about themselves, and not another person's language.
func TestUpdatePerson_OwnLanguageOnly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		svc := people.New(db)
		a, err := svc.CreatePerson(ctx, domain.System, people.PersonInput{Username: "zhangsan", Name: "张三"})
		if err != nil {
			t.Fatal(err)
		}
		b, err := svc.CreatePerson(ctx, domain.System, people.PersonInput{Username: "lisi", Name: "李四"})
		if err != nil {
			t.Fatal(err)
		}
		me := domain.Actor{ID: a.ID, Name: a.Name, Via: "session"}
		en, name := "en", "改名"
		if p, err := svc.UpdatePerson(ctx, me, a.ID, people.PersonUpdate{Lang: &en}, ""); err != nil || p.Lang != "en" {
			t.Fatalf("own language: %v %+v", err, p)
		}
		if _, err := svc.UpdatePerson(ctx, me, a.ID, people.PersonUpdate{Lang: &en, Name: &name}, ""); !domain.IsKind(err, domain.KindForbidden) {
			t.Fatalf("own name: err=%v, want forbidden", err)
		}
		if _, err := svc.UpdatePerson(ctx, me, b.ID, people.PersonUpdate{Lang: &en}, ""); !domain.IsKind(err, domain.KindForbidden) {
			t.Fatalf("other's language: err=%v, want forbidden", err)
		}
	})
}
