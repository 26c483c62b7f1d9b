package web

import (
	"net/http"
	"strings"

	"labflow/internal/domain"
	"labflow/internal/people"
)

// The /departments page.

func (s *Server) uiDepartments(w http.ResponseWriter, r *http.Request) error {
	return s.renderDepartments(w, r, &departmentsPage{})
}

func (s *Server) renderDepartments(w http.ResponseWriter, r *http.Request, p *departmentsPage) error {
	ds, err := s.People.Departments(r.Context(), true)
	if err != nil {
		return err
	}
	p.Departments = ds
	s.render(w, r, p)
	return nil
}

func (s *Server) uiCreateDepartment(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	in := departmentForm(r)
	if _, err := s.People.CreateDepartment(r.Context(), a, in); err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderDepartments(w, r, &departmentsPage{formState: failed(fe, msg), Form: in})
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
			return s.renderDepartments(w, r, &departmentsPage{formState: failed(fe, msg)})
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

// departmentsPage lists the departments, with the administrator's forms.
type departmentsPage struct {
	Page
	formState
	Departments []domain.Department
	// Form is the new department's form as it was sent.
	Form people.DepartmentInput
}

func (*departmentsPage) template() string { return "departments" }
