package web

import (
	"net/http"
	"strconv"

	"labflow/internal/domain"
	"labflow/internal/people"
)

// The pages of roles and committees as data (issue 8 §4): 系统管理 → 角色
// and 委员会, for the administrator.

// businessOptions lists the people who may act in the business (never the
// administrator, R12) for a select.
func (s *Server) businessOptions(r *http.Request) ([]optionView, error) {
	ppl, _, err := s.People.People(r.Context(), people.PersonFilter{Limit: 1000})
	if err != nil {
		return nil, err
	}
	var opts []optionView
	for _, p := range ppl {
		if p.Active && !holdsRole(p, domain.RoleSysAdmin) && len(p.Grants) > 0 {
			opts = append(opts, optionView{Value: strconv.FormatInt(p.ID, 10), Label: p.Name + " (" + p.Username + ")"})
		}
	}
	return opts, nil
}

func adminOnlyPage(r *http.Request, op string) error {
	a, _ := actor(r)
	if !a.IsAdmin() {
		return domain.Forbidden(op)
	}
	return nil
}

// ---- Roles ----

func (s *Server) uiRoles(w http.ResponseWriter, r *http.Request) error {
	if err := adminOnlyPage(r, "web.roles"); err != nil {
		return err
	}
	return s.renderRoles(w, r, &orgRolesPage{})
}

func (s *Server) renderRoles(w http.ResponseWriter, r *http.Request, p *orgRolesPage) error {
	if p == nil {
		p = &orgRolesPage{}
	}
	rs, err := s.People.Roles(r.Context(), true)
	if err != nil {
		return err
	}
	p.Roles = rs
	if p.Form == nil {
		p.Form = &people.RoleInput{}
	}
	s.render(w, r, p)
	return nil
}

func (s *Server) uiCreateRole(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	in := people.RoleInput{Key: r.PostFormValue("key"), NameZH: r.PostFormValue("name_zh"), NameEN: r.PostFormValue("name_en"),
		Scoped: r.PostFormValue("scoped") == "true"}
	if _, err := s.People.CreateRole(r.Context(), a, in); err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderRoles(w, r, &orgRolesPage{formState: failed(fe, msg), Form: &in})
		})
	}
	http.Redirect(w, r, "/admin/roles", http.StatusSeeOther)
	return nil
}

func (s *Server) uiRole(w http.ResponseWriter, r *http.Request) error {
	if err := adminOnlyPage(r, "web.role"); err != nil {
		return err
	}
	return s.renderRole(w, r, &orgRolePage{})
}

func (s *Server) renderRole(w http.ResponseWriter, r *http.Request, p *orgRolePage) error {
	if p == nil {
		p = &orgRolePage{}
	}
	key := r.PathValue("key")
	d, err := s.People.Role(r.Context(), key)
	if err != nil {
		return err
	}
	holders, total, err := s.People.People(r.Context(), people.PersonFilter{Role: d.Key, Limit: 500})
	if err != nil {
		return err
	}
	evs, err := s.DB.FindAudit(r.Context(), storeAuditFilter("role_def", key))
	if err != nil {
		return err
	}
	names, _, err := s.deptNames(r)
	if err != nil {
		return err
	}
	p.RoleDef, p.Holders, p.Total, p.History, p.DeptNames = d, holders, total, s.auditRows(r, auditOutputs(evs)), names
	p.Definitions = s.Flow.Naming("role", key)
	if p.Form == nil {
		p.Form = &people.RoleInput{Key: string(d.Key), NameZH: d.NameZH, NameEN: d.NameEN, Scoped: d.Scoped}
	}
	s.render(w, r, p)
	return nil
}

func (s *Server) uiUpdateRole(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	key := r.PathValue("key")
	in := people.RoleInput{Key: key, NameZH: r.PostFormValue("name_zh"), NameEN: r.PostFormValue("name_en")}
	if _, err := s.People.UpdateRole(r.Context(), a, key, in, r.PostFormValue("reason")); err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderRole(w, r, &orgRolePage{formState: failed(fe, msg), Form: &in})
		})
	}
	http.Redirect(w, r, "/admin/roles/"+key, http.StatusSeeOther)
	return nil
}

func (s *Server) uiSetRoleActive(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	key := r.PathValue("key")
	if err := s.People.SetRoleActive(r.Context(), a, key, r.PostFormValue("active") == "true", r.PostFormValue("reason")); err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderRole(w, r, &orgRolePage{formState: failed(fe, msg)})
		})
	}
	http.Redirect(w, r, "/admin/roles/"+key, http.StatusSeeOther)
	return nil
}

// ---- Committees ----

func (s *Server) uiCommittees(w http.ResponseWriter, r *http.Request) error {
	if err := adminOnlyPage(r, "web.committees"); err != nil {
		return err
	}
	return s.renderCommittees(w, r, &orgCommitteesPage{})
}

func (s *Server) renderCommittees(w http.ResponseWriter, r *http.Request, p *orgCommitteesPage) error {
	if p == nil {
		p = &orgCommitteesPage{}
	}
	cs, err := s.People.Committees(r.Context(), true)
	if err != nil {
		return err
	}
	p.Committees = cs
	if p.Form == nil {
		p.Form = &people.CommitteeInput{}
	}
	s.render(w, r, p)
	return nil
}

