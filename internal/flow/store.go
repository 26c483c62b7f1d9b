package flow

import (
	"context"
	"time"

	"labflow/internal/audit"
)

// Store is the persistence flow needs; internal/store implements it (so
// that flow imports no SQL). Reads run on the read pool; every change runs
// in Write, one group-committed transaction with its audit events.
type Store interface {
	// SaveDefinition records a definition's body under key, returning the
	// existing version when hash is already stored, or a new version.
	SaveDefinition(ctx context.Context, key, hash string, body []byte) (version int, err error)
	// DefinitionBody returns a stored version's body.
	DefinitionBody(ctx context.Context, key string, version int) ([]byte, error)

	Instance(ctx context.Context, id int64) (*Instance, error)
	// InstanceOfTask reads the instance a task belongs to.
	InstanceOfTask(ctx context.Context, taskID int64) (*Instance, error)
	// LiveTasks returns the instance's open and waiting tasks.
	LiveTasks(ctx context.Context, instanceID int64) ([]*Task, error)
	// Tasks returns every task of the instance, oldest first.
	Tasks(ctx context.Context, instanceID int64) ([]*Task, error)
	Task(ctx context.Context, id int64) (*Task, error)
	Actions(ctx context.Context, instanceID int64) ([]ActionRecord, error)
	Signatures(ctx context.Context, instanceID int64) ([]Signature, error)
	// IsCopied reports whether person was copied on the instance.
	IsCopied(ctx context.Context, instanceID, personID int64) (bool, error)
	// IsParty reports whether person was told about the instance, is named
	// in its form or is one of its definition's viewers (Tx.AddParty).
	IsParty(ctx context.Context, instanceID, personID int64) (bool, error)
	// InstancesWithFile lists the instances whose form or comments
	// reference the file with this SHA-256 (Tx.AddFile).
	InstancesWithFile(ctx context.Context, sha string) ([]int64, error)
	// VisibleInstances lists, newest first, the instances v may see by the
	// rule of CanView, with the total number of matches.
	VisibleInstances(ctx context.Context, v Viewer, f VisibleFilter) ([]*Instance, int, error)
	// Events lists the audit events of one entity up to until (inclusive),
	// oldest first.
	Events(ctx context.Context, entity string, id int64, until time.Time) ([]audit.Event, error)
	// UnassignedTasks lists the placeholders of steps nobody can act on, oldest first.
	UnassignedTasks(ctx context.Context, limit int) ([]*Task, error)
	// Idem returns the instance recorded under an actor's idempotency key.
	Idem(ctx context.Context, actorID int64, key string) (int64, bool, error)
	// Children returns the subprocess instances started by parent.
	Children(ctx context.Context, parentID int64) ([]*Instance, error)
	// Awaiting lists the running instances with a step waiting for one of
	// awaited to end (Tx.AddAwait); with none given, those whose awaited
	// request has ended already.
	Awaiting(ctx context.Context, awaited ...int64) ([]int64, error)
	// InstanceForms returns the id and form of instances of a definition
	// (every version), newest first, at most limit: those filed at or after
	// since (any time when zero), and only running ones when running (the
	// count_instances and in_use functions of conditions).
	InstanceForms(ctx context.Context, key string, since time.Time, running bool, limit int) ([]InstanceForm, error)

	Inbox(ctx context.Context, personID int64, box Box, f InboxFilter) ([]InboxItem, int, error)
	Counts(ctx context.Context, personID int64) (map[Box]int, error)
	Notifications(ctx context.Context, personID int64, unreadOnly bool, limit int) ([]Notification, error)
	MarkRead(ctx context.Context, personID int64, ids []int64) error

	Now() time.Time
	Write(ctx context.Context, fn func(tx Tx) error) error
}

// InstanceForm is an instance's id and form (Store.InstanceForms).
type InstanceForm struct {
	ID   int64
	Form map[string]any
}

