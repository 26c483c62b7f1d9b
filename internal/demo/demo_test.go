package demo_test

import (
	"context"
	"reflect"
	"testing"

	"labflow/internal/demo"
	"labflow/internal/domain"
	"labflow/internal/people"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// Ensure the demo institute loads idempotently and matches SPEC ORG-1..3:
// seven departments, one director each, a committee of five with one chair,
// all six ranks, and an administrator with no business role (R12).
func TestSeed_DemoInstitute(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		ppl := people.New(db)
		hashes := 0
		hash := func(pw string) (string, error) {
			hashes++
			if pw != demo.Password {
				t.Fatalf("hashing %q", pw)
			}
			return "$fake$" + pw, nil
		}
		logins, err := demo.Seed(ctx, ppl, hash)
		if err != nil {
			t.Fatal(err)
		}
		if hashes != 1 {
			t.Fatalf("password hashed %d times, want once", hashes)
		}
		_, total, err := ppl.People(ctx, people.PersonFilter{IncludeInactive: true})
		if err != nil {
			t.Fatal(err)
		}
		head, _ := db.AuditHead(ctx)

		again, err := demo.Seed(ctx, ppl, hash)
		if err != nil {
			t.Fatal(err)
		}
		_, total2, _ := ppl.People(ctx, people.PersonFilter{IncludeInactive: true})
		head2, _ := db.AuditHead(ctx)
		if total2 != total || head2 != head || hashes != 1 || !reflect.DeepEqual(logins, again) {
			t.Fatalf("second seed changed something: people %d→%d, audit %v→%v, hashes %d", total, total2, head, head2, hashes)
		}
		if total < 22 || total > 30 || len(logins) != total {
			t.Fatalf("people=%d logins=%d, want about 25", total, len(logins))
		}

		depts, _ := ppl.Departments(ctx, false)
		if len(depts) != 7 {
			t.Fatalf("departments=%d", len(depts))
		}
		for _, d := range depts {
			ds, err := ppl.WithRole(ctx, domain.RoleDirector, d.ID)
			if err != nil || len(ds) != 1 {
				t.Fatalf("directors of %s=%d %v", d.Code, len(ds), err)
			}
		}
		members, chair, err := ppl.Committee(ctx)
		if err != nil || len(members) != 5 || chair.ID == 0 {
			t.Fatalf("committee=%d chair=%q %v", len(members), chair.Username, err)
		}
		for _, r := range []domain.Role{domain.RoleGM, domain.RoleBusinessDean, domain.RoleAdminDean, domain.RolePurchasing, domain.RoleFinance, domain.RoleRegistration} {
			if ps, _ := ppl.WithRole(ctx, r, 0); len(ps) == 0 {
				t.Errorf("nobody holds %s", r)
			}
		}
		all, _, _ := ppl.People(ctx, people.PersonFilter{Limit: 100})
		ranks := map[domain.Rank]bool{}
		multi := 0
		for _, p := range all {
			if p.Rank != "" {
				ranks[p.Rank] = true
			}
			if h, _ := ppl.RankHistory(ctx, p.ID); len(h) >= 2 {
				multi++
			}
		}
		for _, r := range domain.Ranks {
			if !ranks[r] {
				t.Errorf("no one has current rank %s", r)
			}
		}
		if multi < 3 {
			t.Errorf("people with a rank history of two or more entries=%d", multi)
		}
		admin, err := ppl.PersonByUsername(ctx, "admin")
		if err != nil || !reflect.DeepEqual(admin.Grants, []domain.Grant{{Role: domain.RoleSysAdmin}}) {
			t.Fatalf("admin=%+v %v", admin.Grants, err)
		}
		if ps, _ := ppl.WithRole(ctx, domain.RoleResearcher, 0); len(ps) < 4 {
			t.Fatalf("researchers=%d", len(ps))
		}
		if _, err := db.VerifyAudit(ctx, ""); err != nil {
			t.Fatal(err)
		}
	})
}
