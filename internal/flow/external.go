package flow

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"labflow/internal/audit"
	"labflow/internal/domain"
)

// A person outside the institute — a customer filling the satisfaction
// survey (SPEC REL-5) — takes part in one step of a process by a one-time
// link with an expiry. The step's assignee is `external`: entering the
// step opens a placeholder task that no one inside can act on and issues
// a link: a random token (256 bits from crypto/rand) of which the store
// keeps only the SHA-256, bound to the instance, the step, its round and
// the placeholder task. The link goes to the contact named in the form
// (an "email" outbox notification, which carries it to be sent) and the
// initiator is told; the initiator can re-issue it (the old one is
// revoked; the new one is shown to them once, to pass on) or revoke it.
//
// Whoever holds the link sees the instance's title and the step's editable
// fields, nothing else, and submits once: the values are checked as any
// step's edit is (MergeEdit, the form's checks, the definition's guards,
// the step's required fields), the step completes in one transaction with
// its audit event, and the link is marked used. The actor is recorded as
// external — id 0, the name they typed (or the one the link was issued
// to), their address, browser and the server time — on the timeline, in
// the audit event and on the sealed link row. A link that is unknown,
// used, revoked, expired or whose step has moved on (withdrawn, returned,
// rejected, taken back) gets one neutral answer, and every such answer
// counts against the caller's address (Throttle), as failed sign-ins do.
// A link that expires unused does not leave the step to stall silently:
// ExpireExternalLinks marks it expired and tells the initiator, who can
// issue a new one.

// External is the assignee of a step that a person outside the institute
// completes by a one-time link.
type External struct {
	// NameField is the text field holding the outsider's name: the step
	// shows as waiting for them, and their entry is recorded under it
	// unless they type another.
	NameField string `yaml:"name_field" json:"name_field"`
	// ContactField, if set, is the text field holding their e-mail
	// address: the link is sent there. Without it (or with no address in
	// the form) the initiator re-issues the link and passes it on.
	ContactField string `yaml:"contact_field,omitempty" json:"contact_field,omitempty"`
	// Expires is how long a link stays valid: "7d", "48h" (default 7d,
	// from 1 hour to 90 days).
	Expires string `yaml:"expires,omitempty" json:"expires,omitempty"`
}

// TaskExternal is the placeholder task of a step an outsider completes:
// its assignee is nobody inside (id 0), so no one's 待办 lists it and no
// one inside can act on it.
const TaskExternal TaskKind = "external"

// ChannelEmail is the outbox channel of e-mail to an address (recipient 0).
const ChannelEmail = "email"

// The states of an external link.
const (
	LinkOpen    = "open"    // waiting for the outsider
	LinkUsed    = "used"    // the outsider submitted
	LinkRevoked = "revoked" // the initiator revoked it (or re-issued)
	LinkExpired = "expired" // it expired unused
	LinkClosed  = "closed"  // its step moved on (withdrawn, returned, rejected, taken back)
)

// The limits of a link's validity.
const (
	defaultExpiry = 7 * 24 * time.Hour
	minExpiry     = time.Hour
	maxExpiry     = 90 * 24 * time.Hour
)

// ExternalLink is one link issued for an external step: a sealed record
// of who it was for, where it went, until when it held and, once used,
// what the outsider entered, from which address and browser. The token
// itself is never stored, only its SHA-256.
type ExternalLink struct {
	ID         int64  `json:"id"`
	InstanceID int64  `json:"instance_id"`
	StepID     string `json:"step_id"`
	Round      int    `json:"round"`
	TaskID     int64  `json:"task_id"`
	// TokenHash is the SHA-256 (hex) of the token.
	TokenHash string `json:"-"`
	// Name is who the link is for (the form's name field); Contact where
	// it was sent ("" when it was not).
	Name    string `json:"name"`
	Contact string `json:"contact,omitempty"`
	State   string `json:"state"`
	// CreatedBy is who issued it: whose action entered the step (0 for the
	// system), or the initiator who re-issued it.
	CreatedAt     time.Time `json:"created_at"`
	CreatedBy     int64     `json:"created_by"`
	CreatedByName string    `json:"created_by_name"`
	ExpiresAt     time.Time `json:"expires_at"`
	// ClosedAt is when it stopped being open (used, revoked, expired or
	// closed), and ClosedBy who revoked it.
	ClosedAt     time.Time `json:"closed_at,omitzero"`
	ClosedBy     int64     `json:"closed_by,omitempty"`
	ClosedByName string    `json:"closed_by_name,omitempty"`
	// What the outsider submitted: the name they gave, their address and
	// browser, and the values they entered (JSON, as stored).
	SubmittedName string         `json:"submitted_name,omitempty"`
	IP            string         `json:"ip,omitempty"`
	UserAgent     string         `json:"user_agent,omitempty"`
	Values        map[string]any `json:"values,omitempty"`
	ValuesText    string         `json:"-"`

	task *Task // the placeholder task of a link being issued (its id comes with the write)
}

