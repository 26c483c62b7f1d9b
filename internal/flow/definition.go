// Package flow is LabFlow's process engine: definitions (YAML, versioned,
// validated at load), running instances, tasks, approver resolution,
// countersign modes, returns, withdrawals, transfers, added signers,
// conditions, electronic signatures and SLA timers. It knows nothing of
// pharma: domain packages plug in guards and effects by name, and the
// institute's rulebooks are YAML files under definitions/.
//
// flow imports no web, driver or domain-capability package. It persists
// through the Store interface (store.go), which internal/store implements.
package flow

import "strings"

// Text is a message in both UI languages.
type Text struct {
	ZH string `yaml:"zh" json:"zh"`
	EN string `yaml:"en" json:"en"`
}

// In returns the text in lang ("en" or anything else for Chinese), falling back to the other.
func (t Text) In(lang string) string {
	if lang == "en" && t.EN != "" {
		return t.EN
	}
	if t.ZH != "" {
		return t.ZH
	}
	return t.EN
}

// Definition is one process: a key, a version, titles, the subject it
// governs, the form people fill, and the steps. Loaded from YAML; the
// version is assigned by the store when the content changes, so running
// instances keep the version they started with.
type Definition struct {
	Key         string   `yaml:"key" json:"key"`
	Version     int      `yaml:"-" json:"version"`
	Title       Text     `yaml:"title" json:"title"`
	Description Text     `yaml:"description,omitempty" json:"description"`
	Rules       []string `yaml:"rules,omitempty" json:"rules,omitempty"` // SPEC rule ids it carries out, e.g. [PUR-1, PUR-2]
	// Subject is the kind of record the process governs: "form" for a free
	// form, or a domain type registered by a domain package (RegisterSubject).
	Subject string `yaml:"subject" json:"subject"`
	// Initiators are the roles allowed to start it; empty means anyone with a business role.
	Initiators []string `yaml:"initiators,omitempty" json:"initiators,omitempty"`
	// AllowSelfApproval lets the initiator act on their own instance's
	// approval steps; off by default (four eyes, COMPLIANCE R10).
	AllowSelfApproval bool `yaml:"allow_self_approval,omitempty" json:"allow_self_approval,omitempty"`
	// BulkApprove allows approving many tasks at once from the inbox (never
	// on steps that need an electronic signature).
	BulkApprove bool    `yaml:"bulk_approve,omitempty" json:"bulk_approve,omitempty"`
	Form        []Field `yaml:"form" json:"form"`
	// Checks are cross-field rules on the form: each expression must hold.
	Checks []Check `yaml:"checks,omitempty" json:"checks,omitempty"`
	// Guards must all allow starting (and resubmitting) an instance, so that
	// a request the rules refuse is refused with its reason when it is filed,
	// not when someone first signs it. Names registered by domain packages;
	// they see the form with StepID "".
	Guards []string `yaml:"guards,omitempty" json:"guards,omitempty"`
	// Viewers name more people who may see every request of this
	// definition (besides the initiator, its assignees, the people named in
	// it, the deans and the GM, and the initiator's director), resolved
	// when a request is filed.
	Viewers []Assignee `yaml:"viewers,omitempty" json:"viewers,omitempty"`
	Steps   []Step     `yaml:"steps" json:"steps"`

	// Outcomes name the ways the process can end (转正 / 延长试用 / 辞退),
	// shown instead of a bare "approved" in status, lists, notices and
	// exports. A step's Outcome, or the field OutcomeFrom, says which.
	Outcomes []Outcome `yaml:"outcomes,omitempty" json:"outcomes,omitempty"`
	// OutcomeFrom names a select field whose value, when the process ends
	// approved, is its outcome (the HR decision 转正 / 延长试用 / 辞退).
	OutcomeFrom string `yaml:"outcome_from,omitempty" json:"outcome_from,omitempty"`
	// Withdraw set to false forbids the initiator to withdraw (撤回) a
	// request, running or returned (a registered complaint must be answered).
	Withdraw *bool `yaml:"withdraw,omitempty" json:"withdraw,omitempty"`
	// Resubmit says where a request returned to its initiator goes when
	// resubmitted: "resume" (the default) goes back to the step that
	// returned it, the steps signed before it standing unless the change
	// invalidates their signatures; "restart" runs the process from its
	// first step.
	Resubmit string `yaml:"resubmit,omitempty" json:"resubmit,omitempty"`

	// Time (issue 8 §3, §6): deadline.go, schedule.go.
	// Deadlines span several steps or the whole request.
	Deadlines []Deadline `yaml:"deadlines,omitempty" json:"deadlines,omitempty"`
	// Schedule starts the process by itself: on a recurring calendar or
	// when a date in the data comes near.
	Schedule []Schedule `yaml:"schedule,omitempty" json:"schedule,omitempty"`
	// End of time.

	// Summary names the values the approval page shows first, in one line
	// (the category, the total, the date needed): field keys, or
	// "table.column" for a table's column (display.go).
	Summary []string `yaml:"summary,omitempty" json:"summary,omitempty"`
	// ListTitle is how lists name a request: text with {references} to
	// fields, "table.column", {initiator} and {id}, e.g.
	// "{category} · ¥{total} · {initiator}".
	ListTitle string `yaml:"list_title,omitempty" json:"list_title,omitempty"`

	// Subject viewers (issue 10, PRJ-12): visibility.go.
	// SubjectViewers lets whoever may see the record a request is bound to
	// see the request too (the subject kind's Visible and VisibleWhere
	// decide): a project's team sees its project's requests. The current
	// version of the definition decides, for requests of every version.
	SubjectViewers bool `yaml:"subject_viewers,omitempty" json:"subject_viewers,omitempty"`
	// End of subject viewers.

	File   string `yaml:"-" json:"-"` // where it was loaded from, for error messages
	Source []byte `yaml:"-" json:"-"` // the YAML as loaded; its SHA-256 identifies the version
	Hash   string `yaml:"-" json:"hash"`
}

