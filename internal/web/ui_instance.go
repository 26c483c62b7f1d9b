package web

import (
	"net/http"
	"strconv"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/i18n"
	"labflow/internal/people"
)

// The request page (/instances/{id}), decision first: its title and the
// summary its definition chooses, the viewer's task, the form, the
// approval record; the diagram and the signatures' details fold away. A
// bar that stays in view holds 同意 / 拒绝 / 退回 and, under 更多, the rest.

// taskView is a task the viewer may act on, as the decision bar shows it.
type taskView struct {
	TaskID    int64
	StepTitle string
	OnBehalf  string // the absent person a standing proxy acts for (代)
	// Complete: a task step (完成), not an approval (同意).
	Complete bool
	Has      map[string]bool
	NeedsPwd bool
	// Meaning is the signature's meaning (批准) and Statement what the
	// signer declares ("本人确认批准此采购申请，签名含义：批准").
	Meaning, Statement string
	// DissentStatement is what a dissent signs (不同意).
	DissentStatement string
	ReturnTo         []optionView
	Editable         []fieldView
	HasEditable      bool
	// RejectRoutes: a rejection of the step goes on (on_reject) rather
	// than ending the request.
	RejectRoutes bool
	Due          time.Time
	DueState     string
}

// summaryItem is one value of the summary line.
type summaryItem struct {
	Label, Text string
	Money       bool
}

// recordEntry is one line of the approval record: who did what, on which
// step, with their comment, files and signature.
type recordEntry struct {
	At                      time.Time
	Who, What, Action, Step string
	// OnBehalf is the absent person a standing proxy acted for (代).
	OnBehalf        string
	Target, Comment string
	Files           []fileView
	Signature       *sigView
	// Ext says, for an outsider's entry, from which address and browser.
	Ext string
}

// sigView is a signature with what differs, value by value, between what
// was signed and the form now.
type sigView struct {
	flow.Signature
	MeaningText string
	Diff        []sigDiffView
}

type sigDiffView struct {
	Label, Was, Now, Kind, Text string
}

// nextItem is the next request in one's 待办, offered after an action.
type nextItem struct {
	InstanceID int64
	Title      string
}

func (s *Server) uiInstance(w http.ResponseWriter, r *http.Request) error {
	p := &instancePage{}
	if t, err := strconv.ParseInt(r.URL.Query().Get("task"), 10, 64); err == nil {
		p.ActTask = t
	}
	if done := r.URL.Query().Get("done"); done != "" {
		p.Done = doneText(s.lang(r), done)
	}
	return s.renderInstance(w, r, p)
}

// doneText says what an action did ("已同意。"), or "" for an unknown one.
func doneText(lang, action string) string {
	if k := "page.done." + action; i18n.Has(lang, k) {
		return i18n.T(lang, k, nil)
	}
	return ""
}