// ExternalEntry is what an outsider's submission records on the
// instance's timeline (ActionRecord.External).
type ExternalEntry struct {
	Name      string         `json:"name"`
	IP        string         `json:"ip"`
	UserAgent string         `json:"user_agent"`
	Values    map[string]any `json:"values"`
}

// ExternalStore is what external steps need of the Store: the links by
// token hash, by instance, and those past their expiry. internal/store
// implements it; an engine over a Store without it cannot run external
// steps (entering one fails as an internal error).
type ExternalStore interface {
	// ExternalLinkByHash returns the link whose token has this SHA-256
	// (hex), or KindNotFound.
	ExternalLinkByHash(ctx context.Context, hash string) (*ExternalLink, error)
	// ExternalLinks returns an instance's links, oldest first.
	ExternalLinks(ctx context.Context, instanceID int64) ([]ExternalLink, error)
	// DueExternalLinks returns open links that expire at or before now,
	// soonest first.
	DueExternalLinks(ctx context.Context, now time.Time, limit int) ([]ExternalLink, error)
}

// ExternalTx is what external steps need of a write (Tx).
type ExternalTx interface {
	// InsertExternalLink stores a new link and sets its ID.
	InsertExternalLink(l *ExternalLink) error
	// UpdateExternalLink writes l's state, closing and submission where
	// the stored state is oldState (KindConflict otherwise).
	UpdateExternalLink(l *ExternalLink, oldState string) error
	// CloseExternalLinks closes the open links of a placeholder task whose
	// step moved on.
	CloseExternalLinks(taskID int64, at time.Time) error
}

// Throttle limits what one address may try: each neutral answer to a
// link (unknown, used, expired, moved on) counts as a failure, and an
// address with too many recent failures is refused (KindTooMany) before
// any lookup, as sign-ins are. internal/auth provides it.
type Throttle interface {
	// Allow returns a KindTooMany error while key is throttled.
	Allow(ctx context.Context, key string) error
	// Fail counts one failure for key.
	Fail(ctx context.Context, key string) error
}

// UseThrottle makes the engine count failed uses of external links by
// address; without it they are not limited.
func (e *Engine) UseThrottle(t Throttle) { e.throttle = t }

// ParseExpiry reads an external step's expires: "7d" (days) or a Go
// duration such as "48h"; "" is the default, 7 days.
func ParseExpiry(s string) (time.Duration, error) {
	if s == "" {
		return defaultExpiry, nil
	}
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil || days <= 0 {
			return 0, errString("not a number of days")
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, err
		}
	}
	if d < minExpiry || d > maxExpiry {
		return 0, errString("a link lasts from 1h to 90d")
	}
	return d, nil
}

// externalTypes are the field types an outsider may fill: values they can
// type or pick, nothing that names the institute's people or departments
// or needs an upload.
var externalTypes = map[FieldType]bool{FieldText: true, FieldLongText: true, FieldNumber: true, FieldMoney: true,
	FieldDate: true, FieldDateTime: true, FieldSelect: true, FieldMultiSelect: true}

