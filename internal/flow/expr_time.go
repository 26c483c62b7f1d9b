package flow

import (
	"math/big"
	"time"
)

// This file is how expressions see time: the clock, the institute's time
// zone, dates and datetimes, and the working-day calendar.
//
// A date is a day ("YYYY-MM-DD"), with no zone. A datetime is a moment: a
// datetime field stored with a zone (RFC 3339) is that moment; one stored
// as entered ("2026-01-05T09:30", what the form's date-and-time input
// sends) is that wall-clock time in the institute's zone (UseTimeZone). A
// date used where a moment is needed is its midnight in that zone, and the
// date of a moment is its date there.

// exprRT is what evaluation needs besides the values: the clock, the zone,
// the calendar, and in step and branch conditions the engine's lookups.
// The zero value (and nil) is the server clock, UTC, Monday to Friday and
// no lookups.
type exprRT struct {
	now  time.Time
	loc  *time.Location
	cal  Calendar
	look Lookup
}

func (rt *exprRT) clock() time.Time {
	if rt == nil || rt.now.IsZero() {
		return time.Now()
	}
	return rt.now
}

func (rt *exprRT) zone() *time.Location {
	if rt == nil || rt.loc == nil {
		return time.UTC
	}
	return rt.loc
}

func (rt *exprRT) calendar() Calendar {
	if rt == nil || rt.cal == nil {
		return WeekdayCalendar{}
	}
	return rt.cal
}

func (rt *exprRT) lookup() Lookup {
	if rt == nil {
		return nil
	}
	return rt.look
}

// UseTimeZone sets the institute's time zone, in which expressions read
// datetimes entered without a zone, take today's date and count days (the
// application sets its configured zone; without it, UTC).
func (e *Engine) UseTimeZone(loc *time.Location) { e.tz = loc }

// exprRT is the engine's clock, zone and calendar for expressions, with
// look for step and branch conditions (nil elsewhere).
func (e *Engine) exprRT(look Lookup) *exprRT {
	return &exprRT{now: e.st.Now(), loc: e.zone(), cal: e.Calendar(), look: look}
}

// parseTime reads a datetime: RFC 3339 (a moment), or a date and time
// without a zone, or a date alone (midnight), both in loc.
func parseTime(s string, loc *time.Location) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// toTime reads a date or datetime value as a moment in loc.
func toTime(v any, loc *time.Location) (time.Time, bool) {
	switch x := v.(type) {
	case time.Time:
		return x, true
	case string:
		return parseTime(x, loc)
	}
	return time.Time{}, false
}

// valueDay returns the day of a date or datetime value (its date in loc), as
// midnight UTC, so that days subtract exactly.
func valueDay(v any, loc *time.Location) (time.Time, bool) {
	if s, ok := v.(string); ok && len(s) == 10 {
		t, err := time.Parse(time.DateOnly, s)
		return t, err == nil
	}
	t, ok := toTime(v, loc)
	if !ok {
		return time.Time{}, false
	}
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), true
}

// dateText is the date of a moment in loc, "YYYY-MM-DD".
func dateText(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.DateOnly) }

// minutes is the exact number of minutes from a to b (fractions count:
// 30 minutes 30 seconds is 30.5), for any two moments (no overflow).
func minutes(a, b time.Time) *big.Rat {
	ns := new(big.Int).Mul(big.NewInt(b.Unix()-a.Unix()), big.NewInt(int64(time.Second)))
	ns.Add(ns, big.NewInt(int64(b.Nanosecond()-a.Nanosecond())))
	return new(big.Rat).SetFrac(ns, big.NewInt(int64(time.Minute)))
}

// daysApart is the number of days between two midnights (dayOf).
func daysApart(a, b time.Time) int64 { return (b.Unix() - a.Unix()) / 86400 }

// maxSpanDays bounds the span workdays_between counts (a calendar counts
// day by day): 100 years.
const maxSpanDays = 36600
