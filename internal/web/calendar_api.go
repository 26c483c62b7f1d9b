package web

import (
	"net/http"
	"strconv"
	"time"

	"labflow/internal/calendar"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
)

// The working-day calendar's API and page, and the administrator's list of
// scheduled jobs (issue 8 §3, §6). The calendar service owns the rules;
// these handlers decode, call it and encode.

// timeRoutes registers the calendar's and the scheduler's routes.
func (s *Server) timeRoutes() {
	m := s.mux
	s.api("GET /api/v1/calendar", s.apiCalendar, doc{Summary: "The working-day calendar of a year: public holidays and adjusted working days (调休); other days are working days Monday to Friday",
		Out: calendarOut{}, Query: queryNames("year", "removed")})
	s.api("POST /api/v1/calendar/days", s.apiAddCalendarDay, doc{Summary: "Add a public holiday or an adjusted working day (administrator; audited)",
		In: calendar.DayInput{}, Out: store.CalendarDay{}, Status: http.StatusCreated})
	s.api("POST /api/v1/calendar/days/{id}/remove", s.apiRemoveCalendarDay, doc{Summary: "Take a day out of the calendar (administrator; reason required; the record stays)",
		In: reasonInput{}, Status: http.StatusNoContent})
	s.api("POST /api/v1/calendar/import", s.apiImportCalendar, doc{Summary: "Import holidays and adjusted working days from a CSV file (multipart field \"file\"; columns date, kind, name_zh, name_en); all rows or none",
		Out: calendarImportOut{}, Multipart: true})
	s.api("GET /api/v1/admin/jobs", s.apiJobs, doc{Summary: "Scheduled starts (administrator): each occurrence, its initiator, the request it started or why it failed",
		Out: []flow.Job{}, Query: queryNames("limit")})

	m.HandleFunc("GET /admin/calendar", s.page(s.uiCalendar))
	m.HandleFunc("POST /admin/calendar", s.page(s.uiAddCalendarDay))
	m.HandleFunc("POST /admin/calendar/import", s.page(s.uiImportCalendar))
	m.HandleFunc("POST /admin/calendar/{id}/remove", s.page(s.uiRemoveCalendarDay))
}

// calendarOut is a year of the calendar.
type calendarOut struct {
	Year     int                 `json:"year"`
	TimeZone string              `json:"time_zone"`
	Days     []store.CalendarDay `json:"days"`
}

// calendarService returns the calendar, or KindNotFound where none is wired.
func (s *Server) calendarService() (*calendar.Service, error) {
	if s.Calendar == nil {
		return nil, domain.NotFound("web.calendar", "entity.page")
	}
	return s.Calendar, nil
}

// calendarYear reads ?year (default: this year in the institute's zone).
func (s *Server) calendarYear(r *http.Request) (int, error) {
	def := time.Now().In(s.TimeZone).Year()
	y, err := queryInt(r, "year", int64(def))
	if err != nil {
		return 0, err
	}
	return int(y), nil
}

func (s *Server) apiCalendar(w http.ResponseWriter, r *http.Request) error {
	c, err := s.calendarService()
	if err != nil {
		return err
	}
	y, err := s.calendarYear(r)
	if err != nil {
		return err
	}
	days, err := c.Days(r.Context(), y, r.URL.Query().Get("removed") == "true")
	if err != nil {
		return err
	}
	if days == nil {
		days = []store.CalendarDay{}
	}
	writeJSON(w, http.StatusOK, calendarOut{Year: y, TimeZone: c.Location().String(), Days: days})
	return nil
}

