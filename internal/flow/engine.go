package flow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
)

// Directory answers who is who; internal/people.Service implements it.
type Directory interface {
	Person(ctx context.Context, id int64) (domain.Person, error)
	PersonByUsername(ctx context.Context, username string) (domain.Person, error)
	DirectorOf(ctx context.Context, departmentID int64) (domain.Person, error)
	WithRole(ctx context.Context, role domain.Role, departmentID int64) ([]domain.Person, error)
	Committee(ctx context.Context) ([]domain.Person, domain.Person, error)
	// RankHistory lists a person's ranks and since when (the rank
	// functions of conditions, rank_of and rank_since).
	RankHistory(ctx context.Context, personID int64) ([]domain.RankEntry, error)
}

// DepartmentDirectory is optionally implemented by a Directory to resolve
// department codes named in definitions (Assignee.Department).
type DepartmentDirectory interface {
	DepartmentByCode(ctx context.Context, code string) (domain.Department, error)
}

// Reauthenticator checks a password again for an electronic signature
// (COMPLIANCE R8); internal/auth.Service implements it.
type Reauthenticator interface {
	Reauthenticate(ctx context.Context, actor domain.Actor, password string) error
}

// Engine runs process instances. It is safe for concurrent use.
type Engine struct {
	st   Store
	reg  *Registry
	dir  Directory
	auth Reauthenticator
	// files checks references to files (UseFiles); nil checks their form only.
	files Files
	// cal is the working-day calendar (UseCalendar); nil counts weekdays.
	cal Calendar
	// people changes people for built-in effects (UsePeople).
	people People
	// tz is the institute's time zone (UseTimeZone); nil: the calendar's.
	tz *time.Location
	// throttle limits failed uses of external links by address (UseThrottle).
	throttle Throttle

	// Time (issue 8 §6): leased timers and jobs (timer.go, schedule.go).
	leaseOnce sync.Once
	owner     string        // who holds this engine's leases
	lease     time.Duration // how long a claim lasts
	workers   int           // timers or jobs run at once
	sched     schedState
	// End of time.

	cache *instCache

	// awaited are the definitions await steps may wait for (awaitedKeys).
	awaited map[string]bool

	// seenBySubject are the definitions whose requests who sees their
	// record sees (SubjectViewers), with the kind of record (visibility.go).
	seenBySubject map[string]string

	mu      sync.RWMutex
	current map[string]*Definition
	byVer   map[string]*Definition // key@version
	order   []string
}

// New returns an engine over st. Each definition is recorded in the store;
// a definition whose content (Hash) changed becomes a new version, used by
// new instances only, while running instances keep theirs.
func New(st Store, reg *Registry, dir Directory, auth Reauthenticator, defs []*Definition) (*Engine, error) {
	if reg == nil {
		reg = NewRegistry()
	}
	e := &Engine{st: st, reg: reg, dir: dir, auth: auth, cache: newInstCache(), current: map[string]*Definition{}, byVer: map[string]*Definition{}}
	ctx := context.Background()
	for _, d := range defs {
		body, err := json.Marshal(d)
		if err != nil {
			return nil, domain.Wrap("flow.New", err)
		}
		if d.Hash == "" {
			sum := sha256.Sum256(body)
			d.Hash = hex.EncodeToString(sum[:])
		}
		v, err := st.SaveDefinition(ctx, d.Key, d.Hash, body)
		if err != nil {
			return nil, err
		}
		d.Version = v
		if _, dup := e.current[d.Key]; !dup {
			e.order = append(e.order, d.Key)
		}
		e.current[d.Key] = d
		e.byVer[d.Key+"@"+strconv.Itoa(v)] = d
	}
	sort.Strings(e.order)
	if errs := crossCheck(defs); len(errs) > 0 {
		return nil, domain.Wrap("flow.New", errs[0])
	}
	e.awaited = e.awaitedKeys()
	e.seenBySubject = subjectViewerKeys(e.current)
	return e, nil
}

// Definitions returns the current version of every definition, by key.
func (e *Engine) Definitions() []*Definition {
	e.mu.RLock()
	defer e.mu.RUnlock()
	out := make([]*Definition, 0, len(e.order))
	for _, k := range e.order {
		out = append(out, e.current[k])
	}
	return out
}

