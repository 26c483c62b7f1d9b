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

// inboxQuery is what an inbox list (API and page) reads.
type inboxQuery struct {
	Definition string `json:"-" query:"definition"`
	From       string `json:"-" query:"from"`
	To         string `json:"-" query:"to"`
	Initiator  int64  `json:"-" query:"initiator"`
	Status     string `json:"-" query:"status" enum:"running,approved,rejected,returned,withdrawn"`
	Query      string `json:"-" query:"q"`
	Limit      int64  `json:"-" query:"limit" default:"50"`
	Offset     int64  `json:"-" query:"offset"`
}

// inboxFilter reads the inbox filters from the query string.
func inboxFilter(r *http.Request) (flow.InboxFilter, error) {
	var q inboxQuery
	if err := decodeQuery(r, &q); err != nil {
		return flow.InboxFilter{}, err
	}
	f := flow.InboxFilter{Definition: q.Definition, From: q.From, To: q.To, Status: flow.Status(q.Status), Query: strings.TrimSpace(q.Query)}
	var c domain.Checker
	for k, v := range map[string]string{"from": q.From, "to": q.To} {
		if v != "" && !dateRE(v) {
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
	f.InitiatorID, f.Limit, f.Offset = q.Initiator, int(min(max(q.Limit, 1), 500)), int(min(q.Offset, 1<<30))
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

func (s *Server) apiInbox(c *call, _ inboxQuery) (inboxOut, error) {
	f, err := inboxFilter(c.Request())
	if err != nil {
		return inboxOut{}, err
	}
	box := flow.Box(c.PathValue("box"))
	items, total, err := s.Flow.Inbox(c.Context(), c.Actor, box, f)
	if err != nil {
		return inboxOut{}, err
	}
	if items == nil {
		items = []flow.InboxItem{}
	}
	return inboxOut{Box: box, Items: items, Total: total}, nil
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

func (s *Server) apiInboxCounts(c *call, _ none) (countsOut, error) {
	return s.counts(c.Context(), c.Actor)
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

func (s *Server) apiBulkApprove(c *call, in bulkInput) (bulkOut, error) {
	return s.bulkApprove(c.Request(), c.Actor, in.TaskIDs, in.Comment)
}
