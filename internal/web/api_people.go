package web

import (
	"context"
	"net/http"
	"strconv"

	"labflow/internal/domain"
	"labflow/internal/people"
)

type personOut = domain.Person
type rankOut = domain.RankEntry

type activeInput struct {
	Active bool   `json:"active"`
	Reason string `json:"reason"`
}

type personInput struct {
	Username     string         `json:"username"`
	Name         string         `json:"name"`
	Email        string         `json:"email,omitempty"`
	Phone        string         `json:"phone,omitempty"`
	DepartmentID int64          `json:"department_id,omitempty"`
	HiredOn      string         `json:"hired_on,omitempty"`
	Lang         string         `json:"lang,omitempty"`
	Roles        []domain.Grant `json:"roles,omitempty"`
	Rank         domain.Rank    `json:"rank,omitempty"`
	RankSince    string         `json:"rank_since,omitempty"`
	// Password, if given, becomes the initial password (hashed with argon2id).
	Password string `json:"password,omitempty"`
}

type peopleOutput struct {
	Items []domain.Person `json:"items"`
	Total int             `json:"total"`
}

func (s *Server) apiPeople(w http.ResponseWriter, r *http.Request) error {
	f, err := personFilter(r)
	if err != nil {
		return err
	}
	ps, total, err := s.People.People(r.Context(), f)
	if err != nil {
		return err
	}
	if ps == nil {
		ps = []domain.Person{}
	}
	writeJSON(w, http.StatusOK, peopleOutput{Items: ps, Total: total})
	return nil
}

func personFilter(r *http.Request) (people.PersonFilter, error) {
	q := r.URL.Query()
	f := people.PersonFilter{Query: q.Get("q"), Role: domain.Role(q.Get("role")), IncludeInactive: q.Get("include_inactive") == "true"}
	var err error
	if f.DepartmentID, err = queryInt(r, "department_id", 0); err != nil {
		return f, err
	}
	limit, err := queryInt(r, "limit", 50)
	if err != nil {
		return f, err
	}
	offset, err := queryInt(r, "offset", 0)
	if err != nil {
		return f, err
	}
	f.Limit, f.Offset = int(min(limit, 500)), int(offset)
	return f, nil
}

// createPerson hashes the optional initial password outside the write and
// creates the person.
func (s *Server) createPerson(r *http.Request, a domain.Actor, in personInput) (domain.Person, error) {
	pin := people.PersonInput{Username: in.Username, Name: in.Name, Email: in.Email, Phone: in.Phone,
		DepartmentID: in.DepartmentID, HiredOn: in.HiredOn, Lang: in.Lang, Roles: in.Roles, Rank: in.Rank, RankSince: in.RankSince}
	if in.Password != "" {
		var c domain.Checker
		c.Password("password", in.Password)
		if err := c.Err("web.createPerson"); err != nil {
			return domain.Person{}, err
		}
		h, err := hashPassword(in.Password)
		if err != nil {
			return domain.Person{}, err
		}
		pin.PasswordHash = h
	}
	return s.People.CreatePerson(r.Context(), a, pin)
}

