package web

import (
	"net/http"
	"strconv"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/projects"
	"labflow/internal/store"
)

// Projects: their API and pages (issue 10; SPEC PRJ, DIR). The projects
// service decides who sees and does what (PRJ-12); these handlers decode,
// call it and encode.

// projectRoutes registers the projects' routes.
func (s *Server) projectRoutes() {
	m := s.mux
	s.api("GET /api/v1/projects", s.apiProjects, doc{Summary: "The projects the caller may see (PRJ-12), by code, with stage, plan in force and next node due",
		Out: projectsOut{}, Query: queryNames("department", "stage", "director", "q", "limit", "offset")})
	s.api("POST /api/v1/projects", s.apiCreateProject, doc{Summary: "Create a project (a department director, who directs it; audited)",
		In: projects.CreateInput{}, Out: store.Project{}, Status: http.StatusCreated})
	s.api("GET /api/v1/projects/{code}", s.apiProject, doc{Summary: "One project with its stages, team, plan revisions, plan in force (nodes) and processes",
		Out: projects.Detail{}})
	s.api("POST /api/v1/projects/{code}/members", s.apiAddMember, doc{Summary: "Put a researcher or analyst on the team from a day (the project's director, or the person's director)",
		In: projects.MemberInput{}, Out: store.ProjectMember{}, Status: http.StatusCreated})
	s.api("POST /api/v1/projects/{code}/members/{id}/end", s.apiEndMember, doc{Summary: "End a team membership on a day (the record stays)",
		In: projects.EndInput{}, Out: store.ProjectMember{}})
	s.api("POST /api/v1/projects/{code}/plans", s.apiFilePlan, doc{Summary: "File a node plan revision and start its signing by the Technical Committee (the project's director; PRJ-2, PRJ-3)",
		In: projects.PlanInput{}, Out: planFiledOut{}, Status: http.StatusCreated})
	s.api("GET /api/v1/projects/{code}/plans/{rev}", s.apiPlan, doc{Summary: "A node plan revision with what changed from the one before and its signing",
		Out: projects.PlanView{}})

	m.HandleFunc("GET /projects", s.page(s.uiProjects))
	m.HandleFunc("POST /projects", s.page(s.uiCreateProject))
	m.HandleFunc("GET /projects/{code}", s.page(s.uiProject))
	m.HandleFunc("GET /projects/{code}/plans/{rev}", s.page(s.uiPlan))
}

// projectService returns the projects service, or KindNotFound where none
// is wired.
func (s *Server) projectService() (*projects.Service, error) {
	if s.Projects == nil {
		return nil, domain.NotFound("web.projects", "entity.page")
	}
	return s.Projects, nil
}

// projectsOut is a page of the project list.
type projectsOut struct {
	Projects []projects.Summary `json:"projects"`
	Total    int                `json:"total"`
}

// planFiledOut is a filed revision and its signing process.
type planFiledOut struct {
	Revision store.PlanRevision `json:"revision"`
	Instance *flow.Instance     `json:"instance"`
}

// projectFilter reads the list's filters from the query.
func projectFilter(r *http.Request) (projects.Filter, error) {
	var f projects.Filter
	var err error
	q := r.URL.Query()
	for name, dst := range map[string]*int64{"department": &f.Department, "director": &f.Director} {
		if *dst, err = queryInt(r, name, 0); err != nil {
			return f, err
		}
	}
	limit, err := queryInt(r, "limit", 100)
	if err != nil {
		return f, err
	}
	offset, err := queryInt(r, "offset", 0)
	if err != nil {
		return f, err
	}
	f.Stage, f.Q, f.Limit, f.Offset = q.Get("stage"), q.Get("q"), int(limit), int(offset)
	return f, nil
}

func (s *Server) apiProjects(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	f, err := projectFilter(r)
	if err != nil {
		return err
	}
	ps, total, err := svc.List(r.Context(), a, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, projectsOut{Projects: ps, Total: total})
	return nil
}

func (s *Server) apiCreateProject(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	var in projects.CreateInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	p, err := svc.Create(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) apiProject(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	d, err := svc.Get(r.Context(), a, r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) apiAddMember(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	var in projects.MemberInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := svc.AddMember(r.Context(), a, r.PathValue("code"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

func (s *Server) apiEndMember(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.project_member")
	if err != nil {
		return err
	}
	var in projects.EndInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	m, err := svc.EndMember(r.Context(), a, r.PathValue("code"), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) apiFilePlan(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	var in projects.PlanInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	rev, inst, err := svc.FilePlan(r.Context(), a, r.PathValue("code"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, planFiledOut{Revision: rev, Instance: inst})
	return nil
}

// planRev reads the {rev} path value.
func planRev(r *http.Request) (int, error) {
	n, err := strconv.Atoi(r.PathValue("rev"))
	if err != nil || n <= 0 {
		return 0, domain.NotFound("web.planRev", "entity.plan_revision")
	}
	return n, nil
}

func (s *Server) apiPlan(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	rev, err := planRev(r)
	if err != nil {
		return err
	}
	v, err := svc.Plan(r.Context(), a, r.PathValue("code"), rev)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}
