package web

import (
	"net/http"
	"time"

	"labflow/internal/projects"
)

// The /projects/{code} page: the project with its stages, team, plan in
// force and revisions, processes, and the Gantt chart of planned nodes.

func (s *Server) uiProject(w http.ResponseWriter, r *http.Request) error {
	return s.renderProject(w, r, &projectPage{})
}

// renderProject renders the project page into p (which may carry a form's
// state).
func (s *Server) renderProject(w http.ResponseWriter, r *http.Request, p *projectPage) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	d, err := svc.Get(r.Context(), a, r.PathValue("code"))
	if err != nil {
		return err
	}
	names, _, err := s.deptNames(r)
	if err != nil {
		return err
	}
	p.P, p.DeptNames = d, names
	if per, err := s.People.Person(r.Context(), d.DirectorID); err == nil {
		p.Director = per.Name
	}
	plan := d.Plan
	if plan == nil {
		plan = d.Latest
	}
	today := time.Now().In(s.TimeZone).Format(time.DateOnly)
	switch {
	case len(d.Execution.Nodes) > 0: // the plan in force, planned against actual
		p.Gantt = ganttNodes(d.Execution.Nodes, today)
	case plan != nil:
		p.Gantt = gantt(plan.Plan, today)
	}
	if p.Exp, err = s.experimentsPanel(r, d.Code); err != nil { // experiments (pexp, ui_experiments.go)
		return err
	}
	p.Team = s.teamPanelOf(r, d, today)    // the team and its forms (uiplan, ui_project_team.go)
	p.Init = s.initPanel(r, d.Code, names) // initiation, routes, original records (ui_project_init.go)
	p.Supp = s.psuppPanelOf(r, d.Code)     // 发补 and escalations (part psupp)
	// Projects → stages (pstage): the stages panel (ui_project_stages.go).
	if p.Stages, err = s.stagesPanelOf(r, d.Code); err != nil {
		return err
	}
	if p.Activity, err = s.projectActivityOf(r, d.Code); err != nil { // open tasks, history (api_project_activity.go)
		return err
	}
	s.render(w, r, p)
	return nil
}

// projectPage is one project.
type projectPage struct {
	Page
	P         projects.Detail
	DeptNames map[int64]string
	Director  string
	Gantt     *ganttChart
	Exp       *expPanel  // experiments (pexp)
	Init      *initPanel // initiation, routes, original records (ui_project_init.go)
	// Supp is the 发补 and escalations panels (ui_supplements.go).
	Supp *psuppPanel
	// Stages is the stages panel (gate, batches, closures, bonuses).
	Stages *stagesPanel
	// Team is the team panel with its forms (ui_project_team.go).
	Team *teamPanel
	// NodeForm and MaterialsForm are the state of the execution panel's
	// forms (a node's actual dates; the materials confirmation).
	NodeForm, MaterialsForm formState
	// Activity is the project's open tasks and history.
	Activity projectActivity
}

func (*projectPage) template() string { return "project" }
