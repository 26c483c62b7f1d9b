package people_test

import (
	"testing"

	"labflow/internal/domain"
	"labflow/internal/people"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// Ensure a person, kept between reads for the process engine, is read
// again after every change of theirs: a grant given or taken, a new name or
// department, a new rank (the engine must resolve an assignee on what is
// true now, R13).
func TestR13_KeptPersonGivesWayToEveryChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		zw := f.person(t, "zhangwei", "张伟", f.syn.ID, domain.Grant{Role: domain.RoleResearcher, DepartmentID: f.syn.ID})
		read := func() (domain.Person, domain.Person) {
			t.Helper()
			byID, err := f.svc.Person(ctx, zw.ID)
			if err != nil {
				t.Fatal(err)
			}
			byName, err := f.svc.PersonByUsername(ctx, "zhangwei")
			if err != nil {
				t.Fatal(err)
			}
			return byID, byName
		}
		read()
		p, _ := read()
		p.Grants[0].Role = domain.RoleGM // a caller's change stays its own
		if p, _ := read(); !holds(p, domain.RoleResearcher, f.syn.ID) || holds(p, domain.RoleGM, 0) {
			t.Fatalf("grants = %+v", p.Grants)
		}

		if err := f.svc.GrantRole(ctx, f.admin, zw.ID, domain.Grant{Role: domain.RoleDirector, DepartmentID: f.syn.ID}, "测试授权"); err != nil {
			t.Fatal(err)
		}
		if a, b := read(); !holds(a, domain.RoleDirector, f.syn.ID) || !holds(b, domain.RoleDirector, f.syn.ID) {
			t.Fatalf("a new grant is not seen at once: %+v / %+v", a.Grants, b.Grants)
		}
		if err := f.svc.RevokeRole(ctx, f.admin, zw.ID, domain.Grant{Role: domain.RoleDirector, DepartmentID: f.syn.ID}, "测试撤销"); err != nil {
			t.Fatal(err)
		}
		if a, b := read(); holds(a, domain.RoleDirector, f.syn.ID) || holds(b, domain.RoleDirector, f.syn.ID) {
			t.Fatalf("a revoked grant is still seen: %+v / %+v", a.Grants, b.Grants)
		}

		name, dept := "张伟伟", f.ana.ID
		if _, err := f.svc.UpdatePerson(ctx, f.admin, zw.ID, people.PersonUpdate{Name: &name, DepartmentID: &dept}, "调岗"); err != nil {
			t.Fatal(err)
		}
		if a, b := read(); a.Name != name || b.Name != name || a.DepartmentID != dept || b.DepartmentID != dept {
			t.Fatalf("after the update: %+v / %+v", a, b)
		}
		if err := f.svc.AddRank(ctx, f.admin, zw.ID, domain.RankAssistantB, "2026-01-01", ""); err != nil {
			t.Fatal(err)
		}
		if a, b := read(); a.Rank != domain.RankAssistantB || b.Rank != domain.RankAssistantB {
			t.Fatalf("rank = %q / %q", a.Rank, b.Rank)
		}
	})
}

// holds reports whether p holds role in department dept.
func holds(p domain.Person, role domain.Role, dept int64) bool {
	for _, g := range p.Grants {
		if g.Role == role && g.DepartmentID == dept {
			return true
		}
	}
	return false
}
