package web

import (
	"net/http"

	"labflow/internal/flow"
	"labflow/internal/projects"
	"labflow/internal/store"
)

// A project's initiation, routes, kick-off reports and register of
// original records (issue 10; SPEC DIR-2, PRJ-1, DIR-6, PRJ-8): their JSON
// API. The projects service decides who sees and does what (PRJ-12); these
// handlers decode, call it and encode. The GM's go / no-go decision is the
// initiation process's signed step, taken at POST /api/v1/tasks/{id}/actions.

// initiationRoutes registers the routes of the initiation part.
func (s *Server) initiationRoutes() {
	jsonRoute(s, "GET /api/v1/projects/{code}/feasibility", doc{Summary: "A project's initiation (DIR-2): each involved department's feasibility report, the GM's go / no-go decision and its process"}, s.apiFeasibility)
	jsonRoute(s, "POST /api/v1/projects/{code}/feasibility", doc{Summary: "File one's feasibility report on a project in initiation (the director of an involved department; completes their task)"}, s.apiFileReport)
	jsonRoute(s, "GET /api/v1/projects/{code}/routes", doc{Summary: "A project's candidate routes and kick-off reports (PRJ-1), and whether a node plan may be filed"}, s.apiRoutes)
	jsonRoute(s, "POST /api/v1/projects/{code}/routes", doc{Summary: "File a candidate route with literature and patent-search notes and files (the director or a team member; audited)", Status: http.StatusCreated}, s.apiAddRoute)
	jsonRoute(s, "POST /api/v1/projects/{code}/routes/{id}/choose", doc{Summary: "Choose the project's route with a reason (the project's director; the other open routes of its kind are set aside; audited)"}, s.apiChooseRoute)
	jsonRoute(s, "POST /api/v1/projects/{code}/kickoff", doc{Summary: "File the kick-off report on the chosen route and start its signing by the director (the project's director)", Status: http.StatusCreated}, s.apiFileKickoff)
	jsonRoute(s, "GET /api/v1/projects/{code}/records", doc{Summary: "A project's register of original records (DIR-6, PRJ-8), each entry with its signature state"}, s.apiRecords)
	jsonRoute(s, "POST /api/v1/projects/{code}/records", doc{Summary: "Enter original records (a team member, the author) and start their review and signature by the director of the author's department", Status: http.StatusCreated}, s.apiAddRecord)
	s.initiationPages() // the project page's panel forms (ui_project_init.go)
}

// kickoffOut is a filed kick-off report and its signing process.
type kickoffOut struct {
	Kickoff  store.Kickoff  `json:"kickoff"`
	Instance *flow.Instance `json:"instance"`
}

// recordOut is a new entry of the register and its review process.
type recordOut struct {
	Entry    projects.RecordEntry `json:"entry"`
	Instance *flow.Instance       `json:"instance"`
}

func (s *Server) apiFeasibility(c *call, _ none) (projects.Feasibility, error) {
	svc, err := s.projectService()
	if err != nil {
		return projects.Feasibility{}, err
	}
	return svc.Feasibility(c.Context(), c.Actor, c.PathValue("code"))
}

func (s *Server) apiFileReport(c *call, in projects.FeasibilityInput) (projects.Feasibility, error) {
	svc, err := s.projectService()
	if err != nil {
		return projects.Feasibility{}, err
	}
	return svc.FileReport(c.Context(), c.Actor, c.PathValue("code"), in)
}

func (s *Server) apiRoutes(c *call, _ none) (projects.Routes, error) {
	svc, err := s.projectService()
	if err != nil {
		return projects.Routes{}, err
	}
	return svc.Routes(c.Context(), c.Actor, c.PathValue("code"))
}

func (s *Server) apiAddRoute(c *call, in projects.RouteInput) (store.Route, error) {
	svc, err := s.projectService()
	if err != nil {
		return store.Route{}, err
	}
	return svc.AddRoute(c.Context(), c.Actor, c.PathValue("code"), in)
}

func (s *Server) apiChooseRoute(c *call, in projects.ChooseInput) (store.Route, error) {
	svc, err := s.projectService()
	if err != nil {
		return store.Route{}, err
	}
	id, err := c.PathID("id", "entity.route")
	if err != nil {
		return store.Route{}, err
	}
	return svc.ChooseRoute(c.Context(), c.Actor, c.PathValue("code"), id, in)
}

func (s *Server) apiFileKickoff(c *call, in projects.KickoffInput) (kickoffOut, error) {
	svc, err := s.projectService()
	if err != nil {
		return kickoffOut{}, err
	}
	k, inst, err := svc.FileKickoff(c.Context(), c.Actor, c.PathValue("code"), in)
	return kickoffOut{Kickoff: k, Instance: inst}, err
}

func (s *Server) apiRecords(c *call, _ none) (projects.Records, error) {
	svc, err := s.projectService()
	if err != nil {
		return projects.Records{}, err
	}
	return svc.Records(c.Context(), c.Actor, c.PathValue("code"))
}

func (s *Server) apiAddRecord(c *call, in projects.RecordInput) (recordOut, error) {
	svc, err := s.projectService()
	if err != nil {
		return recordOut{}, err
	}
	e, inst, err := svc.AddRecord(c.Context(), c.Actor, c.PathValue("code"), in)
	return recordOut{Entry: e, Instance: inst}, err
}
