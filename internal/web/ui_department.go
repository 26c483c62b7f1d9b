package web

import (
	"net/http"
	"strconv"

	"labflow/internal/domain"
	"labflow/internal/people"
)

// A department's page (/departments/{id}).

func (s *Server) uiDepartment(w http.ResponseWriter, r *http.Request) error {
	return s.renderDepartment(w, r, &departmentPage{})
}

func (s *Server) renderDepartment(w http.ResponseWriter, r *http.Request, p *departmentPage) error {
	id, err := pathID(r, "id", "entity.department")
	if err != nil {
		return err
	}
	d, err := s.People.Department(r.Context(), id)
	if err != nil {
		return err
	}
	ps, total, err := s.People.People(r.Context(), people.PersonFilter{DepartmentID: id, Limit: 500})
	if err != nil {
		return err
	}
	evs, err := s.DB.FindAudit(r.Context(), storeAuditFilter("department", strconv.FormatInt(id, 10)))
	if err != nil {
		return err
	}
	p.Department, p.People, p.Total, p.History = d, ps, total, s.auditRows(r, auditOutputs(evs))
	if p.Form == nil {
		p.Form = &people.DepartmentInput{Code: d.Code, NameZH: d.NameZH, NameEN: d.NameEN}
	}
	s.render(w, r, p)
	return nil
}

// uiUpdateDepartment saves the administrator's edit of a department's code
// and names, with the reason recorded in the audit trail.
func (s *Server) uiUpdateDepartment(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.department")
	if err != nil {
		return err
	}
	in := departmentForm(r)
	if _, err := s.People.UpdateDepartment(r.Context(), a, id, in, r.PostFormValue("reason")); err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderDepartment(w, r, &departmentPage{formState: failed(fe, msg), Form: &in})
		})
	}
	http.Redirect(w, r, "/departments/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// departmentPage is a department: its people, the administrator's edit
// form and its audit history.
type departmentPage struct {
	Page
	formState
	Department domain.Department
	People     []domain.Person
	Total      int
	History    []auditRow
	// Form is the edit form's values: the department's, or those sent.
	Form *people.DepartmentInput
}

func (*departmentPage) template() string { return "department" }
