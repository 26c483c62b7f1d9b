package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"labflow/internal/domain"
	"labflow/internal/projects"
)

// The team panel of the project page (issue 10; DIR-3, PRJ-1): the team
// with each membership's period and, for who may assign people, the form
// that puts a researcher or analyst on the team and the one that ends a
// membership. The forms go through the projects service's AddMember and
// EndMember like the JSON API; a problem shows the page again with the
// values sent and each message beside its field.

// teamPanel is the panel's data.
type teamPanel struct {
	formState
	Code      string
	Team      []projects.Member
	MayAssign bool
	// People are whom the add form offers: the researchers and analysts
	// of the departments the project involves.
	People []optionView
	// Form names the form that failed ("member", or "end" with EndID) and
	// what it held.
	Form       string
	EndID      int64
	Add        teamAddForm
	EndTo      string
	EndReason  string
	DefaultDay string
}

// teamAddForm is the add form as sent.
type teamAddForm struct{ PersonID, From, To string }

// teamFormKey carries a failed team form to the page shown again.
type teamFormKey struct{}

// teamPanelOf builds the panel of project d for the request's viewer.
func (s *Server) teamPanelOf(r *http.Request, d projects.Detail, today string) *teamPanel {
	p := &teamPanel{Code: d.Code, Team: d.Team, MayAssign: d.MayAssign, DefaultDay: today}
	if f, ok := r.Context().Value(teamFormKey{}).(*teamPanel); ok {
		p.formState, p.Form, p.EndID, p.Add, p.EndTo, p.EndReason = f.formState, f.Form, f.EndID, f.Add, f.EndTo, f.EndReason
	}
	if !p.MayAssign {
		return p
	}
	a, _ := actor(r)
	seen := map[int64]bool{}
	for _, dept := range d.Departments {
		if !d.MayDirect && !a.HasIn(domain.RoleDirector, dept) {
			continue // another department's director assigns its people
		}
		for _, role := range []domain.Role{domain.RoleResearcher, domain.RoleAnalyst} {
			ps, err := s.People.WithRole(r.Context(), role, dept)
			if err != nil {
				continue
			}
			for _, per := range ps {
				if seen[per.ID] || !per.Active {
					continue
				}
				seen[per.ID] = true
				v := strconv.FormatInt(per.ID, 10)
				p.People = append(p.People, optionView{Value: v, Label: per.Name + " (" + per.Username + ")", Selected: v == p.Add.PersonID})
			}
		}
	}
	slices.SortStableFunc(p.People, func(a, b optionView) int {
		switch {
		case a.Label < b.Label:
			return -1
		case a.Label > b.Label:
			return 1
		}
		return 0
	})
	return p
}

// teamDone redirects to the team panel, or shows the project page again
// with the failed form f.
func (s *Server) teamDone(w http.ResponseWriter, r *http.Request, f *teamPanel, err error) error {
	if err == nil {
		http.Redirect(w, r, "/projects/"+url.PathEscape(r.PathValue("code"))+"#project-team", http.StatusSeeOther)
		return nil
	}
	if k := domain.ErrorKind(err); k == domain.KindNotFound || k == domain.KindForbidden {
		return err
	}
	return s.formError(w, r, err, func(fe map[string]string, msg string) error {
		f.formState = failed(fe, msg)
		return s.uiProject(w, r.WithContext(context.WithValue(r.Context(), teamFormKey{}, f)))
	})
}

func (s *Server) uiAddMember(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	r.ParseForm()
	f := &teamPanel{Form: "member", Add: teamAddForm{PersonID: r.PostFormValue("person_id"), From: r.PostFormValue("from"), To: r.PostFormValue("to")}}
	id, _ := strconv.ParseInt(f.Add.PersonID, 10, 64)
	_, err = svc.AddMember(r.Context(), a, r.PathValue("code"), projects.MemberInput{PersonID: id, From: f.Add.From, To: f.Add.To})
	return s.teamDone(w, r, f, err)
}

func (s *Server) uiEndMember(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.project_member")
	if err != nil {
		return err
	}
	r.ParseForm()
	f := &teamPanel{Form: "end", EndID: id, EndTo: r.PostFormValue("to"), EndReason: r.PostFormValue("reason")}
	_, err = svc.EndMember(r.Context(), a, r.PathValue("code"), id, projects.EndInput{To: f.EndTo, Reason: f.EndReason})
	return s.teamDone(w, r, f, err)
}
