package flow

import (
	"context"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
)

// Processes that start themselves (issue 8 §6). A definition's schedule
// starts it on a recurring calendar (every Monday at 08:30, at 15:00 on
// the month's last working day, on the 25th) or when a date in the data
// comes near (14 days before a probation ends), on behalf of the holders
// of a role. Each occurrence becomes a stored job with a unique key, so
// that servers planning at once record it once; servers claim due jobs
// with a lease, like timers, and a job is marked done in the transaction
// that starts its instance, so that it starts one instance however many
// servers race for it.

// Schedule is one way a definition starts itself. Exactly one of Every (a
// recurring calendar) and Source (a date source a domain package
// registered) is set.
type Schedule struct {
	ID string `yaml:"id" json:"id"`
	// Every is day, workday, week or month.
	Every string `yaml:"every,omitempty" json:"every,omitempty"`
	// Weekday (every: week) is monday … sunday.
	Weekday string `yaml:"weekday,omitempty" json:"weekday,omitempty"`
	// Day (every: month) is the day of the month (1–31; a shorter month's
	// last day stands for a day it lacks), "last" or "last_workday".
	Day string `yaml:"day,omitempty" json:"day,omitempty"`
	// At is the time of day, "HH:MM" in the institute's zone (default 00:00).
	At string `yaml:"at,omitempty" json:"at,omitempty"`
	// Source is a registered date source; the request starts Before each
	// of its dates, at At.
	Source string `yaml:"source,omitempty" json:"source,omitempty"`
	Before string `yaml:"before,omitempty" json:"before,omitempty"`
	// PersonField receives the person a source's date is about;
	// DateField the date (a source's, or the occurrence's).
	PersonField string `yaml:"person_field,omitempty" json:"person_field,omitempty"`
	DateField   string `yaml:"date_field,omitempty" json:"date_field,omitempty"`
	// Initiator says on whose behalf the system starts it: a person, or a
	// role (department, department_from as for assignees) — one request
	// for each holder.
	Initiator Assignee `yaml:"initiator" json:"initiator"`
	// Form holds the values the request is filed with.
	Form map[string]any `yaml:"form,omitempty" json:"form,omitempty"`
}

// DatedItem is one date a DateSource knows: a person's probation end, an
// instrument's calibration expiry.
type DatedItem struct {
	Key      string // stable and unique within the source, e.g. "person:12"
	Date     string // YYYY-MM-DD, in the institute's zone
	PersonID int64  // the person it is about, if any
}

// DateSource lists the items whose date lies between from and to
// (YYYY-MM-DD, inclusive). Domain packages register theirs by name
// (Registry.RegisterDateSource), e.g. "hr.probation_end".
type DateSource func(ctx context.Context, from, to string) ([]DatedItem, error)

// RegisterDateSource makes a date source available to schedules under
// name (by convention "package.what").
func (r *Registry) RegisterDateSource(name string, src DateSource) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sources == nil {
		r.sources = map[string]DateSource{}
	}
	r.sources[name] = src
}

// DateSource returns the date source registered under name.
func (r *Registry) DateSource(name string) (DateSource, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.sources[name]
	return s, ok
}

// Job is a stored piece of work a server claims with a lease: the start
// of a scheduled request, on behalf of PersonID, with Form.
type Job struct {
	ID            int64          `json:"id"`
	Key           string         `json:"key"` // unique: definition/schedule/occurrence/person
	DefinitionKey string         `json:"definition_key"`
	ScheduleID    string         `json:"schedule_id"`
	Occurrence    string         `json:"occurrence"`
	PersonID      int64          `json:"person_id"`
	Form          map[string]any `json:"form,omitempty"`
	DueAt         time.Time      `json:"due_at"`
	Attempts      int            `json:"attempts"`
	DoneAt        time.Time      `json:"done_at,omitzero"`
	InstanceID    int64          `json:"instance_id,omitempty"`
	Error         string         `json:"error,omitempty"`
}

// JobStore is the storage of scheduled jobs; internal/store implements it.
type JobStore interface {
	// EnqueueJobs records jobs, leaving any whose key is recorded already
	// as it is; it returns how many were new.
	EnqueueJobs(ctx context.Context, jobs []Job) (int, error)
	// ClaimJobs leases to owner, until until, up to limit jobs due at or
	// before now that are not done and whose lease (if any) has expired.
	ClaimJobs(ctx context.Context, owner string, now, until time.Time, limit int) ([]Job, error)
	// FailJob records why a job failed; a final failure ends it.
	FailJob(ctx context.Context, id int64, msg string, final bool) error
	// Jobs lists jobs, newest first.
	Jobs(ctx context.Context, limit int) ([]Job, error)
}

