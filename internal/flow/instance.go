package flow

import (
	"time"

	"labflow/internal/domain"
)

// Status is where a process instance stands.
type Status string

// The instance statuses.
const (
	StatusRunning   Status = "running"   // someone has a task
	StatusApproved  Status = "approved"  // reached the end
	StatusRejected  Status = "rejected"  // someone rejected it (final)
	StatusReturned  Status = "returned"  // 驳回 to the initiator, who may edit and resubmit
	StatusWithdrawn Status = "withdrawn" // 撤回 by the initiator, who may edit and resubmit
)

// Ended reports whether the status is final.
func (s Status) Ended() bool { return s == StatusApproved || s == StatusRejected }

// Instance is one run of a definition. It keeps the definition version it
// started with.
type Instance struct {
	ID                int64          `json:"id"`
	DefinitionKey     string         `json:"definition_key"`
	DefinitionVersion int            `json:"definition_version"`
	Title             string         `json:"title"`
	InitiatorID       int64          `json:"initiator_id"`
	InitiatorName     string         `json:"initiator_name"`
	InitiatorDept     int64          `json:"initiator_department,omitempty"`
	Status            Status         `json:"status"`
	Form              map[string]any `json:"form"`
	State             State          `json:"state"`
	ParentID          int64          `json:"parent_id,omitempty"`
	ParentStep        string         `json:"parent_step,omitempty"`
	Version           int64          `json:"version"` // bumped by every change (optimistic concurrency)
	CreatedAt         time.Time      `json:"created_at"`
	UpdatedAt         time.Time      `json:"updated_at"`
	EndedAt           time.Time      `json:"ended_at,omitzero"`
	// Outcome is the named outcome the process ended with (转正 / 延长试用),
	// one its definition declares; empty until it ends, and for a
	// definition that declares none.
	Outcome string `json:"outcome,omitempty"`
	// SubjectKind and SubjectID name the domain record the instance is
	// bound to (a project's node plan), when its definition governs one.
	SubjectKind string `json:"subject_kind,omitempty"`
	SubjectID   int64  `json:"subject_id,omitempty"`
	// Tasks, on an instance returned by Start, Act or ActOnInstance, are
	// its open and waiting tasks after the change (not stored with the row).
	Tasks []*Task `json:"tasks,omitempty"`
	// Issued, on an instance returned to its initiator by Start or Act, are
	// the links to outsiders that the change issued, with their tokens:
	// shown this once, to be passed on; only their hashes are stored.
	Issued []IssuedLink `json:"issued_links,omitempty"`
	// FormText is the form exactly as stored (set by the store when it
	// reads the row), so that an unchanged form is written back and sealed
	// byte for byte.
	FormText string `json:"-"`
	// subject is the canonical content of the bound record, read when a
	// signature is made or checked (Engine.loadSubject).
	subject *signedSubject
}

