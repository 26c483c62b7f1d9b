package web

import (
	"net/http"
	"strconv"
	"strings"

	"labflow/internal/flow"
	"labflow/internal/i18n"
	"labflow/internal/people"
)

// The request page (/instances/{id}).

type timelineView struct {
	flow.ActionRecord
	What, Meaning, Target, Step string
}

type actionsView struct {
	TaskID      int64
	StepTitle   string
	OnBehalf    string // the absent person a standing proxy acts for (代)
	Has         map[string]bool
	NeedsPwd    bool
	ReturnTo    []optionView
	Editable    []fieldView
	HasEditable bool
	// RejectRoutes: a rejection of the step goes on (on_reject) rather
	// than ending the request.
	RejectRoutes bool
}

func (s *Server) uiInstance(w http.ResponseWriter, r *http.Request) error {
	return s.renderInstance(w, r, &instancePage{})
}

// renderInstance shows the request page; p may carry the state of a failed
// action (its messages, what was typed).
func (s *Server) renderInstance(w http.ResponseWriter, r *http.Request, p *instancePage) error {
	a, _ := actor(r)
	e := s.Flow
	id, err := pathID(r, "id", "flowui.entity.instance")
	if err != nil {
		return err
	}
	v, err := e.Instance(r.Context(), a, id)
	if err != nil {
		return err
	}
	lang := s.lang(r)
	d := v.Definition
	names := map[int64]string{}
	stepTitle := stepTitler(d, lang)
	var timeline []timelineView
	for _, t := range v.Timeline {
		tv := timelineView{ActionRecord: t, What: actionLabel(lang, t.Action), Target: s.personName(r, names, t.TargetID), Step: stepTitle(t.StepID)}
		if t.Meaning != "" {
			tv.Meaning = i18n.T(lang, "flowui.meaning."+string(t.Meaning), nil)
		}
		timeline = append(timeline, tv)
	}
	// The actions the viewer may take now, grouped by task; instance-level ones apart.
	var tasks []*actionsView
	byTask := map[int64]*actionsView{}
	inst := map[string]bool{}
	for _, al := range v.Allowed {
		if al.TaskID == 0 {
			inst[string(al.Action)] = true
			continue
		}
		av := byTask[al.TaskID]
		if av == nil {
			av = &actionsView{TaskID: al.TaskID, StepTitle: stepTitle(al.StepID), Has: map[string]bool{}}
			if st := d.Step(al.StepID); st != nil {
				av.RejectRoutes = st.OnReject != ""
			}
			byTask[al.TaskID] = av
			tasks = append(tasks, av)
			// Return targets: the initiator, the previous step, or any earlier step done.
			av.ReturnTo = []optionView{{Value: "initiator", Label: i18n.T(lang, "flowui.return.initiator", nil)},
				{Value: "previous", Label: i18n.T(lang, "flowui.return.previous", nil)}}
			seen := map[string]bool{}
			for _, h := range v.Instance.State.History {
				if h.Step != "" && !seen[h.Step] {
					seen[h.Step] = true
					av.ReturnTo = append(av.ReturnTo, optionView{Value: h.Step, Label: stepTitle(h.Step)})
				}
			}
		}
		av.Has[string(al.Action)] = true
		if al.NeedsPassword {
			av.NeedsPwd = true
		}
	}
	fc, err := s.newFormCtx(r, d, v.Instance.Form, p.Errors)
	if err != nil {
		return err
	}
	if p.EditValues != nil {
		fc.values = p.EditValues
	}
	for _, av := range tasks {
		for _, t := range v.Tasks {
			if t.ID == av.TaskID {
				av.OnBehalf = t.OnBehalfName
				if st := d.Step(t.StepID); st != nil && len(st.Editable) > 0 && av.Has["approve"] {
					av.Editable = fc.editFields(d, st.Editable)
					av.HasEditable = true
				}
			}
		}
	}
	var resubmit []fieldView
	if inst["resubmit"] {
		resubmit = fc.fields(d, nil, p.Rows)
	}
	ppl, _, err := s.People.People(r.Context(), people.PersonFilter{Limit: 1000})
	if err != nil {
		return err
	}
	var persons []optionView
	for _, x := range ppl {
		if x.ID != a.ID {
			persons = append(persons, optionView{Value: strconv.FormatInt(x.ID, 10), Label: x.Name + " (" + x.Username + ")"})
		}
	}
	var warnings []string
	for _, wn := range v.Warnings {
		warnings = append(warnings, stepTitle(wn.Step)+": "+translate(lang, wn.Msg))
	}
	var sigs []sigView
	for _, g := range v.Signatures {
		sv := sigView{Signature: g}
		for _, c := range g.Diff {
			sv.Diff = append(sv.Diff, sigDiffView{Label: flow.PathLabel(d, c.Path, lang), Was: valueText(c.Was), Now: valueText(c.Now),
				Kind: c.Kind, Text: i18n.T(lang, "flowui.sig.kind."+c.Kind, nil)})
		}
		sigs = append(sigs, sv)
	}
	p.Signatures = sigs
	p.AsOfNow = s.DB.Now().In(s.TimeZone).Format("2006-01-02T15:04:05")
	p.View, p.Inst = v, v.Instance
	p.DefTitle = d.Title.In(lang)
	p.Outcome = d.OutcomeLabel(v.Instance.Outcome, lang)
	if v.Subject != nil {
		p.SubjectKind = v.Subject.KindTitle.In(lang)
	}
	p.Values = s.formValues(r, d, v.Instance.Form, names)
	p.Timeline, p.Tasks, p.InstActions, p.Persons, p.Resubmit, p.Warnings = timeline, tasks, inst, persons, resubmit, warnings
	p.StepTitle = stepTitle
	p.Meaning = func(m flow.Meaning) string { return i18n.T(lang, "flowui.meaning."+string(m), nil) }
	p.Steps = s.stepViews(lang, v)
	s.render(w, r, p)
	return nil
}

