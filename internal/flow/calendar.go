package flow

import "time"

// Calendar is the institute's working-day calendar: which days are
// working days (weekends, public holidays and the adjusted working days,
// 调休). Durations in working days ("2wd"), deadlines and the time
// functions of expressions count with it. The application sets one kept
// as data (UseCalendar); without it, Monday to Friday are working days.
type Calendar interface {
	// IsWorkday reports whether day (its date in the calendar's zone) is
	// a working day.
	IsWorkday(day time.Time) bool
	// AddWorkdays returns t moved by n working days (n may be negative),
	// keeping its time of day.
	AddWorkdays(t time.Time, n int) time.Time
	// WorkdaysBetween counts the working days from a's date (inclusive)
	// to b's date (exclusive); negative when b is before a.
	WorkdaysBetween(a, b time.Time) int
}

// UseCalendar sets the working-day calendar.
func (e *Engine) UseCalendar(c Calendar) { e.cal = c }

// Calendar returns the working-day calendar in use.
func (e *Engine) Calendar() Calendar {
	if e.cal == nil {
		return WeekdayCalendar{}
	}
	return e.cal
}

// WeekdayCalendar counts Monday to Friday as working days, in UTC: the
// calendar of an engine that was given none.
type WeekdayCalendar struct{}

// IsWorkday reports whether day is Monday to Friday.
func (WeekdayCalendar) IsWorkday(day time.Time) bool {
	wd := day.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// AddWorkdays moves t by n weekdays.
func (c WeekdayCalendar) AddWorkdays(t time.Time, n int) time.Time {
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		t = t.AddDate(0, 0, step)
		if c.IsWorkday(t) {
			n--
		}
	}
	return t
}

// WorkdaysBetween counts the weekdays from a's date to b's date.
func (c WeekdayCalendar) WorkdaysBetween(a, b time.Time) int {
	sign := 1
	if b.Before(a) {
		a, b, sign = b, a, -1
	}
	n := 0
	for d := a; d.Format(time.DateOnly) < b.Format(time.DateOnly); d = d.AddDate(0, 0, 1) {
		if c.IsWorkday(d) {
			n++
		}
	}
	return sign * n
}
