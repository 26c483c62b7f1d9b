package web

import (
	"net/http"
	"strconv"
	"strings"

	"labflow/internal/domain"
	"labflow/internal/people"
)

// The form that creates or edits a person (/people/new, /people/{id}/edit).

// personForm is the create/edit form's values, kept to redisplay after an error.
type personForm struct {
	Username, Name, Email, Phone, HiredOn, Lang, Rank, RankSince, Password, Reason string
	DepartmentID                                                                   int64
	Roles                                                                          []string
}

func readPersonForm(r *http.Request) personForm {
	r.ParseForm()
	f := personForm{Username: strings.TrimSpace(r.PostFormValue("username")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Email: strings.TrimSpace(r.PostFormValue("email")), Phone: strings.TrimSpace(r.PostFormValue("phone")),
		HiredOn: r.PostFormValue("hired_on"), Lang: r.PostFormValue("lang"), Rank: r.PostFormValue("rank"),
		RankSince: r.PostFormValue("rank_since"), Password: r.PostFormValue("password"), Reason: r.PostFormValue("reason"),
		Roles: r.PostForm["roles"]}
	f.DepartmentID, _ = strconv.ParseInt(r.PostFormValue("department_id"), 10, 64)
	return f
}

func (s *Server) renderPersonForm(w http.ResponseWriter, r *http.Request, p *personFormPage) error {
	_, ds, err := s.deptNames(r)
	if err != nil {
		return err
	}
	roles, err := s.roleKeys(r)
	if err != nil {
		return err
	}
	p.Departments, p.Roles, p.Ranks = ds, roles, domain.Ranks
	s.render(w, r, p)
	return nil
}

func (s *Server) uiNewPerson(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if !a.IsAdmin() {
		return domain.Forbidden("web.newPerson")
	}
	return s.renderPersonForm(w, r, &personFormPage{New: true})
}

func (s *Server) uiCreatePerson(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	f := readPersonForm(r)
	in := personInput{Username: f.Username, Name: f.Name, Email: f.Email, Phone: f.Phone, DepartmentID: f.DepartmentID,
		HiredOn: f.HiredOn, Lang: f.Lang, Rank: domain.Rank(f.Rank), RankSince: f.RankSince, Password: f.Password}
	for _, role := range f.Roles {
		// A department-scoped role takes the person's department (people.CreatePerson).
		in.Roles = append(in.Roles, domain.Grant{Role: domain.Role(role)})
	}
	p, err := s.createPerson(r, a, in)
	if err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			f.Password = ""
			return s.renderPersonForm(w, r, &personFormPage{formState: failed(fe, msg), Form: f, New: true})
		})
	}
	http.Redirect(w, r, "/people/"+strconv.FormatInt(p.ID, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) uiEditPerson(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if !a.IsAdmin() {
		return domain.Forbidden("web.editPerson")
	}
	id, err := pathID(r, "id", "entity.person")
	if err != nil {
		return err
	}
	p, err := s.People.Person(r.Context(), id)
	if err != nil {
		return err
	}
	f := personForm{Username: p.Username, Name: p.Name, Email: p.Email, Phone: p.Phone, HiredOn: p.HiredOn, Lang: p.Lang, DepartmentID: p.DepartmentID}
	return s.renderPersonForm(w, r, &personFormPage{Form: f, Person: p})
}

func (s *Server) uiUpdatePerson(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.person")
	if err != nil {
		return err
	}
	f := readPersonForm(r)
	u := people.PersonUpdate{Name: &f.Name, Email: &f.Email, Phone: &f.Phone, HiredOn: &f.HiredOn, Lang: &f.Lang, DepartmentID: &f.DepartmentID}
	if _, err := s.People.UpdatePerson(r.Context(), a, id, u, f.Reason); err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			p, _ := s.People.Person(r.Context(), id)
			f.Username = p.Username
			return s.renderPersonForm(w, r, &personFormPage{formState: failed(fe, msg), Form: f, Person: p})
		})
	}
	http.Redirect(w, r, "/people/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// personFormPage creates a person (New) or edits one.
type personFormPage struct {
	Page
	formState
	New         bool
	Form        personForm
	Person      domain.Person
	Departments []domain.Department
	Roles       []domain.Role
	Ranks       []domain.Rank
}

func (*personFormPage) template() string { return "person_form" }
