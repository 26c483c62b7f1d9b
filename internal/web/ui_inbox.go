package web

import (
	"html/template"
	"net/http"
	"strconv"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/i18n"
	"labflow/internal/people"
)

// The /inbox page: 待办, 已办, 我发起的 and 抄送我的, with bulk approval.

type inboxRow struct {
	flow.InboxItem
	DefTitle, StepTitle, OutcomeLabel string
	// Ended is the label of the outcome the request ended with (转正).
	Ended string
	Bulk  bool
}

var inboxBoxes = []flow.Box{flow.BoxTodo, flow.BoxDone, flow.BoxStarted, flow.BoxCC}

func (s *Server) uiInbox(w http.ResponseWriter, r *http.Request) error {
	return s.renderInbox(w, r, nil)
}

func (s *Server) renderInbox(w http.ResponseWriter, r *http.Request, data map[string]any) error {
	a, _ := actor(r)
	e := s.Flow
	box := flow.Box(r.URL.Query().Get("box"))
	if box == "" {
		box = flow.BoxTodo
	}
	if !containsStr([]string{"todo", "done", "started", "cc"}, string(box)) {
		return fieldErr(domain.KindInvalid, "web.inbox", "error.invalid", "box", "field.bad_choice")
	}
	f, err := inboxFilter(r)
	if err != nil {
		return err
	}
	items, total, err := e.Inbox(r.Context(), a, box, f)
	if err != nil {
		return err
	}
	counts, err := s.counts(r.Context(), a)
	if err != nil {
		return err
	}
	lang := s.lang(r)
	rows := make([]inboxRow, 0, len(items))
	anyBulk := false
	for _, it := range items {
		row := inboxRow{InboxItem: it, DefTitle: it.Definition.In(lang), StepTitle: it.StepTitle.In(lang), Ended: it.OutcomeLabel.In(lang)}
		if it.Outcome != "" {
			row.OutcomeLabel = it.Outcome
			if k := "flowui.outcome." + it.Outcome; i18n.Has(lang, k) {
				row.OutcomeLabel = i18n.T(lang, k, nil)
			}
		}
		if box == flow.BoxTodo && it.TaskState == flow.TaskOpen {
			if d, ok := e.Definition(it.DefinitionKey); ok && d.BulkApprove && d.Version == it.DefinitionVersion {
				if st := d.Step(it.StepID); st != nil && st.Signature == "" && it.InitiatorID != a.ID {
					row.Bulk, anyBulk = true, true
				}
			}
		}
		rows = append(rows, row)
	}
	type defOpt struct{ Key, Title string }
	var defs []defOpt
	for _, d := range e.Definitions() {
		defs = append(defs, defOpt{d.Key, d.Title.In(lang)})
	}
	// The initiator filter lists people by name (inactive ones too: their
	// requests stay in the boxes).
	ppl, _, err := s.People.People(r.Context(), people.PersonFilter{IncludeInactive: true, Limit: 1000})
	if err != nil {
		return err
	}
	initiators := make([]optionView, 0, len(ppl))
	for _, p := range ppl {
		initiators = append(initiators, optionView{Value: strconv.FormatInt(p.ID, 10), Label: p.Name + " (" + p.Username + ")",
			Selected: p.ID == f.InitiatorID})
	}
	q := r.URL.Query()
	q.Del("offset")
	q.Del("box")
	if data == nil {
		data = map[string]any{}
	}
	data["Box"] = string(box)
	data["Boxes"] = inboxBoxes
	data["BoxCounts"] = map[string]int{"todo": counts.Todo, "done": counts.Done, "started": counts.Started, "cc": counts.CC}
	data["Items"] = rows
	data["Total"] = total
	data["Filter"] = f
	data["Definitions"] = defs
	data["Initiators"] = initiators
	data["Statuses"] = []flow.Status{flow.StatusRunning, flow.StatusApproved, flow.StatusRejected, flow.StatusReturned, flow.StatusWithdrawn}
	data["AnyBulk"] = anyBulk
	q.Set("box", string(box))
	if f.Offset > 0 {
		q.Set("offset", strconv.Itoa(max(f.Offset-f.Limit, 0)))
		data["PrevURL"] = template.URL("/inbox?" + q.Encode())
	}
	if f.Offset+f.Limit < total {
		q.Set("offset", strconv.Itoa(f.Offset+f.Limit))
		data["NextURL"] = template.URL("/inbox?" + q.Encode())
	}
	data["Unread"] = counts.Unread
	s.render(w, r, "inbox", data)
	return nil
}

func (s *Server) uiBulkApprove(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	ids := formIDs(r, "task_id")
	out, err := s.bulkApprove(r, a, ids, r.PostFormValue("comment"))
	if err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderInbox(w, r, map[string]any{"Error": msg, "Errors": fe})
		})
	}
	return s.renderInbox(w, r, map[string]any{"Bulk": out})
}
