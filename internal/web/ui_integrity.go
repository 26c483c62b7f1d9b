package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/i18n"
	"labflow/internal/people"
)

// Pages of what issue 7 added: purchasing's list of purchase requests,
// the administrator's steps waiting for someone, and an instance as it
// stood at a moment.

var listStatuses = []flow.Status{flow.StatusRunning, flow.StatusReturned, flow.StatusWithdrawn, flow.StatusApproved, flow.StatusRejected}

// purchaseItem is one purchase request on the purchasing page.
type purchaseItem struct {
	ID                   int64
	Title, InitiatorName string
	Total                any
	Steps                []string
	Status               flow.Status
	CreatedAt            time.Time
}

// uiPurchasing lists the purchase requests the viewer may see, with their
// stage: for purchasing staff (who see them from their first purchasing
// step on) and the deans and the GM (who see all).
func (s *Server) uiPurchasing(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	q.Set("definition", "purchase-request")
	r.URL.RawQuery = q.Encode()
	data := map[string]any{"Statuses": listStatuses, "Status": q.Get("status"), "Query": q.Get("q")}
	if d, ok := s.Flow.Definition("purchase-request"); ok {
		a, _ := actor(r)
		data["CanStart"] = mayStartDef(a, d)
	}
	out, err := s.visible(r)
	if err != nil {
		return s.formError(w, r, err, func(_ map[string]string, msg string) error {
			data["Error"] = msg
			s.render(w, r, "purchasing", data)
			return nil
		})
	}
	lang := s.lang(r)
	var items []purchaseItem
	for _, it := range out.Items {
		pi := purchaseItem{ID: it.ID, Title: it.Title, InitiatorName: it.InitiatorName, Total: it.Total, Status: it.Status, CreatedAt: it.CreatedAt}
		for _, st := range it.Steps {
			pi.Steps = append(pi.Steps, st.In(lang))
		}
		items = append(items, pi)
	}
	data["Items"], data["Total"] = items, out.Total
	s.render(w, r, "purchasing", data)
	return nil
}

// waitingItem is a step nobody can act on, as the administrator sees it.
type waitingItem struct {
	TaskID, InstanceID                 int64
	Definition, Step, Needs, Initiator string
	Since                              time.Time
}

func (s *Server) uiWaiting(w http.ResponseWriter, r *http.Request) error {
	return s.renderWaiting(w, r, map[string]any{})
}

func (s *Server) renderWaiting(w http.ResponseWriter, r *http.Request, data map[string]any) error {
	a, _ := actor(r)
	ws, err := s.Flow.Waiting(r.Context(), a)
	if err != nil {
		return err
	}
	lang := s.lang(r)
	var items []waitingItem
	for _, x := range ws {
		items = append(items, waitingItem{TaskID: x.TaskID, InstanceID: x.InstanceID, Definition: x.Definition.In(lang), Step: x.Step.In(lang),
			Needs: assigneeText(lang, x.Needs), Initiator: x.InitiatorName, Since: x.Since})
	}
	// Who may be named: people holding a business role (never the administrator, R12).
	ppl, _, err := s.People.People(r.Context(), people.PersonFilter{Limit: 1000})
	if err != nil {
		return err
	}
	var opts []optionView
	for _, p := range ppl {
		if p.Active && !holdsRole(p, domain.RoleSysAdmin) && len(p.Grants) > 0 {
			opts = append(opts, optionView{Value: strconv.FormatInt(p.ID, 10), Label: p.Name + " (" + p.Username + ")"})
		}
	}
	data["Items"], data["People"] = items, opts
	if data["Errors"] == nil {
		data["Errors"] = map[string]string{}
	}
	if data["ActTask"] == nil {
		data["ActTask"] = int64(0)
	}
	s.render(w, r, "waiting", data)
	return nil
}

func holdsRole(p domain.Person, role domain.Role) bool {
	for _, g := range p.Grants {
		if g.Role == role {
			return true
		}
	}
	return false
}

// assigneeText names an assignee rule in lang: "业务院长", "合成部 部门总监".
func assigneeText(lang string, a flow.Assignee) string {
	switch {
	case a.Role != "":
		t := i18n.T(lang, "people.role."+a.Role, nil)
		if a.Department != "" && a.Department != "initiator" {
			t = a.Department + " " + t
		}
		return t
	case a.Relative != "":
		return i18n.T(lang, "flowui.relative."+a.Relative, nil)
	case a.Committee == flow.TechnicalCommittee:
		return i18n.T(lang, "people.role.committee", nil)
	case a.Committee != "":
		return string(a.Committee)
	case a.Person != "":
		return a.Person
	case a.Field != "":
		return i18n.T(lang, "flowui.relative.field", nil)
	}
	return ""
}

func (s *Server) uiAssign(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "flowui.entity.task")
	if err != nil {
		return err
	}
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	pid, _ := strconv.ParseInt(r.PostFormValue("person_id"), 10, 64)
	if _, err := s.Flow.Assign(r.Context(), a, id, pid, r.PostFormValue("reason")); err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderWaiting(w, r, map[string]any{"Errors": fe, "Error": msg, "ActTask": id})
		})
	}
	return s.renderWaiting(w, r, map[string]any{"Notice": i18n.T(s.lang(r), "waiting.assigned", nil)})
}

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
	names := map[int64]string{}
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
		then := s.formValues(r, d, map[string]any{c.Field: c.Then}, names)
		now := s.formValues(r, d, map[string]any{c.Field: c.Now}, names)
		changed = append(changed, fieldChange{Label: label, Then: valueSummary(then), Now: valueSummary(now)})
	}
	s.render(w, r, "asof", map[string]any{"Inst": iv.Instance, "View": view, "At": at, "AtInput": at.In(s.TimeZone).Format("2006-01-02T15:04:05"),
		"Values": s.formValues(r, d, view.Snapshot.Form, names), "StepsThen": stepsThen, "Changed": changed, "StepTitle": stepTitle,
		"Meaning": func(m flow.Meaning) string { return i18n.T(lang, "flowui.meaning."+string(m), nil) }})
	return nil
}

func fieldOf(d *flow.Definition, key string) *flow.Field {
	for i := range d.Form {
		if d.Form[i].Key == key {
			return &d.Form[i]
		}
	}
	return nil
}

// valueSummary renders one rendered value in a line.
func valueSummary(vs []valueView) string {
	if len(vs) == 0 {
		return "—"
	}
	v := vs[0]
	switch {
	case v.Table != nil:
		var rows []string
		for _, r := range v.Table.Rows {
			var cells []string
			for _, c := range r {
				if c != "" {
					cells = append(cells, c)
				}
			}
			rows = append(rows, strings.Join(cells, " / "))
		}
		return strings.Join(rows, "；")
	case v.Files != nil:
		return strings.Join(v.Files, ", ")
	}
	return v.Text
}
