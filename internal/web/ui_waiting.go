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

// The administrator's /admin/waiting page: steps nobody can act on.

// waitingItem is a step nobody can act on, as the administrator sees it.
type waitingItem struct {
	TaskID, InstanceID                 int64
	Definition, Step, Needs, Initiator string
	Since                              time.Time
}

func (s *Server) uiWaiting(w http.ResponseWriter, r *http.Request) error {
	return s.renderWaiting(w, r, &waitingPage{})
}

func (s *Server) renderWaiting(w http.ResponseWriter, r *http.Request, p *waitingPage) error {
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
	p.Items, p.People = items, opts
	s.render(w, r, p)
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
			return s.renderWaiting(w, r, &waitingPage{formState: failed(fe, msg), ActTask: id})
		})
	}
	return s.renderWaiting(w, r, &waitingPage{formState: formState{Notice: i18n.T(s.lang(r), "waiting.assigned", nil)}})
}

// waitingPage lists the steps nobody can act on, each with a form that
// names who acts.
type waitingPage struct {
	Page
	formState
	Items  []waitingItem
	People []optionView
	// ActTask is the task whose form an error belongs to.
	ActTask int64
}

func (*waitingPage) template() string { return "waiting" }