// Definition returns the current version of a definition.
func (e *Engine) Definition(key string) (*Definition, bool) {
	e.mu.RLock()
	defer e.mu.RUnlock()
	d, ok := e.current[key]
	return d, ok
}

// DefinitionAt returns a definition at a version (a running instance's).
func (e *Engine) DefinitionAt(ctx context.Context, key string, version int) (*Definition, error) {
	return e.definition(ctx, key, version)
}

// definition returns a definition at a version, loading older versions
// from the store.
func (e *Engine) definition(ctx context.Context, key string, version int) (*Definition, error) {
	k := key + "@" + strconv.Itoa(version)
	e.mu.RLock()
	d := e.byVer[k]
	e.mu.RUnlock()
	if d != nil {
		return d, nil
	}
	body, err := e.st.DefinitionBody(ctx, key, version)
	if err != nil {
		return nil, err
	}
	d = &Definition{}
	if err := json.Unmarshal(body, d); err != nil {
		return nil, domain.Wrap("flow.definition", err)
	}
	d.Version = version
	e.mu.Lock()
	e.byVer[k] = d
	e.mu.Unlock()
	return d, nil
}

func stepOf(d *Definition, id string) *Step {
	for i := range d.Steps {
		if d.Steps[i].ID == id {
			return &d.Steps[i]
		}
	}
	return nil
}

// errStale means the instance changed between planning and writing; the
// caller plans again.
var errStale = errors.New("flow: instance changed meanwhile")

// work is a unit of work on one instance: its state as loaded, changed in
// memory by the engine, then written in one transaction with conditional
// updates (apply).
type work struct {
	e           *Engine
	ctx         context.Context
	actor       domain.Actor
	def         *Definition
	inst        *Instance
	oldVer      int64 // 0: a new instance
	tasks       []*Task
	dirty       map[*Task]TaskState
	added       []*Task
	acts        []*ActionRecord
	sigs        []*Signature
	notes       []*note
	ccs         []int64
	audits      []audit.Entry
	effs        []string // "step\x00effect"
	idem        string
	kids        []*work // subprocesses started
	parent      *work   // the parent of a new subprocess
	extra       []*work // other instances changed (a parent resumed)
	timers      []*Timer
	hops        int
	chosen      int64 // person chosen by the approver for a chosen_by step
	fire        int64 // timer fired by this work
	job         int64 // scheduled job this work carries out (schedule.go)
	enc         Encoded
	formChanged bool
	formJSON    string   // Form as stored, when known (instCache)
	cached      bool     // read from instCache, not the database
	parties     []int64  // people who may now see the instance (told about it, a viewer)
	files       []string // files the instance's comments now reference
	ext         *extWork // external links issued and changed (external.go)
	// What the instance was when loaded, so that the trail records every
	// change of status, title and position (trailState).
	was wasState
	// endOutcome is the outcome of the end step reached, if it names one.
	endOutcome string
	// row is the row of table rowTable whose assignee is being resolved
	// (a fan-out step, Step.Each).
	row      map[string]any
	rowTable string
	// lives are the life points of a bound instance to run in the
	// transaction (SubjectKind.On); create makes its record there.
	lives  []LifeEvent
	create func(ctx context.Context, tx any) (int64, error)
	// awaits are the requests await steps now wait for (Tx.AddAwait).
	awaits []awaitRow
	// effects are the built-in effects to run in the transaction;
	// spawned, the processes they start.
	effects []builtin
	spawned []*work
}

type wasState struct {
	status Status
	title  string
	steps  []string
}

type note struct {
	n    Notification
	task *Task // a new task the notification is about
}

func (e *Engine) newWork(ctx context.Context, actor domain.Actor, def *Definition, inst *Instance, tasks []*Task) *work {
	w := &work{e: e, ctx: ctx, actor: actor, def: def, inst: inst, oldVer: inst.Version, tasks: tasks, dirty: map[*Task]TaskState{}}
	if inst.Version != 0 {
		w.was = wasState{status: inst.Status, title: inst.Title, steps: activeSteps(inst)}
	}
	return w
}

// activeSteps lists the steps an instance is at.
func activeSteps(in *Instance) []string {
	var out []string
	for _, a := range in.State.Active {
		out = append(out, a.Step)
	}
	return out
}

