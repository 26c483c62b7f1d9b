package web

import (
	"net/http"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/i18n"
)

// The JSON API of in-app notifications.

type notificationOut struct {
	flow.Notification
	Text string `json:"text"`
	Read bool   `json:"read"`
}

// notificationText renders a notification in lang from the UI catalog
// ("flowui.notify.KIND"), with the instance title and step.
func notificationText(lang string, n flow.Notification) string {
	args := map[string]any{"title": "", "step": ""}
	for k, v := range n.Args {
		args[k] = v
	}
	if lang == i18n.EN {
		if v, ok := n.Args["step_en"].(string); ok && v != "" {
			args["step"] = v
		}
	}
	if lang == i18n.EN {
		if v, ok := n.Args["outcome_en"].(string); ok && v != "" {
			args["outcome"] = v
		}
	}
	key := "flowui.notify." + n.Kind
	if _, ok := n.Args["outcome"]; ok && i18n.Has(lang, key+".outcome") {
		// The request ended with a named outcome: "已办结（转正）：…".
		key += ".outcome"
	}
	if !i18n.Has(lang, key) {
		key = "flowui.notify.other"
	}
	return i18n.T(lang, key, args)
}

func (s *Server) notifications(r *http.Request, a domain.Actor, unread bool, limit int) ([]notificationOut, error) {
	ns, err := s.Flow.Notifications(r.Context(), a, unread, limit)
	if err != nil {
		return nil, err
	}
	lang := s.lang(r)
	out := make([]notificationOut, 0, len(ns))
	for _, n := range ns {
		out = append(out, notificationOut{Notification: n, Text: notificationText(lang, n), Read: !n.ReadAt.IsZero()})
	}
	return out, nil
}

func (s *Server) apiNotifications(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	limit, err := queryInt(r, "limit", 100)
	if err != nil {
		return err
	}
	out, err := s.notifications(r, a, r.URL.Query().Get("unread") == "true", int(min(max(limit, 1), 500)))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type readInput struct {
	IDs []int64 `json:"ids"`
}

func (s *Server) apiMarkRead(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	var in readInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if len(in.IDs) > 1000 {
		return fieldErr(domain.KindInvalid, "web.markRead", "error.invalid", "ids", "field.too_long")
	}
	if err := s.Flow.MarkRead(r.Context(), a, in.IDs); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
