package web

import (
	"net/http"

	"labflow/internal/flow"
	"labflow/internal/projects"
	"labflow/internal/store"
)

// Supplementary requests (发补, PRJ-10) and escalations (PRJ-11) of a
// project: their API and pages. The projects service decides who sees and
// does what; these handlers decode, call it and encode.

// supplementRoutes registers the routes of supplementary requests and
// escalations.
func (s *Server) supplementRoutes() {
	m := s.mux
	jsonRoute(s, "GET /api/v1/projects/{code}/supplements", doc{Summary: "A project's 发补 notices with their questions and clocks, and the kinds of notice (PRJ-10)"}, s.apiSupplements)
	jsonRoute(s, "POST /api/v1/projects/{code}/supplements", doc{Summary: "Record a 发补 notice with its questions and start its response (a registration specialist or the project's director; PRJ-10)", Status: http.StatusCreated}, s.apiRecordSupplement)
	jsonRoute(s, "GET /api/v1/projects/{code}/supplements/{id}", doc{Summary: "A 发补 notice with its questions, links, clock and processes"}, s.apiSupplement)
	jsonRoute(s, "POST /api/v1/projects/{code}/supplements/{id}/questions/{qid}/answer", doc{Summary: "Answer a question of a 发补 notice (its owner, the recorder or the director; until the response is submitted)"}, s.apiAnswerQuestion)
	jsonRoute(s, "POST /api/v1/projects/{code}/supplements/{id}/questions/{qid}/links", doc{Summary: "Link a process (a new experiment, a booking) or a file to a question's answer", Status: http.StatusCreated}, s.apiLinkQuestion)
	jsonRoute(s, "POST /api/v1/projects/{code}/supplements/{id}/submit", doc{Summary: "Submit the response, all at once: refused while any question is not answered, naming them; closes every question (the recorder)"}, s.apiSubmitResponse)
	jsonRoute(s, "GET /api/v1/projects/{code}/escalations", doc{Summary: "A project's escalations of major difficulties (PRJ-11)"}, s.apiEscalations)
	jsonRoute(s, "POST /api/v1/projects/{code}/escalations", doc{Summary: "File the topic meeting (专题讨论会) on a major difficulty, opening its escalation (PRJ-11)", Status: http.StatusCreated}, s.apiOpenEscalation)
	jsonRoute(s, "GET /api/v1/projects/{code}/escalations/{id}", doc{Summary: "An escalation with its topic meeting and committee decision"}, s.apiEscalation)
	jsonRoute(s, "POST /api/v1/projects/{code}/escalations/{id}/committee", doc{Summary: "Take an escalation the meeting left unresolved to the Technical Committee (the project's director)", Status: http.StatusCreated}, s.apiToCommittee)

	m.HandleFunc("GET /projects/{code}/supplements/{id}", s.page(s.uiSupplement))
	m.HandleFunc("POST /projects/{code}/supplements", s.page(s.uiRecordSupplement))
	m.HandleFunc("POST /projects/{code}/supplements/{id}/questions/{qid}/answer", s.page(s.uiAnswerQuestion))
	m.HandleFunc("POST /projects/{code}/supplements/{id}/questions/{qid}/links", s.page(s.uiLinkQuestion))
	m.HandleFunc("POST /projects/{code}/supplements/{id}/submit", s.page(s.uiSubmitResponse))
	m.HandleFunc("GET /projects/{code}/escalations/{id}", s.page(s.uiEscalation))
	m.HandleFunc("POST /projects/{code}/escalations", s.page(s.uiOpenEscalation))
	m.HandleFunc("POST /projects/{code}/escalations/{id}/committee", s.page(s.uiToCommittee))
}

// supplementsOut is a project's notices and the kinds of notice.
type supplementsOut struct {
	Supplements []projects.SupplementView `json:"supplements"`
	Kinds       []store.SupplementKind    `json:"kinds"`
}

// supplementRecordedOut is a recorded notice and its response's process.
type supplementRecordedOut struct {
	Supplement store.Supplement `json:"supplement"`
	Instance   *flow.Instance   `json:"instance"`
}

// escalationOpenedOut is an opened escalation and its topic meeting.
type escalationOpenedOut struct {
	Escalation store.Escalation `json:"escalation"`
	Instance   *flow.Instance   `json:"instance"`
}

// The handlers decode, ask the projects service (which decides who sees and
// does what) and encode, through jsonRoute.