// State is the engine's bookkeeping for a running instance, stored as JSON
// with the instance row.
type State struct {
	Active   []ActiveStep     `json:"active,omitempty"`
	History  []StepRecord     `json:"history,omitempty"` // completed steps, oldest first; "" is the submission
	Touched  bool             `json:"touched,omitempty"` // someone acted on the active steps since the last move
	Round    int              `json:"round,omitempty"`   // activation counter
	Joins    map[string]int   `json:"joins,omitempty"`   // join step → branches arrived
	Chosen   map[string]int64 `json:"chosen,omitempty"`  // step → person chosen by the previous approver
	Vars     map[string]any   `json:"vars,omitempty"`    // engine variables for conditions
	Warnings []Warning        `json:"warnings,omitempty"`
	// Skipped are the steps passed over by their condition in this pass.
	// After every form change their conditions are evaluated again, and a
	// step whose condition now holds runs before the instance can end.
	Skipped []Skip `json:"skipped,omitempty"`
	// Detour lists steps to run next, before the process goes on to Resume:
	// steps whose signature a form change invalidated (to be signed again)
	// and passed-over steps whose condition a form change made hold.
	Detour []string `json:"detour,omitempty"`
	Resume string   `json:"resume,omitempty"`
	// Acted lists, per step, everyone who ever approved or completed it
	// (Step.Exclude keeps them off later steps).
	Acted map[string][]int64 `json:"acted,omitempty"`
	// ReturnedFrom is the step that returned the request to its initiator;
	// a resubmission resumes there (Definition.Resubmit).
	ReturnedFrom string `json:"returned_from,omitempty"`

	// Time (issue 8 §3): deadline.go.
	// Due keeps, per step whose SLA says on_return: keep, the deadline its
	// first task got, for the tasks it gets after a return or resubmission.
	Due map[string]time.Time `json:"due,omitempty"`
	// Deadlines are the definition's deadlines that have started.
	Deadlines map[string]*DeadlineState `json:"deadlines,omitempty"`
	// End of time.

	// Urged is when each open task was last urged (催办), by task id: a
	// task is urged at most once per UrgeEvery.
	Urged map[int64]time.Time `json:"urged,omitempty"`
}

// Skip is a step passed over by its condition; At is the length of the
// history then, so that a return or take-back before it forgets it.
type Skip struct {
	Step string `json:"step"`
	At   int    `json:"at"`
}

// ActiveStep is a step that currently has (or waits for) work.
type ActiveStep struct {
	Step     string  `json:"step"`
	Round    int     `json:"round"`
	Mode     Mode    `json:"mode,omitempty"`
	Need     int     `json:"need,omitempty"`     // approvals that complete the step
	Slots    int     `json:"slots,omitempty"`    // assignees resolved (M)
	Approved []int64 `json:"approved,omitempty"` // people who approved in this round
	Rejected int     `json:"rejected,omitempty"` // rejections so far (any/quorum)
	Queue    []int64 `json:"queue,omitempty"`    // sequential: who comes next
	Branch   string  `json:"branch,omitempty"`   // first step of the parallel branch it belongs to
	Waiting  bool    `json:"waiting,omitempty"`  // a subprocess runs, or (Awaits) another request
	Awaits   int64   `json:"awaits,omitempty"`   // the request an await step waits for
	Detour   bool    `json:"detour,omitempty"`   // entered from State.Detour
	// Against lists who voted against (a dissent, or a rejection the
	// others could still outvote); Chair is the committee chair whose vote
	// the step waits for (Step.RequireChair).
	Against []int64 `json:"against,omitempty"`
	Chair   int64   `json:"chair,omitempty"`
	// Unassigned: nobody resolved to act; the step waits, visibly, until
	// the organisation is fixed (a role granted, or the administrator names
	// a holder), never falling to the administrator (R12).
	Unassigned bool `json:"unassigned,omitempty"`
}

// StepRecord is one completed step.
type StepRecord struct {
	Step  string  `json:"step"`
	By    []int64 `json:"by,omitempty"`
	Last  int64   `json:"last,omitempty"` // whose action completed it
	Mode  Mode    `json:"mode,omitempty"`
	Need  int     `json:"need,omitempty"`
	Slots int     `json:"slots,omitempty"`
	// Branch is the parallel branch the step ran in (see ActiveStep.Branch),
	// so that a return or take-back to it resumes that branch.
	Branch string    `json:"branch,omitempty"`
	At     time.Time `json:"at"`
	// Rejected: the step ended by a rejection that its on_reject routed on.
	Rejected bool `json:"rejected,omitempty"`
	// Against lists who voted against while the step passed (dissent).
	Against []int64 `json:"against,omitempty"`
}

// Warning is a visible notice on an instance, such as a step that fell back
// to the administrator because nobody resolved.
type Warning struct {
	Step string     `json:"step"`
	Msg  domain.Msg `json:"msg"`
	At   time.Time  `json:"at"`
}

