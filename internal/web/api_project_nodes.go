package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"labflow/internal/projects"
	"labflow/internal/store"
)

// Projects → nodes (issue 10, PRJ-4): a node's actual start and end as its
// director records them, the researcher's confirmation that materials no
// longer block the work, the execution figures, the dashboards and the
// exports. The projects service decides who may (PRJ-12).

// projectNodeRoutes registers the routes of the nodes part.
func (s *Server) projectNodeRoutes() {
	m := s.mux
	jsonRoute(s, "GET /api/v1/projects/{code}/execution", doc{Summary: "The project's nodes planned against actual, lateness in working days, tests used, execution time and health (PRJ-4)"}, s.apiExecution)
	jsonRoute(s, "POST /api/v1/projects/{code}/nodes/{node}/actual", doc{Summary: "Record a node's actual start and end (and tests used) of the plan in force (the project's director; reason required; audited)"}, s.apiNodeActual)
	jsonRoute(s, "POST /api/v1/projects/{code}/materials", doc{Summary: "Confirm the day materials no longer block the work, naming the purchase requests (a current team member; once; audited; PRJ-4)",
		Status: http.StatusCreated}, s.apiConfirmMaterials)
	jsonRoute(s, "GET /api/v1/dashboards/director", doc{Summary: "A director's dashboard: their departments' projects with health and lateness, open tasks on them by process, researchers' load"}, s.apiDirectorDashboard)
	jsonRoute(s, "GET /api/v1/dashboards/business", doc{Summary: "The Business Dean's (and GM's) dashboard: every project, what is late and why"}, s.apiBusinessDashboard)

	m.HandleFunc("POST /projects/{code}/nodes/actual", s.page(s.uiNodeActual))
	m.HandleFunc("POST /projects/{code}/materials", s.page(s.uiConfirmMaterials))
	m.HandleFunc("GET /dashboards/director", s.page(s.uiDirectorDashboard))
	m.HandleFunc("GET /dashboards/business", s.page(s.uiBusinessDashboard))
	m.HandleFunc("GET /projects/{code}/plans/{rev}/print", s.page(s.uiPlanPrint))
	m.HandleFunc("GET /projects/{code}/plans/{rev}/xlsx", s.page(s.uiPlanXLSX))
	m.HandleFunc("GET /projects/register.xlsx", s.page(s.uiProjectsXLSX))
}

func (s *Server) apiExecution(c *call, _ none) (projects.Execution, error) {
	svc, err := s.projectService()
	if err != nil {
		return projects.Execution{}, err
	}
	return svc.ExecutionOf(c.Context(), c.Actor, c.PathValue("code"))
}

func (s *Server) apiNodeActual(c *call, in projects.ActualInput) (store.ProjectNode, error) {
	svc, err := s.projectService()
	if err != nil {
		return store.ProjectNode{}, err
	}
	return svc.SetActual(c.Context(), c.Actor, c.PathValue("code"), c.PathValue("node"), in)
}

func (s *Server) apiConfirmMaterials(c *call, in projects.MaterialsInput) (store.ProjectMaterials, error) {
	svc, err := s.projectService()
	if err != nil {
		return store.ProjectMaterials{}, err
	}
	return svc.ConfirmMaterials(c.Context(), c.Actor, c.PathValue("code"), in)
}

func (s *Server) apiDirectorDashboard(c *call, _ none) (projects.DirectorDashboard, error) {
	svc, err := s.projectService()
	if err != nil {
		return projects.DirectorDashboard{}, err
	}
	return svc.DirectorDashboard(c.Context(), c.Actor)
}

func (s *Server) apiBusinessDashboard(c *call, _ none) (projects.BusinessDashboard, error) {
	svc, err := s.projectService()
	if err != nil {
		return projects.BusinessDashboard{}, err
	}
	return svc.BusinessDashboard(c.Context(), c.Actor)
}

// uiNodeActual is the project page's form for a node's actual dates.
func (s *Server) uiNodeActual(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	r.ParseForm()
	code := r.PathValue("code")
	in := projects.ActualInput{Start: r.PostFormValue("start"), End: r.PostFormValue("end"), Reason: r.PostFormValue("reason")}
	if v := strings.TrimSpace(r.PostFormValue("tests_used")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			n = -1 // refused by the service, naming the field
		}
		in.TestsUsed = &n
	}
	if _, err := svc.SetActual(r.Context(), a, code, r.PostFormValue("node"), in); err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderProject(w, r, &projectPage{NodeForm: failed(fe, msg)})
		})
	}
	http.Redirect(w, r, "/projects/"+url.PathEscape(code)+"#execution", http.StatusSeeOther)
	return nil
}

// uiConfirmMaterials is the project page's form for the materials.
func (s *Server) uiConfirmMaterials(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	r.ParseForm()
	code := r.PathValue("code")
	in := projects.MaterialsInput{ReadyOn: r.PostFormValue("ready_on"), Note: r.PostFormValue("note"), Requests: []int64{}}
	for _, f := range strings.FieldsFunc(r.PostFormValue("requests"), func(c rune) bool { return c == ',' || c == ' ' || c == '，' || c == '、' }) {
		n, err := strconv.ParseInt(strings.TrimPrefix(f, "#"), 10, 64)
		if err != nil {
			n = -1 // refused by the service, naming the field
		}
		in.Requests = append(in.Requests, n)
	}
	if _, err := svc.ConfirmMaterials(r.Context(), a, code, in); err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderProject(w, r, &projectPage{MaterialsForm: failed(fe, msg)})
		})
	}
	http.Redirect(w, r, "/projects/"+url.PathEscape(code)+"#execution", http.StatusSeeOther)
	return nil
}
