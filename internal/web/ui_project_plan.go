package web

import (
	"net/http"
	"time"

	"labflow/internal/projects"
)

// The /projects/{code}/plans/{rev} page: a node plan revision, its Gantt
// chart, what changed from the revision before, and its signing.

func (s *Server) uiPlan(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	rev, err := planRev(r)
	if err != nil {
		return err
	}
	code := r.PathValue("code")
	v, err := svc.Plan(r.Context(), a, code, rev)
	if err != nil {
		return err
	}
	s.render(w, r, &projectPlanPage{Code: code, V: v, Gantt: gantt(v.Plan, time.Now().In(s.TimeZone).Format(time.DateOnly))})
	return nil
}

// projectPlanPage is one plan revision.
type projectPlanPage struct {
	Page
	Code  string
	V     projects.PlanView
	Gantt *ganttChart
}

func (*projectPlanPage) template() string { return "project_plan" }
