package web

import (
	"net/http"
	"strings"

	"labflow/internal/notify"
)

// noticeRoutes registers the notice settings, each person's channels and
// the deliveries (issue 9 item 4): the API and the pages. The service
// decides who may do what (the administrator; everyone their own channels).
func (s *Server) noticeRoutes() {
	m := s.mux
	s.api("GET /api/v1/me/notices", s.apiMyNotices, doc{Summary: "The channels one receives notices on besides in-app (e-mail, the department's chat robot)", Out: notify.Prefs{}})
	s.api("PUT /api/v1/me/notices", s.apiSetMyNotices, doc{Summary: "Choose one's channels (audited)", In: notify.PrefsInput{}, Out: notify.Prefs{}})
	s.api("GET /api/v1/admin/notices", s.apiNoticeSettings, doc{Summary: "Notice settings: the SMTP server and LabFlow's address for links (administrator; the password is never shown)", Out: notify.Settings{}})
	s.api("PUT /api/v1/admin/notices", s.apiSetNoticeSettings, doc{Summary: "Save the notice settings (administrator; audited; an empty password keeps the stored one)", In: notify.SettingsInput{}, Out: notify.Settings{}})
	s.api("GET /api/v1/admin/notices/robots", s.apiRobots, doc{Summary: "The departments' DingTalk, WeCom and Feishu group robots (administrator; addresses masked)", Out: []notify.Robot{}})
	s.api("PUT /api/v1/admin/notices/robots/{id}", s.apiSetRobot, doc{Summary: "Set the group robot of the department {id} (administrator; audited; enabled false disables it)", In: notify.RobotInput{}, Out: notify.Robot{}})
	s.api("POST /api/v1/admin/notices/test", s.apiTestNotice, doc{Summary: "Send a test notice to an e-mail address or a department's robot now (administrator)", In: notify.TestInput{}, Out: notify.TestResult{}})
	s.api("GET /api/v1/admin/deliveries", s.apiDeliveries, doc{Summary: "Deliveries of notices by e-mail and chat, newest first, with the count of each state (administrator); state=failed,pending narrows",
		Out: notify.DeliveryList{}, Query: queryNames("state", "limit")})
	s.api("POST /api/v1/admin/deliveries/{id}/retry", s.apiRetryDelivery, doc{Summary: "Send a failed delivery again (administrator; audited; a delivery sent is never sent twice)", In: retryInput{}, Out: notify.Delivery{}})

	m.HandleFunc("GET /account/notices", s.page(s.uiMyNotices))
	m.HandleFunc("POST /account/notices", s.page(s.uiSetMyNotices))
	m.HandleFunc("GET /admin/notices", s.page(s.uiNotices))
	m.HandleFunc("POST /admin/notices", s.page(s.uiSetNoticeSettings))
	m.HandleFunc("POST /admin/notices/robots/{id}", s.page(s.uiSetRobot))
	m.HandleFunc("POST /admin/notices/test", s.page(s.uiTestNotice))
	m.HandleFunc("POST /admin/deliveries/{id}/retry", s.page(s.uiRetryDelivery))
}

func (s *Server) apiMyNotices(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	out, err := s.Notices.Prefs(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiSetMyNotices(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	var in notify.PrefsInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.Notices.SetPrefs(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiNoticeSettings(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	out, err := s.Notices.Settings(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiSetNoticeSettings(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	var in notify.SettingsInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.Notices.SetSettings(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiRobots(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	out, err := s.Notices.Robots(r.Context(), a)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiSetRobot(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.department")
	if err != nil {
		return err
	}
	var in notify.RobotInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.Notices.SetRobot(r.Context(), a, id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiTestNotice(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	var in notify.TestInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	out, err := s.Notices.Test(r.Context(), a, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// deliveryStates reads the states a delivery list is narrowed to
// (state=failed,pending or repeated).
func deliveryStates(r *http.Request) []string {
	var out []string
	for _, v := range r.URL.Query()["state"] {
		for _, st := range strings.Split(v, ",") {
			if st = strings.TrimSpace(st); st != "" {
				out = append(out, st)
			}
		}
	}
	return out
}

func (s *Server) apiDeliveries(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	limit, err := queryInt(r, "limit", 100)
	if err != nil {
		return err
	}
	out, err := s.Notices.Deliveries(r.Context(), a, deliveryStates(r), int(min(max(limit, 1), 1000)))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type retryInput struct {
	Reason string `json:"reason,omitempty"`
}

func (s *Server) apiRetryDelivery(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.delivery")
	if err != nil {
		return err
	}
	var in retryInput
	if r.ContentLength != 0 { // the body is optional
		if err := decodeJSON(w, r, &in); err != nil {
			return err
		}
	}
	out, err := s.Notices.Retry(r.Context(), a, id, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
