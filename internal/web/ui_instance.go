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
	return s.renderInstance(w, r, nil)
}

func (s *Server) renderInstance(w http.ResponseWriter, r *http.Request, data map[string]any) error {
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
	if data == nil {
		data = map[string]any{}
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
	errs, _ := data["Errors"].(map[string]string)
	fc, err := s.newFormCtx(r, d, v.Instance.Form, errs)
	if err != nil {
		return err
	}
	if edit, ok := data["EditValues"].(map[string]any); ok {
		fc.values = edit
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
		rows, _ := data["Rows"].(map[string]int)
		resubmit = fc.fields(d, nil, rows)
	}
	ppl, _, err := s.People.People(r.Context(), people.PersonFilter{Limit: 1000})
	if err != nil {
		return err
	}
	var persons []optionView
	for _, p := range ppl {
		if p.ID != a.ID {
			persons = append(persons, optionView{Value: strconv.FormatInt(p.ID, 10), Label: p.Name + " (" + p.Username + ")"})
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
	data["Signatures"] = sigs
	data["AsOfNow"] = s.DB.Now().In(s.TimeZone).Format("2006-01-02T15:04:05")
	data["View"] = v
	data["Inst"] = v.Instance
	data["DefTitle"] = d.Title.In(lang)
	data["Outcome"] = d.OutcomeLabel(v.Instance.Outcome, lang)
	data["SubjectKind"] = ""
	if v.Subject != nil {
		data["SubjectKind"] = v.Subject.KindTitle.In(lang)
	}
	data["Values"] = s.formValues(r, d, v.Instance.Form, names)
	data["Timeline"] = timeline
	data["Tasks"] = tasks
	data["InstActions"] = inst
	data["Persons"] = persons
	data["Resubmit"] = resubmit
	data["Warnings"] = warnings
	data["StepTitle"] = stepTitle
	data["Meaning"] = func(m flow.Meaning) string { return i18n.T(lang, "flowui.meaning."+string(m), nil) }
	data["Steps"] = s.stepViews(lang, v)
	if data["Errors"] == nil {
		data["Errors"] = map[string]string{}
	}
	if data["ActTask"] == nil {
		data["ActTask"] = int64(0)
	}
	if data["ActAction"] == nil {
		data["ActAction"] = ""
	}
	if data["Comment"] == nil {
		data["Comment"] = ""
	}
	s.render(w, r, "instance", data)
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
