package people_test

import (
	"bytes"
	"strings"
	"testing"

	"labflow/internal/domain"
	"labflow/internal/people"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// Ensure the administrator defines roles as data and they are granted
// wherever roles are granted — directly, by import, in the R13 export —
// kept apart from the administrator's role (R12), audited, and retired
// only when nobody holds them; built-in roles are seeded and immutable
// (issue 8 §4).
func TestR13_DefinedRoleGrantedImportedExported(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		if err := f.svc.EnsureBuiltins(ctx); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.EnsureBuiltins(ctx); err != nil { // idempotent
			t.Fatal(err)
		}
		if evs, _ := db.FindAudit(ctx, store.AuditFilter{Action: "role.seed"}); len(evs) != 1 {
			t.Fatalf("role.seed events: %d", len(evs))
		}
		wang := f.person(t, "wangwu", "王五", f.syn.ID, domain.Grant{Role: domain.RoleResearcher, DepartmentID: f.syn.ID})
		// Only the administrator defines roles.
		_, err := f.svc.CreateRole(ctx, actorOf(wang), people.RoleInput{Key: "office_head", NameZH: "办公室主任", NameEN: "Office head"})
		wantKind(t, err, domain.KindForbidden, "")
		_, err = f.svc.CreateRole(ctx, f.admin, people.RoleInput{Key: "Office Head!", NameZH: "办公室主任", NameEN: "Office head"})
		wantField(t, err, "key", "org.bad_key")
		_, err = f.svc.CreateRole(ctx, f.admin, people.RoleInput{Key: "director", NameZH: "x", NameEN: "x"})
		wantField(t, err, "key", "field.taken")
		office, err := f.svc.CreateRole(ctx, f.admin, people.RoleInput{Key: "office_head", NameZH: "办公室主任", NameEN: "Office head"})
		if err != nil || !office.Active || office.Builtin {
			t.Fatalf("create: %+v %v", office, err)
		}
		_, err = f.svc.CreateRole(ctx, f.admin, people.RoleInput{Key: "office_head", NameZH: "又一个", NameEN: "Again"})
		wantField(t, err, "key", "field.taken")
		hr, err := f.svc.CreateRole(ctx, f.admin, people.RoleInput{Key: "hr_clerk", NameZH: "人事专员", NameEN: "HR clerk", Scoped: true})
		if err != nil {
			t.Fatal(err)
		}
		if evs := events(t, db, "role_def", 0); len(evs) != 0 {
			t.Fatal("role events are keyed by the role's key")
		}
		evs, _ := db.FindAudit(ctx, store.AuditFilter{Entity: "role_def", EntityID: "office_head"})
		if len(evs) != 1 || evs[0].Action != "role.define" || evs[0].ActorID != f.admin.ID {
			t.Fatalf("role.define: %+v", evs)
		}

		// Granted like any role; a scoped one needs its department.
		if err := f.svc.GrantRole(ctx, f.admin, wang.ID, domain.Grant{Role: "office_head"}, "兼任"); err != nil {
			t.Fatal(err)
		}
		err = f.svc.GrantRole(ctx, f.admin, wang.ID, domain.Grant{Role: "hr_clerk"}, "测试授权")
		wantField(t, err, "department_id", "people.role_needs_department")
		if err := f.svc.GrantRole(ctx, f.admin, wang.ID, domain.Grant{Role: "hr_clerk", DepartmentID: f.syn.ID}, "测试授权"); err != nil {
			t.Fatal(err)
		}
		err = f.svc.GrantRole(ctx, f.admin, wang.ID, domain.Grant{Role: "no_such_role"}, "测试授权")
		wantField(t, err, "role", "field.bad_choice")
		// R12: the administrator never holds one, and a holder never becomes administrator.
		err = f.svc.GrantRole(ctx, f.admin, wang.ID, domain.Grant{Role: domain.RoleSysAdmin}, "测试授权")
		wantKind(t, err, domain.KindConflict, "people.r12_admin_with_business")
		_, err = f.svc.CreatePerson(ctx, f.admin, people.PersonInput{Username: "admin2", Name: "管理员二",
			Roles: []domain.Grant{{Role: domain.RoleSysAdmin}, {Role: "office_head"}}})
		wantKind(t, err, domain.KindConflict, "people.r12_business_with_admin")
		holders, err := f.svc.WithRole(ctx, "office_head", 0)
		if err != nil || len(holders) != 1 || holders[0].ID != wang.ID {
			t.Fatalf("holders: %+v %v", holders, err)
		}
		// Created with one, by its Chinese name in an import, scoped to the person's department.
		csv := "username,name,department,roles\nzhaoliu,赵六,synthesis,人事专员;office_head\n"
		res, err := f.svc.Import(ctx, f.admin, "p.csv", strings.NewReader(csv))
		if err != nil {
			t.Fatalf("import: %v %+v", err, res.Errors)
		}
		zl, _ := f.svc.PersonByUsername(ctx, "zhaoliu")
		if len(zl.Grants) != 2 || zl.Grants[0] != (domain.Grant{Role: "hr_clerk", DepartmentID: f.syn.ID}) || zl.Grants[1].Role != "office_head" {
			t.Fatalf("imported grants: %+v", zl.Grants)
		}
		// The R13 export lists it.
		var out bytes.Buffer
		if err := f.svc.ExportRoles(ctx, f.admin, &out); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(out.String(), "wangwu,王五,合成部,office_head,") || !strings.Contains(out.String(), "zhaoliu,赵六,合成部,hr_clerk,合成部") {
			t.Fatalf("export: %s", out.String())
		}
		if f.svc.RoleName("zh", "office_head") != "办公室主任" || f.svc.RoleName("en", "hr_clerk") != "HR clerk" || f.svc.RoleName("en", domain.RoleGM) != "General Manager" {
			t.Fatalf("names: %q %q %q", f.svc.RoleName("zh", "office_head"), f.svc.RoleName("en", "hr_clerk"), f.svc.RoleName("en", domain.RoleGM))
		}

		// Built-in roles cannot be changed or retired.
		_, err = f.svc.UpdateRole(ctx, f.admin, "gm", people.RoleInput{NameZH: "总裁", NameEN: "CEO"}, "")
		wantKind(t, err, domain.KindConflict, "org.role_builtin")
		wantKind(t, f.svc.SetRoleActive(ctx, f.admin, "director", false, "no"), domain.KindConflict, "org.role_builtin")
		// Renamed, with the old and new names in the trail.
		if _, err := f.svc.UpdateRole(ctx, f.admin, "hr_clerk", people.RoleInput{NameZH: "人事专员", NameEN: "HR officer"}, "称呼统一"); err != nil {
			t.Fatal(err)
		}
		// Retired only when nobody holds it (and with a reason).
		wantField(t, f.svc.SetRoleActive(ctx, f.admin, "office_head", false, ""), "reason", "field.required")
		wantKind(t, f.svc.SetRoleActive(ctx, f.admin, "office_head", false, "撤销岗位"), domain.KindConflict, "org.role_held_by")
		for _, p := range []domain.Person{wang, zl} {
			if err := f.svc.RevokeRole(ctx, f.admin, p.ID, domain.Grant{Role: "office_head"}, "撤销岗位"); err != nil {
				t.Fatal(err)
			}
		}
		if err := f.svc.SetRoleActive(ctx, f.admin, "office_head", false, "撤销岗位"); err != nil {
			t.Fatal(err)
		}
		err = f.svc.GrantRole(ctx, f.admin, wang.ID, domain.Grant{Role: "office_head"}, "测试授权")
		wantField(t, err, "role", "org.role_inactive")
		keys, _ := f.svc.RoleKeys(ctx)
		if strings.Contains(strings.Join(keys, ","), "office_head") || !strings.Contains(strings.Join(keys, ","), "hr_clerk") {
			t.Fatalf("keys a definition may name: %v", keys)
		}
		all, _ := f.svc.Roles(ctx, true)
		if len(all) != len(domain.Roles)+2 || all[0].Key != domain.RoleGM || !all[0].Builtin {
			t.Fatalf("roles: %+v", all)
		}
		_ = hr
		// Every record is what its trail says.
		if _, err := db.VerifyAudit(ctx, ""); err != nil {
			t.Fatalf("verify: %v", err)
		}
	})
}

