package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
)

// The JSON API of requests (process instances): starting, reading, acting
// on instances and tasks, the requests one may see, and as-of views.

type startInput struct {
	Form map[string]any `json:"form"`
	// Chosen names, per step whose assignee the initiator picks
	// (chosen_by: initiator), the person chosen.
	Chosen         map[string]int64 `json:"chosen,omitempty"`
	IdempotencyKey string           `json:"idempotency_key,omitempty"`
}

// idemKey returns the request's idempotency key: the body's, else the
// Idempotency-Key header.
func idemKey(r *http.Request, body string) string {
	if body != "" {
		return body
	}
	return strings.TrimSpace(r.Header.Get("Idempotency-Key"))
}

func (s *Server) start(r *http.Request, a domain.Actor, d *flow.Definition, form map[string]any, chosen map[string]int64, key string) (*flow.Instance, error) {
	return s.Flow.StartWith(r.Context(), a, d.Key, flow.StartInput{Form: form, Chosen: chosen, IdemKey: key})
}

func (s *Server) apiStart(c *call, in startInput) (*flowInstanceOut, error) {
	d, err := s.definition(c.Request())
	if err != nil {
		return nil, err
	}
	if in.Form == nil {
		in.Form = map[string]any{}
	}
	inst, err := s.start(c.Request(), c.Actor, d, in.Form, in.Chosen, idemKey(c.Request(), in.IdempotencyKey))
	if err != nil {
		return nil, err
	}
	c.Header().Set("Location", "/api/v1/instances/"+strconv.FormatInt(inst.ID, 10))
	return inst, nil
}

func (s *Server) apiInstance(c *call, _ none) (*flowInstanceViewOut, error) {
	id, err := c.PathID("id", "flowui.entity.instance")
	if err != nil {
		return nil, err
	}
	return s.Flow.Instance(c.Context(), c.Actor, id)
}

// actionInput is what a client sends to act on a task or an instance.
type actionInput struct {
	Action         flow.Action    `json:"action"`
	Comment        string         `json:"comment,omitempty"`
	Password       string         `json:"password,omitempty"`
	To             string         `json:"to,omitempty"`
	PersonID       int64          `json:"person_id,omitempty"`
	Before         bool           `json:"before,omitempty"`
	Form           map[string]any `json:"form,omitempty"`
	Attachments    []string       `json:"attachments,omitempty"`
	Version        int64          `json:"version,omitempty"`
	IdempotencyKey string         `json:"idempotency_key,omitempty"`
}

func (in actionInput) act(r *http.Request) flow.ActInput {
	return flow.ActInput{Action: in.Action, Comment: in.Comment, Password: in.Password, To: in.To, PersonID: in.PersonID,
		Before: in.Before, Form: in.Form, Attachments: in.Attachments, Version: in.Version, IdemKey: idemKey(r, in.IdempotencyKey)}
}

// signatureError makes the engine's electronic-signature failures name the
// password field, and keeps them from looking like an expired session
// (which would send a browser to the login page): a missing or wrong
// password is a problem with the form, not with the session.
func signatureError(err error) error {
	de, ok := err.(*domain.Error)
	if !ok {
		return err
	}
	switch de.Key {
	case "flow.signature_password":
		return &domain.Error{Kind: domain.KindInvalid, Op: de.Op, Key: de.Key, Args: de.Args,
			Fields: map[string]domain.Msg{"password": {Key: "field.required"}}, Err: de}
	case "auth.reauth_failed", "auth.signature_wrong":
		f := de.Fields
		if f == nil {
			f = map[string]domain.Msg{"password": {Key: "auth.wrong_password"}}
		}
		return &domain.Error{Kind: domain.KindInvalid, Op: de.Op, Key: de.Key, Args: de.Args, Fields: f, Err: de}
	}
	return err
}

func (s *Server) apiTaskAction(c *call, in actionInput) (*flowInstanceOut, error) {
	return s.apiAction(c, in, "flowui.entity.task", (*flow.Engine).Act)
}

func (s *Server) apiInstanceAction(c *call, in actionInput) (*flowInstanceOut, error) {
	return s.apiAction(c, in, "flowui.entity.instance", (*flow.Engine).ActOnInstance)
}

// apiAction takes an action on the task or instance named in the path
// and answers the instance after it.
func (s *Server) apiAction(c *call, in actionInput, entity string,
	act func(*flow.Engine, context.Context, domain.Actor, int64, flow.ActInput) (*flow.Instance, error)) (*flowInstanceOut, error) {
	id, err := c.PathID("id", entity)
	if err != nil {
		return nil, err
	}
	inst, err := act(s.Flow, c.Context(), c.Actor, id, in.act(c.Request()))
	if err != nil {
		return nil, signatureError(err)
	}
	return inst, nil
}

// The engine's records, as documented in OpenAPI.
type (
	flowInstanceOut     = flow.Instance
	flowInstanceViewOut = flow.InstanceView
)

type visibleOut struct {
	Items []visibleItem `json:"items"`
	Total int           `json:"total"`
}

