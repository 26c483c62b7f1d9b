package web

import (
	"net/http"

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

func (s *Server) apiDepartments(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.People.Departments(r.Context(), r.URL.Query().Get("include_inactive") == "true")
	if err != nil {
		return err
	}
	if ds == nil {
		ds = []domain.Department{}
	}
	writeJSON(w, http.StatusOK, ds)
	return nil
}

func (s *Server) apiDepartment(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "entity.department")
	if err != nil {
		return err
	}
	d, err := s.People.Department(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) apiDepartmentHistory(w http.ResponseWriter, r *http.Request) error {
	return s.apiHistory(w, r, "department", "entity.department", func(id int64) error {
		_, err := s.People.Department(r.Context(), id)
		return err
	})
}

func (s *Server) apiCreateDepartment(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	var in departmentInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	d, err := s.People.CreateDepartment(r.Context(), a, people.DepartmentInput{Code: in.Code, NameZH: in.NameZH, NameEN: in.NameEN})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (s *Server) apiUpdateDepartment(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.department")
	if err != nil {
		return err
	}
	var in departmentInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	d, err := s.People.UpdateDepartment(r.Context(), a, id, people.DepartmentInput{Code: in.Code, NameZH: in.NameZH, NameEN: in.NameEN}, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) apiSetDepartmentActive(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.department")
	if err != nil {
		return err
	}
	var in activeInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.People.SetDepartmentActive(r.Context(), a, id, in.Active, in.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
