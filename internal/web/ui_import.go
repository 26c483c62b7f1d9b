package web

import (
	"net/http"

	"labflow/internal/domain"
)

// The people import page (/admin/import).

func (s *Server) uiImportPage(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if !a.IsAdmin() {
		return domain.Forbidden("web.import")
	}
	s.render(w, r, &importPage{})
	return nil
}

func (s *Server) uiImport(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	out, err := s.importPeople(w, r, a)
	if err != nil && len(out.Errors) == 0 {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			s.render(w, r, &importPage{formState: failed(fe, msg)})
			return nil
		})
	}
	if len(out.Errors) > 0 {
		w.WriteHeader(http.StatusUnprocessableEntity)
	}
	s.render(w, r, &importPage{Result: &out})
	return nil
}

// importPage is the people import form and, after an import, its result.
type importPage struct {
	Page
	formState
	Result *importOutput
}

func (*importPage) template() string { return "import" }
