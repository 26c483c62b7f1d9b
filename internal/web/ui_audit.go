package web

import (
	"net/http"
	"net/url"

	"labflow/internal/domain"
	"labflow/internal/people"
)

// The audit trail page (/admin/audit).

func (s *Server) uiAudit(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if !canReadAudit(a) {
		return domain.Forbidden("web.audit")
	}
	f, _, err := auditFilter(r)
	if err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			s.render(w, r, &auditPage{formState: failed(fe, msg), Q: r.URL.Query()})
			return nil
		})
	}
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
	s.render(w, r, &auditPage{Events: s.auditRows(r, out), Entities: s.auditEntities(r), Q: r.URL.Query(), NextAfter: next, BaseQuery: q.Encode()})
	return nil
}

// auditPage is the audit trail, filtered.
type auditPage struct {
	Page
	formState
	Events []auditRow
	// Entities are the kinds of record to filter by, in words.
	Entities  []optionView
	Q         url.Values
	NextAfter int64
	BaseQuery string
}

func (*auditPage) template() string { return "audit" }

// auditEntities are the kinds of record the audit page filters by.
func (s *Server) auditEntities(r *http.Request) []optionView {
	rd := s.reader(r)
	var out []optionView
	for _, k := range []string{"person", "department", "role_def", "committee", "instance", "project", "calendar_day", "flow_definition", "attachment", "token"} {
		out = append(out, optionView{Value: k, Label: rd.words("audit.entity."+k, k)})
	}
	return out
}
