package web

import (
	"net/http"
)

// The JSON API of steps nobody can act on (the administrator's).

func (s *Server) apiWaiting(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	ws, err := s.Flow.Waiting(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, ws)
	return nil
}

type assignInput struct {
	PersonID int64  `json:"person_id"`
	Reason   string `json:"reason"`
}

func (s *Server) apiAssign(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "flowui.entity.task")
	if err != nil {
		return err
	}
	var in assignInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if _, err := s.Flow.Assign(r.Context(), a, id, in.PersonID, in.Reason); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// reassess gives steps waiting for someone their people after the
// organisation changed (a role granted); a failure is logged, not shown:
// the grant itself succeeded, and the timers try again.
func (s *Server) reassess(r *http.Request) {
	if n, err := s.Flow.Reassess(r.Context()); err != nil {
		s.log.Error("reassess waiting steps", "err", err, "request_id", requestID(r.Context()))
	} else if n > 0 {
		s.log.Info("waiting steps assigned", "n", n, "request_id", requestID(r.Context()))
	}
}