func (s *Server) apiSupplements(c *call, _ none) (supplementsOut, error) {
	svc, err := s.projectService()
	if err != nil {
		return supplementsOut{}, err
	}
	sups, err := svc.Supplements(c.Context(), c.Actor, c.PathValue("code"))
	if err != nil {
		return supplementsOut{}, err
	}
	kinds, err := svc.SupplementKinds(c.Context())
	return supplementsOut{Supplements: sups, Kinds: kinds}, err
}

func (s *Server) apiRecordSupplement(c *call, in projects.SupplementInput) (supplementRecordedOut, error) {
	svc, err := s.projectService()
	if err != nil {
		return supplementRecordedOut{}, err
	}
	sup, inst, err := svc.RecordSupplement(c.Context(), c.Actor, c.PathValue("code"), in)
	return supplementRecordedOut{Supplement: sup, Instance: inst}, err
}

func (s *Server) apiSupplement(c *call, _ none) (projects.SupplementView, error) {
	svc, err := s.projectService()
	if err != nil {
		return projects.SupplementView{}, err
	}
	id, err := c.PathID("id", "entity.supplement")
	if err != nil {
		return projects.SupplementView{}, err
	}
	return svc.Supplement(c.Context(), c.Actor, c.PathValue("code"), id)
}

// supplementQuestionIDs reads the {id} and {qid} path values.
func supplementQuestionIDs(r *http.Request) (int64, int64, error) {
	id, err := pathID(r, "id", "entity.supplement")
	if err != nil {
		return 0, 0, err
	}
	qid, err := pathID(r, "qid", "entity.supplement_question")
	return id, qid, err
}

func (s *Server) apiAnswerQuestion(c *call, in projects.AnswerInput) (store.SupplementQuestion, error) {
	svc, err := s.projectService()
	if err != nil {
		return store.SupplementQuestion{}, err
	}
	id, qid, err := supplementQuestionIDs(c.Request())
	if err != nil {
		return store.SupplementQuestion{}, err
	}
	return svc.AnswerQuestion(c.Context(), c.Actor, c.PathValue("code"), id, qid, in)
}

func (s *Server) apiLinkQuestion(c *call, in projects.LinkInput) (store.SupplementLink, error) {
	svc, err := s.projectService()
	if err != nil {
		return store.SupplementLink{}, err
	}
	id, qid, err := supplementQuestionIDs(c.Request())
	if err != nil {
		return store.SupplementLink{}, err
	}
	return svc.LinkQuestion(c.Context(), c.Actor, c.PathValue("code"), id, qid, in)
}

func (s *Server) apiSubmitResponse(c *call, in projects.SubmitInput) (*flow.Instance, error) {
	svc, err := s.projectService()
	if err != nil {
		return nil, err
	}
	id, err := c.PathID("id", "entity.supplement")
	if err != nil {
		return nil, err
	}
	return svc.SubmitResponse(c.Context(), c.Actor, c.PathValue("code"), id, in)
}

func (s *Server) apiEscalations(c *call, _ none) ([]store.Escalation, error) {
	svc, err := s.projectService()
	if err != nil {
		return nil, err
	}
	return svc.Escalations(c.Context(), c.Actor, c.PathValue("code"))
}

func (s *Server) apiOpenEscalation(c *call, in projects.EscalationInput) (escalationOpenedOut, error) {
	svc, err := s.projectService()
	if err != nil {
		return escalationOpenedOut{}, err
	}
	e, inst, err := svc.OpenEscalation(c.Context(), c.Actor, c.PathValue("code"), in)
	return escalationOpenedOut{Escalation: e, Instance: inst}, err
}

func (s *Server) apiEscalation(c *call, _ none) (projects.EscalationView, error) {
	svc, err := s.projectService()
	if err != nil {
		return projects.EscalationView{}, err
	}
	id, err := c.PathID("id", "entity.escalation")
	if err != nil {
		return projects.EscalationView{}, err
	}
	return svc.Escalation(c.Context(), c.Actor, c.PathValue("code"), id)
}

func (s *Server) apiToCommittee(c *call, in projects.CommitteeInput) (*flow.Instance, error) {
	svc, err := s.projectService()
	if err != nil {
		return nil, err
	}
	id, err := c.PathID("id", "entity.escalation")
	if err != nil {
		return nil, err
	}
	return svc.ToCommittee(c.Context(), c.Actor, c.PathValue("code"), id, in)
}
