package store

import (
	"context"

	"labflow/internal/domain"
)

// The working-day calendar's days (calendar_day): public holidays and
// adjusted working days. Rows are sealed (seal.go); a removed day keeps
// its row with removed_at set.

// CalendarDay is one day of the working-day calendar.
type CalendarDay struct {
	ID        int64  `json:"id"`
	Day       string `json:"day"`  // YYYY-MM-DD, in the institute's zone
	Kind      string `json:"kind"` // holiday or workday
	NameZH    string `json:"name_zh"`
	NameEN    string `json:"name_en,omitempty"`
	CreatedAt string `json:"created_at"`
	CreatedBy int64  `json:"created_by"`
	RemovedAt string `json:"removed_at,omitempty"`
	RemovedBy int64  `json:"removed_by,omitempty"`
}

const calendarCols = "id, day, kind, name_zh, name_en, created_at, created_by, removed_at, removed_by"

func scanCalendarDay(s scanner) (CalendarDay, error) {
	var d CalendarDay
	err := s.Scan(&d.ID, &d.Day, &d.Kind, &d.NameZH, &d.NameEN, &d.CreatedAt, &d.CreatedBy, &d.RemovedAt, &d.RemovedBy)
	return d, err
}

// CalendarDays lists the days from from to to (YYYY-MM-DD, inclusive; ""
// leaves that end open), by date; the removed ones too when asked.
func CalendarDays(ctx context.Context, r Reader, from, to string, removed bool) ([]CalendarDay, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	if to == "" {
		to = "9999-12-31"
	}
	q := "SELECT " + calendarCols + " FROM calendar_day WHERE day >= $1 AND day <= $2"
	if !removed {
		q += " AND removed_at = ''"
	}
	rows, err := r.QueryContext(ctx, q+" ORDER BY day, id", from, to)
	if err != nil {
		return nil, mapErr("store.CalendarDays", err)
	}
	defer rows.Close()
	var out []CalendarDay
	for rows.Next() {
		d, err := scanCalendarDay(rows)
		if err != nil {
			return nil, mapErr("store.CalendarDays", err)
		}
		out = append(out, d)
	}
	return out, mapErr("store.CalendarDays", rows.Err())
}

// GetCalendarDay reads one day by id; a missing one is KindNotFound.
func GetCalendarDay(ctx context.Context, r Reader, id int64) (CalendarDay, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	d, err := scanCalendarDay(r.QueryRowContext(ctx, "SELECT "+calendarCols+" FROM calendar_day WHERE id = $1", id))
	if err != nil {
		return d, notFound("store.GetCalendarDay", "entity.calendar_day", err)
	}
	return d, nil
}

// CalendarState reports the calendar's version (bumped by every change)
// and whether the shipped calendar was loaded.
func CalendarState(ctx context.Context, r Reader) (version int64, shipped bool, err error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	var s int
	err = r.QueryRowContext(ctx, "SELECT version, shipped FROM calendar_state WHERE id = 1").Scan(&version, &s)
	return version, s != 0, mapErr("store.CalendarState", err)
}

// InsertCalendarDay stores a day in force; another day in force on the
// same date is KindConflict (store.IsUnique).
func (t *Tx) InsertCalendarDay(d CalendarDay) (CalendarDay, error) {
	d.CreatedAt, d.RemovedAt, d.RemovedBy = TimeText(t.now), "", 0
	err := t.QueryRowContext(t.ctx, `INSERT INTO calendar_day (day, kind, name_zh, name_en, created_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, d.Day, d.Kind, d.NameZH, d.NameEN, d.CreatedAt, d.CreatedBy).Scan(&d.ID)
	if err != nil {
		return d, mapErr("store.InsertCalendarDay", err)
	}
	t.seal("calendar_day", d.ID, d.ID, d.Day, d.Kind, d.NameZH, d.NameEN, d.CreatedAt, d.CreatedBy, d.RemovedAt, d.RemovedBy)
	return d, t.bumpCalendar()
}

// RemoveCalendarDay takes a day out of force (its row stays); a day
// removed already or missing is KindNotFound.
func (t *Tx) RemoveCalendarDay(id, by int64) error {
	res, err := t.Exec("UPDATE calendar_day SET removed_at = $1, removed_by = $2 WHERE id = $3 AND removed_at = ''", TimeText(t.now), by, id)
	if err != nil {
		return mapErr("store.RemoveCalendarDay", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.NotFound("store.RemoveCalendarDay", "entity.calendar_day")
	}
	t.touch("calendar_day", id)
	return t.bumpCalendar()
}

// MarkCalendarShipped records that the shipped calendar was loaded: false
// when it was already (by another server).
func (t *Tx) MarkCalendarShipped() (bool, error) {
	res, err := t.Exec("UPDATE calendar_state SET shipped = 1 WHERE id = 1 AND shipped = 0")
	if err != nil {
		return false, mapErr("store.MarkCalendarShipped", err)
	}
	n, err := res.RowsAffected()
	return n == 1, mapErr("store.MarkCalendarShipped", err)
}

func (t *Tx) bumpCalendar() error {
	_, err := t.Exec("UPDATE calendar_state SET version = version + 1 WHERE id = 1")
	return mapErr("store.Calendar", err)
}
