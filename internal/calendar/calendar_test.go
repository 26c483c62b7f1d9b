package calendar_test

import (
	"context"
	"testing"
	"time"

	"labflow/internal/calendar"
	"labflow/internal/domain"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

var cst = time.FixedZone("CST", 8*3600)

func day(s string) time.Time {
	t, _ := time.ParseInLocation("2006-01-02 15:04", s, cst)
	return t
}

// Ensure working days are counted forward and back with the holidays and
// adjusted working days of the shipped 2026 calendar, in the institute's
// zone; that a change made by one server reaches another's copy when it
// refreshes; and that only the administrator changes the calendar (R12's
// separation: nobody in the business edits it).
func TestCalendar_CountsAndRefresh(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := calendar.New(db, cst)
		if err := c.LoadShipped(ctx); err != nil {
			t.Fatal(err)
		}
		// Back from Thursday 8 October: the National Day holidays and
		// Mid-Autumn, with Sunday 20 September worked.
		if got := c.AddWorkdays(day("2026-10-08 09:00"), -2); !got.Equal(day("2026-09-29 09:00")) {
			t.Fatalf("8 Oct − 2wd = %v", got)
		}
		if got := c.AddWorkdays(day("2026-09-21 09:00"), -1); !got.Equal(day("2026-09-20 09:00")) {
			t.Fatalf("21 Sep − 1wd = %v (Sunday 20 September is worked)", got)
		}
		if n := c.WorkdaysBetween(day("2026-10-08 09:00"), day("2026-09-28 09:00")); n != -3 {
			t.Fatalf("backwards: %d", n)
		}
		if got := c.AddWorkdays(day("2026-10-08 09:00"), 0); !got.Equal(day("2026-10-08 09:00")) {
			t.Fatal("zero working days moved the time")
		}
		other := calendar.New(db, cst)
		if err := other.Load(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Add(ctx, domain.Actor{ID: 5, Name: "GM", Grants: []domain.Grant{{Role: domain.RoleGM}}},
			calendar.DayInput{Day: "2027-01-08", Kind: "holiday", NameZH: "x"}); !domain.IsKind(err, domain.KindForbidden) {
			t.Fatalf("the GM edits the calendar: %v", err)
		}
		admin := domain.Actor{ID: 1, Name: "Admin", Grants: []domain.Grant{{Role: domain.RoleSysAdmin}}}
		if _, err := c.Add(ctx, admin, calendar.DayInput{Day: "2027-01-08", Kind: "放假", NameZH: "厂庆"}); err != nil {
			t.Fatal(err)
		}
		if !other.IsWorkday(day("2027-01-08 09:00")) {
			t.Fatal("the other server saw the change before refreshing")
		}
		if err := other.Refresh(ctx); err != nil || other.IsWorkday(day("2027-01-08 09:00")) {
			t.Fatalf("after refreshing the other server counts the holiday as a working day: %v", err)
		}
	})
}
