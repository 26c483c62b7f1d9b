package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/i18n"
	"labflow/internal/notify"
)

// The process engine's JSON API: definitions, starting instances, acting
// on tasks and instances, the inbox and notifications.

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

func (s *Server) apiDefinitions(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	e := s.Flow
	out := []definitionOut{}
	for _, d := range e.Definitions() {
		out = append(out, definitionOf(d, a))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) definition(r *http.Request) (*flow.Definition, error) {
	d, ok := s.Flow.Definition(r.PathValue("key"))
	if !ok {
		return nil, domain.NotFound("web.definition", "flowui.entity.definition")
	}
	return d, nil
}

func (s *Server) apiDefinition(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	d, err := s.definition(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, definitionOf(d, a))
	return nil
}

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
	case "auth.reauth_failed", "auth.signature_wrong":
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

type inboxOut struct {
	Box   flow.Box         `json:"box"`
	Items []flow.InboxItem `json:"items"`
	Total int              `json:"total"`
}

var inboxQuery = []string{"definition", "from", "to", "initiator", "status", "q", "limit", "offset"}

// inboxFilter reads the inbox filters from the query string.
func inboxFilter(r *http.Request) (flow.InboxFilter, error) {
	q := r.URL.Query()
	f := flow.InboxFilter{Definition: q.Get("definition"), From: q.Get("from"), To: q.Get("to"),
		Status: flow.Status(q.Get("status")), Query: strings.TrimSpace(q.Get("q"))}
	var c domain.Checker
	for _, k := range []string{"from", "to"} {
		if v := q.Get(k); v != "" && !dateRE(v) {
			c.Add(k, "field.bad_date")
		}
	}
	switch f.Status {
	case "", flow.StatusRunning, flow.StatusApproved, flow.StatusRejected, flow.StatusReturned, flow.StatusWithdrawn:
	default:
		c.Add("status", "field.bad_choice")
	}
	if err := c.Err("web.inbox"); err != nil {
		return f, err
	}
	init, err := queryInt(r, "initiator", 0)
	if err != nil {
		return f, err
	}
	limit, err := queryInt(r, "limit", 50)
	if err != nil {
		return f, err
	}
	off, err := queryInt(r, "offset", 0)
	if err != nil {
		return f, err
	}
	f.InitiatorID, f.Limit, f.Offset = init, int(min(max(limit, 1), 500)), int(min(off, 1<<30))
	return f, nil
}

func dateRE(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i, c := range s {
		if i != 4 && i != 7 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func (s *Server) apiInbox(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	e := s.Flow
	f, err := inboxFilter(r)
	if err != nil {
		return err
	}
	box := flow.Box(r.PathValue("box"))
	items, total, err := e.Inbox(r.Context(), a, box, f)
	if err != nil {
		return err
	}
	if items == nil {
		items = []flow.InboxItem{}
	}
	writeJSON(w, http.StatusOK, inboxOut{Box: box, Items: items, Total: total})
	return nil
}

type countsOut struct {
	Todo    int `json:"todo"`
	Done    int `json:"done"`
	Started int `json:"started"`
	CC      int `json:"cc"`
	Unread  int `json:"unread_notifications"`
}

func (s *Server) counts(ctx context.Context, a domain.Actor) (countsOut, error) {
	c, err := s.Flow.Counts(ctx, a)
	if err != nil {
		return countsOut{}, err
	}
	ns, err := s.Flow.Notifications(ctx, a, true, 100)
	if err != nil {
		return countsOut{}, err
	}
	return countsOut{Todo: c[flow.BoxTodo], Done: c[flow.BoxDone], Started: c[flow.BoxStarted], CC: c[flow.BoxCC], Unread: len(ns)}, nil
}

func (s *Server) apiInboxCounts(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	out, err := s.counts(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type bulkInput struct {
	TaskIDs []int64 `json:"task_ids"`
	Comment string  `json:"comment,omitempty"`
}

type bulkOut struct {
	Results  []bulkResultOut `json:"results"`
	Approved int             `json:"approved"`
	Failed   int             `json:"failed"`
}

type bulkResultOut struct {
	flow.BulkResult
	Message string `json:"message,omitempty"`
}

const maxBulk = 200

func (s *Server) bulkApprove(r *http.Request, a domain.Actor, ids []int64, comment string) (bulkOut, error) {
	var c domain.Checker
	if len(ids) == 0 {
		c.Add("task_ids", "field.required")
	} else if len(ids) > maxBulk {
		c.Add("task_ids", "flowui.bulk.too_many", "max", maxBulk)
	}
	c.Text("comment", comment, false, 2000)
	if err := c.Err("web.bulkApprove"); err != nil {
		return bulkOut{}, err
	}
	res, err := s.Flow.BulkApprove(r.Context(), a, ids, comment)
	if err != nil {
		return bulkOut{}, err
	}
	lang := s.lang(r)
	out := bulkOut{Results: []bulkResultOut{}}
	for _, x := range res {
		o := bulkResultOut{BulkResult: x}
		if x.OK {
			out.Approved++
		} else {
			out.Failed++
			if x.Err != nil {
				p, _ := problemOf(x.Err, lang)
				o.Error, o.Message = p.Key, p.Detail
			} else {
				o.Message = i18n.T(lang, x.Error, nil)
			}
		}
		out.Results = append(out.Results, o)
	}
	return out, nil
}

func (s *Server) apiBulkApprove(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	var in bulkInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.bulkApprove(r, a, in.TaskIDs, in.Comment)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type notificationOut struct {
	flow.Notification
	Text string `json:"text"`
	Read bool   `json:"read"`
}

func (s *Server) notifications(r *http.Request, a domain.Actor, unread bool, limit int) ([]notificationOut, error) {
	ns, err := s.Flow.Notifications(r.Context(), a, unread, limit)
	if err != nil {
		return nil, err
	}
	lang := s.lang(r)
	out := make([]notificationOut, 0, len(ns))
	for _, n := range ns {
		out = append(out, notificationOut{Notification: n, Text: notify.Text(lang, n), Read: !n.ReadAt.IsZero()})
	}
	return out, nil
}

func (s *Server) apiNotifications(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	limit, err := queryInt(r, "limit", 100)
	if err != nil {
		return err
	}
	out, err := s.notifications(r, a, r.URL.Query().Get("unread") == "true", int(min(max(limit, 1), 500)))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type readInput struct {
	IDs []int64 `json:"ids"`
}

func (s *Server) apiMarkRead(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	var in readInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if len(in.IDs) > 1000 {
		return fieldErr(domain.KindInvalid, "web.markRead", "error.invalid", "ids", "field.too_long")
	}
	if err := s.Flow.MarkRead(r.Context(), a, in.IDs); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// The engine's records, as documented in OpenAPI.
type (
	flowInstanceOut     = flow.Instance
	flowInstanceViewOut = flow.InstanceView
)
