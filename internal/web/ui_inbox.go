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
	return s.renderInbox(w, r, &inboxPage{})
}

func (s *Server) renderInbox(w http.ResponseWriter, r *http.Request, p *inboxPage) error {
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
	for _, x := range ppl {
		initiators = append(initiators, optionView{Value: strconv.FormatInt(x.ID, 10), Label: x.Name + " (" + x.Username + ")",
			Selected: x.ID == f.InitiatorID})
	}
	q := r.URL.Query()
	q.Del("offset")
	q.Del("box")
	p.Box, p.Boxes = string(box), inboxBoxes
	p.BoxCounts = map[string]int{"todo": counts.Todo, "done": counts.Done, "started": counts.Started, "cc": counts.CC}
	p.Counts = navCounts{Todo: counts.Todo, Done: counts.Done, Started: counts.Started, CC: counts.CC, Known: true}
	p.Items, p.Total, p.Filter, p.Definitions, p.Initiators = rows, total, f, defs, initiators
	p.Statuses = []flow.Status{flow.StatusRunning, flow.StatusApproved, flow.StatusRejected, flow.StatusReturned, flow.StatusWithdrawn}
	p.AnyBulk = anyBulk
	q.Set("box", string(box))
	if f.Offset > 0 {
		q.Set("offset", strconv.Itoa(max(f.Offset-f.Limit, 0)))
		p.PrevURL = template.URL("/inbox?" + q.Encode())
	}
	if f.Offset+f.Limit < total {
		q.Set("offset", strconv.Itoa(f.Offset+f.Limit))
		p.NextURL = template.URL("/inbox?" + q.Encode())
	}
	p.Unread = counts.Unread
	s.render(w, r, p)
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
			return s.renderInbox(w, r, &inboxPage{formState: failed(fe, msg)})
		})
	}
	return s.renderInbox(w, r, &inboxPage{Bulk: &out})
}

// defOpt is a process in the inbox's filter.
type defOpt struct{ Key, Title string }

// inboxPage is one inbox list, filtered and paged, with bulk approval.
type inboxPage struct {
	Page
	formState
	Box              string
	Boxes            []flow.Box
	BoxCounts        map[string]int
	Items            []inboxRow
	Total            int
	Filter           flow.InboxFilter
	Definitions      []defOpt
	Initiators       []optionView
	Statuses         []flow.Status
	AnyBulk          bool
	PrevURL, NextURL template.URL
	Unread           int
	// Bulk is the result of a bulk approval.
	Bulk *bulkOut
}

func (*inboxPage) template() string { return "inbox" }
