package web

import (
	"time"

	"net/http"
	"strconv"

	"labflow/internal/domain"
)

// A person's page (/people/{id}) and the administrator's actions on it.

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
