package flow

import (
	"context"
	"slices"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
)

// Standing proxies (出差/休假代理, issue 8 §4). A person names a proxy for
// a period and for some or all processes; the organisation service keeps
// them (people.Service implements ProxyDirectory). Every task that arrives
// for the absent person in that period — a step's assignee, the next in a
// sequential step, a transfer, a delegation, an added signer — goes to the
// proxy instead, recorded on the task as on whose behalf (代) its assignee
// acts. The proxy acts in their own name: an electronic signature stays
// the proxy's own (COMPLIANCE R8), and the timeline and the task say
// "代 X". The absent person is made a party of the request (they may see
// it) and finds the tasks in their list of work done on their behalf.
//
// A task stays with the absent person when the proxy may not take it:
//
//   - the proxy is not an active person holding a business role (R12);
//   - the proxy started the request and the step is an approval step that
//     keeps the initiator off it (four eyes, R10): nobody approves their
//     own request through a proxy;
//   - the proxy already has a place on the same step (a task of their own,
//     an approval given, a place in a sequential queue): nobody fills two
//     slots.
//
// The proxy need not satisfy the step's assignee rule: standing in for an
// absent director is what a proxy is for. The signature records the
// proxy's own name and meaning, and the task records whom it was for.
// Proxies are not followed in chains: a proxy's own proxy does not take
// over a task that arrived on someone else's behalf. A task that went to
// a proxy stays with them when the period ends.

// StandingProxy is who acts for an absent person, and the rule that says so.
type StandingProxy struct {
	RuleID int64
	Proxy  domain.Person
}

// ProxyDirectory is optionally implemented by a Directory: it names the
// standing proxy of a person for tasks of a definition arriving at a
// moment. ok is false when nobody stands in.
type ProxyDirectory interface {
	ProxyFor(ctx context.Context, personID int64, definition string, at time.Time) (p StandingProxy, ok bool, err error)
}

// ProxyTx is implemented by a Tx that records on whose behalf a task's
// assignee acts (internal/store's does); the record is written in the
// same transaction as the task.
type ProxyTx interface {
	InsertTaskProxy(taskID, instanceID, onBehalfOf int64, onBehalfName string, rule int64) error
}

// TaskProxy is the record of a task that went to a standing proxy.
type TaskProxy struct {
	OnBehalfOf   int64
	OnBehalfName string
	Rule         int64
}

// ProxyStore is implemented by a Store that reads the records ProxyTx writes.
type ProxyStore interface {
	// TaskProxies returns, by task id, the instance's tasks that went to a proxy.
	TaskProxies(ctx context.Context, instanceID int64) (map[int64]TaskProxy, error)
	// OnBehalfTasks lists, newest first, the tasks that went to someone on
	// person's behalf.
	OnBehalfTasks(ctx context.Context, personID int64, limit int) ([]OnBehalfItem, error)
}

// OnBehalfItem is one task a proxy received on someone's behalf, as the
// absent person's list shows it.
type OnBehalfItem struct {
	TaskID        int64     `json:"task_id"`
	InstanceID    int64     `json:"instance_id"`
	DefinitionKey string    `json:"definition_key"`
	Definition    Text      `json:"definition"`
	Title         string    `json:"title"`
	StepID        string    `json:"step_id"`
	StepTitle     Text      `json:"step_title"`
	ProxyID       int64     `json:"proxy_id"`
	ProxyName     string    `json:"proxy_name"`
	State         TaskState `json:"state"`
	Outcome       string    `json:"outcome,omitempty"`
	Status        Status    `json:"status"`
	CreatedAt     time.Time `json:"created_at"`
	ActedAt       time.Time `json:"acted_at,omitzero"`
	// DefinitionVersion is the version the instance runs.
	DefinitionVersion int `json:"definition_version"`
}

// proxies sends the tasks w added for absent people to their standing
// proxies, and records who acted on whose behalf. It runs in encode, before
// the write, so the group commit only runs SQL.
func (w *work) proxies() error {
	pd, ok := w.e.dir.(ProxyDirectory)
	if !ok {
		return nil
	}
	var now time.Time
	for _, t := range w.added {
		if t.AssigneeID == 0 || t.State == TaskDone || t.State == TaskCancelled || t.OnBehalfOf != 0 {
			continue
		}
		if now.IsZero() {
			now = w.e.st.Now()
		}
		sp, ok, err := pd.ProxyFor(w.ctx, t.AssigneeID, w.def.Key, now)
		if err != nil {
			return err
		}
		if !ok || sp.Proxy.ID == t.AssigneeID || !w.mayProxy(t, sp.Proxy) {
			continue
		}
		w.toProxy(t, sp)
	}
	return nil
}

