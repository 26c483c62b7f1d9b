package web

import (
	"net/http"
	"strings"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
)

// The JSON API of what issue 7 added to processes: the requests a person
// may see, an instance as it stood at a moment (rebuilt from the audit
// trail alone), and the administrator's view of steps nobody can act on.

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