// FieldType is the type of a form field.
type FieldType string

// The form field types.
const (
	FieldText        FieldType = "text"
	FieldLongText    FieldType = "longtext"
	FieldNumber      FieldType = "number"
	FieldMoney       FieldType = "money" // CNY, exact decimal with at most 2 places, kept as a string
	FieldDate        FieldType = "date"
	FieldDateTime    FieldType = "datetime"
	FieldSelect      FieldType = "select"
	FieldMultiSelect FieldType = "multiselect"
	FieldPerson      FieldType = "person"     // a person id; Role narrows the choice
	FieldDepartment  FieldType = "department" // a department id
	FieldFiles       FieldType = "files"      // attachment SHA-256 hashes
	FieldTable       FieldType = "table"      // repeating rows of Columns
	// FieldReference points at another request (ref: instance:KEY) or a
	// record of a registered kind (ref: projects.project): its id.
	FieldReference FieldType = "reference"
)

// Field is one form field with its server-side validation.
type Field struct {
	Key      string    `yaml:"key" json:"key"`
	Label    Text      `yaml:"label" json:"label"`
	Type     FieldType `yaml:"type" json:"type"`
	Required bool      `yaml:"required,omitempty" json:"required,omitempty"`
	Help     Text      `yaml:"help,omitempty" json:"help"`
	MaxLen   int       `yaml:"max_len,omitempty" json:"max_len,omitempty"` // text; default 200 (text) / 5000 (longtext)
	Min      string    `yaml:"min,omitempty" json:"min,omitempty"`         // number/money/date bounds (decimal or date text)
	Max      string    `yaml:"max,omitempty" json:"max,omitempty"`
	Pattern  string    `yaml:"pattern,omitempty" json:"pattern,omitempty"` // RE2 for text
	Options  []Option  `yaml:"options,omitempty" json:"options,omitempty"` // select/multiselect
	Role     string    `yaml:"role,omitempty" json:"role,omitempty"`       // person: must hold this role
	// Ref (reference fields) is what the field points at: "instance:KEY"
	// (a request of definition KEY) or a registered kind of record.
	Ref     string  `yaml:"ref,omitempty" json:"ref,omitempty"`
	Columns []Field `yaml:"columns,omitempty" json:"columns,omitempty"` // table
	MinRows int     `yaml:"min_rows,omitempty" json:"min_rows,omitempty"`
	MaxRows int     `yaml:"max_rows,omitempty" json:"max_rows,omitempty"` // default 200
	// Computed, for number/money columns and fields: an expression over the
	// row or form (e.g. "quantity * unit_price"); the server computes it.
	Computed string `yaml:"computed,omitempty" json:"computed,omitempty"`
}

