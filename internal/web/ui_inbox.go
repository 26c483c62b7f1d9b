package web

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/i18n"
	"labflow/internal/people"
)

// The /inbox page: 待办, 已办, 我发起的 and 抄送我的, with bulk approval.

// inboxRow is one request in an inbox list, as a card: the title its
// definition gives it, where it stands and who has it, when it is due.
type inboxRow struct {
	flow.InboxItem
	// Title is the process's title and the request's list title
	// ("采购申请 · 试剂 · ¥4,375.00 · 张伟").
	Title string
	// Step is the step of one's task (待办, 已办), Current where the
	// request stands now, with who has it.
	Step, Current string
	// OutcomeLabel is one's decision (已办); Ended the outcome the request
	// ended with (转正).
	OutcomeLabel, Ended string
	// Due is the deadline of one's task or the request's current step;
	// DueState is "late" (overdue), "soon" (within a day) or "".
	Due      time.Time
	DueState string
	When     time.Time
	Bulk     bool
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
	rd := s.reader(r)
	now := s.DB.Now()
	rows := make([]inboxRow, 0, len(items))
	anyBulk := false
	for _, it := range items {
		row := inboxRow{InboxItem: it, Title: s.listTitle(r, rd, it.DefinitionKey, it.DefinitionVersion, it.Definition.In(lang), it.Form, it.InitiatorName, it.InstanceID),
			Step: it.StepTitle.In(lang), Ended: it.OutcomeLabel.In(lang), When: it.CreatedAt}
		if box == flow.BoxDone {
			row.When = it.ActedAt
		}
		if it.Outcome != "" {
			row.OutcomeLabel = it.Outcome
			if k := "flowui.outcome." + it.Outcome; i18n.Has(lang, k) {
				row.OutcomeLabel = i18n.T(lang, k, nil)
			}
		}
		row.Current, row.Due = currentText(lang, it.Current)
		if box == flow.BoxTodo {
			row.Due = it.DueAt
		}
		row.DueState = dueState(row.Due, now)
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

// currentText says where a request stands: each open step with who has it
// ("总经理批准 · 王建国"), and the earliest deadline among them.
func currentText(lang string, cur []flow.CurrentStep) (string, time.Time) {
	var parts []string
	var due time.Time
	for _, c := range cur {
		who := strings.Join(c.Assignees, "、")
		if who == "" {
			who = tr(lang, "page.nobody_yet")
		}
		parts = append(parts, c.Title.In(lang)+" · "+who)
		if !c.DueAt.IsZero() && (due.IsZero() || c.DueAt.Before(due)) {
			due = c.DueAt
		}
	}
	return strings.Join(parts, "；"), due
}

// dueState marks a deadline: "late" once passed, "soon" within a day.
func dueState(due, now time.Time) string {
	switch {
	case due.IsZero():
		return ""
	case !due.After(now):
		return "late"
	case due.Sub(now) < 24*time.Hour:
		return "soon"
	}
	return ""
}

// listTitle names a request in a list: the process's title and what its
// definition's list_title renders ("采购申请 · 试剂 · ¥4,375.00 · 张伟").
// A reference without a value is left out with the text before it.
func (s *Server) listTitle(r *http.Request, rd *reader, key string, version int, defTitle string, form map[string]any, initiator string, id int64) string {
	d, err := s.Flow.DefinitionAt(r.Context(), key, version)
	if err != nil || d.ListTitle == "" {
		return defTitle + " · " + initiator
	}
	var b strings.Builder
	pending := ""
	for _, p := range d.ListTitleParts() {
		if p.Ref == "" {
			pending += p.Text
			continue
		}
		var val string
		switch p.Ref {
		case flow.RefInitiator:
			val = initiator
		case flow.RefID:
			val = strconv.FormatInt(id, 10)
		default:
			if dv, ok := d.Display(p.Ref, form); ok {
				val = clip(rd.display(dv, true), 40)
			}
		}
		if val != "" {
			b.WriteString(pending)
			b.WriteString(val)
		}
		pending = ""
	}
	b.WriteString(pending)
	t := strings.Trim(b.String(), " ·-—|/")
	if t == "" {
		return defTitle
	}
	return defTitle + " · " + t
}
