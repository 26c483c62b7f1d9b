package web

import (
	"net/http"

	"labflow/internal/flow"
	"labflow/internal/projects"
	"labflow/internal/store"
)

// A project's stages through the API (issue 10; SPEC PRJ-5..9): batches
// and their results, verification by a second person, the director's
// decision on a failed result, the closure application, bonuses, dossier
// sections and the inspection checklist. The projects service decides who
// may do what (PRJ-12, R10); these handlers decode, call it and encode.

// projectStageRoutes registers the stages' routes.
func (s *Server) projectStageRoutes() {
	m := s.mux
	jsonRoute(s, "GET /api/v1/projects/{code}/stages", doc{Summary: "A project's stage work: the current stage's gate (what it still lacks), batches with results, closure applications, bonuses, dossier sections and the inspection checklist"},
		s.apiProjectStages)
	jsonRoute(s, "POST /api/v1/projects/{code}/batches", doc{Summary: "Record a batch of the current stage for a node of the signed plan (the director or a team member; PRJ-5, PRJ-6)", Status: http.StatusCreated},
		s.apiAddBatch)
	jsonRoute(s, "POST /api/v1/projects/{code}/batches/{id}/results", doc{Summary: "Record a batch's result for one of its node's planned test items (the director or a team member)", Status: http.StatusCreated},
		s.apiRecordResult)
	jsonRoute(s, "POST /api/v1/projects/{code}/results/{id}/verify", doc{Summary: "Verify a result: a second person, never its recorder (R10)"},
		s.apiVerifyResult)
	jsonRoute(s, "POST /api/v1/projects/{code}/results/{id}/decision", doc{Summary: "The director's decision on a failed result (what follows: a re-test, …)"},
		s.apiDecideResult)
	jsonRoute(s, "POST /api/v1/projects/{code}/closures", doc{Summary: "File the current stage's closure application and start its confirmation by the Technical Committee (the director; refused while the gate does not hold)", Status: http.StatusCreated},
		s.apiFileClosure)
	jsonRoute(s, "POST /api/v1/projects/{code}/dossier", doc{Summary: "Assign a dossier section of one's department to its writer (that department's director; PRJ-7)", Status: http.StatusCreated},
		s.apiAssignSection)
	jsonRoute(s, "POST /api/v1/projects/{code}/dossier/{id}/submit", doc{Summary: "Submit a dossier section for registration review and the Business Dean (its writer)", Status: http.StatusCreated},
		s.apiSubmitSection)
	jsonRoute(s, "POST /api/v1/projects/{code}/inspection", doc{Summary: "Check an item of the on-site inspection preparation checklist (the director or a registration specialist; PRJ-8)", Status: http.StatusCreated},
		s.apiCheckInspection)
	jsonRoute(s, "GET /api/v1/bonuses", doc{Summary: "The stage bonuses the caller may see: finance, the GM and the Business Dean all; others those of the projects they see"},
		s.apiBonuses)
	jsonRoute(s, "POST /api/v1/bonuses/{id}/pay", doc{Summary: "Record that a stage bonus is paid (finance)"}, s.apiPayBonus)
	m.HandleFunc("GET /projects/{code}/stages", s.page(s.uiProjectStages))
}

// batchPath is the {id} of a batch route.
func batchPath(c *call) (int64, error) { return c.PathID("id", "entity.batch") }

func (s *Server) apiProjectStages(c *call, _ none) (projects.StagesView, error) {
	svc, err := s.projectService()
	if err != nil {
		return projects.StagesView{}, err
	}
	return svc.Stages(c.Context(), c.Actor, c.PathValue("code"))
}

func (s *Server) apiAddBatch(c *call, in projects.BatchInput) (store.Batch, error) {
	svc, err := s.projectService()
	if err != nil {
		return store.Batch{}, err
	}
	return svc.AddBatch(c.Context(), c.Actor, c.PathValue("code"), in)
}

func (s *Server) apiRecordResult(c *call, in projects.ResultInput) (store.Result, error) {
	svc, err := s.projectService()
	if err != nil {
		return store.Result{}, err
	}
	id, err := batchPath(c)
	if err != nil {
		return store.Result{}, err
	}
	return svc.RecordResult(c.Context(), c.Actor, c.PathValue("code"), id, in)
}

func (s *Server) apiVerifyResult(c *call, _ none) (store.Result, error) {
	svc, err := s.projectService()
	if err != nil {
		return store.Result{}, err
	}
	id, err := c.PathID("id", "entity.result")
	if err != nil {
		return store.Result{}, err
	}
	return svc.VerifyResult(c.Context(), c.Actor, c.PathValue("code"), id)
}

func (s *Server) apiDecideResult(c *call, in projects.ResultDecisionInput) (store.Result, error) {
	svc, err := s.projectService()
	if err != nil {
		return store.Result{}, err
	}
	id, err := c.PathID("id", "entity.result")
	if err != nil {
		return store.Result{}, err
	}
	return svc.DecideResult(c.Context(), c.Actor, c.PathValue("code"), id, in)
}

// closureFiledOut is a filed closure application and its process.
type closureFiledOut struct {
	Closure  store.Closure  `json:"closure"`
	Instance *flow.Instance `json:"instance"`
}

func (s *Server) apiFileClosure(c *call, in projects.ClosureInput) (closureFiledOut, error) {
	svc, err := s.projectService()
	if err != nil {
		return closureFiledOut{}, err
	}
	cl, inst, err := svc.FileClosure(c.Context(), c.Actor, c.PathValue("code"), in)
	return closureFiledOut{Closure: cl, Instance: inst}, err
}

func (s *Server) apiAssignSection(c *call, in projects.DossierInput) (store.DossierSection, error) {
	svc, err := s.projectService()
	if err != nil {
		return store.DossierSection{}, err
	}
	return svc.AssignSection(c.Context(), c.Actor, c.PathValue("code"), in)
}

func (s *Server) apiSubmitSection(c *call, in projects.SectionInput) (*flow.Instance, error) {
	svc, err := s.projectService()
	if err != nil {
		return nil, err
	}
	id, err := c.PathID("id", "entity.dossier_section")
	if err != nil {
		return nil, err
	}
	return svc.SubmitSection(c.Context(), c.Actor, c.PathValue("code"), id, in)
}

func (s *Server) apiCheckInspection(c *call, in projects.CheckInput) (store.InspectionCheck, error) {
	svc, err := s.projectService()
	if err != nil {
		return store.InspectionCheck{}, err
	}
	return svc.CheckInspection(c.Context(), c.Actor, c.PathValue("code"), in)
}

// bonusesOut is the list of stage bonuses.
type bonusesOut struct {
	Bonuses []projects.BonusView `json:"bonuses"`
}

func (s *Server) apiBonuses(c *call, _ none) (bonusesOut, error) {
	svc, err := s.projectService()
	if err != nil {
		return bonusesOut{}, err
	}
	bs, err := svc.Bonuses(c.Context(), c.Actor)
	return bonusesOut{Bonuses: bs}, err
}

func (s *Server) apiPayBonus(c *call, _ none) (projects.BonusView, error) {
	svc, err := s.projectService()
	if err != nil {
		return projects.BonusView{}, err
	}
	id, err := c.PathID("id", "entity.bonus")
	if err != nil {
		return projects.BonusView{}, err
	}
	return svc.PayBonus(c.Context(), c.Actor, id)
}