// Option is one choice of a select field.
type Option struct {
	Value string `yaml:"value" json:"value"`
	Label Text   `yaml:"label" json:"label"`
}

// Check is a cross-field rule: When (optional) selects the forms it applies
// to; Expr must then be true, or Message is shown on Field.
type Check struct {
	When    string `yaml:"when,omitempty" json:"when,omitempty"`
	Expr    string `yaml:"expr" json:"expr"`
	Field   string `yaml:"field" json:"field"`
	Message Text   `yaml:"message" json:"message"`
}

// Step is one node of the process graph.
type Step struct {
	ID    string   `yaml:"id" json:"id"`
	Title Text     `yaml:"title" json:"title"`
	Kind  StepKind `yaml:"kind,omitempty" json:"kind"` // default approval
	// Who acts (approval and task steps).
	Assignee Assignee `yaml:"assignee,omitempty" json:"assignee"`
	// How several assignees decide.
	Mode   Mode   `yaml:"mode,omitempty" json:"mode"`
	Quorum string `yaml:"quorum,omitempty" json:"quorum,omitempty"` // "2" (N of M) or "60%" / "2/3" (ratio)
	// Actions the assignee may take besides approve (default: approve,
	// reject, return, transfer, delegate, add_signer, comment).
	Actions []Action `yaml:"actions,omitempty" json:"actions,omitempty"`
	// Signature, if set, makes approving an electronic signature with this
	// meaning: the password is asked again (COMPLIANCE R7–R9).
	Signature Meaning `yaml:"signature,omitempty" json:"signature,omitempty"`
	// Editable lists form fields this step's assignee may fill or change
	// (e.g. purchasing enters the negotiated price): a top-level key, or
	// "table.column" for one column of a table (its rows and other columns
	// stay as they are).
	Editable []string `yaml:"editable,omitempty" json:"editable,omitempty"`
	// Required lists editable fields (or "table.column": every row) that
	// must hold a value for the step to complete: what the step exists to
	// record (the courier, the results).
	Required []string `yaml:"required,omitempty" json:"required,omitempty"`
	// Ceilings lists number or money fields whose signed value this step
	// approves as a maximum (e.g. the total): a later edit may lower them
	// without invalidating the signature; raising one sends the instance
	// back to this step for a new signature.
	Ceilings []string `yaml:"ceilings,omitempty" json:"ceilings,omitempty"`
	// When, if set, is a condition on the form: false skips the step.
	When string `yaml:"when,omitempty" json:"when,omitempty"`
	// Next is where to go after the step completes: a step id, "end", or
	// (when empty) the next step in the list. Branches are tried in order
	// before Next; the first whose When holds wins.
	Next     string   `yaml:"next,omitempty" json:"next,omitempty"`
	Branches []Branch `yaml:"branches,omitempty" json:"branches,omitempty"`
	// Parallel (kind parallel) lists the first steps of branches that run
	// at once; each branch continues until it reaches Join.
	Parallel []string `yaml:"parallel,omitempty" json:"parallel,omitempty"`
	Join     string   `yaml:"join,omitempty" json:"join,omitempty"`
	// Subprocess (kind subprocess) is the key of a definition started and waited for.
	Subprocess string `yaml:"subprocess,omitempty" json:"subprocess,omitempty"`
	// Returns (kind subprocess) maps fields of this form to fields of the
	// sub-process's form: the values it hands back when it ends approved.
	Returns map[string]string `yaml:"returns,omitempty" json:"returns,omitempty"`
	// Await (kind await) names a reference field (ref: instance:KEY): the
	// step waits until that request ends (the pilot closure waits for the
	// stability study).
	Await string `yaml:"await,omitempty" json:"await,omitempty"`
	// CC lists who is copied (抄送) when the step completes.
	CC  []Assignee `yaml:"cc,omitempty" json:"cc,omitempty"`
	SLA *SLA       `yaml:"sla,omitempty" json:"sla,omitempty"`
	// Guards must all allow completing the step; Effects run, in the same
	// transaction, when it completes. Both are names registered by domain packages.
	Guards  []string `yaml:"guards,omitempty" json:"guards,omitempty"`
	Effects []string `yaml:"effects,omitempty" json:"effects,omitempty"`
	// Notify lists who is informed (in-app) when the step completes, e.g. both deans (EXT-1).
	Notify []Assignee `yaml:"notify,omitempty" json:"notify,omitempty"`

	// Each fans the step out: one task per row of this table field (each
	// involved department's director files a feasibility report), the
	// assignee resolved per row (department_from and field may name the
	// table's columns: that row's value). A task edits only its own row.
	// The step completes when all rows are done (mode all, the default),
	// a quorum of them, or any.
	Each string `yaml:"each,omitempty" json:"each,omitempty"`
	// RequireChair: the step (a committee's, mode quorum or any) completes
	// only once its committee's chair has voted — the quorum includes the
	// chair.
	RequireChair bool `yaml:"require_chair,omitempty" json:"require_chair,omitempty"`
	// Exclude keeps off this step whoever acted on the named earlier steps
	// (the analyst who entered results may not verify them, R10), and with
	// "initiator" the initiator even on a task step.
	Exclude []string `yaml:"exclude,omitempty" json:"exclude,omitempty"`
	// SetPerson, DeactivatePerson and Start are built-in effects, run in
	// the same transaction when the step completes (an end step: when it
	// is reached), audited: set a person's attribute (employment status,
	// confirmation date, rank), deactivate a person, start another process
	// with values from this one.
	SetPerson        []PersonChange `yaml:"set_person,omitempty" json:"set_person,omitempty"`
	DeactivatePerson string         `yaml:"deactivate_person,omitempty" json:"deactivate_person,omitempty"`
	Start            []StartProcess `yaml:"start,omitempty" json:"start,omitempty"`
	// Outcome is the outcome (one of the definition's Outcomes) the process
	// ends with if it ends after this step completes (for an end step: when
	// it is reached); a later step's outcome replaces it.
	Outcome string `yaml:"outcome,omitempty" json:"outcome,omitempty"`
	// OnReject, when set, routes a rejection of this step to that step (or
	// "end") instead of ending the process rejected: a refused proposal
	// goes back to be reworked, or on to a step that records the refusal.
	OnReject string `yaml:"on_reject,omitempty" json:"on_reject,omitempty"`

	// Time (issue 8 §3): wait.go.
	// Wait (kind wait) is how long the step waits, or until when.
	Wait *Wait `yaml:"wait,omitempty" json:"wait,omitempty"`
	// End of time.
}

