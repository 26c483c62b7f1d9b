// Package calendar is the institute's working-day calendar, kept as data
// (issue 8 §3): Monday to Friday are working days, except the public
// holidays; a Saturday or Sunday is one when it is an adjusted working day
// (调休). Days are dates in the institute's time zone. The administrator
// adds and removes holidays and adjusted working days (audited, each day's
// record sealed) or imports them from a CSV file; the official calendar of
// mainland China for 2026 ships with LabFlow and is loaded once.
//
// Service implements flow.Calendar (and flow.Zoned) from a copy of the
// days held in memory, so that counting working days costs no query; each
// server reloads its copy when the calendar's version changes (Refresh).
package calendar

import (
	"context"
	"sync"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// The kinds of day.
const (
	Holiday = "holiday" // a public holiday: not a working day
	Workday = "workday" // an adjusted working day (调休): a Saturday or Sunday that is one
)

// Service keeps the working-day calendar.
type Service struct {
	db  *store.DB
	loc *time.Location

	mu      sync.RWMutex
	days    map[string]string // date → kind, the days in force
	version int64             // the version days was read at; -1: never read
}

var (
	_ flow.Calendar = (*Service)(nil)
	_ flow.Zoned    = (*Service)(nil)
)

// New returns the calendar over db in zone loc (nil: Asia/Shanghai's
// fixed UTC+8). Call Load before counting with it.
func New(db *store.DB, loc *time.Location) *Service {
	if loc == nil {
		loc = time.FixedZone("CST", 8*3600)
	}
	return &Service{db: db, loc: loc, days: map[string]string{}, version: -1}
}

// Location returns the institute's time zone, in which days are dates.
func (s *Service) Location() *time.Location { return s.loc }

// Load reads the days in force.
func (s *Service) Load(ctx context.Context) error {
	v, _, err := store.CalendarState(ctx, s.db.R())
	if err != nil {
		return err
	}
	return s.load(ctx, v)
}

func (s *Service) load(ctx context.Context, version int64) error {
	ds, err := store.CalendarDays(ctx, s.db.R(), "", "", false)
	if err != nil {
		return err
	}
	days := make(map[string]string, len(ds))
	for _, d := range ds {
		days[d.Day] = d.Kind
	}
	s.mu.Lock()
	s.days, s.version = days, version
	s.mu.Unlock()
	return nil
}

// Refresh reloads the days when the calendar changed since they were read
// (by another server, or the CLI): one small query when it did not.
func (s *Service) Refresh(ctx context.Context) error {
	v, _, err := store.CalendarState(ctx, s.db.R())
	if err != nil {
		return err
	}
	s.mu.RLock()
	same := v == s.version
	s.mu.RUnlock()
	if same {
		return nil
	}
	return s.load(ctx, v)
}

// kindOf returns the kind of the day of t in the institute's zone: a
// recorded day's, else workday from Monday to Friday and "" at weekends.
func (s *Service) kindOf(t time.Time) string {
	t = t.In(s.loc)
	s.mu.RLock()
	k, ok := s.days[t.Format(time.DateOnly)]
	s.mu.RUnlock()
	if ok {
		return k
	}
	if wd := t.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return ""
	}
	return Workday
}

// IsWorkday reports whether the day of t (its date in the institute's
// zone) is a working day.
func (s *Service) IsWorkday(t time.Time) bool { return s.kindOf(t) == Workday }

// AddWorkdays returns t moved by n working days (back when n < 0), at the
// same time of day in the institute's zone: from a Friday 10:00, one
// working day is the next working day at 10:00, past the weekend and any
// holiday. From a day that is not a working day, the first working day
// after it is the first counted.
func (s *Service) AddWorkdays(t time.Time, n int) time.Time {
	orig := t.Location()
	t = t.In(s.loc)
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for i := 0; n > 0 && i < 20000; i++ {
		t = t.AddDate(0, 0, step)
		if s.IsWorkday(t) {
			n--
		}
	}
	return t.In(orig)
}

// WorkdaysBetween counts the working days from a's date (inclusive) to
// b's date (exclusive), in the institute's zone; negative when b is
// before a.
func (s *Service) WorkdaysBetween(a, b time.Time) int {
	sign := 1
	if b.Before(a) {
		a, b, sign = b, a, -1
	}
	a, b = a.In(s.loc), b.In(s.loc)
	day := time.Date(a.Year(), a.Month(), a.Day(), 12, 0, 0, 0, s.loc)
	end := b.Format(time.DateOnly)
	n := 0
	for i := 0; day.Format(time.DateOnly) < end && i < 400000; i++ {
		if s.IsWorkday(day) {
			n++
		}
		day = day.AddDate(0, 0, 1)
	}
	return sign * n
}

// Days lists the days in force of a year (the removed ones too when
// asked). Everyone may read the calendar.
func (s *Service) Days(ctx context.Context, year int, removed bool) ([]store.CalendarDay, error) {
	if year < 1900 || year > 9999 {
		return nil, &domain.Error{Kind: domain.KindInvalid, Op: "calendar.Days", Key: "error.invalid",
			Fields: map[string]domain.Msg{"year": {Key: "calendar.bad_year"}}}
	}
	y := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006")
	return store.CalendarDays(ctx, s.db.R(), y+"-01-01", y+"-12-31", removed)
}
