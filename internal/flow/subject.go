package flow

import (
	"context"
	"encoding/json"

	"labflow/internal/domain"
)

// Processes bound to records. A domain package registers a kind of record
// (SubjectKind: a project's node plan) that definitions may govern
// (Definition.Subject); an instance of such a definition is bound to one
// record (Instance.SubjectKind, SubjectID). The domain package may create
// the record and start its approval in one transaction
// (StartInput.Subject.Create), follow the instance's life in the same
// transactions (SubjectKind.On: a plan becomes "signed" when the
// committee's last signature lands), and its record's canonical content is
// part of what every signature on the instance covers (SubjectKind.Content,
// R9): changing the record afterwards invalidates those signatures.

// SubjectKind is a kind of domain record definitions may govern.
type SubjectKind struct {
	// Name is what definitions write (subject: projects.node_plan).
	Name  string
	Title Text
	// Content returns the record's canonical content (JSON): what a
	// signature on an instance bound to it covers, with the form. Nil
	// leaves the record out of signatures.
	Content func(ctx context.Context, id int64) ([]byte, error)
	// Describe names a record for people: a label and the path of its page.
	Describe func(ctx context.Context, id int64) (label, path string, err error)
	// Visible reports whether actor may see the record: reference fields
	// accept, and offer, only those.
	Visible func(ctx context.Context, actor domain.Actor, id int64) (bool, error)
	// VisibleWhere is Visible in SQL, for lists and searches of requests
	// (Definition.SubjectViewers): a condition that holds when actor may
	// see the record whose id is the SQL expression subjectID, binding
	// values with arg (which returns their placeholder). A kind with both
	// Visible and VisibleWhere may let who sees its record see the
	// requests bound to it; the two must agree.
	VisibleWhere func(actor domain.Actor, subjectID string, arg func(any) string) string
	// Choices lists the records actor may reference, matching q.
	Choices func(ctx context.Context, actor domain.Actor, q string, limit int) ([]Choice, error)
	// On runs at each point of a bound instance's life, inside the
	// transaction of the change; an error rolls the change back.
	On func(ctx context.Context, ev LifeEvent) error
}

// Choice is a record offered by a reference field.
type Choice struct {
	ID    int64  `json:"id"`
	Label string `json:"label"`
}

// LifePoint is a point of an instance's life that a subject kind follows.
type LifePoint string

// The life points, in the order they can happen.
const (
	LifeStarted   LifePoint = "started"   // filed (or resubmitted)
	LifeStepDone  LifePoint = "step_done" // a step completed (LifeEvent.Step)
	LifeReturned  LifePoint = "returned"  // returned to the initiator
	LifeWithdrawn LifePoint = "withdrawn" // withdrawn by the initiator
	LifeApproved  LifePoint = "approved"  // ended approved (LifeEvent.Outcome)
	LifeRejected  LifePoint = "rejected"  // ended rejected
	LifeEnded     LifePoint = "ended"     // ended, either way (after approved or rejected)
)

// LifeEvent is one point of a bound instance's life. Tx is the store
// transaction (*store.Tx), as for effects.
type LifeEvent struct {
	Point     LifePoint
	Kind      string // the subject kind
	SubjectID int64
	Instance  *Instance
	Step      string
	Outcome   string
	Actor     domain.Actor
	Tx        any
}

// SubjectRef binds a new instance to a record: an existing one (ID), or
// one Create makes in the transaction that starts the instance, so that
// the record and its approval exist together or not at all.
type SubjectRef struct {
	Kind   string
	ID     int64
	Create func(ctx context.Context, tx any) (int64, error)
}

// RegisterSubjectKind declares a kind of record definitions may govern,
// with what the engine asks of it.
func (r *Registry) RegisterSubjectKind(k SubjectKind) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.subjects[k.Name] = true
	if r.kinds == nil {
		r.kinds = map[string]*SubjectKind{}
	}
	r.kinds[k.Name] = &k
}

// SubjectKind returns a registered kind of record.
func (r *Registry) SubjectKind(name string) (*SubjectKind, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	k, ok := r.kinds[name]
	return k, ok
}

// life queues a life point of a bound instance, run in the transaction.
func (w *work) life(p LifePoint, step string) {
	if w.inst.SubjectKind == "" {
		return
	}
	w.lives = append(w.lives, LifeEvent{Point: p, Kind: w.inst.SubjectKind, Step: step})
}

