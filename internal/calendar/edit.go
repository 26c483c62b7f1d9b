package calendar

import (
	"context"
	"strconv"
	"strings"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/store"
)

// DayInput is a holiday or an adjusted working day as the administrator
// enters it.
type DayInput struct {
	Day    string `json:"day"`  // YYYY-MM-DD
	Kind   string `json:"kind"` // holiday or workday
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en,omitempty"`
}

const (
	maxName   = 100
	maxReason = 1000
)

// mayEdit: the administrator (or the system, loading the shipped calendar).
func mayEdit(a domain.Actor) bool {
	return a.IsAdmin() || a.ID == 0 && a.Via == domain.System.Via
}

func actorName(a domain.Actor) string {
	if a.Name != "" {
		return a.Name
	}
	return a.Username
}

func (in *DayInput) normalize() {
	in.Day, in.Kind = strings.TrimSpace(in.Day), strings.ToLower(strings.TrimSpace(in.Kind))
	in.NameZH, in.NameEN = strings.TrimSpace(in.NameZH), strings.TrimSpace(in.NameEN)
	switch in.Kind {
	case "放假", "节假日", "假日":
		in.Kind = Holiday
	case "上班", "调休上班", "工作日":
		in.Kind = Workday
	}
}

// check validates a day; field names the input's fields (the API's, or an
// import's columns).
func (in DayInput) check(c *domain.Checker) {
	c.Date("day", in.Day, true)
	if in.Kind == "" {
		c.Add("kind", "field.required")
	} else {
		c.OneOf("kind", in.Kind, Holiday, Workday)
	}
	c.Name("name_zh", in.NameZH, true, maxName)
	c.Name("name_en", in.NameEN, false, maxName)
	if c.Has("day") || c.Has("kind") {
		return
	}
	d, _ := time.Parse(time.DateOnly, in.Day)
	if wd := d.Weekday(); in.Kind == Workday && wd != time.Saturday && wd != time.Sunday {
		// Monday to Friday are working days already: an adjusted working
		// day is a Saturday or Sunday.
		c.Add("day", "calendar.workday_not_weekend")
	}
}

// dayTaken is the refusal of a second day in force on one date.
func dayTaken(op string) error {
	return &domain.Error{Kind: domain.KindInvalid, Op: op, Key: "error.invalid",
		Fields: map[string]domain.Msg{"day": {Key: "calendar.day_taken"}}}
}

// insert stores one day with its audit event (its record sealed).
func insert(tx *store.Tx, actor domain.Actor, in DayInput, reason string) (store.CalendarDay, error) {
	d, err := tx.InsertCalendarDay(store.CalendarDay{Day: in.Day, Kind: in.Kind, NameZH: in.NameZH, NameEN: in.NameEN, CreatedBy: actor.ID})
	if err != nil {
		return d, err
	}
	err = tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "calendar.add", Entity: "calendar_day",
		EntityID: strconv.FormatInt(d.ID, 10), Changes: []audit.Change{{Field: "day", New: d.Day}, {Field: "kind", New: d.Kind},
			{Field: "name_zh", New: d.NameZH}, {Field: "name_en", New: d.NameEN}}, Reason: reason})
	return d, err
}

// Add records a public holiday or an adjusted working day. Only the
// administrator may (KindForbidden); bad input, a working day that is not a
// Saturday or Sunday, or a date that has a day in force already is
// KindInvalid naming the field.
func (s *Service) Add(ctx context.Context, actor domain.Actor, in DayInput) (store.CalendarDay, error) {
	const op = "calendar.Add"
	if !mayEdit(actor) {
		return store.CalendarDay{}, domain.Forbidden(op)
	}
	in.normalize()
	var c domain.Checker
	in.check(&c)
	if err := c.Err(op); err != nil {
		return store.CalendarDay{}, err
	}
	var d store.CalendarDay
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		d, err = insert(tx, actor, in, "")
		return err
	})
	if store.IsUnique(err) {
		return d, dayTaken(op)
	}
	if err != nil {
		return d, domain.Wrap(op, err)
	}
	return d, s.Refresh(ctx)
}

// Remove takes a day out of the calendar (its record stays, marked
// removed, with the reason in the trail). Only the administrator may; the
// reason is required; a day not in force is KindNotFound.
func (s *Service) Remove(ctx context.Context, actor domain.Actor, id int64, reason string) error {
	const op = "calendar.Remove"
	if !mayEdit(actor) {
		return domain.Forbidden(op)
	}
	reason = strings.TrimSpace(reason)
	var c domain.Checker
	c.Text("reason", reason, true, maxReason)
	if err := c.Err(op); err != nil {
		return err
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		d, err := store.GetCalendarDay(ctx, tx, id)
		if err != nil {
			return err
		}
		if d.RemovedAt != "" {
			return domain.NotFound(op, "entity.calendar_day")
		}
		if err := tx.RemoveCalendarDay(id, actor.ID); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "calendar.remove", Entity: "calendar_day",
			EntityID: strconv.FormatInt(id, 10), Changes: []audit.Change{{Field: "day", Old: d.Day}, {Field: "kind", Old: d.Kind},
				{Field: "name_zh", Old: d.NameZH}}, Reason: reason})
	})
	if err != nil {
		return domain.Wrap(op, err)
	}
	return s.Refresh(ctx)
}
