package web

import (
	"net/http"
	"strings"

	"labflow/internal/people"
)

// The /departments page.

func (s *Server) uiDepartments(w http.ResponseWriter, r *http.Request) error {
	return s.renderDepartments(w, r, nil)
}

func (s *Server) renderDepartments(w http.ResponseWriter, r *http.Request, data map[string]any) error {
	ds, err := s.People.Departments(r.Context(), true)
	if err != nil {
		return err
	}
	if data == nil {
		data = map[string]any{}
	}
	data["Departments"] = ds
	s.render(w, r, "departments", data)
	return nil
}

func (s *Server) uiCreateDepartment(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	in := departmentForm(r)
	if _, err := s.People.CreateDepartment(r.Context(), a, in); err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderDepartments(w, r, map[string]any{"Errors": fe, "Error": msg, "Form": in})
		})
	}
	http.Redirect(w, r, "/departments", http.StatusSeeOther)
	return nil
}

func (s *Server) uiSetDepartmentActive(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.department")
	if err != nil {
		return err
	}
	if err := s.People.SetDepartmentActive(r.Context(), a, id, r.PostFormValue("active") == "true", r.PostFormValue("reason")); err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderDepartments(w, r, map[string]any{"Errors": fe, "Error": msg})
		})
	}
	http.Redirect(w, r, "/departments", http.StatusSeeOther)
	return nil
}

// departmentForm reads the department form's fields.
func departmentForm(r *http.Request) people.DepartmentInput {
	return people.DepartmentInput{Code: strings.TrimSpace(r.PostFormValue("code")),
		NameZH: strings.TrimSpace(r.PostFormValue("name_zh")), NameEN: strings.TrimSpace(r.PostFormValue("name_en"))}
}