// runLives runs the queued life points in tx (after the instance row is
// written, so that a record created with it knows its id).
func (w *work) runLives(tx Tx) error {
	if len(w.lives) == 0 {
		return nil
	}
	k, ok := w.e.reg.SubjectKind(w.inst.SubjectKind)
	if !ok || k.On == nil {
		return nil
	}
	for _, ev := range w.lives {
		ev.SubjectID, ev.Instance, ev.Actor, ev.Tx, ev.Outcome = w.inst.SubjectID, w.inst, w.actor, tx.Raw(), w.inst.Outcome
		if err := k.On(w.ctx, ev); err != nil {
			return err
		}
	}
	return nil
}

// loadSubject reads the canonical content of the record inst is bound to,
// as it is now (for making or checking a signature).
func (e *Engine) loadSubject(ctx context.Context, inst *Instance) error {
	if inst.SubjectKind == "" || inst.SubjectID == 0 {
		return nil
	}
	k, ok := e.reg.SubjectKind(inst.SubjectKind)
	if !ok || k.Content == nil {
		return nil
	}
	b, err := k.Content(ctx, inst.SubjectID)
	if err != nil {
		return err
	}
	var v any
	if err := DecodeJSON(b, &v); err != nil {
		return domain.Wrap("flow.subject", err)
	}
	c, err := json.Marshal(v)
	if err != nil {
		return domain.Wrap("flow.subject", err)
	}
	inst.subject = &signedSubject{Kind: inst.SubjectKind, ID: inst.SubjectID, Content: c}
	return nil
}

// signedSubject is the part of a signature's content that is the record.
type signedSubject struct {
	Kind    string          `json:"kind"`
	ID      int64           `json:"id"`
	Content json.RawMessage `json:"content"`
}

// SubjectView is the record an instance is bound to, as pages show it.
type SubjectView struct {
	Kind      string `json:"kind"`
	KindTitle Text   `json:"kind_title"`
	ID        int64  `json:"id"`
	Label     string `json:"label"`
	Path      string `json:"path,omitempty"`
}

// subjectView describes the record inst is bound to (nil when unbound).
func (e *Engine) subjectView(ctx context.Context, inst *Instance) (*SubjectView, error) {
	if inst.SubjectKind == "" {
		return nil, nil
	}
	v := &SubjectView{Kind: inst.SubjectKind, ID: inst.SubjectID, Label: "#" + itoa(int(inst.SubjectID))}
	k, ok := e.reg.SubjectKind(inst.SubjectKind)
	if !ok {
		return v, nil
	}
	v.KindTitle = k.Title
	if k.Describe != nil {
		label, path, err := k.Describe(ctx, inst.SubjectID)
		if err != nil && !domain.IsKind(err, domain.KindNotFound) {
			return nil, err
		}
		if label != "" {
			v.Label = label
		}
		v.Path = path
	}
	return v, nil
}

// Bound lists the instances bound to one record that actor may see,
// newest first: the processes of the record's page.
func (e *Engine) Bound(ctx context.Context, actor domain.Actor, kind string, id int64) ([]*Instance, error) {
	out, _, err := e.Visible(ctx, actor, VisibleFilter{SubjectKind: kind, SubjectID: id, Limit: 500})
	return out, err
}

// bindSubject checks how a new instance of def is bound: a definition
// that governs a kind of record needs one (and only that kind); a free
// form takes none. An existing record must be one actor may see.
func (e *Engine) bindSubject(ctx context.Context, actor domain.Actor, def *Definition, ref *SubjectRef) error {
	const op = "flow.Start"
	if def.Subject == "" || def.Subject == "form" {
		if ref != nil {
			return domain.E(domain.KindInvalid, op, "flow.subject_not_bound", "kind", ref.Kind)
		}
		return nil
	}
	if ref == nil || ref.Kind != def.Subject || ref.ID == 0 && ref.Create == nil {
		return domain.E(domain.KindInvalid, op, "flow.subject_required", "kind", def.Subject)
	}
	if ref.Create != nil {
		return nil
	}
	k, ok := e.reg.SubjectKind(ref.Kind)
	if !ok {
		return domain.E(domain.KindInvalid, op, "flow.subject_required", "kind", def.Subject)
	}
	if k.Visible != nil {
		ok, err := k.Visible(ctx, actor, ref.ID)
		if err != nil {
			return err
		}
		if !ok {
			return domain.NotFound(op, "entity.record")
		}
	}
	return nil
}
