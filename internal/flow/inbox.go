package flow

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"labflow/internal/domain"
)

// StepView is one step of an instance's diagram.
type StepView struct {
	ID    string   `json:"id"`
	Title Text     `json:"title"`
	Kind  StepKind `json:"kind"`
	// State is done, current, unassigned (current, but nobody can act on
	// it yet), pending, or skipped (the form as it stands takes the
	// process past it, so the engine will not run it).
	State     string   `json:"state"`
	Assignees []string `json:"assignees,omitempty"`
	Signature Meaning  `json:"signature,omitempty"`
}

// AllowedAction is an action the viewer may take now: on a task (TaskID)
// or on the instance (TaskID 0).
type AllowedAction struct {
	Action Action `json:"action"`
	TaskID int64  `json:"task_id,omitempty"`
	StepID string `json:"step_id,omitempty"`
	// NeedsPassword is set for approvals that are electronic signatures.
	NeedsPassword bool `json:"needs_password,omitempty"`
}

// InstanceView is what the instance page shows.
type InstanceView struct {
	Instance   *Instance       `json:"instance"`
	Definition *Definition     `json:"definition"`
	Steps      []StepView      `json:"steps"`
	Tasks      []*Task         `json:"tasks"`
	Timeline   []ActionRecord  `json:"timeline"`
	Signatures []Signature     `json:"signatures"`
	Warnings   []Warning       `json:"warnings,omitempty"`
	Allowed    []AllowedAction `json:"allowed_actions"`
	Children   []*Instance     `json:"children,omitempty"`
	// Subject is the record the instance is bound to, if any.
	Subject *SubjectView `json:"subject,omitempty"`
	// External lists the links issued for its external steps (no tokens).
	External []ExternalLink `json:"external,omitempty"`
}

