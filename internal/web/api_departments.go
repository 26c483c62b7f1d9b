package web

import (
	"labflow/internal/domain"
	"labflow/internal/people"
)

// The JSON API of departments.

type departmentInput struct {
	Code   string `json:"code"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
	Reason string `json:"reason,omitempty"`
}

type departmentOut = domain.Department

// departmentsQuery is what GET /api/v1/departments reads.
type departmentsQuery struct {
	IncludeInactive bool `json:"-" query:"include_inactive"`
}

func (s *Server) apiDepartments(c *call, q departmentsQuery) ([]departmentOut, error) {
	ds, err := s.People.Departments(c.Context(), q.IncludeInactive)
	if ds == nil {
		ds = []domain.Department{}
	}
	return ds, err
}

func (s *Server) apiDepartment(c *call, _ none) (departmentOut, error) {
	id, err := c.PathID("id", "entity.department")
	if err != nil {
		return departmentOut{}, err
	}
	return s.People.Department(c.Context(), id)
}

func (s *Server) apiDepartmentHistory(c *call, _ none) ([]auditOut, error) {
	return s.apiHistory(c, "department", "entity.department", func(id int64) error {
		_, err := s.People.Department(c.Context(), id)
		return err
	})
}

func (s *Server) apiCreateDepartment(c *call, in departmentInput) (departmentOut, error) {
	return s.People.CreateDepartment(c.Context(), c.Actor, people.DepartmentInput{Code: in.Code, NameZH: in.NameZH, NameEN: in.NameEN})
}

func (s *Server) apiUpdateDepartment(c *call, in departmentInput) (departmentOut, error) {
	id, err := c.PathID("id", "entity.department")
	if err != nil {
		return departmentOut{}, err
	}
	return s.People.UpdateDepartment(c.Context(), c.Actor, id, people.DepartmentInput{Code: in.Code, NameZH: in.NameZH, NameEN: in.NameEN}, in.Reason)
}

func (s *Server) apiSetDepartmentActive(c *call, in activeInput) (none, error) {
	id, err := c.PathID("id", "entity.department")
	if err != nil {
		return none{}, err
	}
	return none{}, s.People.SetDepartmentActive(c.Context(), c.Actor, id, in.Active, in.Reason)
}