// renderInstance shows the request page; p may carry the state of a failed
// action (its messages, what was typed) or what an action did.
func (s *Server) renderInstance(w http.ResponseWriter, r *http.Request, p *instancePage) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "flowui.entity.instance")
	if err != nil {
		return err
	}
	v, err := s.Flow.Instance(r.Context(), a, id)
	if err != nil {
		return err
	}
	lang := s.lang(r)
	d := v.Definition
	rd := s.reader(r)
	stepTitle := stepTitler(d, lang)
	meaning := func(m flow.Meaning) string { return i18n.T(lang, "flowui.meaning."+string(m), nil) }
	now := s.DB.Now()

	// The viewer's tasks; the bar acts on the one asked for, else the first.
	tasks, inst := s.taskViews(lang, v, stepTitle)
	for _, t := range v.Tasks {
		for _, tv := range tasks {
			if tv.TaskID == t.ID {
				tv.Due, tv.DueState = t.DueAt, dueState(t.DueAt, now)
			}
		}
	}
	for _, tv := range tasks {
		if p.MyTask == nil || tv.TaskID == p.ActTask {
			p.MyTask = tv
		}
	}
	for _, tv := range tasks {
		if tv != p.MyTask {
			p.OtherTasks = append(p.OtherTasks, tv)
		}
	}
	fc, err := s.newFormCtx(r, d, v.Instance.Form, p.Errors)
	if err != nil {
		return err
	}
	if p.EditValues != nil {
		fc.values = p.EditValues
	}
	if t := p.MyTask; t != nil {
		for _, x := range v.Tasks {
			if x.ID == t.TaskID {
				t.OnBehalf = x.OnBehalfName
				if st := d.Step(x.StepID); st != nil && len(st.Editable) > 0 && t.Has["approve"] {
					t.Editable, t.HasEditable = fc.editFields(d, st.Editable), true
				}
			}
		}
	}
	if inst["resubmit"] {
		p.Resubmit = fc.fields(d, nil, p.Rows)
	}
	if p.MyTask != nil || inst["copy"] {
		ppl, _, err := s.People.People(r.Context(), people.PersonFilter{Limit: 1000})
		if err != nil {
			return err
		}
		for _, x := range ppl {
			if x.ID != a.ID {
				p.Persons = append(p.Persons, optionView{Value: strconv.FormatInt(x.ID, 10), Label: x.Name + " (" + x.Username + ")"})
			}
		}
	}
	for _, wn := range v.Warnings {
		p.Warnings = append(p.Warnings, stepTitle(wn.Step)+": "+translate(lang, wn.Msg))
	}
	// Signatures, then the record that shows each beside its decision.
	byTask := map[int64][]*sigView{}
	for _, g := range v.Signatures {
		sv := &sigView{Signature: g, MeaningText: meaning(g.Meaning)}
		for _, c := range g.Diff {
			sv.Diff = append(sv.Diff, sigDiffView{Label: flow.PathLabel(d, c.Path, lang), Was: valueText(c.Was), Now: valueText(c.Now),
				Kind: c.Kind, Text: i18n.T(lang, "flowui.sig.kind."+c.Kind, nil)})
		}
		p.Signatures = append(p.Signatures, sv)
		byTask[g.TaskID] = append(byTask[g.TaskID], sv)
		if !g.Valid {
			p.SignatureProblem = true
		}
	}
	for _, t := range v.Timeline {
		e := recordEntry{At: t.At, Who: t.ActorName, What: actionLabel(lang, t.Action), Action: t.Action, Step: stepTitle(t.StepID),
			Target: rd.person(t.TargetID), Comment: t.Comment, OnBehalf: t.OnBehalfName}
		if t.Action == "start" {
			e.What = tr(lang, "page.record.filed")
		}
		if t.External != nil { // a person outside the institute, by a link
			e.Who, e.Ext = i18n.T(lang, "external.waiting_for", map[string]any{"name": t.ActorName}), externalEntryText(lang, t.External)
		}
		for _, sha := range t.Attachments {
			e.Files = append(e.Files, rd.file(sha))
		}
		if t.Meaning != "" {
			if sigs := byTask[t.TaskID]; len(sigs) > 0 {
				e.Signature, byTask[t.TaskID] = sigs[0], sigs[1:]
			}
		}
		p.Record = append(p.Record, e)
	}
	for _, sv := range d.Summarize(v.Instance.Form) {
		if t := rd.display(sv, false); t != "" {
			p.Summary = append(p.Summary, summaryItem{Label: sv.Label.In(lang), Text: t, Money: sv.Field != nil && sv.Field.Type == flow.FieldMoney})
		}
	}
	if p.Done != "" {
		p.Next, p.NextChecked = s.nextTodo(r, a, rd, id), true
	}
	p.View, p.Inst, p.InstActions = v, v.Instance, inst
	p.DefTitle = d.Title.In(lang)
	p.Title = s.listTitle(r, rd, d.Key, d.Version, p.DefTitle, v.Instance.Form, v.Instance.InitiatorName, v.Instance.ID)
	p.Outcome = d.OutcomeLabel(v.Instance.Outcome, lang)
	p.AsOfNow = now.In(s.TimeZone).Format("2006-01-02T15:04:05")
	if v.Subject != nil {
		p.SubjectKind = v.Subject.KindTitle.In(lang)
	}
	p.Values = rd.formValues(d, v.Instance.Form)
	p.Steps = s.stepViews(lang, v)
	p.External = s.externalSection(r, a, v, rd)
	p.FileLimitMB = s.Attach.Limit() >> 20
	s.render(w, r, p)
	return nil
}

// taskViews groups what the viewer may do by task, and lists what they
// may do on the request itself.
func (s *Server) taskViews(lang string, v *flow.InstanceView, stepTitle func(string) string) ([]*taskView, map[string]bool) {
	d := v.Definition
	var tasks []*taskView
	byTask := map[int64]*taskView{}
	inst := map[string]bool{}
	process := d.Title.In(lang)
	for _, al := range v.Allowed {
		if al.TaskID == 0 {
			inst[string(al.Action)] = true
			continue
		}
		tv := byTask[al.TaskID]
		if tv == nil {
			tv = &taskView{TaskID: al.TaskID, StepTitle: stepTitle(al.StepID), Has: map[string]bool{}}
			if st := d.Step(al.StepID); st != nil {
				tv.RejectRoutes = st.OnReject != ""
				tv.Complete = st.Kind == flow.StepTask
				if st.Signature != "" {
					m := string(st.Signature)
					tv.Meaning = i18n.T(lang, "flowui.meaning."+m, nil)
					tv.Statement = tr(lang, "page.sign.statement", "verb", tr(lang, "page.sign.verb."+m), "process", process, "meaning", tv.Meaning)
					tv.DissentStatement = tr(lang, "page.sign.statement_dissent", "process", process,
						"meaning", i18n.T(lang, "flowui.meaning."+string(flow.MeaningDisapprove), nil))
				}
			}
			byTask[al.TaskID] = tv
			tasks = append(tasks, tv)
			// Return targets: the initiator, the previous step, or any earlier step done.
			tv.ReturnTo = []optionView{{Value: "initiator", Label: i18n.T(lang, "flowui.return.initiator", nil)},
				{Value: "previous", Label: i18n.T(lang, "flowui.return.previous", nil)}}
			seen := map[string]bool{}
			for _, h := range v.Instance.State.History {
				if h.Step != "" && !seen[h.Step] {
					seen[h.Step] = true
					tv.ReturnTo = append(tv.ReturnTo, optionView{Value: h.Step, Label: stepTitle(h.Step)})
				}
			}
		}
		tv.Has[string(al.Action)] = true
		if al.NeedsPassword {
			tv.NeedsPwd = true
		}
	}
	return tasks, inst
}