// visibleItem is one request in a list: who filed it, where it stands.
type visibleItem struct {
	ID            int64       `json:"id"`
	DefinitionKey string      `json:"definition_key"`
	Definition    flow.Text   `json:"definition"`
	Title         string      `json:"title"`
	InitiatorID   int64       `json:"initiator_id"`
	InitiatorName string      `json:"initiator_name"`
	Status        flow.Status `json:"status"`
	Steps         []flow.Text `json:"steps"` // where it stands now
	Total         any         `json:"total,omitempty"`
	CreatedAt     time.Time   `json:"created_at"`
	UpdatedAt     time.Time   `json:"updated_at"`
	// Outcome is the named outcome it ended with, and OutcomeLabel its label.
	Outcome      string    `json:"outcome,omitempty"`
	OutcomeLabel flow.Text `json:"outcome_label,omitzero"`
	// SubjectKind and SubjectID name the record it is bound to.
	SubjectKind string `json:"subject_kind,omitempty"`
	SubjectID   int64  `json:"subject_id,omitempty"`
}

// visibleQuery is what GET /api/v1/instances (and the purchasing page) reads.
type visibleQuery struct {
	Definition string `json:"-" query:"definition"`
	Status     string `json:"-" query:"status" enum:"running,approved,rejected,returned,withdrawn"`
	Query      string `json:"-" query:"q"`
	Limit      int64  `json:"-" query:"limit" default:"50"`
	Offset     int64  `json:"-" query:"offset"`
	// SubjectKind and SubjectID list the requests bound to one record.
	SubjectKind string `json:"-" query:"subject_kind"`
	SubjectID   int64  `json:"-" query:"subject_id"`
}

// visible lists the requests the actor may see (the engine's one rule).
func (s *Server) visible(ctx context.Context, a domain.Actor, q visibleQuery) (visibleOut, error) {
	f := flow.VisibleFilter{Definition: q.Definition, Status: flow.Status(q.Status), Query: strings.TrimSpace(q.Query)}
	switch f.Status {
	case "", flow.StatusRunning, flow.StatusApproved, flow.StatusRejected, flow.StatusReturned, flow.StatusWithdrawn:
	default:
		return visibleOut{}, fieldErr(domain.KindInvalid, "web.visible", "error.invalid", "status", "field.bad_choice")
	}
	f.Limit, f.Offset = int(min(max(q.Limit, 1), 500)), int(min(max(q.Offset, 0), 1<<30))
	if k := strings.TrimSpace(q.SubjectKind); k != "" {
		if q.SubjectID <= 0 {
			return visibleOut{}, fieldErr(domain.KindInvalid, "web.visible", "error.invalid", "subject_id", "field.required")
		}
		f.SubjectKind, f.SubjectID = k, q.SubjectID
	}
	list, total, err := s.Flow.Visible(ctx, a, f)
	if err != nil {
		return visibleOut{}, err
	}
	out := visibleOut{Items: []visibleItem{}, Total: total}
	for _, in := range list {
		it := visibleItem{ID: in.ID, DefinitionKey: in.DefinitionKey, Title: in.Title, InitiatorID: in.InitiatorID,
			InitiatorName: in.InitiatorName, Status: in.Status, Steps: []flow.Text{}, Total: in.Form["total"], CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt,
			SubjectKind: in.SubjectKind, SubjectID: in.SubjectID}
		if d, err := s.Flow.DefinitionAt(ctx, in.DefinitionKey, in.DefinitionVersion); err == nil {
			it.Definition = d.Title
			if in.Outcome != "" {
				it.Outcome = in.Outcome
				it.OutcomeLabel = flow.Text{ZH: d.OutcomeLabel(in.Outcome, "zh"), EN: d.OutcomeLabel(in.Outcome, "en")}
			}
			for _, as := range in.State.Active {
				if st := d.Step(as.Step); st != nil {
					it.Steps = append(it.Steps, st.Title)
				}
			}
		}
		out.Items = append(out.Items, it)
	}
	return out, nil
}

func (s *Server) apiVisible(c *call, q visibleQuery) (visibleOut, error) {
	return s.visible(c.Context(), c.Actor, q)
}

// asOfTime reads the moment of an as-of view: RFC 3339, or a local date
// and time (YYYY-MM-DDTHH:MM) in the institute's zone.
func (s *Server) asOfTime(v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, s.TimeZone); err == nil {
			if layout == "2006-01-02" {
				t = t.Add(24*time.Hour - time.Microsecond) // the end of that day
			}
			return t.UTC(), nil
		}
	}
	return time.Time{}, fieldErr(domain.KindInvalid, "web.asOf", "error.invalid", "at", "flow.field.bad_datetime")
}

// asOfQuery names the moment of an as-of view.
type asOfQuery struct {
	At string `json:"-" query:"at"`
}

func (s *Server) apiAsOf(c *call, q asOfQuery) (*flow.AsOfView, error) {
	id, err := c.PathID("id", "flowui.entity.instance")
	if err != nil {
		return nil, err
	}
	at, err := s.asOfTime(q.At)
	if err != nil {
		return nil, err
	}
	return s.Flow.AsOf(c.Context(), c.Actor, id, at)
}

type choicesOut struct {
	Items []flow.Choice `json:"items"`
}

// apiChoices lists what a reference field may point at for the caller
// (ref=instance:KEY or a kind of record; q filters): only what they may see.
func (s *Server) apiChoices(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	ref := strings.TrimSpace(r.URL.Query().Get("ref"))
	if ref == "" {
		return fieldErr(domain.KindInvalid, "web.choices", "error.invalid", "ref", "field.required")
	}
	limit, err := queryInt(r, "limit", 50)
	if err != nil {
		return err
	}
	items, err := s.Flow.Choices(r.Context(), a, ref, strings.TrimSpace(r.URL.Query().Get("q")), int(min(max(limit, 1), 200)))
	if err != nil {
		return err
	}
	if items == nil {
		items = []flow.Choice{}
	}
	writeJSON(w, http.StatusOK, choicesOut{Items: items})
	return nil
}