// PersonChange sets one attribute of a person (domain.Attributes).
type PersonChange struct {
	// Person is a person field of the form, or "initiator".
	Person    string `yaml:"person" json:"person"`
	Attribute string `yaml:"attribute" json:"attribute"`
	// Value is an expression over the form: "'confirmed'", "today()",
	// "add_days(today(), 90)", "new_rank".
	Value string `yaml:"value" json:"value"`
}

// StartProcess starts another process when a step completes.
type StartProcess struct {
	Process string `yaml:"process" json:"process"` // its definition key
	// As is who files it: "initiator" (this request's) or a person field.
	As string `yaml:"as,omitempty" json:"as,omitempty"`
	// Values are its form's values: field → expression over this form.
	Values map[string]string `yaml:"values,omitempty" json:"values,omitempty"`
}

// Outcome is one named way a process can end.
type Outcome struct {
	Key   string `yaml:"key" json:"key"`
	Label Text   `yaml:"label" json:"label"`
	// Status is the instance status the outcome goes with: approved (the
	// default) or rejected.
	Status Status `yaml:"status,omitempty" json:"status,omitempty"`
}

// The values of Definition.Resubmit.
const (
	ResubmitResume  = "resume"
	ResubmitRestart = "restart"
)

// Withdrawable reports whether the initiator may withdraw requests of d.
func (d *Definition) Withdrawable() bool { return d.Withdraw == nil || *d.Withdraw }

