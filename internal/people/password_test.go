package people_test

import (
	"testing"

	"labflow/internal/domain"
	"labflow/internal/people"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// Ensure a password stored with a new person is temporary unless in-process
// work (Via "system") asks for it to be permanent; a request never may.
func TestR8_CreatePersonPasswordTemporary(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		temporary := func(username string) bool {
			t.Helper()
			var v int
			if err := db.R().QueryRowContext(ctx, "SELECT password_temporary FROM person WHERE username = $1", username).Scan(&v); err != nil {
				t.Fatal(err)
			}
			return v != 0
		}
		in := func(username string, permanent bool) people.PersonInput {
			return people.PersonInput{Username: username, Name: "某人", PasswordHash: "$argon2id$v=19$not-a-real-hash", PasswordPermanent: permanent}
		}
		if _, err := f.svc.CreatePerson(ctx, f.admin, in("byadmin", false)); err != nil {
			t.Fatal(err)
		}
		_, err := f.svc.CreatePerson(ctx, f.admin, in("byadmin2", true))
		wantKind(t, err, domain.KindForbidden, "")
		if _, err := f.svc.CreatePerson(ctx, domain.System, in("bysystem", true)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CreatePerson(ctx, domain.System, in("bysystem2", false)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.CreatePerson(ctx, f.admin, people.PersonInput{Username: "nopassword", Name: "无密码"}); err != nil {
			t.Fatal(err)
		}
		for u, want := range map[string]bool{"byadmin": true, "bysystem": false, "bysystem2": true, "nopassword": false} {
			if got := temporary(u); got != want {
				t.Errorf("%s: temporary %v, want %v", u, got, want)
			}
		}
		p, _ := f.svc.PersonByUsername(ctx, "byadmin")
		if c := changes(t, events(t, db, "person", p.ID)[0])["password_temporary"]; c.New != true {
			t.Errorf("person.create password_temporary = %+v", c)
		}
	})
}
