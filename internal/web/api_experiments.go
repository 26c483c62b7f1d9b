package web

import (
	"net/http"

	"labflow/internal/flow"
	"labflow/internal/projects"
	"labflow/internal/store"
)

// Experiments of a project (issue 10; SPEC EXP-1..4): pre-check forms and
// analytical-plan change forms with their approval, experiments started
// under them, their result reports and the director's decisions. The
// projects service decides who sees and does what; these handlers decode,
// call it and encode.

// experimentRoutes registers the experiments' API and pages.
func (s *Server) experimentRoutes() {
	jsonRoute(s, "GET /api/v1/projects/{code}/experiments", doc{Summary: "A project's pre-checks and experiments by node of the signed plan, tests used against planned, and what the caller may do (EXP-1..4)"}, s.apiExperiments)
	jsonRoute(s, "POST /api/v1/projects/{code}/experiments", doc{Summary: "Record the start of a step under one's approved pre-check (a team member; a re-test names the failed experiment whose cause analysis it follows; EXP-1, EXP-3)", Status: http.StatusCreated}, s.apiStartExperiment)
	jsonRoute(s, "GET /api/v1/projects/{code}/experiments/{id}", doc{Summary: "One experiment with its result, decision and note"}, s.apiExperiment)
	jsonRoute(s, "POST /api/v1/projects/{code}/experiments/{id}/report", doc{Summary: "Report an experiment's result right after the step (its researcher; EXP-2)"}, s.apiReportExperiment)
	jsonRoute(s, "POST /api/v1/projects/{code}/experiments/{id}/decision", doc{Summary: "Record the next-step decision with the experience note (passed) or the cause analysis and next plan (failed) (the researcher's director; EXP-2, EXP-3)"}, s.apiDecideExperiment)
	jsonRoute(s, "GET /api/v1/projects/{code}/prechecks", doc{Summary: "A project's pre-check and analytical-plan change forms, in the order filed"}, s.apiPrechecks)
	jsonRoute(s, "POST /api/v1/projects/{code}/prechecks", doc{Summary: "File a pre-check form (researcher) or analytical-plan change form (analyst) for a node of the signed plan, starting its approval by one's department director (a team member; EXP-1, EXP-4)", Status: http.StatusCreated}, s.apiFilePrecheck)
	jsonRoute(s, "GET /api/v1/projects/{code}/prechecks/{id}", doc{Summary: "One pre-check form with its approval"}, s.apiPrecheck)

	m := s.mux
	m.HandleFunc("GET /projects/{code}/experiments", s.page(s.uiExperiments))
	m.HandleFunc("POST /projects/{code}/prechecks", s.page(s.uiFilePrecheck))
	m.HandleFunc("POST /projects/{code}/experiments", s.page(s.uiStartExperiment))
	m.HandleFunc("POST /projects/{code}/experiments/{id}/report", s.page(s.uiReportExperiment))
	m.HandleFunc("POST /projects/{code}/experiments/{id}/decision", s.page(s.uiDecideExperiment))
}

// precheckFiledOut is a filed form and its approval process.
type precheckFiledOut struct {
	Precheck store.Precheck `json:"precheck"`
	Instance *flow.Instance `json:"instance"`
}

func (s *Server) apiExperiments(c *call, _ none) (projects.ExperimentsView, error) {
	svc, err := s.projectService()
	if err != nil {
		return projects.ExperimentsView{}, err
	}
	return svc.Experiments(c.Context(), c.Actor, c.PathValue("code"))
}

func (s *Server) apiStartExperiment(c *call, in projects.StartExperimentInput) (store.Experiment, error) {
	svc, err := s.projectService()
	if err != nil {
		return store.Experiment{}, err
	}
	return svc.StartExperiment(c.Context(), c.Actor, c.PathValue("code"), in)
}

func (s *Server) apiExperiment(c *call, _ none) (store.Experiment, error) {
	svc, err := s.projectService()
	if err != nil {
		return store.Experiment{}, err
	}
	id, err := c.PathID("id", "entity.experiment")
	if err != nil {
		return store.Experiment{}, err
	}
	return svc.Experiment(c.Context(), c.Actor, c.PathValue("code"), id)
}

func (s *Server) apiReportExperiment(c *call, in projects.ReportInput) (store.Experiment, error) {
	svc, err := s.projectService()
	if err != nil {
		return store.Experiment{}, err
	}
	id, err := c.PathID("id", "entity.experiment")
	if err != nil {
		return store.Experiment{}, err
	}
	return svc.ReportExperiment(c.Context(), c.Actor, c.PathValue("code"), id, in)
}

func (s *Server) apiDecideExperiment(c *call, in projects.DecisionInput) (store.Experiment, error) {
	svc, err := s.projectService()
	if err != nil {
		return store.Experiment{}, err
	}
	id, err := c.PathID("id", "entity.experiment")
	if err != nil {
		return store.Experiment{}, err
	}
	return svc.DecideExperiment(c.Context(), c.Actor, c.PathValue("code"), id, in)
}

func (s *Server) apiPrechecks(c *call, _ none) ([]store.Precheck, error) {
	svc, err := s.projectService()
	if err != nil {
		return nil, err
	}
	return svc.Prechecks(c.Context(), c.Actor, c.PathValue("code"))
}

func (s *Server) apiFilePrecheck(c *call, in projects.PrecheckInput) (precheckFiledOut, error) {
	svc, err := s.projectService()
	if err != nil {
		return precheckFiledOut{}, err
	}
	pc, inst, err := svc.FilePrecheck(c.Context(), c.Actor, c.PathValue("code"), in)
	return precheckFiledOut{Precheck: pc, Instance: inst}, err
}

func (s *Server) apiPrecheck(c *call, _ none) (projects.PrecheckView, error) {
	svc, err := s.projectService()
	if err != nil {
		return projects.PrecheckView{}, err
	}
	id, err := c.PathID("id", "entity.precheck")
	if err != nil {
		return projects.PrecheckView{}, err
	}
	return svc.Precheck(c.Context(), c.Actor, c.PathValue("code"), id)
}
