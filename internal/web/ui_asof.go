package web

import (
	"net/http"
	"time"

	"labflow/internal/flow"
	"labflow/internal/i18n"
)

// A request as it stood at a moment (/instances/{id}/as-of).

// fieldChange is one field that differs between then and now, rendered.
type fieldChange struct{ Label, Then, Now string }

// uiAsOf shows an instance as it stood at a moment, rebuilt from the audit
// trail alone, with what differs now.
func (s *Server) uiAsOf(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "flowui.entity.instance")
	if err != nil {
		return err
	}
	at := s.DB.Now()
	if v := r.URL.Query().Get("at"); v != "" {
		if at, err = s.asOfTime(v); err != nil {
			return err
		}
	}
	view, err := s.Flow.AsOf(r.Context(), a, id, at)
	if err != nil {
		return err
	}
	iv, err := s.Flow.Instance(r.Context(), a, id)
	if err != nil {
		return err
	}
	lang := s.lang(r)
	d := iv.Definition
	rd := s.reader(r)
	stepTitle := stepTitler(d, lang)
	var stepsThen []string
	for _, st := range view.Snapshot.Steps {
		stepsThen = append(stepsThen, stepTitle(st))
	}
	var changed []fieldChange
	for _, c := range view.Changed {
		label := c.Field
		if f := fieldOf(d, c.Field); f != nil {
			label = f.Label.In(lang)
		}
		then := rd.formValues(d, map[string]any{c.Field: c.Then})
		now := rd.formValues(d, map[string]any{c.Field: c.Now})
		changed = append(changed, fieldChange{Label: label, Then: valueSummary(then), Now: valueSummary(now)})
	}
	s.render(w, r, &asofPage{Inst: iv.Instance, View: view, At: at, AtInput: at.In(s.TimeZone).Format("2006-01-02T15:04:05"),
		Values: rd.formValues(d, view.Snapshot.Form), StepsThen: stepsThen, Changed: changed, StepTitle: stepTitle,
		Meaning: func(m flow.Meaning) string { return i18n.T(lang, "flowui.meaning."+string(m), nil) }})
	return nil
}

// asofPage is a request as it stood at a moment, with what differs now.
type asofPage struct {
	Page
	Inst      *flow.Instance
	View      *flow.AsOfView
	At        time.Time
	AtInput   string
	Values    []valueView
	StepsThen []string
	Changed   []fieldChange
	StepTitle func(string) string
	Meaning   func(flow.Meaning) string
}

func (*asofPage) template() string { return "asof" }