func (s *Server) apiCreatePerson(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	var in personInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.createPerson(r, a, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) apiPerson(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "entity.person")
	if err != nil {
		return err
	}
	p, err := s.People.Person(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

type personUpdateInput struct {
	Name         *string `json:"name,omitempty"`
	Email        *string `json:"email,omitempty"`
	Phone        *string `json:"phone,omitempty"`
	HiredOn      *string `json:"hired_on,omitempty"`
	Lang         *string `json:"lang,omitempty"`
	DepartmentID *int64  `json:"department_id,omitempty"`
	Reason       string  `json:"reason"`
}

func (s *Server) apiUpdatePerson(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.person")
	if err != nil {
		return err
	}
	var in personUpdateInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := s.People.UpdatePerson(r.Context(), a, id, people.PersonUpdate{Name: in.Name, Email: in.Email, Phone: in.Phone,
		HiredOn: in.HiredOn, Lang: in.Lang, DepartmentID: in.DepartmentID}, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) apiSetPersonActive(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.person")
	if err != nil {
		return err
	}
	var in activeInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.People.SetPersonActive(r.Context(), a, id, in.Active, in.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type roleInput struct {
	Role         domain.Role `json:"role"`
	DepartmentID int64       `json:"department_id,omitempty"`
	Reason       string      `json:"reason,omitempty"`
}

func (s *Server) apiGrantRole(w http.ResponseWriter, r *http.Request) error {
	return s.apiRole(w, r, func(ctx context.Context, a domain.Actor, id int64, g domain.Grant, reason string) error {
		if err := s.People.GrantRole(ctx, a, id, g, reason); err != nil {
			return err
		}
		s.reassess(r) // a step waiting for this role gets its people
		return nil
	})
}

func (s *Server) apiRevokeRole(w http.ResponseWriter, r *http.Request) error {
	return s.apiRole(w, r, s.People.RevokeRole)
}

func (s *Server) apiRole(w http.ResponseWriter, r *http.Request, f func(ctx context.Context, a domain.Actor, id int64, g domain.Grant, reason string) error) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.person")
	if err != nil {
		return err
	}
	var in roleInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := f(r.Context(), a, id, domain.Grant{Role: in.Role, DepartmentID: in.DepartmentID}, in.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type rankInput struct {
	Rank  domain.Rank `json:"rank"`
	Since string      `json:"since"`
	Note  string      `json:"note,omitempty"`
}

type attributesOut struct {
	Current map[string]string       `json:"current"`
	History []domain.AttributeEntry `json:"history"`
}

// apiAttributes lists a person's employment attributes (status, dates) as
// processes set them, with their history.
func (s *Server) apiAttributes(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "entity.person")
	if err != nil {
		return err
	}
	if _, err := s.People.Person(r.Context(), id); err != nil {
		return err
	}
	hist, now, err := s.People.Attributes(r.Context(), id)
	if err != nil {
		return err
	}
	if hist == nil {
		hist = []domain.AttributeEntry{}
	}
	writeJSON(w, http.StatusOK, attributesOut{Current: now, History: hist})
	return nil
}

func (s *Server) apiRanks(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "entity.person")
	if err != nil {
		return err
	}
	rs, err := s.People.RankHistory(r.Context(), id)
	if err != nil {
		return err
	}
	if rs == nil {
		rs = []domain.RankEntry{}
	}
	writeJSON(w, http.StatusOK, rs)
	return nil
}

func (s *Server) apiAddRank(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.person")
	if err != nil {
		return err
	}
	var in rankInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.People.AddRank(r.Context(), a, id, in.Rank, in.Since, in.Note); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// apiPersonHistory answers a person's audit history as the people service
// shows it to the caller: the security events (sign-ins, addresses,
// password and token events) only to the person and the administrator.
func (s *Server) apiPersonHistory(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.person")
	if err != nil {
		return err
	}
	evs, err := s.People.History(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, auditOutputs(evs))
	return nil
}

// apiHistory answers the audit history of the entity named in the path,
// after exists confirms the entity is there.
func (s *Server) apiHistory(w http.ResponseWriter, r *http.Request, entity, noun string, exists func(id int64) error) error {
	id, err := pathID(r, "id", noun)
	if err != nil {
		return err
	}
	if err := exists(id); err != nil {
		return err
	}
	evs, err := s.DB.FindAudit(r.Context(), storeAuditFilter(entity, strconv.FormatInt(id, 10)))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, auditOutputs(evs))
	return nil
}

type importOutput struct {
	Created int              `json:"created"`
	Errors  []importRowError `json:"errors"`
}

type importRowError struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Key     string `json:"key"`
	Message string `json:"message"`
}

func (s *Server) apiImportPeople(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	out, err := s.importPeople(w, r, a)
	if err != nil && len(out.Errors) == 0 {
		return err
	}
	status := http.StatusOK
	if len(out.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	writeJSON(w, status, out)
	return nil
}

func (s *Server) importPeople(w http.ResponseWriter, r *http.Request, a domain.Actor) (importOutput, error) {
	f, name, err := formFile(w, r, 8<<20)
	if err != nil {
		return importOutput{}, err
	}
	defer f.Close()
	res, err := s.People.Import(r.Context(), a, name, f)
	out := importOutput{Created: res.Created, Errors: []importRowError{}}
	lang := s.lang(r)
	for _, e := range res.Errors {
		out.Errors = append(out.Errors, importRowError{Row: e.Row, Field: e.Field, Key: e.Msg.Key, Message: translate(lang, e.Msg)})
	}
	return out, err
}

func (s *Server) apiExportRoles(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="labflow-roles.csv"`)
	return s.People.ExportRoles(r.Context(), a, w)
}

type resetPasswordInput struct {
	Password string `json:"password"`
}

func (s *Server) apiResetPassword(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.person")
	if err != nil {
		return err
	}
	var in resetPasswordInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.Auth.SetPassword(r.Context(), a, id, in.Password); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
