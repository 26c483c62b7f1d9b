package people_test

import (
	"strings"
	"testing"

	"labflow/internal/domain"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// Ensure the importer refuses names with invisible characters, naming the
// row and the column, and creates nobody.
func TestR7_ImportRefusesInvisibleCharactersInNames(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		csv := "username,name,department\n" +
			"good,正常,synthesis\n" +
			"fake1,王建\u200b国,synthesis\n" +
			"fake2,王建国\u202c,synthesis\n"
		res, err := f.svc.Import(ctx, f.admin, "people.csv", strings.NewReader(csv))
		wantKind(t, err, domain.KindInvalid, "people.import_rejected")
		if res.Created != 0 || len(res.Errors) != 2 {
			t.Fatalf("result %+v", res)
		}
		for i, e := range res.Errors {
			if e.Row != i+3 || e.Field != "name" || e.Msg.Key != "field.bad_name" {
				t.Errorf("error %d: %+v", i, e)
			}
		}
		if _, err := f.svc.PersonByUsername(ctx, "good"); err == nil {
			t.Error("a row was created")
		}
	})
}