// nextTodo is the first request in a's 待办 other than this one, or nil.
func (s *Server) nextTodo(r *http.Request, a domain.Actor, rd *reader, this int64) *nextItem {
	if !a.HasBusinessRole() {
		return nil
	}
	items, _, err := s.Flow.Inbox(r.Context(), a, flow.BoxTodo, flow.InboxFilter{Limit: 2})
	if err != nil {
		s.log.Warn("next todo", "err", err)
		return nil
	}
	for _, it := range items {
		if it.InstanceID != this {
			return &nextItem{InstanceID: it.InstanceID, Title: s.listTitle(r, rd, it.DefinitionKey, it.DefinitionVersion,
				it.Definition.In(rd.lang), it.Form, it.InitiatorName, it.InstanceID)}
		}
	}
	return nil
}

// stepTitler names a definition's steps in lang (the id of a step it lacks).
func stepTitler(d *flow.Definition, lang string) func(string) string {
	return func(id string) string {
		if st := d.Step(id); st != nil {
			return st.Title.In(lang)
		}
		return id
	}
}

type stepBox struct {
	Title, State, Kind, Assignees, Meaning string
}

func (s *Server) stepViews(lang string, v *flow.InstanceView) []stepBox {
	var out []stepBox
	for _, st := range v.Steps {
		if st.Kind != flow.StepApproval && st.Kind != flow.StepTask && st.Kind != flow.StepSubprocess && st.Kind != "" {
			continue
		}
		b := stepBox{Title: st.Title.In(lang), State: st.State, Kind: string(st.Kind), Assignees: joinNames(st.Assignees)}
		if who := s.externalWho(lang, v, st.ID); who != "" {
			b.Assignees = who
		} else if proxied := proxiedAssignees(lang, v, st); proxied != "" {
			b.Assignees = proxied // standing proxies say for whom (ui_org.go)
		}
		if st.Signature != "" {
			b.Meaning = i18n.T(lang, "flowui.meaning."+string(st.Signature), nil)
		}
		out = append(out, b)
	}
	return out
}

func joinNames(ns []string) string {
	out := ""
	for i, n := range ns {
		if i > 0 {
			out += "、"
		}
		out += n
	}
	return out
}

func actionLabel(lang, action string) string {
	return textOr(lang, "flowui.action."+action, action)
}

// instancePage is the request page.
type instancePage struct {
	Page
	formState
	// SubjectKind names the kind of record the request is bound to.
	SubjectKind string
	// The state of a failed action: the task and action it was (ActTask 0
	// for the instance; on a plain view, the task asked for), what was
	// typed, and the edited values and table rows to show again.
	ActTask    int64
	ActAction  string
	Comment    string
	EditValues map[string]any
	Rows       map[string]int
	// SignOpen shows the signature dialog again (a wrong password).
	SignOpen bool
	// Done says what the last action did; Next is the next request in
	// 待办 (NextChecked: looked for, and none left).
	Done        string
	Next        *nextItem
	NextChecked bool

	View             *flow.InstanceView
	Inst             *flow.Instance
	Title, DefTitle  string
	Outcome          string
	AsOfNow          string
	Summary          []summaryItem
	MyTask           *taskView
	OtherTasks       []*taskView
	Values           []valueView
	Record           []recordEntry
	InstActions      map[string]bool
	Persons          []optionView
	Resubmit         []fieldView
	Warnings         []string
	Signatures       []*sigView
	SignatureProblem bool
	Steps            []stepBox
	FileLimitMB      int64
	// External is the section on steps for people outside the institute;
	// IssuedURLs the links just issued, shown to the initiator this once;
	// ExternalError why re-issuing or revoking one failed (external.go).
	External      *externalView
	IssuedURLs    []string
	ExternalError string
}

func (*instancePage) template() string { return "instance" }
