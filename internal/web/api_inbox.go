package web

import (
	"context"
	"net/http"
	"strings"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/i18n"
)

// The JSON API of the inbox: lists, counts and bulk approval.

type inboxOut struct {
	Box   flow.Box         `json:"box"`
	Items []flow.InboxItem `json:"items"`
	Total int              `json:"total"`
}

var inboxQuery = []string{"definition", "from", "to", "initiator", "status", "q", "limit", "offset"}

// inboxFilter reads the inbox filters from the query string.
func inboxFilter(r *http.Request) (flow.InboxFilter, error) {
	q := r.URL.Query()
	f := flow.InboxFilter{Definition: q.Get("definition"), From: q.Get("from"), To: q.Get("to"),
		Status: flow.Status(q.Get("status")), Query: strings.TrimSpace(q.Get("q"))}
	var c domain.Checker
	for _, k := range []string{"from", "to"} {
		if v := q.Get(k); v != "" && !dateRE(v) {
			c.Add(k, "field.bad_date")
		}
	}
	switch f.Status {
	case "", flow.StatusRunning, flow.StatusApproved, flow.StatusRejected, flow.StatusReturned, flow.StatusWithdrawn:
	default:
		c.Add("status", "field.bad_choice")
	}
	if err := c.Err("web.inbox"); err != nil {
		return f, err
	}
	init, err := queryInt(r, "initiator", 0)
	if err != nil {
		return f, err
	}
	limit, err := queryInt(r, "limit", 50)
	if err != nil {
		return f, err
	}
	off, err := queryInt(r, "offset", 0)
	if err != nil {
		return f, err
	}
	f.InitiatorID, f.Limit, f.Offset = init, int(min(max(limit, 1), 500)), int(min(off, 1<<30))
	return f, nil
}

func dateRE(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i, c := range s {
		if i != 4 && i != 7 && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

func (s *Server) apiInbox(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	e := s.Flow
	f, err := inboxFilter(r)
	if err != nil {
		return err
	}
	box := flow.Box(r.PathValue("box"))
	items, total, err := e.Inbox(r.Context(), a, box, f)
	if err != nil {
		return err
	}
	if items == nil {
		items = []flow.InboxItem{}
	}
	writeJSON(w, http.StatusOK, inboxOut{Box: box, Items: items, Total: total})
	return nil
}

type countsOut struct {
	Todo    int `json:"todo"`
	Done    int `json:"done"`
	Started int `json:"started"`
	CC      int `json:"cc"`
	Unread  int `json:"unread_notifications"`
}

func (s *Server) counts(ctx context.Context, a domain.Actor) (countsOut, error) {
	c, err := s.Flow.Counts(ctx, a)
	if err != nil {
		return countsOut{}, err
	}
	ns, err := s.Flow.Notifications(ctx, a, true, 100)
	if err != nil {
		return countsOut{}, err
	}
	return countsOut{Todo: c[flow.BoxTodo], Done: c[flow.BoxDone], Started: c[flow.BoxStarted], CC: c[flow.BoxCC], Unread: len(ns)}, nil
}

func (s *Server) apiInboxCounts(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	out, err := s.counts(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type bulkInput struct {
	TaskIDs []int64 `json:"task_ids"`
	Comment string  `json:"comment,omitempty"`
}

type bulkOut struct {
	Results  []bulkResultOut `json:"results"`
	Approved int             `json:"approved"`
	Failed   int             `json:"failed"`
}

type bulkResultOut struct {
	flow.BulkResult
	Message string `json:"message,omitempty"`
}

const maxBulk = 200

func (s *Server) bulkApprove(r *http.Request, a domain.Actor, ids []int64, comment string) (bulkOut, error) {
	var c domain.Checker
	if len(ids) == 0 {
		c.Add("task_ids", "field.required")
	} else if len(ids) > maxBulk {
		c.Add("task_ids", "flowui.bulk.too_many", "max", maxBulk)
	}
	c.Text("comment", comment, false, 2000)
	if err := c.Err("web.bulkApprove"); err != nil {
		return bulkOut{}, err
	}
	res, err := s.Flow.BulkApprove(r.Context(), a, ids, comment)
	if err != nil {
		return bulkOut{}, err
	}
	lang := s.lang(r)
	out := bulkOut{Results: []bulkResultOut{}}
	for _, x := range res {
		o := bulkResultOut{BulkResult: x}
		if x.OK {
			out.Approved++
		} else {
			out.Failed++
			if x.Err != nil {
				p, _ := problemOf(x.Err, lang)
				o.Error, o.Message = p.Key, p.Detail
			} else {
				o.Message = i18n.T(lang, x.Error, nil)
			}
		}
		out.Results = append(out.Results, o)
	}
	return out, nil
}

func (s *Server) apiBulkApprove(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	var in bulkInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.bulkApprove(r, a, in.TaskIDs, in.Comment)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
