package people_test

import (
	"strconv"
	"strings"
	"testing"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// Ensure History gives a person's security events (auth.*, token.*, with
// addresses and browsers) to the person and the administrator only, and
// the business history to everyone — also when many sign-ins came after
// the business events.
func TestR12_HistoryKeepsSecurityEventsPrivate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		zw := f.person(t, "zhangwei", "张伟", f.syn.ID, domain.Grant{Role: domain.RoleResearcher, DepartmentID: f.syn.ID})
		wf := f.person(t, "wangfang", "王芳", f.syn.ID, domain.Grant{Role: domain.RoleResearcher, DepartmentID: f.syn.ID})
		dir := f.person(t, "chen", "陈志强", f.syn.ID, domain.Grant{Role: domain.RoleDirector, DepartmentID: f.syn.ID})
		if err := f.svc.AddRank(ctx, f.admin, zw.ID, domain.RankSeniorB, "2021-01-01", "晋升"); err != nil {
			t.Fatal(err)
		}
		err := db.Write(ctx, func(tx *store.Tx) error {
			for i := 0; i < 1100; i++ {
				if err := tx.Audit(audit.Entry{ActorID: zw.ID, ActorName: "张伟", Action: "auth.login", Entity: "person", EntityID: itoa(zw.ID),
					Changes: []audit.Change{{Field: "ip", New: "10.1.2.3"}, {Field: "user_agent", New: "SecretAgent"}}}); err != nil {
					return err
				}
			}
			return tx.Audit(audit.Entry{ActorID: f.admin.ID, ActorName: "周明", Action: "token.create", Entity: "person", EntityID: itoa(zw.ID)})
		})
		if err != nil {
			t.Fatal(err)
		}
		actions := func(a domain.Actor) (security, business int) {
			t.Helper()
			evs, err := f.svc.History(ctx, a, zw.ID)
			if err != nil {
				t.Fatalf("History as %s: %v", a.Username, err)
			}
			for i, ev := range evs {
				if i > 0 && ev.Seq >= evs[i-1].Seq {
					t.Fatalf("not newest first at %d", i)
				}
				if strings.HasPrefix(ev.Action, "auth.") || strings.HasPrefix(ev.Action, "token.") {
					security++
				} else {
					business++
				}
			}
			return security, business
		}
		// Others: person.create and rank.add, however many sign-ins followed.
		for _, a := range []domain.Actor{actorOf(wf), actorOf(dir)} {
			if s, b := actions(a); s != 0 || b != 2 {
				t.Errorf("%s sees %d security and %d business events, want 0 and 2", a.Username, s, b)
			}
		}
		// The person, the administrator, in-process work: the newest 1000 of everything.
		for _, a := range []domain.Actor{actorOf(zw), f.admin, domain.System} {
			if s, b := actions(a); s != 1000 || b != 0 {
				t.Errorf("%s sees %d security and %d business events, want 1000 and 0", a.Username, s, b)
			}
		}
		_, err = f.svc.History(ctx, actorOf(wf), 99999)
		wantKind(t, err, domain.KindNotFound, "")
		_, err = f.svc.History(ctx, domain.Actor{}, zw.ID)
		wantKind(t, err, domain.KindUnauthenticated, "")
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
