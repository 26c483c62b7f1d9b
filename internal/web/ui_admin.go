package web

import (
	"net/http"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/people"
)

// The administration page (/admin): the tiles and the system facts.

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
	s.render(w, r, &adminPage{Head: head, Schema: v, Backend: string(s.DB.Dialect()), Version: s.Version, Waiting: waiting, Gaps: gaps})
	return nil
}

// adminPage is the administration page.
type adminPage struct {
	Page
	Head             audit.Head
	Schema           int
	Backend, Version string
	Waiting          int
	// Gaps are roles nobody holds and committees without members or chair.
	Gaps []people.Gap
}

func (*adminPage) template() string { return "admin" }