// JobTx marks a job done in the write that carries it out.
type JobTx interface {
	// FinishJob marks the job done with the instance it started; false
	// when it was done already (by another server).
	FinishJob(id, instanceID int64, at time.Time) (bool, error)
}

// ScheduleCatchUp is how late an occurrence may still start: one missed
// while no server ran starts when one runs again, up to this late.
const ScheduleCatchUp = 24 * time.Hour

// maxAttempts is how many times a job is claimed before it is given up.
const maxAttempts = 10

// schedState is what an engine planned already: per schedule, the time
// up to which its occurrences are recorded as jobs.
type schedState struct {
	mu      sync.Mutex
	planned map[string]time.Time
}

var errJobDone = errors.New("flow: job already done")

// finishJob marks w's job done with the instance it started (apply).
func (w *work) finishJob(tx Tx, instanceID int64, now time.Time) error {
	jt, ok := tx.(JobTx)
	if !ok {
		return domain.Wrap("flow.finishJob", errString("the store keeps no jobs"))
	}
	ok, err := jt.FinishJob(w.job, instanceID, now)
	if err != nil {
		return err
	}
	if !ok {
		return errJobDone
	}
	return nil
}

// RunSchedules records the occurrences of every schedule due by now as
// jobs (PlanSchedules) and starts the due ones (RunJobs). It returns how
// many requests it started.
func (e *Engine) RunSchedules(ctx context.Context, now time.Time) (int, error) {
	if _, err := e.PlanSchedules(ctx, now); err != nil {
		return 0, err
	}
	return e.RunJobs(ctx, now)
}

// PlanSchedules records as jobs the occurrences of every definition's
// schedules due by now and not yet planned (since ScheduleCatchUp ago at
// the engine's first call), one per initiator. It returns how many jobs
// were new (another server may have recorded the rest).
func (e *Engine) PlanSchedules(ctx context.Context, now time.Time) (int, error) {
	js, ok := e.st.(JobStore)
	if !ok {
		return 0, nil
	}
	e.sched.mu.Lock()
	defer e.sched.mu.Unlock()
	if e.sched.planned == nil {
		e.sched.planned = map[string]time.Time{}
	}
	added := 0
	for _, def := range e.Definitions() {
		for i := range def.Schedule {
			s := &def.Schedule[i]
			key := def.Key + "/" + s.ID
			from, ok := e.sched.planned[key]
			if !ok {
				from = now.Add(-ScheduleCatchUp)
			}
			if !now.After(from) {
				continue
			}
			jobs, err := e.occurrences(ctx, def, s, from, now)
			if err != nil {
				return added, err
			}
			for len(jobs) > 0 {
				n := min(len(jobs), 500)
				k, err := js.EnqueueJobs(ctx, jobs[:n])
				if err != nil {
					return added, err
				}
				added += k
				jobs = jobs[n:]
			}
			e.sched.planned[key] = now
		}
	}
	return added, nil
}

