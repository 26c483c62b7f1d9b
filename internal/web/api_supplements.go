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
	s.api("GET /api/v1/projects/{code}/supplements", s.apiSupplements, doc{Summary: "A project's 发补 notices with their questions and clocks, and the kinds of notice (PRJ-10)",
		Out: supplementsOut{}})
	s.api("POST /api/v1/projects/{code}/supplements", s.apiRecordSupplement, doc{Summary: "Record a 发补 notice with its questions and start its response (a registration specialist or the project's director; PRJ-10)",
		In: projects.SupplementInput{}, Out: supplementRecordedOut{}, Status: http.StatusCreated})
	s.api("GET /api/v1/projects/{code}/supplements/{id}", s.apiSupplement, doc{Summary: "A 发补 notice with its questions, links, clock and processes",
		Out: projects.SupplementView{}})
	s.api("POST /api/v1/projects/{code}/supplements/{id}/questions/{qid}/answer", s.apiAnswerQuestion, doc{Summary: "Answer a question of a 发补 notice (its owner, the recorder or the director; until the response is submitted)",
		In: projects.AnswerInput{}, Out: store.SupplementQuestion{}})
	s.api("POST /api/v1/projects/{code}/supplements/{id}/questions/{qid}/links", s.apiLinkQuestion, doc{Summary: "Link a process (a new experiment, a booking) or a file to a question's answer",
		In: projects.LinkInput{}, Out: store.SupplementLink{}, Status: http.StatusCreated})
	s.api("POST /api/v1/projects/{code}/supplements/{id}/submit", s.apiSubmitResponse, doc{Summary: "Submit the response, all at once: refused while any question is not answered, naming them; closes every question (the recorder)",
		In: projects.SubmitInput{}, Out: &flow.Instance{}})
	s.api("GET /api/v1/projects/{code}/escalations", s.apiEscalations, doc{Summary: "A project's escalations of major difficulties (PRJ-11)",
		Out: []store.Escalation{}})
	s.api("POST /api/v1/projects/{code}/escalations", s.apiOpenEscalation, doc{Summary: "File the topic meeting (专题讨论会) on a major difficulty, opening its escalation (PRJ-11)",
		In: projects.EscalationInput{}, Out: escalationOpenedOut{}, Status: http.StatusCreated})
	s.api("GET /api/v1/projects/{code}/escalations/{id}", s.apiEscalation, doc{Summary: "An escalation with its topic meeting and committee decision",
		Out: projects.EscalationView{}})
	s.api("POST /api/v1/projects/{code}/escalations/{id}/committee", s.apiToCommittee, doc{Summary: "Take an escalation the meeting left unresolved to the Technical Committee (the project's director)",
		In: projects.CommitteeInput{}, Out: &flow.Instance{}, Status: http.StatusCreated})

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

func (s *Server) apiSupplements(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	sups, err := svc.Supplements(r.Context(), a, r.PathValue("code"))
	if err != nil {
		return err
	}
	kinds, err := svc.SupplementKinds(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, supplementsOut{Supplements: sups, Kinds: kinds})
	return nil
}

func (s *Server) apiRecordSupplement(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	var in projects.SupplementInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	sup, inst, err := svc.RecordSupplement(r.Context(), a, r.PathValue("code"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, supplementRecordedOut{Supplement: sup, Instance: inst})
	return nil
}

func (s *Server) apiSupplement(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.supplement")
	if err != nil {
		return err
	}
	v, err := svc.Supplement(r.Context(), a, r.PathValue("code"), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
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

func (s *Server) apiAnswerQuestion(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	id, qid, err := supplementQuestionIDs(r)
	if err != nil {
		return err
	}
	var in projects.AnswerInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	q, err := svc.AnswerQuestion(r.Context(), a, r.PathValue("code"), id, qid, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

func (s *Server) apiLinkQuestion(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	id, qid, err := supplementQuestionIDs(r)
	if err != nil {
		return err
	}
	var in projects.LinkInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	l, err := svc.LinkQuestion(r.Context(), a, r.PathValue("code"), id, qid, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, l)
	return nil
}

func (s *Server) apiSubmitResponse(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.supplement")
	if err != nil {
		return err
	}
	var in projects.SubmitInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	inst, err := svc.SubmitResponse(r.Context(), a, r.PathValue("code"), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, inst)
	return nil
}

func (s *Server) apiEscalations(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	es, err := svc.Escalations(r.Context(), a, r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, es)
	return nil
}

func (s *Server) apiOpenEscalation(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	var in projects.EscalationInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	e, inst, err := svc.OpenEscalation(r.Context(), a, r.PathValue("code"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, escalationOpenedOut{Escalation: e, Instance: inst})
	return nil
}

func (s *Server) apiEscalation(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.escalation")
	if err != nil {
		return err
	}
	v, err := svc.Escalation(r.Context(), a, r.PathValue("code"), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) apiToCommittee(w http.ResponseWriter, r *http.Request) error {
	svc, err := s.projectService()
	if err != nil {
		return err
	}
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.escalation")
	if err != nil {
		return err
	}
	var in projects.CommitteeInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	inst, err := svc.ToCommittee(r.Context(), a, r.PathValue("code"), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, inst)
	return nil
}