// OutcomeOf returns the declared outcome key, if any.
func (d *Definition) OutcomeOf(key string) (Outcome, bool) {
	for _, o := range d.Outcomes {
		if o.Key == key {
			if o.Status == "" {
				o.Status = StatusApproved
			}
			return o, true
		}
	}
	return Outcome{}, false
}

// OutcomeLabel is the label of an instance's outcome in lang, or "" when
// it has none (or the definition no longer declares it: the key then).
func (d *Definition) OutcomeLabel(key, lang string) string {
	if key == "" {
		return ""
	}
	if o, ok := d.OutcomeOf(key); ok {
		return o.Label.In(lang)
	}
	return key
}

// StepKind is what a step does.
type StepKind string

// The step kinds.
const (
	StepApproval   StepKind = "approval"   // people decide: approve, reject, return…
	StepTask       StepKind = "task"       // people do work and complete it (e.g. purchasing's inquiry)
	StepParallel   StepKind = "parallel"   // fork into Parallel branches
	StepJoin       StepKind = "join"       // wait for every branch of the fork
	StepSubprocess StepKind = "subprocess" // start Subprocess and wait for it
	StepEnd        StepKind = "end"        // an explicit end
	StepAwait      StepKind = "await"      // wait for the request named by Await to end
)

// Mode is how several assignees of one step decide.
type Mode string

// The countersign modes.
const (
	ModeSingle     Mode = "single"     // one person (the first resolved)
	ModeSequential Mode = "sequential" // each in turn
	ModeAll        Mode = "all"        // 会签: everyone must approve
	ModeAny        Mode = "any"        // 或签: the first approval decides
	ModeQuorum     Mode = "quorum"     // N of M, or a ratio
)

// Action is something an assignee (or the initiator) may do on a task.
type Action string

// The actions.
const (
	ActApprove   Action = "approve"    // or complete, for task steps
	ActReject    Action = "reject"     // ends the instance
	ActReturn    Action = "return"     // 驳回 to the initiator, the previous step or a named earlier step
	ActWithdraw  Action = "withdraw"   // 撤回: the initiator, until the next person acts
	ActTakeBack  Action = "take_back"  // 拿回: the last approver, until the next acts
	ActTransfer  Action = "transfer"   // 转办
	ActDelegate  Action = "delegate"   // 委派 (comes back to the delegator)
	ActAddSigner Action = "add_signer" // 加签 before or after oneself
	ActRemove    Action = "remove_signer"
	ActUrge      Action = "urge" // 催办
	ActCopy      Action = "copy" // 抄送
	ActComment   Action = "comment"
	ActResubmit  Action = "resubmit"
	// ActDissent records a member's disagreement, with a reason, on a
	// step that decides by quorum (or any): it is a vote against, kept and
	// shown, and the decision passes if the others reach the quorum.
	ActDissent Action = "dissent"
)

// Meaning is the meaning of an electronic signature (COMPLIANCE R7).
type Meaning string

// The signature meanings.
const (
	MeaningAuthorship     Meaning = "authorship"     // 编制: I wrote this
	MeaningReview         Meaning = "review"         // 审核
	MeaningApprove        Meaning = "approve"        // 批准
	MeaningConfirm        Meaning = "confirm"        // 确认
	MeaningResponsibility Meaning = "responsibility" // 负责: I answer for it
	// MeaningDisapprove is the meaning of a dissent signed on a step with
	// a signature (不同意): a member's recorded disagreement. It is not a
	// step's meaning.
	MeaningDisapprove Meaning = "disapproval"
)

// Branch is a conditional next step.
type Branch struct {
	When string `yaml:"when" json:"when"`
	To   string `yaml:"to" json:"to"`
}

// IsCommittee reports whether the selector names a committee.
func (a Assignee) IsCommittee() bool { return a.Committee != "" }

