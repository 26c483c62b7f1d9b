package web

import (
	"net/http"

	"labflow/internal/domain"
	"labflow/internal/people"
)

// deptNames maps department ids to names in the request's language.
func (s *Server) deptNames(r *http.Request) (map[int64]string, []domain.Department, error) {
	ds, err := s.People.Departments(r.Context(), true)
	if err != nil {
		return nil, nil, err
	}
	m := map[int64]string{}
	en := s.lang(r) == "en"
	for _, d := range ds {
		if en {
			m[d.ID] = d.NameEN
		} else {
			m[d.ID] = d.NameZH
		}
	}
	return m, ds, nil
}

// The /people page: the people of the institute, filtered.

func (s *Server) uiPeople(w http.ResponseWriter, r *http.Request) error {
	var q peopleQuery
	if err := decodeQuery(r, &q); err != nil {
		return err
	}
	f := q.filter()
	ps, total, err := s.People.People(r.Context(), f)
	if err != nil {
		return err
	}
	names, ds, err := s.deptNames(r)
	if err != nil {
		return err
	}
	roles, err := s.roleKeys(r)
	if err != nil {
		return err
	}
	s.render(w, r, &peoplePage{People: ps, Total: total, Filter: f, DeptNames: names, Departments: ds,
		Roles: roles, Next: f.Offset + f.Limit, Prev: max(f.Offset-f.Limit, 0)})
	return nil
}

// peoplePage lists people.
type peoplePage struct {
	Page
	People      []domain.Person
	Total       int
	Filter      people.PersonFilter
	DeptNames   map[int64]string
	Departments []domain.Department
	Roles       []domain.Role
	Next, Prev  int
}

func (*peoplePage) template() string { return "people" }