func (s *Server) apiAddCalendarDay(w http.ResponseWriter, r *http.Request) error {
	c, err := s.calendarService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	var in calendar.DayInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	d, err := c.Add(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (s *Server) apiRemoveCalendarDay(w http.ResponseWriter, r *http.Request) error {
	c, err := s.calendarService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.calendar_day")
	if err != nil {
		return err
	}
	var in reasonInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := c.Remove(r.Context(), a, id, in.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiImportCalendar(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	out, err := s.importCalendar(w, r, a)
	if err != nil && len(out.Errors) == 0 {
		return err
	}
	status := http.StatusOK
	if len(out.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	writeJSON(w, status, out)
	return nil
}

// calendarImportOut is an import's outcome: the days added, or each row's problem.
type calendarImportOut struct {
	Created int              `json:"created"`
	Errors  []importRowError `json:"errors"`
}

func (s *Server) importCalendar(w http.ResponseWriter, r *http.Request, a domain.Actor) (calendarImportOut, error) {
	c, err := s.calendarService()
	if err != nil {
		return calendarImportOut{}, err
	}
	f, name, err := formFile(w, r, 2<<20)
	if err != nil {
		return calendarImportOut{}, err
	}
	defer f.Close()
	res, err := c.Import(r.Context(), a, name, f)
	out := calendarImportOut{Created: res.Created, Errors: []importRowError{}}
	lang := s.lang(r)
	for _, e := range res.Errors {
		out.Errors = append(out.Errors, importRowError{Row: e.Row, Field: e.Field, Key: e.Msg.Key, Message: translate(lang, e.Msg)})
	}
	return out, err
}

func (s *Server) apiJobs(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	n, err := queryInt(r, "limit", 100)
	if err != nil {
		return err
	}
	jobs, err := s.Flow.Jobs(r.Context(), a, int(n))
	if err != nil {
		return err
	}
	if jobs == nil {
		jobs = []flow.Job{}
	}
	writeJSON(w, http.StatusOK, jobs)
	return nil
}

// ---- The administrator's page ----

func (s *Server) uiCalendar(w http.ResponseWriter, r *http.Request) error {
	return s.renderCalendar(w, r, nil)
}

func (s *Server) renderCalendar(w http.ResponseWriter, r *http.Request, p *calendarPage) error {
	if p == nil {
		p = &calendarPage{}
	}
	c, err := s.calendarService()
	if err != nil {
		return err
	}
	y, err := s.calendarYear(r)
	if err != nil {
		return err
	}
	days, err := c.Days(r.Context(), y, true)
	if err != nil {
		return err
	}
	p.Year, p.Days, p.Zone = y, days, c.Location().String()
	p.Prev, p.Next = y-1, y+1
	s.render(w, r, p)
	return nil
}

func (s *Server) uiAddCalendarDay(w http.ResponseWriter, r *http.Request) error {
	c, err := s.calendarService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	r.ParseForm()
	in := calendar.DayInput{Day: r.PostFormValue("day"), Kind: r.PostFormValue("kind"), NameZH: r.PostFormValue("name_zh"), NameEN: r.PostFormValue("name_en")}
	if _, err := c.Add(r.Context(), a, in); err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderCalendar(w, r, &calendarPage{formState: failed(fe, msg), Form: &in})
		})
	}
	http.Redirect(w, r, "/admin/calendar?year="+in.Day[:min(4, len(in.Day))], http.StatusSeeOther)
	return nil
}

func (s *Server) uiRemoveCalendarDay(w http.ResponseWriter, r *http.Request) error {
	c, err := s.calendarService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.calendar_day")
	if err != nil {
		return err
	}
	r.ParseForm()
	if err := c.Remove(r.Context(), a, id, r.PostFormValue("reason")); err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderCalendar(w, r, &calendarPage{formState: failed(nil, msg), RemoveErrors: fe, RemoveID: id})
		})
	}
	http.Redirect(w, r, "/admin/calendar?year="+strconv.Itoa(yearOf(r)), http.StatusSeeOther)
	return nil
}

// yearOf is the year a page form was posted for (?year), or this year.
func yearOf(r *http.Request) int {
	if y, err := strconv.Atoi(r.URL.Query().Get("year")); err == nil {
		return y
	}
	return time.Now().Year()
}

func (s *Server) uiImportCalendar(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	out, err := s.importCalendar(w, r, a)
	if err != nil && len(out.Errors) == 0 {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderCalendar(w, r, &calendarPage{ImportError: msg, ImportErrors: fe})
		})
	}
	if len(out.Errors) > 0 {
		w.WriteHeader(http.StatusUnprocessableEntity)
	}
	return s.renderCalendar(w, r, &calendarPage{Import: &out})
}

// calendarPage is a year of the working-day calendar with the forms to add,
// remove and import days, and what the last of them did.
type calendarPage struct {
	Page
	formState
	Year, Prev, Next int
	Days             []store.CalendarDay
	Zone             string
	Form             *calendar.DayInput
	RemoveErrors     map[string]string
	RemoveID         int64
	ImportError      string
	ImportErrors     map[string]string
	Import           *calendarImportOut
}

func (*calendarPage) template() string { return "calendar" }
