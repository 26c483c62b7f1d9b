package web

import (
	"net/http"

	"labflow/internal/domain"
	"labflow/internal/people"
)

// The API of roles and committees as data (issue 8 §4).
// Every rule is the organisation service's (people); these handlers decode,
// call it and encode.

type roleDefInput struct {
	Key    string `json:"key"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
	Scoped bool   `json:"scoped,omitempty"`
	Reason string `json:"reason,omitempty"`
}

type roleDefOut = domain.RoleDef

func (s *Server) apiRoles(w http.ResponseWriter, r *http.Request) error {
	rs, err := s.People.Roles(r.Context(), r.URL.Query().Get("include_inactive") == "true")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rs)
	return nil
}

func (s *Server) apiRoleDef(w http.ResponseWriter, r *http.Request) error {
	d, err := s.People.Role(r.Context(), r.PathValue("key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) apiCreateRole(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	var in roleDefInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	d, err := s.People.CreateRole(r.Context(), a, people.RoleInput{Key: in.Key, NameZH: in.NameZH, NameEN: in.NameEN, Scoped: in.Scoped})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (s *Server) apiUpdateRole(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	var in roleDefInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	d, err := s.People.UpdateRole(r.Context(), a, r.PathValue("key"), people.RoleInput{NameZH: in.NameZH, NameEN: in.NameEN}, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) apiSetRoleActive(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	var in activeInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.People.SetRoleActive(r.Context(), a, r.PathValue("key"), in.Active, in.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type committeeInput struct {
	Key    string `json:"key"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
	Reason string `json:"reason,omitempty"`
}

type memberInput struct {
	PersonID int64  `json:"person_id"`
	Reason   string `json:"reason,omitempty"`
}

type committeeOut = domain.Committee

func (s *Server) apiCommittees(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.People.Committees(r.Context(), r.URL.Query().Get("include_inactive") == "true")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, cs)
	return nil
}

func (s *Server) apiCommittee(w http.ResponseWriter, r *http.Request) error {
	c, err := s.People.CommitteeNamed(r.Context(), r.PathValue("key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) apiCreateCommittee(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	var in committeeInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.People.CreateCommittee(r.Context(), a, people.CommitteeInput{Key: in.Key, NameZH: in.NameZH, NameEN: in.NameEN})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) apiUpdateCommittee(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	var in committeeInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	c, err := s.People.UpdateCommittee(r.Context(), a, r.PathValue("key"), people.CommitteeInput{NameZH: in.NameZH, NameEN: in.NameEN}, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) apiSetCommitteeActive(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	var in activeInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.People.SetCommitteeActive(r.Context(), a, r.PathValue("key"), in.Active, in.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiMember changes a committee's membership, then lets the steps waiting
// for someone try again (a committee step may now have people).
func (s *Server) apiMember(change func(s *people.Service, r *http.Request, a domain.Actor, key string, in memberInput) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, _ := actor(r)
		var in memberInput
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
		if err := change(s.People, r, a, r.PathValue("key"), in); err != nil {
			return err
		}
		s.reassess(r)
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
}

func addMember(p *people.Service, r *http.Request, a domain.Actor, key string, in memberInput) error {
	return p.AddMember(r.Context(), a, key, in.PersonID, in.Reason)
}

func removeMember(p *people.Service, r *http.Request, a domain.Actor, key string, in memberInput) error {
	return p.RemoveMember(r.Context(), a, key, in.PersonID, in.Reason)
}

func setChair(p *people.Service, r *http.Request, a domain.Actor, key string, in memberInput) error {
	return p.SetChair(r.Context(), a, key, in.PersonID, in.Reason)
}

type gapOut = people.Gap

// apiOrgGaps lists what the organisation lacks for the loaded definitions
// (administrator): roles nobody holds, committees without members or chair.
func (s *Server) apiOrgGaps(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if !a.IsAdmin() {
		return domain.Forbidden("web.orgGaps")
	}
	gaps, err := s.orgGaps(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, gaps)
	return nil
}

func (s *Server) orgGaps(r *http.Request) ([]people.Gap, error) {
	gaps, err := s.People.Gaps(r.Context(), s.Flow.NamedRoles(), s.Flow.NamedCommittees())
	if gaps == nil {
		gaps = []people.Gap{}
	}
	return gaps, err
}