// occurrences lists the jobs of schedule s due in (from, to].
func (e *Engine) occurrences(ctx context.Context, def *Definition, s *Schedule, from, to time.Time) ([]Job, error) {
	loc, cal := e.zone(), e.Calendar()
	hh, mm, _ := parseClock(s.At)
	at := func(day time.Time) time.Time {
		return time.Date(day.Year(), day.Month(), day.Day(), hh, mm, 0, 0, loc)
	}
	var out []Job
	add := func(occ time.Time, occKey string, form map[string]any) error {
		people, err := e.scheduleInitiators(ctx, def, s, form)
		if err != nil {
			return err
		}
		for _, p := range people {
			out = append(out, Job{Key: def.Key + "/" + s.ID + "/" + occKey + "/" + strconv.FormatInt(p.ID, 10), DefinitionKey: def.Key,
				ScheduleID: s.ID, Occurrence: occKey, PersonID: p.ID, Form: form, DueAt: occ.UTC()})
		}
		return nil
	}
	first := dayOf(from, loc)
	if s.Source == "" {
		for day := first; !day.After(to); day = day.AddDate(0, 0, 1) {
			occ := at(day)
			if !occ.After(from) || occ.After(to) || !s.matches(day, cal) {
				continue
			}
			form := s.formWith(0, day.Format(time.DateOnly))
			if err := add(occ, occ.Format("2006-01-02T15:04"), form); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	src, ok := e.reg.DateSource(s.Source)
	if !ok {
		return nil, domain.Wrap("flow.PlanSchedules", errString("no date source "+s.Source))
	}
	before := mustDuration(s.Before)
	// An item's date is never before its start's: ask for the dates from
	// the window's first day to its last plus the lead time.
	span := int(before.fixed/(24*time.Hour)) + 2*before.workdays + 14
	items, err := src(ctx, first.Format(time.DateOnly), dayOf(to, loc).AddDate(0, 0, span).Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	sort.Slice(items, func(i, j int) bool {
		return items[i].Date < items[j].Date || items[i].Date == items[j].Date && items[i].Key < items[j].Key
	})
	for _, it := range items {
		d, err := time.ParseInLocation(time.DateOnly, it.Date, loc)
		if err != nil {
			continue
		}
		occ := at(dayOf(before.Before(d, cal), loc))
		if !occ.After(from) || occ.After(to) {
			continue
		}
		form := s.formWith(it.PersonID, it.Date)
		if err := add(occ, it.Key+"@"+it.Date, form); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// formWith is the form a schedule files: its Form, the person in
// PersonField and the date in DateField, as JSON values.
func (s *Schedule) formWith(person int64, date string) map[string]any {
	form := map[string]any{}
	if len(s.Form) > 0 {
		// Through JSON, so that numbers are exact (json.Number).
		if b, err := json.Marshal(s.Form); err == nil {
			_ = DecodeJSON(b, &form)
		}
	}
	if s.PersonField != "" && person != 0 {
		form[s.PersonField] = json.Number(strconv.FormatInt(person, 10))
	}
	if s.DateField != "" && date != "" {
		form[s.DateField] = date
	}
	return form
}

// scheduleInitiators resolves who a schedule starts requests for, with
// the form it files (department_from reads it).
func (e *Engine) scheduleInitiators(ctx context.Context, def *Definition, s *Schedule, form map[string]any) ([]domain.Person, error) {
	w := e.newWork(ctx, domain.System, def, &Instance{Form: form}, nil)
	people, err := w.resolveOne(&Step{}, s.Initiator)
	if err != nil {
		return nil, err
	}
	out := people[:0]
	for _, p := range people {
		if mayActInBusiness(p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// dayOf is the start of t's day in loc.
func dayOf(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// parseClock reads "HH:MM" ("" is midnight).
func parseClock(s string) (hh, mm int, ok bool) {
	if s == "" {
		return 0, 0, true
	}
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, 0, false
	}
	return t.Hour(), t.Minute(), true
}

var weekdays = map[string]time.Weekday{"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday}

// matches reports whether a recurring schedule has an occurrence on day.
func (s *Schedule) matches(day time.Time, cal Calendar) bool {
	switch s.Every {
	case "day":
		return true
	case "workday":
		return cal.IsWorkday(day)
	case "week":
		return day.Weekday() == weekdays[s.Weekday]
	case "month":
		last := day.AddDate(0, 0, 1).Month() != day.Month()
		switch s.Day {
		case "last":
			return last
		case "last_workday":
			if !cal.IsWorkday(day) {
				return false
			}
			for d := day.AddDate(0, 0, 1); d.Month() == day.Month(); d = d.AddDate(0, 0, 1) {
				if cal.IsWorkday(d) {
					return false
				}
			}
			return true
		}
		n, _ := strconv.Atoi(s.Day)
		return day.Day() == n || last && day.Day() < n
	}
	return false
}

// RunJobs claims the jobs due at now and runs each once: it starts the
// scheduled request on behalf of the job's person. It returns how many
// requests it started.
func (e *Engine) RunJobs(ctx context.Context, now time.Time) (int, error) {
	js, ok := e.st.(JobStore)
	if !ok {
		return 0, nil
	}
	e.leaseOnce.Do(e.initLease)
	n := 0
	for {
		jobs, err := js.ClaimJobs(ctx, e.owner, now, now.Add(e.lease), claimBatch)
		if err != nil {
			return n, err
		}
		k, err := e.RunClaimed(ctx, jobs)
		n += k
		if err != nil || len(jobs) < claimBatch {
			return n, err
		}
	}
}

// RunClaimed runs jobs this engine claimed, several at once, and returns
// how many started a request. A job whose request cannot be filed (its
// definition is gone, its person left, its form does not validate) fails
// for good with the reason; one that fails otherwise is tried again when
// its lease expires, up to maxAttempts times.
func (e *Engine) RunClaimed(ctx context.Context, jobs []Job) (int, error) {
	js, ok := e.st.(JobStore)
	if !ok {
		return 0, nil
	}
	e.leaseOnce.Do(e.initLease)
	return runAll(ctx, e.workers, len(jobs), func(i int) (bool, error) {
		ok, err := e.runJob(ctx, jobs[i])
		var fe *jobFailure
		if errors.As(err, &fe) {
			return false, js.FailJob(ctx, jobs[i].ID, fe.msg, true)
		}
		if err != nil {
			if ferr := js.FailJob(ctx, jobs[i].ID, err.Error(), jobs[i].Attempts >= maxAttempts); ferr != nil {
				return false, ferr
			}
		}
		return ok, err
	})
}

// jobFailure is a job that can never succeed.
type jobFailure struct{ msg string }

func (f *jobFailure) Error() string { return f.msg }

// runJob starts the request of a scheduled job: the system files it on
// behalf of the job's person, who is its initiator. The trail records the
// system as the actor, the initiator and the schedule.
func (e *Engine) runJob(ctx context.Context, j Job) (bool, error) {
	def, ok := e.Definition(j.DefinitionKey)
	if !ok {
		return false, &jobFailure{"no definition " + j.DefinitionKey}
	}
	p, err := e.dir.Person(ctx, j.PersonID)
	if err != nil || !mayActInBusiness(p) {
		if err != nil && !domain.IsKind(err, domain.KindNotFound) {
			return false, err
		}
		return false, &jobFailure{"the initiator " + strconv.FormatInt(j.PersonID, 10) + " cannot act"}
	}
	norm, err := ValidateForm(def, j.Form, nil)
	if err == nil {
		err = e.checkPeople(ctx, def, norm, nil)
	}
	if err != nil {
		if domain.IsKind(err, domain.KindInvalid) {
			return false, &jobFailure{"the scheduled form does not validate: " + err.Error()}
		}
		return false, err
	}
	isDirector := p.DepartmentID != 0 && directsOwn(p)
	vars := map[string]any{"initiator_id": p.ID, "initiator_department": p.DepartmentID, "initiator_is_director": isDirector}
	title := def.Title.ZH
	if s, ok := norm["title"].(string); ok && s != "" {
		title = s
	} else if len(j.Occurrence) >= 10 {
		title += " " + occurrenceDate(j.Occurrence)
	}
	label := j.ScheduleID + " " + j.Occurrence
	for attempt := 0; attempt < 5; attempt++ {
		inst := &Instance{DefinitionKey: def.Key, DefinitionVersion: def.Version, Title: title, InitiatorID: p.ID, InitiatorName: p.Name,
			InitiatorDept: p.DepartmentID, Status: StatusRunning, Form: norm,
			State: State{Vars: vars, History: []StepRecord{{Step: "", Last: p.ID}}}}
		w := e.newWork(ctx, domain.System, def, inst, nil)
		w.job = j.ID
		for _, a := range def.Viewers {
			ps, err := w.resolveOne(&Step{}, a)
			if err != nil {
				return false, err
			}
			for _, v := range ps {
				w.parties = append(w.parties, v.ID)
			}
		}
		w.audit("flow.start", append([]audit.Change{{Field: "definition", New: def.Key + "@" + strconv.Itoa(def.Version)},
			{Field: "title", New: title}, {Field: "status", New: string(StatusRunning)}, {Field: "initiator", New: p.ID},
			{Field: "initiator_name", New: p.Name}, {Field: "schedule", New: label}}, formChanges(nil, norm)...), "")
		w.record(ActionRecord{Action: "start", TargetID: p.ID, Comment: label})
		if err := w.enter(def.Steps[0].ID, ""); err != nil {
			return false, err
		}
		err := e.commit(ctx, w)
		switch {
		case errors.Is(err, errJobDone):
			return false, nil
		case errors.Is(err, errStale):
			continue
		case err != nil:
			return false, err
		}
		return true, nil
	}
	return false, domain.Conflict("flow.RunJobs", "error.conflict")
}

// occurrenceDate is the date in an occurrence key ("2026-03-02T08:30",
// or "person:12@2026-06-30").
func occurrenceDate(occ string) string {
	if _, d, ok := strings.Cut(occ, "@"); ok {
		return d
	}
	return occ[:10]
}

// directsOwn reports whether p is the director of their own department.
func directsOwn(p domain.Person) bool {
	for _, g := range p.Grants {
		if g.Role == domain.RoleDirector && g.DepartmentID == p.DepartmentID {
			return true
		}
	}
	return false
}

// Jobs lists the scheduled jobs, newest first (for the administrator).
func (e *Engine) Jobs(ctx context.Context, actor domain.Actor, limit int) ([]Job, error) {
	if !actor.IsAdmin() {
		return nil, domain.Forbidden("flow.Jobs")
	}
	js, ok := e.st.(JobStore)
	if !ok {
		return nil, nil
	}
	return js.Jobs(ctx, limit)
}