func (s *Server) uiCreateCommittee(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	in := people.CommitteeInput{Key: r.PostFormValue("key"), NameZH: r.PostFormValue("name_zh"), NameEN: r.PostFormValue("name_en")}
	c, err := s.People.CreateCommittee(r.Context(), a, in)
	if err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderCommittees(w, r, &orgCommitteesPage{formState: failed(fe, msg), Form: &in})
		})
	}
	http.Redirect(w, r, "/admin/committees/"+c.Key, http.StatusSeeOther)
	return nil
}

func (s *Server) uiCommittee(w http.ResponseWriter, r *http.Request) error {
	if err := adminOnlyPage(r, "web.committee"); err != nil {
		return err
	}
	return s.renderCommittee(w, r, &orgCommitteePage{})
}

func (s *Server) renderCommittee(w http.ResponseWriter, r *http.Request, p *orgCommitteePage) error {
	if p == nil {
		p = &orgCommitteePage{}
	}
	key := r.PathValue("key")
	c, err := s.People.CommitteeNamed(r.Context(), key)
	if err != nil {
		return err
	}
	var hist []domain.CommitteeMember
	if !c.Builtin {
		if hist, err = s.People.CommitteeHistory(r.Context(), key); err != nil {
			return err
		}
	}
	evs, err := s.DB.FindAudit(r.Context(), storeAuditFilter("committee", key))
	if err != nil {
		return err
	}
	opts, err := s.businessOptions(r)
	if err != nil {
		return err
	}
	p.Committee, p.Memberships, p.History, p.People = c, hist, s.auditRows(r, auditOutputs(evs)), opts
	p.Definitions = s.Flow.Naming("committee", key)
	if p.Form == nil {
		p.Form = &people.CommitteeInput{Key: c.Key, NameZH: c.NameZH, NameEN: c.NameEN}
	}
	s.render(w, r, p)
	return nil
}

func (s *Server) uiUpdateCommittee(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	key := r.PathValue("key")
	in := people.CommitteeInput{Key: key, NameZH: r.PostFormValue("name_zh"), NameEN: r.PostFormValue("name_en")}
	if _, err := s.People.UpdateCommittee(r.Context(), a, key, in, r.PostFormValue("reason")); err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderCommittee(w, r, &orgCommitteePage{formState: failed(fe, msg), Form: &in})
		})
	}
	http.Redirect(w, r, "/admin/committees/"+key, http.StatusSeeOther)
	return nil
}

func (s *Server) uiSetCommitteeActive(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	key := r.PathValue("key")
	if err := s.People.SetCommitteeActive(r.Context(), a, key, r.PostFormValue("active") == "true", r.PostFormValue("reason")); err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderCommittee(w, r, &orgCommitteePage{formState: failed(fe, msg)})
		})
	}
	http.Redirect(w, r, "/admin/committees/"+key, http.StatusSeeOther)
	return nil
}

// uiCommitteeMember adds a member, removes one or names the chair.
func (s *Server) uiCommitteeMember(what string) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, _ := actor(r)
		if err := parseAnyForm(w, r); err != nil {
			return err
		}
		key := r.PathValue("key")
		pid, _ := strconv.ParseInt(r.PostFormValue("person_id"), 10, 64)
		reason := r.PostFormValue("reason")
		var err error
		switch what {
		case "add":
			err = s.People.AddMember(r.Context(), a, key, pid, reason)
		case "remove":
			err = s.People.RemoveMember(r.Context(), a, key, pid, reason)
		default:
			err = s.People.SetChair(r.Context(), a, key, pid, reason)
		}
		if err != nil {
			return s.formError(w, r, err, func(fe map[string]string, msg string) error {
				return s.renderCommittee(w, r, &orgCommitteePage{formState: failed(fe, msg), Acting: what})
			})
		}
		s.reassess(r)
		http.Redirect(w, r, "/admin/committees/"+key, http.StatusSeeOther)
		return nil
	}
}

// roleKeys lists the roles that may be granted (built-in and defined), for
// the people pages' selects.
func (s *Server) roleKeys(r *http.Request) ([]domain.Role, error) {
	rs, err := s.People.Roles(r.Context(), false)
	if err != nil {
		return nil, err
	}
	out := make([]domain.Role, 0, len(rs))
	for _, d := range rs {
		out = append(out, d.Key)
	}
	return out, nil
}

// orgRolesPage lists the roles, built-in and defined, with the form to
// define one.
type orgRolesPage struct {
	Page
	formState
	Roles []domain.RoleDef
	Form  *people.RoleInput
}

func (*orgRolesPage) template() string { return "org_roles" }

// orgRolePage is one role: who holds it, which definitions name it, its
// history and the form to rename it.
type orgRolePage struct {
	Page
	formState
	RoleDef     domain.RoleDef
	Holders     []domain.Person
	Total       int
	History     []auditRow
	DeptNames   map[int64]string
	Definitions []string
	Form        *people.RoleInput
}

func (*orgRolePage) template() string { return "org_role" }

// orgCommitteesPage lists the committees with the form to create one.
type orgCommitteesPage struct {
	Page
	formState
	Committees []domain.Committee
	Form       *people.CommitteeInput
}

func (*orgCommitteesPage) template() string { return "org_committees" }

// orgCommitteePage is one committee: members and chair, their history,
// which definitions name it; Acting is the member form an error belongs to.
type orgCommitteePage struct {
	Page
	formState
	Committee   domain.Committee
	Memberships []domain.CommitteeMember
	History     []auditRow
	People      []optionView
	Definitions []string
	Form        *people.CommitteeInput
	Acting      string
}

func (*orgCommitteePage) template() string { return "org_committee" }