// sigView is a signature on the instance page with what differs, value by
// value, between what was signed and the form now.
type sigView struct {
	flow.Signature
	Diff []sigDiffView
}

type sigDiffView struct {
	Label, Was, Now, Kind, Text string
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
		b := stepBox{Title: st.Title.In(lang), State: st.State, Kind: string(st.Kind), Assignees: strings.Join(st.Assignees, "、")}
		if proxied := proxiedAssignees(lang, v, st); proxied != "" {
			b.Assignees = proxied // standing proxies say for whom (ui_org.go)
		}
		if st.Signature != "" {
			b.Meaning = i18n.T(lang, "flowui.meaning."+string(st.Signature), nil)
		}
		out = append(out, b)
	}
	return out
}

func actionLabel(lang, action string) string {
	k := "flowui.action." + action
	if i18n.Has(lang, k) {
		return i18n.T(lang, k, nil)
	}
	return action
}

// instancePage is the request page.
type instancePage struct {
	Page
	formState
	// SubjectKind names the kind of record the request is bound to.
	SubjectKind string
	// The state of a failed action: the task and action it was (ActTask 0
	// for the instance), what was typed, and the edited values and table
	// rows to show again.
	ActTask    int64
	ActAction  string
	Comment    string
	EditValues map[string]any
	Rows       map[string]int

	View        *flow.InstanceView
	Inst        *flow.Instance
	DefTitle    string
	Outcome     string
	AsOfNow     string
	Values      []valueView
	Timeline    []timelineView
	Tasks       []*actionsView
	InstActions map[string]bool
	Persons     []optionView
	Resubmit    []fieldView
	Warnings    []string
	Signatures  []sigView
	Steps       []stepBox
	StepTitle   func(string) string
	Meaning     func(flow.Meaning) string
}

func (*instancePage) template() string { return "instance" }