// externalStep checks a step whose assignee is external (validate).
func (v *vctx) externalStep(p string, s *Step) {
	a, x := s.Assignee, s.Assignee.External
	ap := p + ".assignee.external"
	if a.Person != "" || a.Role != "" || a.Relative != "" || a.Committee != "" || a.Field != "" || a.Department != "" ||
		a.DepartmentFrom != "" || a.ChosenBy != "" {
		v.add(p+".assignee", "an external person is the step's only selector")
	}
	text := func(key, name string, required bool) {
		switch f := v.fields[name]; {
		case name == "" && required:
			v.add(ap+"."+key, "required: the text field holding the outsider's %s", strings.TrimSuffix(key, "_field"))
		case name == "":
		case f == nil:
			v.add(ap+"."+key, "unknown field %q", name)
		case f.Type != FieldText:
			v.add(ap+"."+key, "field %q is not a text field", name)
		case contains(s.Editable, name):
			v.add(ap+"."+key, "field %q is editable at this step: the outsider cannot change who the link is for", name)
		}
	}
	text("name_field", x.NameField, true)
	text("contact_field", x.ContactField, false)
	if _, err := ParseExpiry(x.Expires); err != nil {
		v.add(ap+".expires", "%q is not a validity such as \"7d\" or \"48h\" (from 1h to 90d)", x.Expires)
	}
	if len(s.Editable) == 0 {
		v.add(p+".editable", "an external step needs editable fields: what the outsider enters")
	}
	for j, e := range s.Editable {
		if f := v.fields[e]; f != nil && !externalTypes[f.Type] {
			v.add(p+".editable["+strconv.Itoa(j)+"]", "an outsider cannot fill a %s field", f.Type)
		} else if f == nil && v.formIdents[e] {
			v.add(p+".editable["+strconv.Itoa(j)+"]", "an outsider fills whole fields, not table columns")
		}
	}
	if s.Signature != "" {
		v.add(p+".signature", "an outsider cannot sign electronically: a signature needs an account and its password (R7, R8)")
	}
	if s.Mode != "" && s.Mode != ModeSingle {
		v.add(p+".mode", "one outsider acts on an external step")
	}
	if len(s.Actions) > 0 {
		v.add(p+".actions", "an outsider only submits: an external step has no actions")
	}
	if s.SLA != nil {
		v.add(p+".sla", "an external step's deadline is its link's expires")
	}
	if s.Each != "" {
		v.add(p+".each", "one outsider acts on an external step: it does not fan out")
	}
	if len(s.Exclude) > 0 {
		v.add(p+".exclude", "an outsider is nobody inside to keep off the step")
	}
	if s.OnReject != "" {
		v.add(p+".on_reject", "an outsider only submits: nothing is rejected at an external step")
	}
	// Built-in effects run as who completes the step: an outsider may not
	// change the institute's people (start files as the initiator or as).
	if len(s.SetPerson) > 0 {
		v.add(p+".set_person", "an outsider cannot change a person of the institute")
	}
	if s.DeactivatePerson != "" {
		v.add(p+".deactivate_person", "an outsider cannot deactivate a person of the institute")
	}
}

// isExternal reports whether st is completed by an outsider.
func isExternal(st *Step) bool { return st != nil && st.Assignee.External != nil }

// hasExternal reports whether d has a step an outsider completes.
func hasExternal(d *Definition) bool {
	for i := range d.Steps {
		if isExternal(&d.Steps[i]) {
			return true
		}
	}
	return false
}

// extWork is what a work does to external links: links it issues and
// stored links whose state it changes.
type extWork struct {
	issued  []*ExternalLink
	changed []linkChange
	tokens  map[*ExternalLink]string
}

type linkChange struct {
	link *ExternalLink
	old  string
}

func (w *work) extw() *extWork {
	if w.ext == nil {
		w.ext = &extWork{tokens: map[*ExternalLink]string{}}
	}
	return w.ext
}

// enterExternal activates an external step: one placeholder task nobody
// inside can act on, and a link for the outsider.
func (w *work) enterExternal(st *Step, branch string, detour bool) error {
	w.inst.State.Round++
	as := ActiveStep{Step: st.ID, Round: w.inst.State.Round, Mode: ModeSingle, Need: 1, Slots: 1, Branch: branch, Detour: detour}
	w.inst.State.Active = append(w.inst.State.Active, as)
	name := formText(w.inst.Form, st.Assignee.External.NameField)
	t := &Task{StepID: st.ID, Round: as.Round, State: TaskOpen, Kind: TaskExternal, AssigneeName: name,
		DefinitionKey: w.def.Key, InitiatorID: w.inst.InitiatorID}
	w.added = append(w.added, t)
	w.tasks = append(w.tasks, t)
	_, err := w.issueLink(st, t)
	return err
}

// formText reads a text value of the form ("" when empty or not text).
func formText(form map[string]any, key string) string {
	s, _ := form[key].(string)
	return strings.TrimSpace(s)
}

// newToken returns a random link token (32 bytes, base64url) and its SHA-256.
func newToken() (string, string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", err
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	return tok, tokenHash(tok), nil
}

func tokenHash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// tokenRE is the shape of a token; anything else is not looked up.
var tokenRE = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// ExternalPath is the path of the page a link opens.
func ExternalPath(token string) string { return "/x/" + token }