// TaskState is where a task stands.
type TaskState string

// The task states.
const (
	TaskOpen      TaskState = "open"      // the assignee should act
	TaskWaiting   TaskState = "waiting"   // delegated or a signer was added before: waits for that task
	TaskDone      TaskState = "done"      // acted on (Outcome says how)
	TaskCancelled TaskState = "cancelled" // no longer needed
	// TaskUnassigned holds the place of a step that nobody resolved to act
	// on (assignee 0): it waits until a role is granted or the
	// administrator names someone (Engine.Assign).
	TaskUnassigned TaskState = "unassigned"
)

// TaskKind says why a task exists.
type TaskKind string

// The task kinds.
const (
	TaskSlot       TaskKind = "slot"       // one assignee of the step
	TaskDelegated  TaskKind = "delegated"  // 委派: comes back to the delegator
	TaskAdded      TaskKind = "added"      // 加签: a signer added before or after someone
	TaskEscalation TaskKind = "escalation" // added by an SLA escalation; acts for its slot
)

// Task is one person's piece of work on a step.
type Task struct {
	ID            int64     `json:"id"`
	InstanceID    int64     `json:"instance_id"`
	StepID        string    `json:"step_id"`
	Round         int       `json:"round"`
	Slot          int       `json:"slot"`
	AssigneeID    int64     `json:"assignee_id"`
	AssigneeName  string    `json:"assignee_name"`
	State         TaskState `json:"state"`
	Kind          TaskKind  `json:"kind"`
	ParentTaskID  int64     `json:"parent_task_id,omitempty"` // the task waiting for this one
	AddedBy       int64     `json:"added_by,omitempty"`       // who added or delegated it
	Outcome       string    `json:"outcome,omitempty"`        // approved, rejected, returned, transferred, …
	Comment       string    `json:"comment,omitempty"`
	DefinitionKey string    `json:"definition_key"`
	InitiatorID   int64     `json:"initiator_id"`
	CreatedAt     time.Time `json:"created_at"`
	ActedAt       time.Time `json:"acted_at,omitzero"`
	DueAt         time.Time `json:"due_at,omitzero"`
	Version       int64     `json:"version"`
	// OnBehalfOf is the absent person whose standing proxy the task went
	// to (代): its assignee acts in their own name on that person's behalf
	// (proxy.go).
	OnBehalfOf   int64  `json:"on_behalf_of,omitempty"`
	OnBehalfName string `json:"on_behalf_name,omitempty"`

	sla       *SLA  // set on new tasks whose step has an SLA
	proxyRule int64 // the standing proxy that sent a new task to its assignee
}

// ActionRecord is one line of an instance's timeline.
type ActionRecord struct {
	ID          int64     `json:"id"`
	InstanceID  int64     `json:"instance_id"`
	TaskID      int64     `json:"task_id,omitempty"`
	StepID      string    `json:"step_id,omitempty"`
	ActorID     int64     `json:"actor_id"`
	ActorName   string    `json:"actor_name"`
	Action      string    `json:"action"`
	TargetID    int64     `json:"target_id,omitempty"` // the person transferred/delegated/added/copied to
	Comment     string    `json:"comment,omitempty"`
	Meaning     Meaning   `json:"meaning,omitempty"`
	Attachments []string  `json:"attachments,omitempty"` // SHA-256 of attached files
	At          time.Time `json:"at"`
	// OnBehalfOf is set, when the instance is shown, on the actions of a
	// standing proxy on a task they received for someone (代 OnBehalfName).
	OnBehalfOf   int64  `json:"on_behalf_of,omitempty"`
	OnBehalfName string `json:"on_behalf_name,omitempty"`
	// External is what a person outside the institute entered by a link
	// (action external_submit), with their address and browser.
	External *ExternalEntry `json:"external,omitempty"`
}

