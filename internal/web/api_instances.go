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

func (s *Server) apiStart(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	d, err := s.definition(r)
	if err != nil {
		return err
	}
	var in startInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if in.Form == nil {
		in.Form = map[string]any{}
	}
	inst, err := s.start(r, a, d, in.Form, in.Chosen, idemKey(r, in.IdempotencyKey))
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/instances/"+strconv.FormatInt(inst.ID, 10))
	writeJSON(w, http.StatusCreated, inst)
	return nil
}

func (s *Server) apiInstance(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	e := s.Flow
	id, err := pathID(r, "id", "flowui.entity.instance")
	if err != nil {
		return err
	}
	v, err := e.Instance(r.Context(), a, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
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
	case "auth.reauth_failed":
		f := de.Fields
		if f == nil {
			f = map[string]domain.Msg{"password": {Key: "auth.wrong_password"}}
		}
		return &domain.Error{Kind: domain.KindInvalid, Op: de.Op, Key: de.Key, Args: de.Args, Fields: f, Err: de}
	}
	return err
}

func (s *Server) apiTaskAction(w http.ResponseWriter, r *http.Request) error {
	return s.apiAction(w, r, "flowui.entity.task", (*flow.Engine).Act)
}

func (s *Server) apiInstanceAction(w http.ResponseWriter, r *http.Request) error {
	return s.apiAction(w, r, "flowui.entity.instance", (*flow.Engine).ActOnInstance)
}

// apiAction decodes an action on the task or instance named in the path
// and answers the instance after it.
func (s *Server) apiAction(w http.ResponseWriter, r *http.Request, entity string,
	act func(*flow.Engine, context.Context, domain.Actor, int64, flow.ActInput) (*flow.Instance, error)) error {
	a, _ := actor(r)
	e := s.Flow
	id, err := pathID(r, "id", entity)
	if err != nil {
		return err
	}
	var in actionInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	inst, err := act(e, r.Context(), a, id, in.act(r))
	if err != nil {
		return signatureError(err)
	}
	writeJSON(w, http.StatusOK, inst)
	return nil
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

var visibleQuery = []string{"definition", "status", "q", "subject_kind", "subject_id", "limit", "offset"}

// visible lists the requests the actor may see (the engine's one rule).
func (s *Server) visible(r *http.Request) (visibleOut, error) {
	a, _ := actor(r)
	q := r.URL.Query()
	f := flow.VisibleFilter{Definition: q.Get("definition"), Status: flow.Status(q.Get("status")), Query: strings.TrimSpace(q.Get("q"))}
	switch f.Status {
	case "", flow.StatusRunning, flow.StatusApproved, flow.StatusRejected, flow.StatusReturned, flow.StatusWithdrawn:
	default:
		return visibleOut{}, fieldErr(domain.KindInvalid, "web.visible", "error.invalid", "status", "field.bad_choice")
	}
	limit, err := queryInt(r, "limit", 50)
	if err != nil {
		return visibleOut{}, err
	}
	off, err := queryInt(r, "offset", 0)
	if err != nil {
		return visibleOut{}, err
	}
	f.Limit, f.Offset = int(min(max(limit, 1), 500)), int(min(max(off, 0), 1<<30))
	if k := strings.TrimSpace(q.Get("subject_kind")); k != "" {
		id, err := queryInt(r, "subject_id", 0)
		if err != nil {
			return visibleOut{}, err
		}
		if id <= 0 {
			return visibleOut{}, fieldErr(domain.KindInvalid, "web.visible", "error.invalid", "subject_id", "field.required")
		}
		f.SubjectKind, f.SubjectID = k, id
	}
	list, total, err := s.Flow.Visible(r.Context(), a, f)
	if err != nil {
		return visibleOut{}, err
	}
	out := visibleOut{Items: []visibleItem{}, Total: total}
	for _, in := range list {
		it := visibleItem{ID: in.ID, DefinitionKey: in.DefinitionKey, Title: in.Title, InitiatorID: in.InitiatorID,
			InitiatorName: in.InitiatorName, Status: in.Status, Steps: []flow.Text{}, Total: in.Form["total"], CreatedAt: in.CreatedAt, UpdatedAt: in.UpdatedAt,
			SubjectKind: in.SubjectKind, SubjectID: in.SubjectID}
		if d, err := s.Flow.DefinitionAt(r.Context(), in.DefinitionKey, in.DefinitionVersion); err == nil {
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

func (s *Server) apiVisible(w http.ResponseWriter, r *http.Request) error {
	out, err := s.visible(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
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

func (s *Server) apiAsOf(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "flowui.entity.instance")
	if err != nil {
		return err
	}
	at, err := s.asOfTime(r.URL.Query().Get("at"))
	if err != nil {
		return err
	}
	v, err := s.Flow.AsOf(r.Context(), a, id, at)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
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