// Tx is one share of a write transaction. Updates are conditional: they
// return a KindConflict error when the row is not in the state expected.
type Tx interface {
	Now() time.Time
	InsertInstance(in *Instance, enc Encoded) (int64, error)
	// UpdateInstance writes in where the stored version is oldVersion
	// (in.Version holds the new one); the form and search text only when
	// enc.FormChanged.
	UpdateInstance(in *Instance, oldVersion int64, enc Encoded) error
	InsertTask(t *Task) (int64, error)
	// UpdateTask writes t where its stored state is oldState.
	UpdateTask(t *Task, oldState TaskState) error
	InsertAction(a *ActionRecord) error
	InsertSignature(s *Signature) error
	InsertTimer(t *Timer) error
	// FireTimer marks a timer fired; false when it already was.
	FireTimer(id int64, at time.Time) (bool, error)
	InsertNotification(n *Notification) error
	InsertCC(instanceID, personID, byID int64) error
	// AddParty records that person may see the instance (named in its
	// form, told about it, or a viewer by its definition); idempotent.
	AddParty(instanceID, personID int64) error
	// AddFile records that the instance references a file; idempotent.
	AddFile(instanceID int64, sha string) error
	// AddAwait records that a step of the instance waits for awaitedID to end.
	AddAwait(instanceID int64, step string, awaitedID int64) error
	PutIdem(actorID int64, key string, instanceID int64) error
	Audit(e audit.Entry) error
	// Raw is the underlying transaction, handed to effects (*store.Tx).
	Raw() any
}

// Encoded is an instance's JSON and search text, prepared by the engine
// before the write so that the group-commit goroutine only runs SQL.
type Encoded struct {
	Form, State, Search string
	FormChanged         bool
	// FormText is the form column's text after the write: Form when the
	// form changed, else the text as stored (the store seals the row).
	FormText string
	// FormHash and StateHash are the SHA-256 (hex) of FormText and State,
	// computed before the write so that sealing the row in the group
	// commit hashes little.
	FormHash, StateHash string
}

// Box is one of the inbox's lists.
type Box string

// The inbox lists.
const (
	BoxTodo    Box = "todo"    // 待办: my open tasks
	BoxDone    Box = "done"    // 已办: tasks I acted on
	BoxStarted Box = "started" // 我发起的
	BoxCC      Box = "cc"      // 抄送我的
)

// InboxFilter narrows an inbox list. Zero fields do not filter.
type InboxFilter struct {
	Definition  string `json:"definition,omitempty"`
	From        string `json:"from,omitempty"` // YYYY-MM-DD (or stored time text), inclusive
	To          string `json:"to,omitempty"`
	InitiatorID int64  `json:"initiator_id,omitempty"`
	Status      Status `json:"status,omitempty"`
	Query       string `json:"q,omitempty"`     // substring of the form's text
	Limit       int    `json:"limit,omitempty"` // default 50, at most 500
	Offset      int    `json:"offset,omitempty"`
}

// InboxItem is one line of an inbox list: a task (todo, done) or an
// instance (started, cc).
type InboxItem struct {
	TaskID        int64     `json:"task_id,omitempty"`
	StepID        string    `json:"step_id,omitempty"`
	StepTitle     Text      `json:"step_title"`
	TaskState     TaskState `json:"task_state,omitempty"`
	Outcome       string    `json:"outcome,omitempty"`
	InstanceID    int64     `json:"instance_id"`
	DefinitionKey string    `json:"definition_key"`
	Definition    Text      `json:"definition"`
	Title         string    `json:"title"`
	InitiatorID   int64     `json:"initiator_id"`
	InitiatorName string    `json:"initiator_name"`
	Status        Status    `json:"status"`
	CreatedAt     time.Time `json:"created_at"`
	ActedAt       time.Time `json:"acted_at,omitzero"`
	DueAt         time.Time `json:"due_at,omitzero"`
	// DefinitionVersion is the version the instance runs.
	DefinitionVersion int `json:"definition_version"`
	// InstanceOutcome is the outcome the instance ended with, if any, and
	// OutcomeLabel its label (Definition.Outcomes).
	InstanceOutcome string `json:"instance_outcome,omitempty"`
	OutcomeLabel    Text   `json:"outcome_label,omitzero"`

	// Form is the request's form, for the title its list shows
	// (Definition.ListTitle); the API sends the title instead.
	Form map[string]any `json:"-"`
	// Current is where the request stands now: each step with work open
	// and who has it (nobody yet: a step waiting for someone).
	Current []CurrentStep `json:"current,omitempty"`
}

// CurrentStep is a step of a request with work open now.
type CurrentStep struct {
	StepID    string    `json:"step_id"`
	Title     Text      `json:"title"`
	Assignees []string  `json:"assignees,omitempty"`
	DueAt     time.Time `json:"due_at,omitzero"`
}