// Assignee says who acts on (or is copied on) a step. Exactly one of the
// selectors is set.
type Assignee struct {
	Person string `yaml:"person,omitempty" json:"person,omitempty"` // a username
	Role   string `yaml:"role,omitempty" json:"role,omitempty"`     // everyone holding the role (Department narrows scoped roles)
	// Department is a department code for Role, or "initiator" for the initiator's department.
	Department string `yaml:"department,omitempty" json:"department,omitempty"`
	// DepartmentFrom takes Role's department from the form: a department
	// field, or a person field (that person's department), e.g. the
	// director of the person being promoted.
	DepartmentFrom string `yaml:"department_from,omitempty" json:"department_from,omitempty"`
	// Relative: "initiator", "initiator_director" (the director of the
	// initiator's department), "previous" (who completed the previous step).
	Relative string `yaml:"relative,omitempty" json:"relative,omitempty"`
	// Committee is a committee's members and chair: `committee: true`
	// (the Technical Committee) or a committee's key, e.g. `committee:
	// tender` (committee.go).
	Committee CommitteeRef `yaml:"committee,omitempty" json:"committee,omitempty"`
	// Field takes the person from a person field of the form (a person the
	// initiator chose, e.g. from Role), or everyone named in a person
	// column of a table field, written "table.column" (e.g. the owners of a
	// meeting's decisions, "decisions.owner").
	Field string `yaml:"field,omitempty" json:"field,omitempty"`
	// ChosenBy lets someone pick one holder of Role: "previous" (the
	// approver of the step before, when approving) or "initiator" (when
	// filing the request).
	ChosenBy string `yaml:"chosen_by,omitempty" json:"chosen_by,omitempty"`
	// External is a person outside the institute (a customer), who takes
	// part in this one step by a one-time link with an expiry (external.go).
	External *External `yaml:"external,omitempty" json:"external,omitempty"`
}

// SLA is a step's due time, reminder and escalation.
type SLA struct {
	Due    string `yaml:"due" json:"due"`                           // a Duration: "48h", "3d", "2wd"
	Remind string `yaml:"remind,omitempty" json:"remind,omitempty"` // before due, e.g. "4h"
	// EscalateTo: a role name, or "director" (the assignee's director).
	EscalateTo string `yaml:"escalate_to,omitempty" json:"escalate_to,omitempty"`

	// Time (issue 8 §3): deadline.go.
	// DueField is a date or datetime field that holds the deadline itself
	// (the analyst's estimated report time); when it is empty, Due counts.
	DueField string `yaml:"due_field,omitempty" json:"due_field,omitempty"`
	// From is a date or datetime field that Due counts from (24 hours
	// from received_at) instead of from when the task was created.
	From string `yaml:"from,omitempty" json:"from,omitempty"`
	// Escalate are escalation levels, each some time after the deadline.
	Escalate []Escalation `yaml:"escalate,omitempty" json:"escalate,omitempty"`
	// OnReturn says what a return or a resubmission does to the deadline:
	// "restart" (the default: it counts again from the new start) or
	// "keep" (the first deadline stands).
	OnReturn string `yaml:"on_return,omitempty" json:"on_return,omitempty"`
	// End of time.

	// Warnings are more reminders before the deadline, each a duration
	// before due (a 发补 clock warns 30, 14, 7 and 3 days ahead).
	Warnings []string `yaml:"warnings,omitempty" json:"warnings,omitempty"`
}

// StartFields lists the form fields the initiator fills when starting: all
// of them except the optional ones that the definition gives a step to
// fill (a supplier, a contract, a result), which that step's assignee
// fills later.
func (d *Definition) StartFields() []string {
	later := map[string]bool{}
	for _, s := range d.Steps {
		for _, f := range s.Editable {
			// A step given one column of a table fills that column; the
			// rows are the initiator's (departments involved, items).
			if !strings.Contains(f, ".") {
				later[f] = true
			}
		}
	}
	var out []string
	for _, f := range d.Form {
		if !later[f.Key] || f.Required {
			out = append(out, f.Key)
		}
	}
	return out
}

// field returns the form field with key, or nil.
func (d *Definition) field(key string) *Field {
	for i := range d.Form {
		if d.Form[i].Key == key {
			return &d.Form[i]
		}
	}
	return nil
}