// issueLink issues a link for the placeholder task t of st: the token,
// the e-mail to the contact (when the form names an address) and the
// initiator's notice. It returns the token.
func (w *work) issueLink(st *Step, t *Task) (string, error) {
	x := st.Assignee.External
	d, err := ParseExpiry(x.Expires)
	if err != nil {
		return "", domain.Wrap("flow.external", err)
	}
	tok, hash, err := newToken()
	if err != nil {
		return "", domain.Wrap("flow.external", err)
	}
	name := formText(w.inst.Form, x.NameField)
	contact := ""
	if x.ContactField != "" {
		if c := formText(w.inst.Form, x.ContactField); isEmail(c) {
			contact = c
		}
	}
	// The link is made now and valid for d from now: both from one reading
	// of the clock (the write may commit a moment later).
	now := w.e.st.Now()
	l := &ExternalLink{StepID: st.ID, Round: t.Round, TaskID: t.ID, TokenHash: hash, Name: name, Contact: contact, State: LinkOpen,
		CreatedAt: now, CreatedBy: w.actor.ID, CreatedByName: w.actor.Name, ExpiresAt: now.Add(d).Truncate(time.Second), task: t}
	xw := w.extw()
	xw.issued = append(xw.issued, l)
	xw.tokens[l] = tok
	args := map[string]any{"step": st.Title.ZH, "step_en": st.Title.EN, "name": name, "expires_at": l.ExpiresAt}
	if contact != "" {
		mail := map[string]any{"to": contact, "path": ExternalPath(tok), "title": w.inst.Title}
		for k, v := range args {
			mail[k] = v
		}
		w.notes = append(w.notes, &note{n: Notification{Channel: ChannelEmail, Kind: "external_link", Args: mail}})
		args["contact"] = contact
	}
	w.notify(w.inst.InitiatorID, "external_issued", nil, args)
	w.record(ActionRecord{StepID: st.ID, Action: "external_issue", Comment: contact})
	w.audits = append(w.audits, audit.Entry{ActorID: w.actor.ID, ActorName: w.actor.Name, Action: "flow.external_issue", Entity: "instance",
		Changes: []audit.Change{{Field: "step", New: st.ID}, {Field: "name", New: name}, {Field: "contact", New: contact},
			{Field: "expires_at", New: l.ExpiresAt.UTC().Format(time.RFC3339)}}})
	return tok, nil
}

