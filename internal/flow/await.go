package flow

import (
	"context"
	"errors"
	"slices"
	"strings"

	"labflow/internal/audit"
	"labflow/internal/domain"
)

// Waiting for another request (kind await) and handing values back from a
// sub-process (Step.Returns).

// await enters an await step: it waits until the request its reference
// field names ends (at once if it has). An empty reference passes the
// step over: there is nothing to wait for.
func (w *work) await(st *Step, branch string, detour bool) error {
	id := personID(w.inst.Form[st.Await])
	if id == 0 {
		w.skip(st.ID)
		if detour {
			return w.continueDetour(branch)
		}
		return w.leave(st, branch, true)
	}
	other, err := w.e.st.Instance(w.ctx, id)
	if err != nil {
		return err
	}
	s := &w.inst.State
	s.Round++
	s.Active = append(s.Active, ActiveStep{Step: st.ID, Round: s.Round, Branch: branch, Waiting: true, Awaits: id, Detour: detour})
	if other.Status.Ended() {
		w.audit("flow.await_end", []audit.Change{{Field: "step", New: st.ID}, {Field: "awaited", New: id}, {Field: "awaited_status", New: string(other.Status)}}, "")
		return w.completeStep(len(s.Active) - 1)
	}
	w.awaits = append(w.awaits, awaitRow{step: st.ID, id: id})
	return nil
}

type awaitRow struct {
	step string
	id   int64
}

// awaitedKeys are the definitions some await step may wait for: only
// their ends look for waiters (nothing is read for any other).
func (e *Engine) awaitedKeys() map[string]bool {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := map[string]bool{}
	for _, d := range e.current {
		for _, st := range d.Steps {
			if st.Kind != StepAwait {
				continue
			}
			for _, f := range d.Form {
				if f.Key == st.Await {
					out[strings.TrimPrefix(f.Ref, RefInstance)] = true
				}
			}
		}
	}
	return out
}

// resumeWaiters goes on with the requests waiting for this one, which has
// just ended: in the same transaction.
func (w *work) resumeWaiters() error {
	if !w.e.awaited[w.inst.DefinitionKey] || w.inst.ID == 0 {
		return nil
	}
	ids, err := w.e.st.Awaiting(w.ctx, w.inst.ID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		ww, err := w.e.load(w.ctx, w.actor, id)
		if err != nil {
			return err
		}
		ok, err := ww.awaitEnded(w.inst)
		if err != nil {
			return err
		}
		if ok {
			w.extra = append(w.extra, ww)
		}
	}
	return nil
}

// awaitEnded completes the await steps of w waiting for ended.
func (w *work) awaitEnded(ended *Instance) (bool, error) {
	done := false
	for i := 0; i < len(w.inst.State.Active); i++ {
		a := w.inst.State.Active[i]
		if a.Awaits != ended.ID || w.inst.Status != StatusRunning {
			continue
		}
		w.audit("flow.await_end", []audit.Change{{Field: "step", New: a.Step}, {Field: "awaited", New: ended.ID},
			{Field: "awaited_status", New: string(ended.Status)}}, "")
		w.record(ActionRecord{StepID: a.Step, Action: "await_end", TargetID: 0, Comment: "#" + itoa(int(ended.ID)) + " " + ended.Title})
		if err := w.completeStep(i); err != nil {
			return false, err
		}
		done = true
		i = -1 // the active list changed
	}
	return done, nil
}

// SweepAwaits goes on with requests still waiting for one that has ended
// (a request that ended while its waiter was being filed). It returns how
// many went on.
func (e *Engine) SweepAwaits(ctx context.Context) (int, error) {
	ids, err := e.st.Awaiting(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		for attempt := 0; attempt < 5; attempt++ {
			w, err := e.load(ctx, domain.System, id)
			if err != nil {
				return n, err
			}
			moved := false
			for _, a := range slices.Clone(w.inst.State.Active) {
				if a.Awaits == 0 {
					continue
				}
				other, err := e.st.Instance(ctx, a.Awaits)
				if err != nil {
					return n, err
				}
				if other.Status.Ended() {
					ok, err := w.awaitEnded(other)
					if err != nil {
						return n, err
					}
					moved = moved || ok
				}
			}
			if !moved {
				break
			}
			err = e.commit(ctx, w)
			if errors.Is(err, errStale) {
				continue
			}
			if err != nil {
				return n, err
			}
			n++
			break
		}
	}
	return n, nil
}

// handBack copies, when a sub-process ends approved, the values its
// definition's step maps back into this (the parent's) form.
func (w *work) handBack(stepID string, child map[string]any) []audit.Change {
	st := stepOf(w.def, stepID)
	if st == nil || len(st.Returns) == 0 {
		return nil
	}
	old := w.inst.Form
	form := make(map[string]any, len(old)+len(st.Returns))
	for k, v := range old {
		form[k] = v
	}
	for to, from := range st.Returns {
		form[to] = child[from]
	}
	changes := formChanges(old, form)
	if len(changes) > 0 {
		w.inst.Form = form
		w.formChanged = true
	}
	return changes
}
