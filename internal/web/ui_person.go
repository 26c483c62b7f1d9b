package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"labflow/internal/domain"
	"labflow/internal/i18n"
)

// A person's page (/people/{id}) and the administrator's actions on it.

func (s *Server) uiPerson(w http.ResponseWriter, r *http.Request) error {
	return s.renderPerson(w, r, &personPage{})
}

func (s *Server) renderPerson(w http.ResponseWriter, r *http.Request, pg *personPage) error {
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
	attrs, _, err := s.People.Attributes(r.Context(), id)
	if err != nil {
		return err
	}
	for _, a := range attrs {
		at, _ := time.Parse(time.RFC3339Nano, a.CreatedAt)
		pg.Attributes = append(pg.Attributes, attrRow{AttributeEntry: a, At: at})
	}
	roles, err := s.roleKeys(r)
	if err != nil {
		return err
	}
	pg.Person, pg.RankHistory, pg.RoleHistory, pg.History = p, ranks, grants, s.auditRows(r, auditOutputs(evs))
	pg.DeptNames, pg.Departments, pg.Roles, pg.Ranks = names, ds, roles, domain.Ranks
	if pg.Notice == "" && pg.Error == "" {
		pg.Notice = s.personDone(r, p, names, roles)
	}
	s.render(w, r, pg)
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
			return s.renderPerson(w, r, &personPage{formState: failed(fe, msg), Form: form})
		})
	}
	// The page says what was done (issue 9 item 6).
	done := url.Values{"done": {form}}
	if g := grantFromForm(r); g.Role != "" && (form == "grant" || form == "revoke") {
		done.Set("role", string(g.Role))
		if g.DepartmentID != 0 {
			done.Set("dept", strconv.FormatInt(g.DepartmentID, 10))
		}
	}
	http.Redirect(w, r, "/people/"+strconv.FormatInt(id, 10)+"?"+done.Encode(), http.StatusSeeOther)
	return nil
}

func (s *Server) uiSetPersonActive(w http.ResponseWriter, r *http.Request) error {
	return s.personAction(w, r, "active", func(a domain.Actor, id int64) error {
		return s.People.SetPersonActive(r.Context(), a, id, r.PostFormValue("active") == "true", r.PostFormValue("reason"))
	})
}

// grantFromForm reads the role (and department) a form names: `grant`,
// "ROLE@DEPARTMENT_ID" of a role held (the revoke form offers only those),
// or `role` and `department_id`.
func grantFromForm(r *http.Request) domain.Grant {
	role, dept := r.PostFormValue("role"), r.PostFormValue("department_id")
	if g := r.PostFormValue("grant"); g != "" {
		role, dept, _ = strings.Cut(g, "@")
	}
	d, _ := strconv.ParseInt(dept, 10, 64)
	return domain.Grant{Role: domain.Role(role), DepartmentID: d}
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

// personPage is a person's page: facts, roles and ranks with their
// history, the administrator's forms and the audit history.
type personPage struct {
	Page
	formState
	// Form names the form an error belongs to (grant, revoke, rank,
	// password, active).
	Form        string
	Person      domain.Person
	RankHistory []domain.RankEntry
	// Attributes are the employment attributes processes set, with when.
	Attributes  []attrRow
	RoleHistory []domain.RoleGrant
	History     []auditRow
	DeptNames   map[int64]string
	Departments []domain.Department
	Roles       []domain.Role
	Ranks       []domain.Rank
}

func (*personPage) template() string { return "person" }

// attrRow is an employment attribute as set, with the time it was set.
type attrRow struct {
	domain.AttributeEntry
	At time.Time
}

// personDone says what the administrator's last action on the person page
// did, from the redirect's query (?done=grant&role=gm&dept=1): "已为 张伟
// 授予角色：总经理". The role is named only if it is one the page knows.
func (s *Server) personDone(r *http.Request, p domain.Person, depts map[int64]string, roles []domain.Role) string {
	q := r.URL.Query()
	lang := s.lang(r)
	switch done := q.Get("done"); done {
	case "grant", "revoke":
		role := domain.Role(q.Get("role"))
		if !slices.Contains(roles, role) {
			return ""
		}
		name := s.pages.roleNameIn(lang, role)
		if d, _ := strconv.ParseInt(q.Get("dept"), 10, 64); d != 0 && depts[d] != "" {
			name += " · " + depts[d]
		}
		return i18n.T(lang, "person.done_"+done, map[string]any{"name": p.Name, "role": name})
	case "active", "rank", "password":
		return i18n.T(lang, "person.done_"+done, map[string]any{"name": p.Name})
	}
	return ""
}