// Ensure committees are data: created, named, given members and a chair
// by the administrator (audited, sealed); the Technical Committee stays
// the holders of the committee roles, administered as their grants; a
// member must hold a business role (R12); the engine resolves a committee
// by key; the gaps are reported (issue 8 §4).
func TestR12_CommitteesAsData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		if err := f.svc.EnsureBuiltins(ctx); err != nil {
			t.Fatal(err)
		}
		buyer := f.person(t, "gao", "高远", 0, domain.Grant{Role: domain.RolePurchasing})
		payer := f.person(t, "liang", "梁倩", 0, domain.Grant{Role: domain.RoleFinance})
		chair := f.person(t, "wang", "王建国", 0, domain.Grant{Role: domain.RoleGM})
		_, err := f.svc.CreateCommittee(ctx, actorOf(buyer), people.CommitteeInput{Key: "tender", NameZH: "招标委员会", NameEN: "Tender committee"})
		wantKind(t, err, domain.KindForbidden, "")
		_, err = f.svc.CreateCommittee(ctx, f.admin, people.CommitteeInput{Key: "technical", NameZH: "x", NameEN: "x"})
		wantField(t, err, "key", "field.taken")
		if _, err := f.svc.CreateCommittee(ctx, f.admin, people.CommitteeInput{Key: "tender", NameZH: "招标委员会", NameEN: "Tender committee"}); err != nil {
			t.Fatal(err)
		}
		gaps, _ := f.svc.Gaps(ctx, nil, map[string][]string{"tender": {"tender-eval"}})
		if !hasGap(gaps, "committee_empty", "tender") || !hasGap(gaps, "committee_empty", "technical") {
			t.Fatalf("gaps: %+v", gaps)
		}
		wantKind(t, f.svc.AddMember(ctx, actorOf(buyer), "tender", payer.ID, ""), domain.KindForbidden, "")
		wantField(t, f.svc.AddMember(ctx, f.admin, "tender", f.admin.ID, ""), "person_id", "org.member_not_business")
		for _, p := range []domain.Person{buyer, payer} {
			if err := f.svc.AddMember(ctx, f.admin, "tender", p.ID, "组建"); err != nil {
				t.Fatal(err)
			}
		}
		wantKind(t, f.svc.AddMember(ctx, f.admin, "tender", buyer.ID, ""), domain.KindConflict, "org.already_member")
		gaps, _ = f.svc.Gaps(ctx, nil, nil)
		if !hasGap(gaps, "committee_no_chair", "tender") {
			t.Fatalf("gaps: %+v", gaps)
		}
		// The chair need not be a member first; the former chair stays a member.
		if err := f.svc.SetChair(ctx, f.admin, "tender", chair.ID, "任命"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetChair(ctx, f.admin, "tender", buyer.ID, "轮换"); err != nil {
			t.Fatal(err)
		}
		members, ch, err := f.svc.CommitteeByKey(ctx, "tender")
		if err != nil || len(members) != 3 || ch.ID != buyer.ID || len(ch.Grants) == 0 {
			t.Fatalf("members %+v chair %+v %v", members, ch, err)
		}
		wantField(t, f.svc.RemoveMember(ctx, f.admin, "tender", payer.ID, ""), "reason", "field.required")
		if err := f.svc.RemoveMember(ctx, f.admin, "tender", payer.ID, "调岗"); err != nil {
			t.Fatal(err)
		}
		c, _ := f.svc.CommitteeNamed(ctx, "tender")
		if len(c.Members) != 2 || !c.Members[0].Chair || c.Members[0].PersonID != buyer.ID {
			t.Fatalf("committee: %+v", c)
		}
		hist, _ := f.svc.CommitteeHistory(ctx, "tender")
		// buyer, payer, wang as chair; then wang as member and buyer as chair (their old rows ended).
		if len(hist) != 5 || !hist[2].Chair || hist[2].RemovedAt.IsZero() || !hist[4].Chair || hist[4].PersonID != buyer.ID {
			t.Fatalf("history: %+v", hist)
		}
		evs, _ := db.FindAudit(ctx, store.AuditFilter{Entity: "committee", EntityID: "tender"})
		if len(evs) != 6 {
			t.Fatalf("committee events: %d", len(evs))
		}
		// The Technical Committee: its members are role holders.
		if err := f.svc.AddMember(ctx, f.admin, "technical", payer.ID, "增补"); err != nil {
			t.Fatal(err)
		}
		if err := f.svc.SetChair(ctx, f.admin, "technical", chair.ID, "任命"); err != nil {
			t.Fatal(err)
		}
		tm, tc, _ := f.svc.Committee(ctx)
		if len(tm) != 2 || tc.ID != chair.ID {
			t.Fatalf("technical: %+v chair %+v", tm, tc)
		}
		if p, _ := f.svc.Person(ctx, chair.ID); !hasGrant(p, domain.RoleCommitteeChair) || !hasGrant(p, domain.RoleCommittee) {
			t.Fatalf("the chair's grants: %+v", p.Grants)
		}
		if err := f.svc.SetChair(ctx, f.admin, "technical", payer.ID, "轮换"); err != nil {
			t.Fatal(err)
		}
		if p, _ := f.svc.Person(ctx, chair.ID); hasGrant(p, domain.RoleCommitteeChair) || !hasGrant(p, domain.RoleCommittee) {
			t.Fatalf("the former chair stays a member: %+v", p.Grants)
		}
		if evs := events(t, db, "person", payer.ID); evs[len(evs)-1].Action != "role.grant" {
			t.Fatalf("the Technical Committee changes are role grants on the person (R13): %+v", evs)
		}
		wantKind(t, f.svc.SetCommitteeActive(ctx, f.admin, "technical", false, "x"), domain.KindConflict, "org.committee_builtin")
		if err := f.svc.SetCommitteeActive(ctx, f.admin, "tender", false, "撤销"); err != nil {
			t.Fatal(err)
		}
		if ms, _, _ := f.svc.CommitteeByKey(ctx, "tender"); len(ms) != 0 {
			t.Fatalf("a retired committee has nobody: %+v", ms)
		}
		keys, _ := f.svc.CommitteeKeys(ctx)
		if strings.Join(keys, ",") != "technical" {
			t.Fatalf("committee keys: %v", keys)
		}
		if _, err := db.VerifyAudit(ctx, ""); err != nil {
			t.Fatalf("verify: %v", err)
		}
	})
}

func hasGap(gaps []people.Gap, kind, key string) bool {
	for _, g := range gaps {
		if g.Kind == kind && g.Key == key {
			return true
		}
	}
	return false
}

func hasGrant(p domain.Person, r domain.Role) bool {
	for _, g := range p.Grants {
		if g.Role == r {
			return true
		}
	}
	return false
}
