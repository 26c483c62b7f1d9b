package web

import (
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

// peopleQuery is what GET /api/v1/people (and the people page) reads.
type peopleQuery struct {
	Query           string `json:"-" query:"q"`
	DepartmentID    int64  `json:"-" query:"department_id"`
	Role            string `json:"-" query:"role"`
	IncludeInactive bool   `json:"-" query:"include_inactive"`
	Limit           int64  `json:"-" query:"limit" default:"50"`
	Offset          int64  `json:"-" query:"offset"`
}

// filter is the people service's filter for q (at most 500 at a time).
func (q peopleQuery) filter() people.PersonFilter {
	return people.PersonFilter{Query: q.Query, Role: domain.Role(q.Role), IncludeInactive: q.IncludeInactive,
		DepartmentID: q.DepartmentID, Limit: int(min(q.Limit, 500)), Offset: int(min(q.Offset, 1<<30))}
}

func (s *Server) apiPeople(c *call, q peopleQuery) (peopleOutput, error) {
	ps, total, err := s.People.People(c.Context(), q.filter())
	if err != nil {
		return peopleOutput{}, err
	}
	if ps == nil {
		ps = []domain.Person{}
	}
	return peopleOutput{Items: ps, Total: total}, nil
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

func (s *Server) apiCreatePerson(c *call, in personInput) (personOut, error) {
	return s.createPerson(c.Request(), c.Actor, in)
}

func (s *Server) apiPerson(c *call, _ none) (personOut, error) {
	id, err := c.PathID("id", "entity.person")
	if err != nil {
		return personOut{}, err
	}
	return s.People.Person(c.Context(), id)
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

func (s *Server) apiUpdatePerson(c *call, in personUpdateInput) (personOut, error) {
	id, err := c.PathID("id", "entity.person")
	if err != nil {
		return personOut{}, err
	}
	return s.People.UpdatePerson(c.Context(), c.Actor, id, people.PersonUpdate{Name: in.Name, Email: in.Email, Phone: in.Phone,
		HiredOn: in.HiredOn, Lang: in.Lang, DepartmentID: in.DepartmentID}, in.Reason)
}

func (s *Server) apiSetPersonActive(c *call, in activeInput) (none, error) {
	id, err := c.PathID("id", "entity.person")
	if err != nil {
		return none{}, err
	}
	return none{}, s.People.SetPersonActive(c.Context(), c.Actor, id, in.Active, in.Reason)
}

type roleInput struct {
	Role         domain.Role `json:"role"`
	DepartmentID int64       `json:"department_id,omitempty"`
	Reason       string      `json:"reason,omitempty"`
}

func (s *Server) apiGrantRole(c *call, in roleInput) (none, error) {
	id, err := c.PathID("id", "entity.person")
	if err != nil {
		return none{}, err
	}
	if err := s.People.GrantRole(c.Context(), c.Actor, id, domain.Grant{Role: in.Role, DepartmentID: in.DepartmentID}, in.Reason); err != nil {
		return none{}, err
	}
	s.reassess(c.Request()) // a step waiting for this role gets its people
	return none{}, nil
}

func (s *Server) apiRevokeRole(c *call, in roleInput) (none, error) {
	id, err := c.PathID("id", "entity.person")
	if err != nil {
		return none{}, err
	}
	return none{}, s.People.RevokeRole(c.Context(), c.Actor, id, domain.Grant{Role: in.Role, DepartmentID: in.DepartmentID}, in.Reason)
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

func (s *Server) apiRanks(c *call, _ none) ([]rankOut, error) {
	id, err := c.PathID("id", "entity.person")
	if err != nil {
		return nil, err
	}
	rs, err := s.People.RankHistory(c.Context(), id)
	if rs == nil {
		rs = []domain.RankEntry{}
	}
	return rs, err
}

func (s *Server) apiAddRank(c *call, in rankInput) (none, error) {
	id, err := c.PathID("id", "entity.person")
	if err != nil {
		return none{}, err
	}
	return none{}, s.People.AddRank(c.Context(), c.Actor, id, in.Rank, in.Since, in.Note)
}

// apiPersonHistory answers a person's audit history as the people service
// shows it to the caller: the security events (sign-ins, addresses,
// password and token events) only to the person and the administrator.
func (s *Server) apiPersonHistory(c *call, _ none) ([]auditOut, error) {
	id, err := c.PathID("id", "entity.person")
	if err != nil {
		return nil, err
	}
	evs, err := s.People.History(c.Context(), c.Actor, id)
	if err != nil {
		return nil, err
	}
	return auditOutputs(evs), nil
}

// apiHistory answers the audit history of the entity named in the path,
// after exists confirms the entity is there.
func (s *Server) apiHistory(c *call, entity, noun string, exists func(id int64) error) ([]auditOut, error) {
	id, err := c.PathID("id", noun)
	if err != nil {
		return nil, err
	}
	if err := exists(id); err != nil {
		return nil, err
	}
	evs, err := s.DB.FindAudit(c.Context(), storeAuditFilter(entity, strconv.FormatInt(id, 10)))
	if err != nil {
		return nil, err
	}
	return auditOutputs(evs), nil
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

// apiImportPeople reads a multipart file (no typed input) and answers 422
// with the rows' errors when any row fails.
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

func (s *Server) apiResetPassword(c *call, in resetPasswordInput) (none, error) {
	id, err := c.PathID("id", "entity.person")
	if err != nil {
		return none{}, err
	}
	return none{}, s.Auth.SetPassword(c.Context(), c.Actor, id, in.Password)
}
