package web

import (
	"net/http"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/people"
)

// The API of standing proxies (出差/休假代理, issue 8 §4). Every rule is the
// organisation service's (people); these handlers decode, call it and encode.

// proxyInput is a standing proxy to set: person_id is the absent person
// (omitted: oneself; someone else: the administrator only, pending their
// director's approval); from and to are dates (whole days) or date and
// time (YYYY-MM-DDTHH:MM) in the institute's zone; definitions are the
// processes covered (empty: all).
type proxyInput struct {
	PersonID    int64    `json:"person_id,omitempty"`
	ProxyID     int64    `json:"proxy_id"`
	From        string   `json:"from"`
	To          string   `json:"to"`
	Definitions []string `json:"definitions,omitempty"`
	Reason      string   `json:"reason,omitempty"`
}

type proxyOut = domain.Proxy

// reasonInput is the reason given for a change.
type reasonInput struct {
	Reason string `json:"reason,omitempty"`
}

func (s *Server) apiProxies(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	q := r.URL.Query()
	f := people.ProxyFilter{Status: domain.ProxyStatus(q.Get("status")), Current: q.Get("current") == "true"}
	var err error
	if f.PersonID, err = queryInt(r, "person_id", 0); err != nil {
		return err
	}
	xs, err := s.People.Proxies(r.Context(), a, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, xs)
	return nil
}

func (s *Server) apiProxy(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.proxy")
	if err != nil {
		return err
	}
	x, err := s.People.Proxy(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, x)
	return nil
}

func (s *Server) apiSetProxy(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	var in proxyInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	x, err := s.People.SetProxy(r.Context(), a, people.ProxyInput{PersonID: in.PersonID, ProxyID: in.ProxyID, From: in.From, To: in.To,
		Definitions: in.Definitions, Reason: in.Reason})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, x)
	return nil
}

// apiDecideProxy approves, refuses or cancels a standing proxy.
func (s *Server) apiDecideProxy(do func(s *Server, r *http.Request, a domain.Actor, id int64, reason string) (domain.Proxy, error)) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		a, _ := actor(r)
		id, err := pathID(r, "id", "entity.proxy")
		if err != nil {
			return err
		}
		var in reasonInput
		if r.ContentLength != 0 {
			if err := decodeJSON(w, r, &in); err != nil {
				return err
			}
		}
		x, err := do(s, r, a, id, in.Reason)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, x)
		return nil
	}
}

func approveProxy(s *Server, r *http.Request, a domain.Actor, id int64, _ string) (domain.Proxy, error) {
	return s.People.ApproveProxy(r.Context(), a, id)
}

func refuseProxy(s *Server, r *http.Request, a domain.Actor, id int64, reason string) (domain.Proxy, error) {
	return s.People.RefuseProxy(r.Context(), a, id, reason)
}

func cancelProxy(s *Server, r *http.Request, a domain.Actor, id int64, reason string) (domain.Proxy, error) {
	return s.People.CancelProxy(r.Context(), a, id, reason)
}

type onBehalfOut = flow.OnBehalfItem

func (s *Server) apiOnBehalf(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	limit, err := queryInt(r, "limit", 100)
	if err != nil {
		return err
	}
	items, err := s.Flow.OnBehalf(r.Context(), a, int(limit))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, items)
	return nil
}