// Instance returns the instance page for actor: the form, the steps with
// the current position, the timeline, the signatures with their validity
// (R9) and the actions actor may take now. Someone who may not see it gets
// KindNotFound.
func (e *Engine) Instance(ctx context.Context, actor domain.Actor, id int64) (*InstanceView, error) {
	w, err := e.load(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if ok, err := e.CanView(ctx, actor, w.inst); err != nil || !ok {
		if err == nil {
			err = domain.NotFound("flow.Instance", "entity.instance")
		}
		return nil, err
	}
	v := &InstanceView{Instance: w.inst, Definition: w.def, Warnings: w.inst.State.Warnings}
	if v.Tasks, err = e.st.Tasks(ctx, id); err != nil {
		return nil, err
	}
	if v.Timeline, err = e.st.Actions(ctx, id); err != nil {
		return nil, err
	}
	if v.Signatures, err = e.st.Signatures(ctx, id); err != nil {
		return nil, err
	}
	if err := e.loadSubject(ctx, w.inst); err != nil {
		return nil, err
	}
	if v.Subject, err = e.subjectView(ctx, w.inst); err != nil {
		return nil, err
	}
	if err := e.withProxies(ctx, v); err != nil {
		return nil, err
	}
	for i := range v.Signatures {
		g := &v.Signatures[i]
		if err := checkSignature(g, w.def, w.inst); err != nil {
			return nil, err
		}
		for _, later := range v.Signatures[i+1:] {
			if later.StepID == g.StepID && later.Meaning != MeaningDisapprove && g.Meaning != MeaningDisapprove {
				g.Superseded = true
			}
		}
	}
	if v.Children, err = e.st.Children(ctx, id); err != nil {
		return nil, err
	}
	if hasExternal(w.def) {
		if v.External, err = e.externalLinks(ctx, id); err != nil {
			return nil, err
		}
	}
	done, rejected := map[string]bool{}, map[string]bool{}
	for _, h := range w.inst.State.History {
		done[h.Step] = true
		rejected[h.Step] = h.Rejected
	}
	current, unassigned, detour := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, a := range w.inst.State.Active {
		current[a.Step] = true
		unassigned[a.Step] = unassigned[a.Step] || a.Unassigned
	}
	for _, id := range w.inst.State.Detour {
		detour[id] = true
	}
	reach, known := w.reachable()
	for _, st := range w.def.Steps {
		sv := StepView{ID: st.ID, Title: st.Title, Kind: st.Kind, State: "pending", Signature: st.Signature}
		if sv.Kind == "" {
			sv.Kind = StepApproval
		}
		switch {
		case unassigned[st.ID]:
			sv.State = "unassigned"
		case current[st.ID]:
			sv.State = "current"
			for _, t := range w.tasks {
				if t.StepID == st.ID && live(t) && t.AssigneeID != 0 {
					sv.Assignees = append(sv.Assignees, t.AssigneeName)
				}
			}
		case detour[st.ID]:
			// To be signed again, or newly required by a change of the form.
		case rejected[st.ID]:
			sv.State = "rejected" // and routed on by on_reject
		case done[st.ID]:
			sv.State = "done"
		case known && !reach[st.ID]:
			// The form as it stands takes the process past this step (the
			// committee chair's signature on a small purchase, the
			// analytical acceptance test when the requester confirms
			// quality): say so rather than "pending".
			sv.State = "skipped"
		}
		v.Steps = append(v.Steps, sv)
	}
	v.Allowed = w.allowed()
	return v, nil
}

// allowed lists what w.actor may do now.
func (w *work) allowed() []AllowedAction {
	var out []AllowedAction
	running := w.inst.Status == StatusRunning
	if running {
		for _, t := range w.tasks {
			st := stepOf(w.def, t.StepID)
			if st == nil {
				continue
			}
			if t.Kind == TaskAdded && t.AddedBy == w.actor.ID && t.State == TaskOpen {
				out = append(out, AllowedAction{Action: ActRemove, TaskID: t.ID, StepID: t.StepID})
			}
			if t.AssigneeID != w.actor.ID || t.State != TaskOpen {
				continue
			}
			if w.keptOff(st, w.actor.ID) != "" {
				continue
			}
			acts := stepActions(st)
			if t.Kind == TaskDelegated {
				acts = []Action{ActApprove, ActComment}
			}
			for _, a := range acts {
				out = append(out, AllowedAction{Action: a, TaskID: t.ID, StepID: t.StepID,
					NeedsPassword: a == ActApprove && st.Signature != "" && t.Kind != TaskDelegated})
			}
		}
	}
	if w.canWithdraw() {
		out = append(out, AllowedAction{Action: ActWithdraw})
	}
	if w.canTakeBack() {
		out = append(out, AllowedAction{Action: ActTakeBack})
	}
	if w.actor.ID == w.inst.InitiatorID {
		if running {
			out = append(out, AllowedAction{Action: ActUrge})
		}
		if w.inst.Status == StatusReturned || w.inst.Status == StatusWithdrawn {
			out = append(out, AllowedAction{Action: ActResubmit})
		}
	}
	out = append(out, AllowedAction{Action: ActComment}, AllowedAction{Action: ActCopy})
	return out
}

// Inbox lists one of actor's boxes with the total number of matches.
func (e *Engine) Inbox(ctx context.Context, actor domain.Actor, box Box, f InboxFilter) ([]InboxItem, int, error) {
	switch box {
	case BoxTodo, BoxDone, BoxStarted, BoxCC:
	default:
		return nil, 0, &domain.Error{Kind: domain.KindInvalid, Op: "flow.Inbox", Key: "error.invalid", Fields: map[string]domain.Msg{"box": {Key: "field.bad_choice"}}}
	}
	items, total, err := e.st.Inbox(ctx, actor.ID, box, f)
	if err != nil {
		return nil, 0, err
	}
	for i := range items {
		it := &items[i]
		if d, err := e.definition(ctx, it.DefinitionKey, it.DefinitionVersion); err == nil {
			it.Definition = d.Title
			if it.InstanceOutcome != "" {
				it.OutcomeLabel = Text{ZH: d.OutcomeLabel(it.InstanceOutcome, "zh"), EN: d.OutcomeLabel(it.InstanceOutcome, "en")}
			}
			if st := stepOf(d, it.StepID); st != nil {
				it.StepTitle = st.Title
			}
			for j := range it.Current {
				if st := stepOf(d, it.Current[j].StepID); st != nil {
					it.Current[j].Title = st.Title
				}
			}
		}
	}
	return items, total, nil
}

// Counts returns the size of each of actor's boxes (for the navigation bar).
func (e *Engine) Counts(ctx context.Context, actor domain.Actor) (map[Box]int, error) {
	return e.st.Counts(ctx, actor.ID)
}

// BulkResult is the outcome of one task of a bulk approval.
type BulkResult struct {
	TaskID     int64  `json:"task_id"`
	InstanceID int64  `json:"instance_id,omitempty"`
	OK         bool   `json:"ok"`
	Error      string `json:"error,omitempty"` // catalog key
	Err        error  `json:"-"`
}

// BulkApprove approves many tasks at once, only where the definition
// allows bulk approval and the step needs no electronic signature. Each
// approval is its own transaction; they run concurrently and share commits.
func (e *Engine) BulkApprove(ctx context.Context, actor domain.Actor, taskIDs []int64, comment string) ([]BulkResult, error) {
	out := make([]BulkResult, len(taskIDs))
	sem := make(chan struct{}, 8)
	var wg sync.WaitGroup
	for i, id := range taskIDs {
		out[i].TaskID = id
		wg.Add(1)
		sem <- struct{}{}
		go func(r *BulkResult) {
			defer wg.Done()
			defer func() { <-sem }()
			err := e.bulkOne(ctx, actor, r, comment)
			if err != nil {
				r.Err = err
				r.Error = "error.internal"
				var de *domain.Error
				if errorsAs(err, &de) {
					r.Error = de.Key
				}
				return
			}
			r.OK = true
		}(&out[i])
	}
	wg.Wait()
	return out, nil
}

func (e *Engine) bulkOne(ctx context.Context, actor domain.Actor, r *BulkResult, comment string) error {
	const op = "flow.BulkApprove"
	t, err := e.st.Task(ctx, r.TaskID)
	if err != nil {
		return err
	}
	inst, err := e.st.Instance(ctx, t.InstanceID)
	if err != nil {
		return err
	}
	r.InstanceID = inst.ID
	d, err := e.definition(ctx, inst.DefinitionKey, inst.DefinitionVersion)
	if err != nil {
		return err
	}
	st := stepOf(d, t.StepID)
	if !d.BulkApprove {
		return domain.E(domain.KindForbidden, op, "flow.bulk_not_allowed")
	}
	if st == nil || st.Signature != "" {
		return domain.E(domain.KindForbidden, op, "flow.bulk_signature")
	}
	_, err = e.Act(ctx, actor, r.TaskID, ActInput{Action: ActApprove, Comment: comment})
	return err
}

func sameJSON(a, b any) bool {
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(x) == string(y)
}

// SearchText is the lowercased text of an instance's title and form
// values, kept with the instance for inbox search.
func SearchText(title string, form map[string]any) string {
	var b strings.Builder
	b.WriteString(title)
	keys := make([]string, 0, len(form))
	for k := range form {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case nil:
		case string:
			b.WriteByte(' ')
			b.WriteString(x)
		case []any:
			for _, y := range x {
				walk(y)
			}
		case []map[string]any:
			for _, y := range x {
				walk(y)
			}
		case map[string]any:
			ks := make([]string, 0, len(x))
			for k := range x {
				ks = append(ks, k)
			}
			sort.Strings(ks)
			for _, k := range ks {
				walk(x[k])
			}
		default:
			b.WriteByte(' ')
			b.WriteString(fmt.Sprint(x))
		}
	}
	for _, k := range keys {
		walk(form[k])
	}
	s := strings.ToLower(b.String())
	if len(s) > 4000 {
		s = s[:4000]
	}
	return s
}