// trailState completes the last audit event of w with what it changed of
// the instance's status, title and position (the steps it is at), unless
// an event of w records it already: the trail alone rebuilds the instance
// at any moment (AsOf).
func (w *work) trailState() {
	if len(w.audits) == 0 {
		return
	}
	has := map[string]bool{}
	for _, a := range w.audits {
		for _, c := range a.Changes {
			has[c.Field] = true
		}
	}
	last := &w.audits[len(w.audits)-1]
	if w.inst.Status != w.was.status && !has["status"] {
		last.Changes = append(last.Changes, audit.Change{Field: "status", Old: nilIfEmpty(string(w.was.status)), New: string(w.inst.Status)})
	}
	if w.inst.Title != w.was.title && !has["title"] {
		last.Changes = append(last.Changes, audit.Change{Field: "title", Old: nilIfEmpty(w.was.title), New: w.inst.Title})
	}
	if now := activeSteps(w.inst); !slices.Equal(now, w.was.steps) {
		last.Changes = append(last.Changes, audit.Change{Field: "steps", Old: w.was.steps, New: now})
	}
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// load reads an instance with its live tasks for a change.
func (e *Engine) load(ctx context.Context, actor domain.Actor, id int64) (*work, error) {
	inst, err := e.st.Instance(ctx, id)
	if err != nil {
		return nil, err
	}
	return e.loadTasks(ctx, actor, inst)
}

// TaskLoader is implemented by a Store that reads the instance a task
// belongs to together with the instance's live tasks in one query (the
// read of every Act).
type TaskLoader interface {
	InstanceOfTaskLive(ctx context.Context, taskID int64) (*Instance, []*Task, error)
}

// loadForTask reads, for a change, the instance a task belongs to with its
// live tasks.
func (e *Engine) loadForTask(ctx context.Context, actor domain.Actor, taskID int64, cached bool) (*work, error) {
	if cached {
		if w := e.cache.work(ctx, e, actor, taskID); w != nil {
			return w, nil
		}
	}
	tl, ok := e.st.(TaskLoader)
	if !ok {
		inst, err := e.st.InstanceOfTask(ctx, taskID)
		if err != nil {
			return nil, err
		}
		return e.loadTasks(ctx, actor, inst)
	}
	inst, tasks, err := tl.InstanceOfTaskLive(ctx, taskID)
	if err != nil {
		return nil, err
	}
	def, err := e.definition(ctx, inst.DefinitionKey, inst.DefinitionVersion)
	if err != nil {
		return nil, err
	}
	return e.newWork(ctx, actor, def, inst, tasks), nil
}

// loadTasks completes load for an instance already read.
func (e *Engine) loadTasks(ctx context.Context, actor domain.Actor, inst *Instance) (*work, error) {
	id := inst.ID
	def, err := e.definition(ctx, inst.DefinitionKey, inst.DefinitionVersion)
	if err != nil {
		return nil, err
	}
	tasks, err := e.st.LiveTasks(ctx, id)
	if err != nil {
		return nil, err
	}
	return e.newWork(ctx, actor, def, inst, tasks), nil
}

// setTask changes a task's state, remembering what the store must still hold.
func (w *work) setTask(t *Task, s TaskState, outcome string) {
	if _, ok := w.dirty[t]; !ok && t.ID != 0 {
		w.dirty[t] = t.State
	}
	t.State = s
	if outcome != "" {
		t.Outcome = outcome
	}
	t.Version++
}

func (w *work) audit(action string, changes []audit.Change, reason string) {
	w.audits = append(w.audits, audit.Entry{ActorID: w.actor.ID, ActorName: w.actor.Name, Action: action, Entity: "instance",
		Changes: changes, Reason: reason})
}

func (w *work) record(a ActionRecord) *ActionRecord {
	if a.ActorID == 0 && a.ActorName == "" {
		a.ActorID, a.ActorName = w.actor.ID, w.actor.Name
	}
	w.files = append(w.files, a.Attachments...)
	w.acts = append(w.acts, &a)
	return &a
}

func (w *work) notify(to int64, kind string, task *Task, args map[string]any) {
	if to == 0 {
		return
	}
	if args == nil {
		args = map[string]any{}
	}
	args["title"] = w.inst.Title
	w.notes = append(w.notes, &note{n: Notification{Channel: ChannelInApp, RecipientID: to, Kind: kind, Args: args}, task: task})
}

// commit writes the work in one transaction; on errStale it plans again
// with replan (a few times).
func (e *Engine) commit(ctx context.Context, w *work) error {
	if err := w.encode(e.st.Now()); err != nil {
		return err
	}
	if err := e.st.Write(ctx, func(tx Tx) error { return w.apply(tx) }); err != nil {
		if w.inst.ID != 0 {
			e.cache.drop(w.inst.ID)
		}
		return err
	}
	w.inst.Tasks = nil
	for _, t := range w.tasks {
		if live(t) {
			w.inst.Tasks = append(w.inst.Tasks, t)
		}
	}
	e.cache.put(w)
	w.inst.Issued = w.issuedToInitiator() // after the cache took its copy: never kept
	for _, o := range append(w.kids, w.extra...) {
		e.cache.drop(o.inst.ID)
	}
	if w.parent != nil {
		e.cache.drop(w.parent.inst.ID)
	}
	return nil
}

// encode prepares the JSON of w and the instances it changes, outside the
// write (so that the group-commit goroutine only runs SQL).
func (w *work) encode(now time.Time) error {
	if err := w.proxies(); err != nil { // standing proxies (proxy.go)
		return err
	}
	w.trailState()
	for i := range w.audits {
		enc, err := audit.EncodeChanges(w.audits[i].Changes)
		if err != nil {
			return domain.Wrap("flow.encode", err)
		}
		w.audits[i].Encoded = enc
	}
	// Notices' arguments too: the write runs on the shared writer
	// goroutine, which should only issue SQL.
	for _, n := range w.notes {
		if len(n.n.Args) > 0 {
			b, err := json.Marshal(n.n.Args)
			if err != nil {
				return domain.Wrap("flow.encode", err)
			}
			n.n.EncodedArgs = string(b)
		}
	}
	in := w.inst
	for i := range in.State.History {
		if in.State.History[i].At.IsZero() {
			in.State.History[i].At = now
		}
	}
	for i := range in.State.Warnings {
		if in.State.Warnings[i].At.IsZero() {
			in.State.Warnings[i].At = now
		}
	}
	st, err := json.Marshal(in.State)
	if err != nil {
		return domain.Wrap("flow.encode", err)
	}
	w.enc = Encoded{State: string(st), FormChanged: w.oldVer == 0 || w.formChanged}
	if w.enc.FormChanged {
		form := in.Form
		if form == nil {
			form = map[string]any{}
		}
		f, err := json.Marshal(form)
		if err != nil {
			return domain.Wrap("flow.encode", err)
		}
		w.enc.Form, w.enc.Search = string(f), SearchText(in.Title, form)
		in.FormText = w.enc.Form
	} else if in.FormText == "" {
		return domain.Wrap("flow.encode", errString("the stored form of instance "+strconv.FormatInt(in.ID, 10)+" is unknown"))
	}
	w.enc.FormText, w.formJSON = in.FormText, in.FormText
	w.enc.FormHash, w.enc.StateHash = hashOf([]byte(w.enc.FormText)), hashOf(st)
	for _, k := range w.kids {
		if err := k.encode(now); err != nil {
			return err
		}
	}
	for _, k := range w.spawned {
		if err := k.encode(now); err != nil {
			return err
		}
	}
	for _, x := range w.extra {
		if err := x.encode(now); err != nil {
			return err
		}
	}
	return nil
}

func (w *work) apply(tx Tx) error {
	now := tx.Now()
	if w.fire != 0 {
		ok, err := tx.FireTimer(w.fire, now)
		if err != nil {
			return err
		}
		if !ok {
			return errFired
		}
	}
	in := w.inst
	in.UpdatedAt = now
	if in.Status.Ended() && in.EndedAt.IsZero() {
		in.EndedAt = now
	}
	if w.parent != nil {
		in.ParentID = w.parent.inst.ID
	}
	if w.oldVer == 0 {
		if w.create != nil {
			id, err := w.create(w.ctx, tx.Raw())
			if err != nil {
				return err
			}
			in.SubjectID = id
		}
		in.Version = 1
		in.CreatedAt = now
		id, err := tx.InsertInstance(in, w.enc)
		if err != nil {
			return err
		}
		in.ID = id
	} else {
		in.Version = w.oldVer + 1
		if err := tx.UpdateInstance(in, w.oldVer, w.enc); err != nil {
			if domain.IsKind(err, domain.KindConflict) {
				return errStale
			}
			return err
		}
	}
	for t, old := range w.dirty {
		if t.State == TaskDone && t.ActedAt.IsZero() {
			t.ActedAt = now
		}
		if err := tx.UpdateTask(t, old); err != nil {
			if domain.IsKind(err, domain.KindConflict) {
				return errStale
			}
			return err
		}
	}
	for _, t := range w.added {
		t.InstanceID = in.ID
		t.CreatedAt = now
		t.Version = 1
		if t.State == TaskDone {
			t.ActedAt = now
		}
		sla := t.sla
		if sla != nil && t.DueAt.IsZero() {
			t.DueAt = w.slaDue(sla, now)
		}
		id, err := tx.InsertTask(t)
		if err != nil {
			return err
		}
		t.ID = id
		if err := insertTaskProxy(tx, in.ID, t); err != nil {
			return err
		}
		if sla != nil && !t.DueAt.IsZero() {
			for _, tm := range w.slaTimers(t) {
				tm.InstanceID = in.ID
				if err := tx.InsertTimer(tm); err != nil {
					return err
				}
			}
		}
	}
	for _, tm := range w.timers {
		tm.InstanceID = in.ID
		if err := tx.InsertTimer(tm); err != nil {
			return err
		}
	}
	for _, a := range w.acts {
		a.InstanceID, a.At = in.ID, now
		if err := tx.InsertAction(a); err != nil {
			return err
		}
	}
	for _, g := range w.sigs {
		g.InstanceID, g.SignedAt = in.ID, now
		if err := tx.InsertSignature(g); err != nil {
			return err
		}
	}
	for _, p := range w.ccs {
		if err := tx.InsertCC(in.ID, p, w.actor.ID); err != nil {
			return err
		}
	}
	parties, files := w.parties, w.files
	if w.enc.FormChanged {
		// Who is named in the form, and which files it holds, may see it / be seen through it.
		parties = append(parties, formPeople(w.def, in.Form)...)
		files = append(files, formFiles(w.def, in.Form)...)
	}
	for _, p := range parties {
		if p != in.InitiatorID {
			if err := tx.AddParty(in.ID, p); err != nil {
				return err
			}
		}
	}
	for _, f := range files {
		if err := tx.AddFile(in.ID, f); err != nil {
			return err
		}
	}
	for _, a := range w.awaits {
		if err := tx.AddAwait(in.ID, a.step, a.id); err != nil {
			return err
		}
	}
	if err := w.applyExternal(tx); err != nil {
		return err
	}
	for _, n := range w.notes {
		n.n.InstanceID = in.ID
		if n.task != nil {
			n.n.TaskID = n.task.ID
		}
		if err := tx.InsertNotification(&n.n); err != nil {
			return err
		}
	}
	if w.idem != "" {
		if err := tx.PutIdem(w.actor.ID, w.idem, in.ID); err != nil {
			return err
		}
	}
	if w.job != 0 {
		if err := w.finishJob(tx, in.ID, now); err != nil {
			return err
		}
	}
	for _, a := range w.audits {
		a.EntityID = strconv.FormatInt(in.ID, 10)
		if err := tx.Audit(a); err != nil {
			return err
		}
	}
	for _, k := range w.effs {
		stepID, name := splitEff(k)
		f, ok := w.e.reg.Effect(name)
		if !ok {
			return domain.E(domain.KindInternal, "flow.effect", "error.internal", "effect", name)
		}
		if err := f(w.ctx, EffectInput{DefinitionKey: w.def.Key, StepID: stepID, InstanceID: in.ID,
			Form: in.Form, Actor: w.actor, Tx: tx.Raw()}); err != nil {
			return err
		}
	}
	for _, b := range w.effects {
		if err := b(tx, in.ID); err != nil {
			return err
		}
	}
	if err := w.runLives(tx); err != nil {
		return err
	}
	for _, sw := range w.spawned {
		if err := sw.apply(tx); err != nil {
			return err
		}
	}
	for _, k := range w.kids {
		if err := k.apply(tx); err != nil {
			return err
		}
	}
	for _, x := range w.extra {
		if err := x.apply(tx); err != nil {
			return err
		}
	}
	return nil
}

func splitEff(k string) (string, string) {
	for i := 0; i < len(k); i++ {
		if k[i] == 0 {
			return k[:i], k[i+1:]
		}
	}
	return "", k
}
