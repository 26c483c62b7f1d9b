package web

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/people"
	"labflow/internal/store"
)

// The audit trail page (/admin/audit).

func (s *Server) uiAudit(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if !canReadAudit(a) {
		return domain.Forbidden("web.audit")
	}
	ppl, err := s.auditPeople(r)
	if err != nil {
		return err
	}
	f, _, err := auditFilter(r)
	if err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			s.render(w, r, &auditPage{formState: failed(fe, msg), Q: r.URL.Query(), People: ppl, Zone: s.TimeZone.String()})
			return nil
		})
	}
	// The page's dates are days in the institute's zone, as its times are.
	export := r.URL.Query()
	export.Del("after")
	s.auditLocalDays(&f, export)
	people.ScopeTrail(a, &f)
	evs, err := s.DB.FindAudit(r.Context(), f)
	if err != nil {
		return err
	}
	out := auditOutputs(evs)
	var next int64
	if len(out) == f.Limit && len(out) > 0 {
		next = out[len(out)-1].Seq
	}
	q := r.URL.Query()
	q.Del("after")
	s.render(w, r, &auditPage{Events: s.auditRows(r, out), Entities: s.auditEntities(r), People: ppl, Zone: s.TimeZone.String(),
		Q: r.URL.Query(), NextAfter: next, BaseQuery: template.URL(q.Encode()), ExportQuery: template.URL(export.Encode())})
	return nil
}

// auditPage is the audit trail, filtered.
type auditPage struct {
	Page
	formState
	Events []auditRow
	// Entities are the kinds of record to filter by, in words.
	Entities []optionView
	// People are whom the actor filter offers, by name (value: the id).
	People []optionView
	// Zone names the zone the date filters are days of.
	Zone      string
	Q         url.Values
	NextAfter int64
	// BaseQuery is the page's filter (for the pager); ExportQuery the same
	// filter for the API, its days as the UTC times they span.
	BaseQuery   template.URL
	ExportQuery template.URL
}

func (*auditPage) template() string { return "audit" }

// auditLocalDays reads the filter's dates as days in the institute's
// zone: from the first moment of from to the last of to, in UTC as the
// trail stores times, and puts the same bounds in the export's query.
func (s *Server) auditLocalDays(f *store.AuditFilter, export url.Values) {
	day := func(v string) (time.Time, bool) {
		d, err := time.ParseInLocation(time.DateOnly, v, s.TimeZone)
		return d, err == nil
	}
	if d, ok := day(f.From); ok {
		f.From = d.UTC().Format(audit.TimeFormat)
		export.Set("from", d.UTC().Format(time.RFC3339Nano))
	}
	if d, ok := day(f.To); ok {
		end := d.AddDate(0, 0, 1).Add(-time.Microsecond).UTC()
		f.To = end.Format(audit.TimeFormat)
		export.Set("to", end.Format(time.RFC3339Nano))
	}
}

// auditPeople are the people the actor filter offers: everyone, the
// inactive too (their deeds stay in the trail), by name and username.
func (s *Server) auditPeople(r *http.Request) ([]optionView, error) {
	ppl, _, err := s.People.People(r.Context(), people.PersonFilter{IncludeInactive: true, Limit: 1000})
	if err != nil {
		return nil, err
	}
	chosen := r.URL.Query().Get("actor_id")
	out := make([]optionView, 0, len(ppl)+1)
	for _, p := range ppl {
		v := strconv.FormatInt(p.ID, 10)
		out = append(out, optionView{Value: v, Label: p.Name + " (" + p.Username + ")", Selected: v == chosen})
	}
	// A chosen person beyond the list (or the system, 0) stays chosen.
	if chosen != "" && !slices.ContainsFunc(out, func(o optionView) bool { return o.Selected }) {
		out = append(out, optionView{Value: chosen, Label: "ID " + chosen, Selected: true})
	}
	return out, nil
}

// auditEntities are the kinds of record the audit page filters by.
func (s *Server) auditEntities(r *http.Request) []optionView {
	rd := s.reader(r)
	var out []optionView
	for _, k := range []string{"person", "department", "role_def", "committee", "instance", "project", "calendar_day", "flow_definition", "attachment", "token"} {
		out = append(out, optionView{Value: k, Label: rd.words("audit.entity."+k, k)})
	}
	return out
}
