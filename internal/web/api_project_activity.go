package web

import (
	"net/http"

	"labflow/internal/store"
)

// What is happening on a project (issue 10): its open tasks and its
// history, on the project page and in the API. The projects service
// decides who sees them (PRJ-12; each task's process by the engine's rule).

// projectActivityRoutes registers the routes of the project's open tasks
// and history.
func (s *Server) projectActivityRoutes() {
	jsonRoute(s, "GET /api/v1/projects/{code}/tasks", doc{Summary: "The open tasks on the processes of the project's records that the caller may see: who holds which step since when, oldest first"}, s.apiProjectTasks)
	jsonRoute(s, "GET /api/v1/projects/{code}/history", doc{Summary: "The project's audit trail, newest first (the last hundred events)"}, s.apiProjectHistory)
}

func (s *Server) apiProjectTasks(c *call, _ none) ([]store.ProjectOpenTask, error) {
	svc, err := s.projectService()
	if err != nil {
		return nil, err
	}
	return svc.OpenTasks(c.Context(), c.Actor, c.PathValue("code"))
}

func (s *Server) apiProjectHistory(c *call, _ none) ([]auditOut, error) {
	svc, err := s.projectService()
	if err != nil {
		return nil, err
	}
	evs, err := svc.History(c.Context(), c.Actor, c.PathValue("code"))
	if err != nil {
		return nil, err
	}
	return auditOutputs(evs), nil
}

// projectActivity is the project page's open tasks and history.
type projectActivity struct {
	Tasks   []store.ProjectOpenTask
	History []auditRow
}

// projectActivityOf reads the project page's open tasks and history.
func (s *Server) projectActivityOf(r *http.Request, code string) (projectActivity, error) {
	var out projectActivity
	svc, err := s.projectService()
	if err != nil {
		return out, err
	}
	a, _ := actor(r)
	if out.Tasks, err = svc.OpenTasks(r.Context(), a, code); err != nil {
		return out, err
	}
	evs, err := svc.History(r.Context(), a, code)
	if err != nil {
		return out, err
	}
	out.History = s.auditRows(r, auditOutputs(evs))
	return out, nil
}