// Signature is an electronic signature record (COMPLIANCE R7, R9).
type Signature struct {
	ID          int64     `json:"id"`
	InstanceID  int64     `json:"instance_id"`
	TaskID      int64     `json:"task_id"`
	StepID      string    `json:"step_id"`
	SignerID    int64     `json:"signer_id"`
	SignerName  string    `json:"signer_name"` // printed name
	Meaning     Meaning   `json:"meaning"`
	SignedAt    time.Time `json:"signed_at"` // server time
	ContentHash string    `json:"content_hash"`
	// Content is the canonical JSON that was signed (its SHA-256 is ContentHash).
	Content string `json:"-"`
	// Valid is computed when shown: false once content the signer was
	// responsible for changed (R9).
	Valid bool `json:"valid"`
	// Updated lists fields changed since signing that the definition gives
	// to later steps to fill (a supplier, a negotiated price, a result):
	// the signature stays valid, and the change is shown beside it.
	Updated []string `json:"updated,omitempty"`
	// Changed lists the fields whose change invalidated the signature.
	Changed []string `json:"changed,omitempty"`
	// Diff lists, value by value, what differs between the signed content
	// and the form now, and how each difference bears on the signature.
	Diff []SignedChange `json:"diff,omitempty"`
	// SignedForm is the form as signed (from Content).
	SignedForm map[string]any `json:"signed_form,omitempty"`
	// Superseded is set when a later signature on the same step replaced
	// this one (the step was signed again after a return or a change).
	Superseded bool `json:"superseded,omitempty"`
	// OnBehalfOf is set, when shown, on a standing proxy's signature: the
	// signature is the proxy's own (R8), given on that person's behalf.
	OnBehalfOf   int64  `json:"on_behalf_of,omitempty"`
	OnBehalfName string `json:"on_behalf_name,omitempty"`
}

// Timer is a stored timer: a task's reminder, overdue notice or
// escalation, a definition-level deadline's, or the wake-up of a wait
// step. Servers claim due timers with a lease (timer.go).
type Timer struct {
	ID         int64     `json:"id"`
	InstanceID int64     `json:"instance_id"`
	TaskID     int64     `json:"task_id"`
	Kind       string    `json:"kind"` // remind, overdue, escalate, wake
	DueAt      time.Time `json:"due_at"`
	FiredAt    time.Time `json:"fired_at,omitzero"`
	// Ref is the deadline's id (a definition-level deadline's timers) or
	// the wait step's id (wake); Round is the deadline's start count or the
	// wait step's round, so that a timer of a deadline that restarted, or
	// of a step that is no longer waiting, does nothing.
	Ref   string `json:"ref,omitempty"`
	Round int    `json:"round,omitempty"`
	// Level is the escalation level (1 for the first of SLA.Escalate; 0
	// for EscalateTo).
	Level int `json:"level,omitempty"`
}

// The timer kinds.
const (
	TimerRemind   = "remind"
	TimerOverdue  = "overdue"
	TimerEscalate = "escalate"
	TimerWake     = "wake" // a wait step's time has come
)

// Notification is one outbox row. In-app notifications (channel "inapp")
// are read from the outbox; other channels deliver rows later.
type Notification struct {
	ID          int64          `json:"id"`
	Channel     string         `json:"channel"`
	RecipientID int64          `json:"recipient_id"`
	Kind        string         `json:"kind"` // task, returned, approved, rejected, urged, due_soon, overdue, copied, escalated, withdrawn
	InstanceID  int64          `json:"instance_id,omitempty"`
	TaskID      int64          `json:"task_id,omitempty"`
	Args        map[string]any `json:"args,omitempty"`
	CreatedAt   time.Time      `json:"created_at"`
	ReadAt      time.Time      `json:"read_at,omitzero"`
	// EncodedArgs is Args as JSON, encoded by the engine before the write
	// (the store encodes Args when it is empty).
	EncodedArgs string `json:"-"`
}

// ChannelInApp is the in-app notification channel.
const ChannelInApp = "inapp"
