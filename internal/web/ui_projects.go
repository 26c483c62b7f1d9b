package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"labflow/internal/domain"
	"labflow/internal/projects"
)

// The /projects page: the projects the viewer may see, with stage, plan and
// next node due, filters in the URL; a director creates one here.

func (s *Server) uiProjects(w http.ResponseWriter, r *http.Request) error {
	return s.renderProjects(w, r, &projectsPage{})
}

func (s *Server) renderProjects(w http.ResponseWriter, r *http.Request, p *projectsPage) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	f, err := projectFilter(r)
	if err != nil {
		return err
	}
	if !r.URL.Query().Has("limit") {
		f.Limit = projectsPerPage
	}
	ps, total, err := svc.List(r.Context(), a, f)
	if err != nil {
		return err
	}
	names, ds, err := s.deptNames(r)
	if err != nil {
		return err
	}
	directors := map[int64]string{}
	for _, x := range ps {
		if _, ok := directors[x.DirectorID]; !ok {
			if per, err := s.People.Person(r.Context(), x.DirectorID); err == nil {
				directors[x.DirectorID] = per.Name
			}
		}
	}
	p.Projects, p.Total, p.Filter, p.DeptNames, p.Departments = ps, total, f, names, ds
	p.Directors, p.Stages, p.MayCreate = directors, projects.Stages, a.Has(domain.RoleDirector)
	p.Kinds = []string{projects.KindAPI, projects.KindFormulation, projects.KindBoth}
	p.PrevURL, p.NextURL = pageLinks("/projects", r.URL.Query(), f.Offset, f.Limit, len(ps), total)
	p.Dashboards.Director = a.HasBusinessRole() && a.Has(domain.RoleDirector)
	p.Dashboards.Business = a.HasBusinessRole() && (a.Has(domain.RoleGM) || a.Has(domain.RoleBusinessDean))
	s.render(w, r, p)
	return nil
}

func (s *Server) uiCreateProject(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	r.ParseForm()
	in := projects.CreateInput{Code: r.PostFormValue("code"), Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), RLD: r.PostFormValue("rld"), Stage: r.PostFormValue("stage")}
	for _, v := range r.PostForm["departments"] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil {
			in.Departments = append(in.Departments, id)
		}
	}
	p, err := svc.Create(r.Context(), a, in)
	if err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderProjects(w, r, &projectsPage{formState: failed(fe, msg), Form: in})
		})
	}
	http.Redirect(w, r, "/projects/"+url.PathEscape(p.Code), http.StatusSeeOther)
	return nil
}

// projectsPage lists projects, with the director's form for a new one.
type projectsPage struct {
	Page
	formState
	Projects    []projects.Summary
	Total       int
	Filter      projects.Filter
	DeptNames   map[int64]string
	Departments []domain.Department
	Directors   map[int64]string
	Stages      []string
	Kinds       []string
	MayCreate   bool
	// Form is the new project's form as it was sent.
	Form projects.CreateInput
	// Dashboards are the dashboards the viewer has (pnodes).
	Dashboards struct{ Director, Business bool }
	// PrevURL and NextURL page through the list, filters kept.
	PrevURL, NextURL template.URL
}

// projectsPerPage is how many projects a page of the list shows.
const projectsPerPage = 50

// pageLinks are the links to the previous and next pages of a list at path
// whose query is q (filters kept), showing n of total from offset.
func pageLinks(path string, q url.Values, offset, limit, n, total int) (prev, next template.URL) {
	if offset > 0 {
		q.Set("offset", strconv.Itoa(max(offset-limit, 0)))
		prev = template.URL(path + "?" + q.Encode())
	}
	if offset+n < total {
		q.Set("offset", strconv.Itoa(offset+n))
		next = template.URL(path + "?" + q.Encode())
	}
	return prev, next
}

func (*projectsPage) template() string { return "projects" }
