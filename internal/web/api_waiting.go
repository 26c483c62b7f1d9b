package web

import (
	"labflow/internal/flow"
	"net/http"
)

// The JSON API of steps nobody can act on (the administrator's).

func (s *Server) apiWaiting(c *call, _ none) ([]flow.WaitingStep, error) {
	return s.Flow.Waiting(c.Context(), c.Actor)
}

type assignInput struct {
	PersonID int64  `json:"person_id"`
	Reason   string `json:"reason"`
}

func (s *Server) apiAssign(c *call, in assignInput) (none, error) {
	id, err := c.PathID("id", "flowui.entity.task")
	if err != nil {
		return none{}, err
	}
	_, err = s.Flow.Assign(c.Context(), c.Actor, id, in.PersonID, in.Reason)
	return none{}, err
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
