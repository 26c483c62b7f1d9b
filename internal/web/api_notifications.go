package web

import (
	"net/http"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/notify"
)

// The JSON API of in-app notifications.

type notificationOut struct {
	flow.Notification
	Text string `json:"text"`
	Read bool   `json:"read"`
}

func (s *Server) notifications(r *http.Request, a domain.Actor, unread bool, limit int) ([]notificationOut, error) {
	ns, err := s.Flow.Notifications(r.Context(), a, unread, limit)
	if err != nil {
		return nil, err
	}
	lang := s.lang(r)
	out := make([]notificationOut, 0, len(ns))
	for _, n := range ns {
		out = append(out, notificationOut{Notification: n, Text: notify.Text(lang, n), Read: !n.ReadAt.IsZero()})
	}
	return out, nil
}

// notificationsQuery is what GET /api/v1/notifications reads.
type notificationsQuery struct {
	Unread bool  `json:"-" query:"unread"`
	Limit  int64 `json:"-" query:"limit" default:"100"`
}

func (s *Server) apiNotifications(c *call, q notificationsQuery) ([]notificationOut, error) {
	return s.notifications(c.Request(), c.Actor, q.Unread, int(min(max(q.Limit, 1), 500)))
}

type readInput struct {
	IDs []int64 `json:"ids"`
}

func (s *Server) apiMarkRead(c *call, in readInput) (none, error) {
	if len(in.IDs) > 1000 {
		return none{}, fieldErr(domain.KindInvalid, "web.markRead", "error.invalid", "ids", "field.too_long")
	}
	return none{}, s.Flow.MarkRead(c.Context(), c.Actor, in.IDs)
}
