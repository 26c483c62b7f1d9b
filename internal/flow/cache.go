package flow

import (
	"context"
	"strconv"
	"sync"

	"labflow/internal/domain"
)

// instCache keeps, for recently changed running instances, what this
// engine last committed: the row as stored and its live tasks. The next
// action on such an instance — usually the next approver's, soon after —
// then starts without reading the instance back from the database.
//
// An entry is exactly what the store would return unless another process
// (or another engine over the same database) changed the instance since.
// That is caught where every change is caught: the write's optimistic
// check on the instance's version (and on each task's state) fails, and
// the action runs again from a fresh read. An action that fails on cached
// state for any other reason is also retried from a fresh read, so that a
// stale entry can never refuse what the database would allow. Values are
// kept encoded (as the row holds them) and decoded for each use, so no two
// actions share a map or a slice.
type instCache struct {
	mu     sync.Mutex
	byID   map[int64]*cached
	byTask map[int64]int64 // live task → instance
}

type cached struct {
	inst  Instance // without Form, State and Tasks
	form  string   // Form as JSON
	state string   // State as JSON
	tasks []Task   // the live tasks
}

// instCacheMax bounds the cache: entries are a few hundred bytes to a few
// kilobytes, so it stays within some megabytes.
const instCacheMax = 4096

func newInstCache() *instCache {
	return &instCache{byID: map[int64]*cached{}, byTask: map[int64]int64{}}
}

// work returns a fresh copy of the cached instance holding task taskID,
// ready for a change, or nil.
func (c *instCache) work(ctx context.Context, e *Engine, actor domain.Actor, taskID int64) *work {
	c.mu.Lock()
	id, ok := c.byTask[taskID]
	var ent *cached
	if ok {
		ent = c.byID[id]
	}
	c.mu.Unlock()
	if ent == nil {
		return nil
	}
	inst := ent.inst
	inst.FormText = ent.form
	if DecodeJSON([]byte(ent.form), &inst.Form) != nil || DecodeJSON([]byte(ent.state), &inst.State) != nil {
		return nil // read from the database instead
	}
	e.mu.RLock()
	def := e.byVer[inst.DefinitionKey+"@"+strconv.Itoa(inst.DefinitionVersion)]
	e.mu.RUnlock()
	if def == nil {
		return nil
	}
	tasks := make([]*Task, len(ent.tasks))
	for i := range ent.tasks {
		t := ent.tasks[i]
		tasks[i] = &t
	}
	w := e.newWork(ctx, actor, def, &inst, tasks)
	w.formJSON, w.cached = ent.form, true
	return w
}

// put records w's instance as just committed; an ended instance, whose
// tasks are all closed, is dropped instead.
func (c *instCache) put(w *work) {
	in := w.inst
	if in.Status != StatusRunning || w.enc.State == "" || w.formJSON == "" {
		c.drop(in.ID)
		return
	}
	ent := &cached{inst: *in, form: w.formJSON, state: w.enc.State, tasks: make([]Task, len(in.Tasks))}
	ent.inst.Form, ent.inst.State, ent.inst.Tasks = nil, State{}, nil
	for i, t := range in.Tasks {
		ent.tasks[i] = *t
		ent.tasks[i].sla = nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.byID[in.ID]; old != nil && old.inst.Version > in.Version {
		return // a later commit (another action on the instance) was put first
	}
	c.dropLocked(in.ID)
	if len(c.byID) >= instCacheMax {
		// Evict about a tenth, arbitrarily (map order).
		n := instCacheMax / 10
		for id := range c.byID {
			c.dropLocked(id)
			if n--; n == 0 {
				break
			}
		}
	}
	c.byID[in.ID] = ent
	for _, t := range ent.tasks {
		c.byTask[t.ID] = in.ID
	}
}

// drop forgets an instance.
func (c *instCache) drop(id int64) {
	c.mu.Lock()
	c.dropLocked(id)
	c.mu.Unlock()
}

func (c *instCache) dropLocked(id int64) {
	ent := c.byID[id]
	if ent == nil {
		return
	}
	for _, t := range ent.tasks {
		if c.byTask[t.ID] == id {
			delete(c.byTask, t.ID)
		}
	}
	delete(c.byID, id)
}