func isEmail(s string) bool {
	if s == "" || len(s) > 254 {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s
}

// issuedToInitiator returns the links w issued, with their tokens, when w
// is the initiator's own change (filing the request, completing their
// step): they see the link that went to the outsider, to pass it on.
func (w *work) issuedToInitiator() []IssuedLink {
	if w.ext == nil || w.actor.ID == 0 || w.actor.ID != w.inst.InitiatorID {
		return nil
	}
	var out []IssuedLink
	for _, l := range w.ext.issued {
		if l.State == LinkOpen {
			tok := w.ext.tokens[l]
			out = append(out, IssuedLink{Link: *l, Token: tok, Path: ExternalPath(tok)})
		}
	}
	return out
}

// changeLink records a stored link's new state for the write.
func (w *work) changeLink(l *ExternalLink, state string) {
	old := l.State
	l.State = state
	w.extw().changed = append(w.extw().changed, linkChange{link: l, old: old})
}

// applyExternal writes what w did to external links: new links, changed
// ones, and the closing of the open links of placeholder tasks w
// cancelled (their step moved on).
func (w *work) applyExternal(tx Tx) error {
	var closing []*Task
	for t := range w.dirty {
		if t.Kind == TaskExternal && t.State == TaskCancelled {
			closing = append(closing, t)
		}
	}
	if w.ext == nil && len(closing) == 0 {
		return nil
	}
	xt, ok := tx.(ExternalTx)
	if !ok {
		return domain.Wrap("flow.external", errString("the store keeps no external links"))
	}
	now := tx.Now()
	if w.ext != nil {
		for _, c := range w.ext.changed {
			if c.link.ClosedAt.IsZero() {
				c.link.ClosedAt = now
			}
			if err := xt.UpdateExternalLink(c.link, c.old); err != nil {
				if domain.IsKind(err, domain.KindConflict) {
					return errStale
				}
				return err
			}
		}
		for _, l := range w.ext.issued {
			l.InstanceID = w.inst.ID
			if l.task != nil {
				l.TaskID = l.task.ID
				if l.task.State != TaskOpen {
					l.State, l.ClosedAt = LinkClosed, now
				}
			}
			if err := xt.InsertExternalLink(l); err != nil {
				return err
			}
		}
	}
	for _, t := range closing {
		if err := xt.CloseExternalLinks(t.ID, now); err != nil {
			return err
		}
	}
	return nil
}

// externalLinks returns an instance's links (for the instance page).
func (e *Engine) externalLinks(ctx context.Context, instanceID int64) ([]ExternalLink, error) {
	xs, ok := e.st.(ExternalStore)
	if !ok {
		return nil, nil
	}
	return xs.ExternalLinks(ctx, instanceID)
}

// ExternalForm is what the holder of a link sees: the request's title,
// the step and its editable fields with their values now — nothing else
// of the form, and nobody's name but the one the link was issued to.
type ExternalForm struct {
	Title      string         `json:"title"`
	Definition Text           `json:"definition"`
	Step       Text           `json:"step"`
	Fields     []Field        `json:"fields"`
	Required   []string       `json:"required,omitempty"`
	Values     map[string]any `json:"values"`
	Name       string         `json:"name"`
	ExpiresAt  time.Time      `json:"expires_at"`
}

// ExternalInput is an outsider's submission.
type ExternalInput struct {
	// Form holds values of the step's editable fields only.
	Form map[string]any `json:"form"`
	// Name is the name they give; empty takes the one the link was issued to.
	Name string `json:"name,omitempty"`
	// IP and UserAgent are the caller's, as the server saw them.
	IP        string `json:"-"`
	UserAgent string `json:"-"`
}

// ExternalReceipt confirms a submission to the outsider.
type ExternalReceipt struct {
	Title       string    `json:"title"`
	Step        Text      `json:"step"`
	Name        string    `json:"name"`
	SubmittedAt time.Time `json:"submitted_at"`
}

// errLinkInvalid is the one answer to a link that is not open: unknown,
// used, revoked, expired, or whose step moved on. It names none of these,
// so that the answer tells nothing about which links exist.
func errLinkInvalid(op string) error {
	return domain.E(domain.KindNotFound, op, "flow.external.link_invalid")
}

// throttleKey is the key an address's failed link uses count under
// (apart from its failed sign-ins).
func throttleKey(ip string) string { return "link:" + ip }

// refuse counts a failed use of a link against ip and returns the neutral answer.
func (e *Engine) refuse(ctx context.Context, op, ip string) error {
	if e.throttle != nil {
		if err := e.throttle.Fail(ctx, throttleKey(ip)); err != nil {
			return err
		}
	}
	return errLinkInvalid(op)
}

// openLink finds the open link of token and loads its instance for a
// change: the link must be open and unexpired, its placeholder task open
// and its step active. Anything else is the neutral answer.
func (e *Engine) openLink(ctx context.Context, op, token, ip string, actor domain.Actor) (*work, *ExternalLink, *Task, *Step, error) {
	if e.throttle != nil {
		if err := e.throttle.Allow(ctx, throttleKey(ip)); err != nil {
			var de *domain.Error
			if errors.As(err, &de) && de.Kind == domain.KindTooMany {
				err = domain.E(domain.KindTooMany, op, "flow.external.throttled", "until", de.Args["until"])
			}
			return nil, nil, nil, nil, err
		}
	}
	xs, ok := e.st.(ExternalStore)
	if !ok || !tokenRE.MatchString(token) {
		return nil, nil, nil, nil, e.refuse(ctx, op, ip)
	}
	l, err := xs.ExternalLinkByHash(ctx, tokenHash(token))
	if domain.IsKind(err, domain.KindNotFound) {
		return nil, nil, nil, nil, e.refuse(ctx, op, ip)
	}
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if l.State != LinkOpen || !e.st.Now().Before(l.ExpiresAt) {
		return nil, nil, nil, nil, e.refuse(ctx, op, ip)
	}
	w, err := e.loadForTask(ctx, actor, l.TaskID, false)
	if domain.IsKind(err, domain.KindNotFound) {
		return nil, nil, nil, nil, e.refuse(ctx, op, ip)
	}
	if err != nil {
		return nil, nil, nil, nil, err
	}
	t := w.findTask(l.TaskID)
	st := stepOf(w.def, l.StepID)
	if t == nil || t.State != TaskOpen || t.Kind != TaskExternal || w.inst.Status != StatusRunning || !isExternal(st) ||
		w.activeIndex(t.StepID, t.Round) < 0 {
		return nil, nil, nil, nil, e.refuse(ctx, op, ip)
	}
	return w, l, t, st, nil
}

// ExternalFormFor returns what the holder of token sees, or the neutral
// KindNotFound "flow.external.link_invalid" (counted against ip).
func (e *Engine) ExternalFormFor(ctx context.Context, token, ip string) (*ExternalForm, error) {
	w, l, _, st, err := e.openLink(ctx, "flow.ExternalForm", token, ip, domain.Actor{Via: "external"})
	if err != nil {
		return nil, err
	}
	f := &ExternalForm{Title: w.inst.Title, Definition: w.def.Title, Step: st.Title, Required: st.Required, Values: map[string]any{},
		Name: l.Name, ExpiresAt: l.ExpiresAt}
	for _, k := range st.Editable {
		if fd := w.def.field(k); fd != nil {
			f.Fields = append(f.Fields, *fd)
			if v, ok := w.inst.Form[k]; ok {
				f.Values[k] = v
			}
		}
	}
	return f, nil
}

// maxExternalName bounds the name an outsider gives.
const maxExternalName = 100

// ExternalActorName is how the audit trail names an outsider: "external:"
// and the name they gave, so that no outsider reads as a person of the
// institute or as the system.
func ExternalActorName(name string) string { return "external: " + name }

// SubmitExternal completes the external step of token with what its holder
// entered: only the step's editable fields, checked as any edit is; its
// required fields must hold values. The step completes in one
// transaction with its audit event (actor id 0, "external: NAME", their
// address, browser and values) and the link is used: a second submission,
// like any use of a link that is not open, gets the neutral KindNotFound
// "flow.external.link_invalid", counted against the address.
func (e *Engine) SubmitExternal(ctx context.Context, token string, in ExternalInput) (*ExternalReceipt, error) {
	const op = "flow.SubmitExternal"
	in.IP, in.UserAgent = clip(in.IP, 64), clip(in.UserAgent, 256)
	in.Name = strings.TrimSpace(in.Name)
	var c domain.Checker
	c.Name("name", in.Name, false, maxExternalName)
	if err := c.Err(op); err != nil {
		return nil, err
	}
	for attempt := 0; attempt < 10; attempt++ {
		w, l, t, st, err := e.openLink(ctx, op, token, in.IP, domain.Actor{Via: "external"})
		if err != nil {
			return nil, err
		}
		name := in.Name
		if name == "" {
			name = l.Name
		}
		if name == "" {
			return nil, &domain.Error{Kind: domain.KindInvalid, Op: op, Key: "error.invalid", Fields: map[string]domain.Msg{"name": {Key: "field.required"}}}
		}
		w.actor = domain.Actor{ID: 0, Name: ExternalActorName(name), Via: "external"}
		// Only the step's fields: any other key is unknown to the outsider,
		// whether or not the form has it (nothing tells them it does).
		for k := range in.Form {
			if !contains(st.Editable, k) {
				c.Add(k, "field.unknown")
			}
		}
		if err := c.Err(op); err != nil {
			return nil, err
		}
		var changes []audit.Change
		if len(in.Form) > 0 {
			if changes, err = w.edit(st, t, in.Form); err != nil {
				return nil, onlyFields(op, err, st.Editable)
			}
		}
		if err := w.requireValues(st, t); err != nil {
			return nil, err
		}
		values := map[string]any{}
		for _, k := range st.Editable {
			if v, ok := w.inst.Form[k]; ok && v != nil {
				values[k] = v
			}
		}
		vt, err := json.Marshal(values)
		if err != nil {
			return nil, domain.Wrap(op, err)
		}
		l.SubmittedName, l.IP, l.UserAgent, l.ValuesText = name, in.IP, in.UserAgent, string(vt)
		w.changeLink(l, LinkUsed)
		idx := w.activeIndex(t.StepID, t.Round)
		w.setTask(t, TaskDone, "submitted")
		w.inst.State.Touched = true
		w.inst.State.Active[idx].Approved = append(w.inst.State.Active[idx].Approved, 0)
		w.record(ActionRecord{TaskID: t.ID, StepID: t.StepID, Action: "external_submit", ActorName: name,
			External: &ExternalEntry{Name: name, IP: in.IP, UserAgent: in.UserAgent, Values: values}})
		w.audit("flow.external_submit", append(changes, audit.Change{Field: "step", New: t.StepID}, audit.Change{Field: "external", New: true},
			audit.Change{Field: "name", New: name}, audit.Change{Field: "ip", New: in.IP}, audit.Change{Field: "user_agent", New: in.UserAgent},
			audit.Change{Field: "link", New: l.ID}), "")
		w.notify(w.inst.InitiatorID, "external_submitted", nil, map[string]any{"step": st.Title.ZH, "step_en": st.Title.EN, "name": name})
		if err := w.maybeComplete(idx); err != nil {
			return nil, err
		}
		err = e.commit(ctx, w)
		if errors.Is(err, errStale) {
			continue
		}
		if err != nil {
			return nil, err
		}
		return &ExternalReceipt{Title: w.inst.Title, Step: st.Title, Name: name, SubmittedAt: l.ClosedAt}, nil
	}
	return nil, domain.Conflict(op, "error.conflict")
}

// onlyFields keeps, of a validation error, the messages on the fields
// the outsider fills; a refusal that concerns only other fields (a
// definition's guard, a check on the rest of the form) is one message
// that names none of them.
func onlyFields(op string, err error, keep []string) error {
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind != domain.KindInvalid && de.Kind != domain.KindForbidden {
		return err
	}
	fields := map[string]domain.Msg{}
	for k, m := range de.Fields {
		if top, _, _ := strings.Cut(k, "."); contains(keep, top) {
			fields[k] = m
		}
	}
	if len(fields) > 0 {
		return &domain.Error{Kind: domain.KindInvalid, Op: op, Key: "error.invalid", Fields: fields}
	}
	return domain.E(domain.KindInvalid, op, "flow.external.refused")
}

// clip cuts s to at most n runes of valid UTF-8.
func clip(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// ExternalAction names the external step an initiator re-issues or
// revokes the link of, with a comment (a reason, for a revocation).
type ExternalAction struct {
	// Step is the step id; it may be left out while one external step waits.
	Step    string `json:"step,omitempty"`
	Comment string `json:"comment,omitempty"`
}

// IssuedLink is a link just re-issued, with its token: shown once, to the
// initiator, to pass on.
type IssuedLink struct {
	Link  ExternalLink `json:"link"`
	Token string       `json:"token"`
	Path  string       `json:"path"`
}

// ReissueExternal issues a new link for a waiting external step of the
// initiator's instance, revoking the open one; the new link is e-mailed
// to the contact and returned (its token shown once). Audited.
func (e *Engine) ReissueExternal(ctx context.Context, actor domain.Actor, instanceID int64, in ExternalAction) (*IssuedLink, error) {
	const op = "flow.ReissueExternal"
	var c domain.Checker
	c.Text("comment", in.Comment, false, 2000)
	if err := c.Err(op); err != nil {
		return nil, err
	}
	for attempt := 0; attempt < 10; attempt++ {
		w, t, st, open, err := e.initiatorsExternal(ctx, op, actor, instanceID, in.Step)
		if err != nil {
			return nil, err
		}
		var revoked []int64
		for _, l := range open {
			l.ClosedBy, l.ClosedByName = actor.ID, actor.Name
			w.changeLink(l, LinkRevoked)
			revoked = append(revoked, l.ID)
		}
		w.record(ActionRecord{TaskID: t.ID, StepID: st.ID, Action: "external_reissue", Comment: in.Comment})
		w.audit("flow.external_reissue", []audit.Change{{Field: "step", New: st.ID}, {Field: "revoked", New: revoked}}, in.Comment)
		tok, err := w.issueLink(st, t)
		if err != nil {
			return nil, err
		}
		err = e.commit(ctx, w)
		if errors.Is(err, errStale) {
			continue
		}
		if err != nil {
			return nil, err
		}
		l := w.ext.issued[len(w.ext.issued)-1]
		return &IssuedLink{Link: *l, Token: tok, Path: ExternalPath(tok)}, nil
	}
	return nil, domain.Conflict(op, "error.conflict")
}

// RevokeExternal revokes the open link of a waiting external step of the
// initiator's instance, with a reason (R4). The step goes on waiting; a
// new link is issued by ReissueExternal.
func (e *Engine) RevokeExternal(ctx context.Context, actor domain.Actor, instanceID int64, in ExternalAction) error {
	const op = "flow.RevokeExternal"
	var c domain.Checker
	c.Text("comment", in.Comment, true, 2000)
	if err := c.Err(op); err != nil {
		return err
	}
	for attempt := 0; attempt < 10; attempt++ {
		w, t, st, open, err := e.initiatorsExternal(ctx, op, actor, instanceID, in.Step)
		if err != nil {
			return err
		}
		if len(open) == 0 {
			return domain.Conflict(op, "flow.external.no_link")
		}
		var revoked []int64
		for _, l := range open {
			l.ClosedBy, l.ClosedByName = actor.ID, actor.Name
			w.changeLink(l, LinkRevoked)
			revoked = append(revoked, l.ID)
		}
		w.record(ActionRecord{TaskID: t.ID, StepID: st.ID, Action: "external_revoke", Comment: in.Comment})
		w.audit("flow.external_revoke", []audit.Change{{Field: "step", New: st.ID}, {Field: "revoked", New: revoked}}, in.Comment)
		err = e.commit(ctx, w)
		if errors.Is(err, errStale) {
			continue
		}
		return err
	}
	return domain.Conflict(op, "error.conflict")
}

// initiatorsExternal loads, for the initiator, the instance with its
// waiting external step (the one named, or the only one) and that step's
// open links. Who may not see the instance learns nothing of it; who may
// see it but is not its initiator is refused.
func (e *Engine) initiatorsExternal(ctx context.Context, op string, actor domain.Actor, instanceID int64, step string) (*work, *Task, *Step, []*ExternalLink, error) {
	if !actor.HasBusinessRole() || actor.IsAdmin() {
		return nil, nil, nil, nil, domain.E(domain.KindForbidden, op, "flow.not_business")
	}
	w, err := e.load(ctx, actor, instanceID)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if ok, err := e.CanView(ctx, actor, w.inst); err != nil || !ok {
		if err == nil {
			err = domain.NotFound(op, "entity.instance")
		}
		return nil, nil, nil, nil, err
	}
	if actor.ID != w.inst.InitiatorID {
		return nil, nil, nil, nil, domain.Forbidden(op)
	}
	var waiting []*Task
	for _, t := range w.tasks {
		if t.Kind == TaskExternal && t.State == TaskOpen && (step == "" || t.StepID == step) && w.activeIndex(t.StepID, t.Round) >= 0 {
			waiting = append(waiting, t)
		}
	}
	switch {
	case w.inst.Status != StatusRunning || len(waiting) == 0:
		return nil, nil, nil, nil, domain.Conflict(op, "flow.external.no_step")
	case len(waiting) > 1:
		return nil, nil, nil, nil, &domain.Error{Kind: domain.KindInvalid, Op: op, Key: "error.invalid",
			Fields: map[string]domain.Msg{"step": {Key: "field.required"}}}
	}
	t := waiting[0]
	links, err := e.externalLinks(ctx, instanceID)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	var open []*ExternalLink
	for i := range links {
		if l := &links[i]; l.TaskID == t.ID && l.State == LinkOpen {
			open = append(open, l)
		}
	}
	return w, t, stepOf(w.def, t.StepID), open, nil
}

// ExpireExternalLinks marks the open links that expired by now as expired
// and tells each initiator, who can issue a new one: a step does not
// stall silently for a link nobody used. Each link expires once, whichever
// server gets to it first (the write checks that it is still open). It
// returns how many expired.
func (e *Engine) ExpireExternalLinks(ctx context.Context, now time.Time) (int, error) {
	xs, ok := e.st.(ExternalStore)
	if !ok {
		return 0, nil
	}
	n := 0
	for {
		due, err := xs.DueExternalLinks(ctx, now, 200)
		if err != nil {
			return n, err
		}
		for _, l := range due {
			ok, err := e.expireLink(ctx, l.InstanceID, l.ID)
			if err != nil {
				return n, err
			}
			if ok {
				n++
			}
		}
		if len(due) < 200 {
			return n, nil
		}
	}
}

func (e *Engine) expireLink(ctx context.Context, instanceID, linkID int64) (bool, error) {
	for attempt := 0; attempt < 8; attempt++ {
		links, err := e.externalLinks(ctx, instanceID)
		if err != nil {
			return false, err
		}
		var l *ExternalLink
		for i := range links {
			if links[i].ID == linkID && links[i].State == LinkOpen {
				l = &links[i]
			}
		}
		if l == nil {
			return false, nil // used, revoked or expired meanwhile
		}
		w, err := e.load(ctx, domain.System, instanceID)
		if err != nil {
			return false, err
		}
		w.changeLink(l, LinkExpired)
		w.audit("flow.external_expired", []audit.Change{{Field: "step", New: l.StepID}, {Field: "link", New: l.ID}, {Field: "name", New: l.Name}}, "")
		if t := w.findTask(l.TaskID); t != nil && t.State == TaskOpen && w.inst.Status == StatusRunning {
			st := stepOf(w.def, l.StepID)
			args := map[string]any{"name": l.Name}
			if st != nil {
				args["step"], args["step_en"] = st.Title.ZH, st.Title.EN
			}
			w.notify(w.inst.InitiatorID, "external_expired", nil, args)
			w.record(ActionRecord{TaskID: t.ID, StepID: l.StepID, Action: "external_expired"})
		}
		err = e.commit(ctx, w)
		if errors.Is(err, errStale) {
			continue
		}
		return err == nil, err
	}
	return false, domain.Conflict("flow.ExpireExternalLinks", "error.conflict")
}
