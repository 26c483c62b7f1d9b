package flow

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Duration is a span of time as a definition writes it: hours or minutes
// ("48h", "30m", "1h30m", as Go writes them), days ("3d", 24 hours each)
// or working days ("2wd", counted with the institute's Calendar: weekends
// and public holidays do not count, adjusted working days do).
type Duration struct {
	fixed    time.Duration // hours, minutes, days
	workdays int
}

var errDuration = errors.New("not a duration such as \"48h\", \"3d\" or \"2wd\"")

// ParseDuration reads a Duration; "" is zero. A negative or fractional
// number of days is refused.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return Duration{}, nil
	}
	if n, ok := strings.CutSuffix(s, "wd"); ok {
		k, err := strconv.Atoi(n)
		if err != nil || k < 0 || strings.HasPrefix(n, "+") {
			return Duration{}, errDuration
		}
		return Duration{workdays: k}, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		k, err := strconv.Atoi(n)
		if err != nil || k < 0 || k > 100000 || strings.HasPrefix(n, "+") {
			return Duration{}, errDuration
		}
		return Duration{fixed: time.Duration(k) * 24 * time.Hour}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return Duration{}, errDuration
	}
	return Duration{fixed: d}, nil
}

// mustDuration reads a Duration that lint has accepted; anything else is zero.
func mustDuration(s string) Duration {
	d, _ := ParseDuration(s)
	return d
}

// IsZero reports whether d is no time at all.
func (d Duration) IsZero() bool { return d.fixed == 0 && d.workdays == 0 }

// Workdays reports whether d counts working days.
func (d Duration) Workdays() bool { return d.workdays != 0 }

// After returns t moved forward by d; working days keep t's time of day.
func (d Duration) After(t time.Time, cal Calendar) time.Time {
	if d.workdays != 0 {
		return cal.AddWorkdays(t, d.workdays)
	}
	return t.Add(d.fixed)
}

// Before returns t moved back by d.
func (d Duration) Before(t time.Time, cal Calendar) time.Time {
	if d.workdays != 0 {
		return cal.AddWorkdays(t, -d.workdays)
	}
	return t.Add(-d.fixed)
}

// compare orders two durations where it can: both fixed, or both in
// working days. ok is false when one counts working days and the other
// does not (which is longer depends on the calendar).
func (d Duration) compare(o Duration) (c int, ok bool) {
	switch {
	case d.workdays == 0 && o.workdays == 0:
		return cmpInt(int64(d.fixed), int64(o.fixed)), true
	case d.fixed == 0 && o.fixed == 0:
		return cmpInt(int64(d.workdays), int64(o.workdays)), true
	}
	return 0, false
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Zoned is implemented by a Calendar that knows the institute's time
// zone: the dates of date fields ("2026-03-01") and the hours of
// schedules ("08:30") are read in it. Without it they are UTC.
type Zoned interface {
	Location() *time.Location
}

// zone returns the institute's time zone (UseTimeZone's, else the
// calendar's), or UTC.
func (e *Engine) zone() *time.Location {
	if e.tz != nil {
		return e.tz
	}
	if z, ok := e.Calendar().(Zoned); ok {
		if loc := z.Location(); loc != nil {
			return loc
		}
	}
	return time.UTC
}

// fieldTime reads a date or datetime value of a form as a moment: a
// datetime with a zone as written, one without in the institute's zone,
// and a date as the start of that day there (endOfDay: the end of it,
// for a date that is a deadline). ok is false for an empty or unreadable
// value.
func fieldTime(v any, loc *time.Location, endOfDay bool) (time.Time, bool) {
	s, ok := v.(string)
	if !ok || s == "" {
		return time.Time{}, false
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t.UTC(), true
		}
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		if endOfDay {
			t = t.AddDate(0, 0, 1)
		}
		return t.UTC(), true
	}
	return time.Time{}, false
}
