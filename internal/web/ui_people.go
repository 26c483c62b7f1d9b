package web

import (
	"time"

	"net/http"
	"strconv"
	"strings"

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

func (s *Server) uiPeople(w http.ResponseWriter, r *http.Request) error {
	f, err := personFilter(r)
	if err != nil {
		return err
	}
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
	s.render(w, r, "people", map[string]any{"People": ps, "Total": total, "Filter": f, "DeptNames": names, "Departments": ds,
		"Roles": roles, "Next": f.Offset + f.Limit, "Prev": max(f.Offset-f.Limit, 0)})
	return nil
}

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

func (s *Server) renderPersonForm(w http.ResponseWriter, r *http.Request, data map[string]any) error {
	_, ds, err := s.deptNames(r)
	if err != nil {
		return err
	}
	data["Departments"] = ds
	if data["Roles"], err = s.roleKeys(r); err != nil {
		return err
	}
	data["Ranks"] = domain.Ranks
	s.render(w, r, "person_form", data)
	return nil
}

func (s *Server) uiNewPerson(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if !a.IsAdmin() {
		return domain.Forbidden("web.newPerson")
	}
	return s.renderPersonForm(w, r, map[string]any{"Form": personForm{}, "New": true})
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
			return s.renderPersonForm(w, r, map[string]any{"Form": f, "New": true, "Errors": fe, "Error": msg})
		})
	}
	http.Redirect(w, r, "/people/"+strconv.FormatInt(p.ID, 10), http.StatusSeeOther)
	return nil
}

// formError redisplays a form with field messages for user errors, and
// leaves internal errors to writeError.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, err error, again func(map[string]string, string) error) error {
	k := domain.ErrorKind(err)
	if serverFault(err) || k == domain.KindUnauthenticated {
		return err
	}
	fe, msg := s.fieldErrors(r, err)
	w.WriteHeader(statusOf[k])
	return again(fe, msg)
}

func (s *Server) uiPerson(w http.ResponseWriter, r *http.Request) error {
	return s.renderPerson(w, r, nil)
}

func (s *Server) renderPerson(w http.ResponseWriter, r *http.Request, data map[string]any) error {
	id, err := pathID(r, "id", "entity.person")
	if err != nil {
		return err
	}
	p, err := s.People.Person(r.Context(), id)
	if err != nil {
		return err
	}
	ranks, err := s.People.RankHistory(r.Context(), id)
	if err != nil {
		return err
	}
	grants, err := s.People.RoleHistory(r.Context(), id)
	if err != nil {
		return err
	}
	a, _ := actor(r)
	evs, err := s.People.History(r.Context(), a, id)
	if err != nil {
		return err
	}
	names, ds, err := s.deptNames(r)
	if err != nil {
		return err
	}
	if data == nil {
		data = map[string]any{}
	}
	data["Person"] = p
	data["RankHistory"] = ranks
	attrs, _, err := s.People.Attributes(r.Context(), id)
	if err != nil {
		return err
	}
	type attrRow struct {
		domain.AttributeEntry
		At time.Time
	}
	var rows []attrRow
	for _, a := range attrs {
		at, _ := time.Parse(time.RFC3339Nano, a.CreatedAt)
		rows = append(rows, attrRow{AttributeEntry: a, At: at})
	}
	data["Attributes"] = rows
	data["RoleHistory"] = grants
	data["History"] = auditOutputs(evs)
	data["DeptNames"] = names
	data["Departments"] = ds
	if data["Roles"], err = s.roleKeys(r); err != nil {
		return err
	}
	data["Ranks"] = domain.Ranks
	s.render(w, r, "person", data)
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
	return s.renderPersonForm(w, r, map[string]any{"Form": f, "Person": p})
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
			return s.renderPersonForm(w, r, map[string]any{"Form": f, "Person": p, "Errors": fe, "Error": msg})
		})
	}
	http.Redirect(w, r, "/people/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

// personAction runs an administrator action from the person page and
// shows the page again, with the error next to the form if it failed.
func (s *Server) personAction(w http.ResponseWriter, r *http.Request, form string, do func(a domain.Actor, id int64) error) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.person")
	if err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		return fieldErr(domain.KindInvalid, "web.form", "error.invalid", "body", "field.bad_type")
	}
	if err := do(a, id); err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderPerson(w, r, map[string]any{"Form": form, "Errors": fe, "Error": msg})
		})
	}
	http.Redirect(w, r, "/people/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	return nil
}

func (s *Server) uiSetPersonActive(w http.ResponseWriter, r *http.Request) error {
	return s.personAction(w, r, "active", func(a domain.Actor, id int64) error {
		return s.People.SetPersonActive(r.Context(), a, id, r.PostFormValue("active") == "true", r.PostFormValue("reason"))
	})
}

func grantFromForm(r *http.Request) domain.Grant {
	d, _ := strconv.ParseInt(r.PostFormValue("department_id"), 10, 64)
	return domain.Grant{Role: domain.Role(r.PostFormValue("role")), DepartmentID: d}
}

func (s *Server) uiGrantRole(w http.ResponseWriter, r *http.Request) error {
	return s.personAction(w, r, "grant", func(a domain.Actor, id int64) error {
		if err := s.People.GrantRole(r.Context(), a, id, grantFromForm(r), r.PostFormValue("reason")); err != nil {
			return err
		}
		s.reassess(r) // a step waiting for this role gets its people
		return nil
	})
}

func (s *Server) uiRevokeRole(w http.ResponseWriter, r *http.Request) error {
	return s.personAction(w, r, "revoke", func(a domain.Actor, id int64) error {
		return s.People.RevokeRole(r.Context(), a, id, grantFromForm(r), r.PostFormValue("reason"))
	})
}

// uiResetPassword is the administrator's password reset from the person
// page; the password it sets is temporary (auth.SetPassword).
func (s *Server) uiResetPassword(w http.ResponseWriter, r *http.Request) error {
	return s.personAction(w, r, "password", func(a domain.Actor, id int64) error {
		return s.Auth.SetPassword(r.Context(), a, id, r.PostFormValue("password"))
	})
}

func (s *Server) uiAddRank(w http.ResponseWriter, r *http.Request) error {
	return s.personAction(w, r, "rank", func(a domain.Actor, id int64) error {
		return s.People.AddRank(r.Context(), a, id, domain.Rank(r.PostFormValue("rank")), r.PostFormValue("since"), r.PostFormValue("note"))
	})
}

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

func (s *Server) uiDepartment(w http.ResponseWriter, r *http.Request) error {
	return s.renderDepartment(w, r, nil)
}

func (s *Server) renderDepartment(w http.ResponseWriter, r *http.Request, data map[string]any) error {
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
	if data == nil {
		data = map[string]any{}
	}
	data["Department"], data["People"], data["Total"], data["History"] = d, ps, total, auditOutputs(evs)
	if _, ok := data["Form"]; !ok {
		data["Form"] = people.DepartmentInput{Code: d.Code, NameZH: d.NameZH, NameEN: d.NameEN}
	}
	s.render(w, r, "department", data)
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
			return s.renderDepartment(w, r, map[string]any{"Errors": fe, "Error": msg, "Form": in})
		})
	}
	http.Redirect(w, r, "/departments/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
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
