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
	return s.renderRoles(w, r, map[string]any{})
}

func (s *Server) renderRoles(w http.ResponseWriter, r *http.Request, data map[string]any) error {
	rs, err := s.People.Roles(r.Context(), true)
	if err != nil {
		return err
	}
	data["Roles"] = rs
	if data["Form"] == nil {
		data["Form"] = people.RoleInput{}
	}
	s.render(w, r, "org_roles", data)
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
			return s.renderRoles(w, r, map[string]any{"Errors": fe, "Error": msg, "Form": in})
		})
	}
	http.Redirect(w, r, "/admin/roles", http.StatusSeeOther)
	return nil
}

func (s *Server) uiRole(w http.ResponseWriter, r *http.Request) error {
	if err := adminOnlyPage(r, "web.role"); err != nil {
		return err
	}
	return s.renderRole(w, r, map[string]any{})
}

func (s *Server) renderRole(w http.ResponseWriter, r *http.Request, data map[string]any) error {
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
	data["RoleDef"], data["Holders"], data["Total"], data["History"], data["DeptNames"] = d, holders, total, auditOutputs(evs), names
	data["Definitions"] = s.Flow.Naming("role", key)
	if data["Form"] == nil {
		data["Form"] = people.RoleInput{Key: string(d.Key), NameZH: d.NameZH, NameEN: d.NameEN, Scoped: d.Scoped}
	}
	s.render(w, r, "org_role", data)
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
			return s.renderRole(w, r, map[string]any{"Errors": fe, "Error": msg, "Form": in})
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
			return s.renderRole(w, r, map[string]any{"Errors": fe, "Error": msg})
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
	return s.renderCommittees(w, r, map[string]any{})
}

func (s *Server) renderCommittees(w http.ResponseWriter, r *http.Request, data map[string]any) error {
	cs, err := s.People.Committees(r.Context(), true)
	if err != nil {
		return err
	}
	data["Committees"] = cs
	if data["Form"] == nil {
		data["Form"] = people.CommitteeInput{}
	}
	s.render(w, r, "org_committees", data)
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
			return s.renderCommittees(w, r, map[string]any{"Errors": fe, "Error": msg, "Form": in})
		})
	}
	http.Redirect(w, r, "/admin/committees/"+c.Key, http.StatusSeeOther)
	return nil
}

func (s *Server) uiCommittee(w http.ResponseWriter, r *http.Request) error {
	if err := adminOnlyPage(r, "web.committee"); err != nil {
		return err
	}
	return s.renderCommittee(w, r, map[string]any{})
}

func (s *Server) renderCommittee(w http.ResponseWriter, r *http.Request, data map[string]any) error {
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
	data["Committee"], data["Memberships"], data["History"], data["People"] = c, hist, auditOutputs(evs), opts
	data["Definitions"] = s.Flow.Naming("committee", key)
	if data["Form"] == nil {
		data["Form"] = people.CommitteeInput{Key: c.Key, NameZH: c.NameZH, NameEN: c.NameEN}
	}
	if data["Errors"] == nil {
		data["Errors"] = map[string]string{}
	}
	s.render(w, r, "org_committee", data)
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
			return s.renderCommittee(w, r, map[string]any{"Errors": fe, "Error": msg, "Form": in})
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
			return s.renderCommittee(w, r, map[string]any{"Errors": fe, "Error": msg})
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
				return s.renderCommittee(w, r, map[string]any{"Errors": fe, "Error": msg, "Acting": what})
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
