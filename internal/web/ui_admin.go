package web

import (
	"net/http"

	"labflow/internal/domain"
	"labflow/internal/people"
)

func (s *Server) uiAdmin(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if !a.IsAdmin() && !canReadAudit(a) {
		return domain.Forbidden("web.admin")
	}
	head, err := s.DB.AuditHead(r.Context())
	if err != nil {
		return err
	}
	v, err := s.DB.Version(r.Context())
	if err != nil {
		return err
	}
	waiting := 0
	var gaps []people.Gap
	if a.IsAdmin() {
		ws, err := s.Flow.Waiting(r.Context(), a)
		if err != nil {
			return err
		}
		waiting = len(ws)
		// Roles the definitions name that nobody holds, committees without
		// members or chair (issue 8 §4; ui_org.go).
		if gaps, err = s.orgGaps(r); err != nil {
			return err
		}
	}
	s.render(w, r, "admin", map[string]any{"Head": head, "Schema": v, "Backend": string(s.DB.Dialect()), "Version": s.Version, "Waiting": waiting,
		"Gaps": gaps})
	return nil
}

func (s *Server) uiAudit(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if !canReadAudit(a) {
		return domain.Forbidden("web.audit")
	}
	f, err := auditFilter(r)
	if err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			s.render(w, r, "audit", map[string]any{"Errors": fe, "Error": msg, "Q": r.URL.Query()})
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
	s.render(w, r, "audit", map[string]any{"Events": out, "Q": r.URL.Query(), "NextAfter": next, "BaseQuery": q.Encode()})
	return nil
}

func (s *Server) uiImportPage(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if !a.IsAdmin() {
		return domain.Forbidden("web.import")
	}
	s.render(w, r, "import", nil)
	return nil
}

func (s *Server) uiImport(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	out, err := s.importPeople(w, r, a)
	if err != nil && len(out.Errors) == 0 {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			s.render(w, r, "import", map[string]any{"Error": msg, "Errors": fe})
			return nil
		})
	}
	if len(out.Errors) > 0 {
		w.WriteHeader(http.StatusUnprocessableEntity)
	}
	s.render(w, r, "import", map[string]any{"Result": out})
	return nil
}
