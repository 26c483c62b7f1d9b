package web

import (
	"net/http"

	"labflow/internal/domain"
	"labflow/internal/flow"
)

// The JSON API of process definitions.

type stepSummary struct {
	ID        string        `json:"id"`
	Title     flow.Text     `json:"title"`
	Kind      flow.StepKind `json:"kind"`
	Mode      flow.Mode     `json:"mode,omitempty"`
	Signature flow.Meaning  `json:"signature,omitempty"`
	When      string        `json:"when,omitempty"`
}

type definitionOut struct {
	Key         string        `json:"key"`
	Version     int           `json:"version"`
	Title       flow.Text     `json:"title"`
	Description flow.Text     `json:"description"`
	Rules       []string      `json:"rules,omitempty"`
	Subject     string        `json:"subject"`
	Initiators  []string      `json:"initiators,omitempty"`
	BulkApprove bool          `json:"bulk_approve"`
	CanStart    bool          `json:"can_start"`
	Form        []flow.Field  `json:"form"`
	Checks      []flow.Check  `json:"checks,omitempty"`
	Steps       []stepSummary `json:"steps"`
}

func definitionOf(d *flow.Definition, a domain.Actor) definitionOut {
	out := definitionOut{Key: d.Key, Version: d.Version, Title: d.Title, Description: d.Description, Rules: d.Rules,
		Subject: d.Subject, Initiators: d.Initiators, BulkApprove: d.BulkApprove, CanStart: mayStartDef(a, d), Form: d.Form, Checks: d.Checks}
	if out.Form == nil {
		out.Form = []flow.Field{}
	}
	for _, st := range d.Steps {
		k := st.Kind
		if k == "" {
			k = flow.StepApproval
		}
		out.Steps = append(out.Steps, stepSummary{ID: st.ID, Title: st.Title, Kind: k, Mode: st.Mode, Signature: st.Signature, When: st.When})
	}
	return out
}

// mayStartDef mirrors the engine's rule for who may start a definition (for
// listing; the engine checks again on start).
func mayStartDef(a domain.Actor, d *flow.Definition) bool {
	if d.Subject != "" && d.Subject != "form" {
		return false // started from its record's page, bound to the record
	}
	if len(d.Initiators) == 0 {
		return a.HasBusinessRole()
	}
	for _, r := range d.Initiators {
		if a.Has(domain.Role(r)) {
			return true
		}
	}
	return false
}

func (s *Server) apiDefinitions(c *call, _ none) ([]definitionOut, error) {
	out := []definitionOut{}
	for _, d := range s.Flow.Definitions() {
		out = append(out, definitionOf(d, c.Actor))
	}
	return out, nil
}

func (s *Server) definition(r *http.Request) (*flow.Definition, error) {
	d, ok := s.Flow.Definition(r.PathValue("key"))
	if !ok {
		return nil, domain.NotFound("web.definition", "flowui.entity.definition")
	}
	return d, nil
}

func (s *Server) apiDefinition(c *call, _ none) (definitionOut, error) {
	d, err := s.definition(c.Request())
	if err != nil {
		return definitionOut{}, err
	}
	return definitionOf(d, c.Actor), nil
}
