package web

import (
	"net/http"
)

// The /notifications page.

func (s *Server) uiNotifications(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	unread := r.URL.Query().Get("unread") == "true"
	ns, err := s.notifications(r, a, unread, 200)
	if err != nil {
		return err
	}
	var unreadIDs []int64
	for _, n := range ns {
		if !n.Read {
			unreadIDs = append(unreadIDs, n.ID)
		}
	}
	s.render(w, r, &notificationsPage{Notifications: ns, UnreadIDs: unreadIDs, UnreadOnly: unread})
	return nil
}

func (s *Server) uiMarkRead(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	ids := formIDs(r, "id")
	if len(ids) > 0 {
		if err := s.Flow.MarkRead(r.Context(), a, ids); err != nil {
			return err
		}
	}
	next := safeNext(r.PostFormValue("next"))
	if next == "/" {
		next = "/notifications"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// notificationsPage lists one's notifications.
type notificationsPage struct {
	Page
	Notifications []notificationOut
	UnreadIDs     []int64
	UnreadOnly    bool
}

func (*notificationsPage) template() string { return "notifications" }