// mayProxy reports whether proxy may take t for its assignee (see above).
func (w *work) mayProxy(t *Task, proxy domain.Person) bool {
	if !mayActInBusiness(proxy) {
		return false
	}
	st := stepOf(w.def, t.StepID)
	if st == nil || w.fourEyes(st) && proxy.ID == w.inst.InitiatorID {
		return false
	}
	for _, o := range w.tasks {
		if o != t && o.StepID == t.StepID && o.Round == t.Round && o.AssigneeID == proxy.ID && o.State != TaskCancelled {
			return false
		}
	}
	if i := w.activeIndex(t.StepID, t.Round); i >= 0 {
		as := w.inst.State.Active[i]
		if slices.Contains(as.Approved, proxy.ID) || slices.Contains(as.Queue, proxy.ID) {
			return false
		}
	}
	return true
}

// toProxy gives t to the standing proxy: the task, its notice, and the
// right of the absent person to see the request.
func (w *work) toProxy(t *Task, sp StandingProxy) {
	absent, absentName := t.AssigneeID, t.AssigneeName
	t.AssigneeID, t.AssigneeName = sp.Proxy.ID, sp.Proxy.Name
	t.OnBehalfOf, t.OnBehalfName, t.proxyRule = absent, absentName, sp.RuleID
	for _, n := range w.notes {
		if n.task == t && n.n.RecipientID == absent {
			n.n.RecipientID, n.n.Kind = sp.Proxy.ID, "proxy_task"
			if n.n.Args == nil {
				n.n.Args = map[string]any{}
			}
			n.n.Args["on_behalf"] = absentName
		}
	}
	w.parties = append(w.parties, absent)
	// The trail records the hand-over with the transition that made the
	// task (one event per transition).
	c := audit.Change{Field: "proxy", New: map[string]any{"step": t.StepID, "for": absent, "for_name": absentName,
		"to": sp.Proxy.ID, "to_name": sp.Proxy.Name, "rule": sp.RuleID}}
	if n := len(w.audits); n > 0 {
		w.audits[n-1].Changes = append(w.audits[n-1].Changes, c)
	} else {
		w.audit("flow.proxy", []audit.Change{c}, "")
	}
}

// insertTaskProxy writes the record of a task that went to a proxy, in
// the task's transaction.
func insertTaskProxy(tx Tx, instanceID int64, t *Task) error {
	if t.OnBehalfOf == 0 {
		return nil
	}
	pt, ok := tx.(ProxyTx)
	if !ok {
		return domain.Wrap("flow.proxy", errString("the store cannot record a task's proxy"))
	}
	return pt.InsertTaskProxy(t.ID, instanceID, t.OnBehalfOf, t.OnBehalfName, t.proxyRule)
}

// withProxies marks the tasks and timeline of an instance view with on
// whose behalf their assignee acted.
func (e *Engine) withProxies(ctx context.Context, v *InstanceView) error {
	ps, ok := e.st.(ProxyStore)
	if !ok {
		return nil
	}
	m, err := ps.TaskProxies(ctx, v.Instance.ID)
	if err != nil || len(m) == 0 {
		return err
	}
	byTask := map[int64]*Task{}
	for _, t := range v.Tasks {
		if p, ok := m[t.ID]; ok {
			t.OnBehalfOf, t.OnBehalfName = p.OnBehalfOf, p.OnBehalfName
		}
		byTask[t.ID] = t
	}
	for i := range v.Timeline {
		a := &v.Timeline[i]
		if t := byTask[a.TaskID]; t != nil && t.OnBehalfOf != 0 && t.AssigneeID == a.ActorID {
			a.OnBehalfOf, a.OnBehalfName = t.OnBehalfOf, t.OnBehalfName
		}
	}
	for i := range v.Signatures {
		g := &v.Signatures[i]
		if t := byTask[g.TaskID]; t != nil && t.OnBehalfOf != 0 && t.AssigneeID == g.SignerID {
			g.OnBehalfOf, g.OnBehalfName = t.OnBehalfOf, t.OnBehalfName
		}
	}
	return nil
}

// OnBehalf lists, newest first, the tasks that went to a proxy on actor's
// behalf: what was done (or is to be done) for them while they were away.
func (e *Engine) OnBehalf(ctx context.Context, actor domain.Actor, limit int) ([]OnBehalfItem, error) {
	ps, ok := e.st.(ProxyStore)
	if !ok || actor.ID <= 0 {
		return []OnBehalfItem{}, nil
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	items, err := ps.OnBehalfTasks(ctx, actor.ID, limit)
	if err != nil {
		return nil, err
	}
	for i := range items {
		it := &items[i]
		if d, err := e.definition(ctx, it.DefinitionKey, it.DefinitionVersion); err == nil {
			it.Definition = d.Title
			if st := stepOf(d, it.StepID); st != nil {
				it.StepTitle = st.Title
			}
		}
	}
	if items == nil {
		items = []OnBehalfItem{}
	}
	return items, nil
}
