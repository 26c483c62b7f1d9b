package web

import (
	"net/http"
	"strconv"
	"strings"

	"labflow/internal/domain"
	"labflow/internal/notify"
)

// ---------- /account/notices: one's own channels ----------

// noticesAccountPage is one's own channels; Notice is an i18n key.
type noticesAccountPage struct {
	Page
	formState
	Prefs notify.Prefs
}

func (*noticesAccountPage) template() string { return "notices_account" }

// noticesAdminPage is the administrator's notices page: settings, robots
// and deliveries. Notice is an i18n key; Form names the form an error
// belongs to; TestError why a test notice was not sent.
type noticesAdminPage struct {
	Page
	formState
	Form       string
	TestError  string
	Settings   notify.Settings
	Robots     []robotRow
	Deliveries notify.DeliveryList
	States     string
	Platforms  []string
	AllStates  []string
}

func (*noticesAdminPage) template() string { return "notices_admin" }

func (s *Server) uiMyNotices(w http.ResponseWriter, r *http.Request) error {
	return s.renderMyNotices(w, r, &noticesAccountPage{})
}

func (s *Server) renderMyNotices(w http.ResponseWriter, r *http.Request, p *noticesAccountPage) error {
	a, _ := actor(r)
	prefs, err := s.Notices.Prefs(r.Context(), a)
	if err != nil {
		return err
	}
	p.Prefs = prefs
	s.render(w, r, p)
	return nil
}

func (s *Server) uiSetMyNotices(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	in := notify.PrefsInput{Email: r.PostFormValue("email") == "1", Chat: r.PostFormValue("chat") == "1"}
	if _, err := s.Notices.SetPrefs(r.Context(), a, in); err != nil {
		return err
	}
	return s.renderMyNotices(w, r, &noticesAccountPage{formState: formState{Notice: "notice.prefs_saved"}})
}

// ---------- /admin/notices: settings, robots, deliveries ----------

func (s *Server) uiNotices(w http.ResponseWriter, r *http.Request) error {
	return s.renderNotices(w, r, &noticesAdminPage{})
}

// robotRow is one department on the robots table: its robot, if any.
type robotRow struct {
	Department domain.Department
	Robot      notify.Robot
	Has        bool
}

func (s *Server) renderNotices(w http.ResponseWriter, r *http.Request, p *noticesAdminPage) error {
	a, _ := actor(r)
	ctx := r.Context()
	st, err := s.Notices.Settings(ctx, a)
	if err != nil {
		return err
	}
	robots, err := s.Notices.Robots(ctx, a)
	if err != nil {
		return err
	}
	depts, err := s.People.Departments(ctx, false)
	if err != nil {
		return err
	}
	byDept := map[int64]notify.Robot{}
	for _, x := range robots {
		byDept[x.DepartmentID] = x
	}
	rows := make([]robotRow, 0, len(depts))
	for _, d := range depts {
		x, ok := byDept[d.ID]
		rows = append(rows, robotRow{Department: d, Robot: x, Has: ok})
	}
	states := deliveryStates(r)
	if r.URL.Query().Get("state") == "" {
		states = []string{"failed", "pending", "sending"}
	}
	list, err := s.Notices.Deliveries(ctx, a, states, 200)
	if err != nil {
		return err
	}
	p.Settings, p.Robots, p.Deliveries, p.States = st, rows, list, strings.Join(states, ",")
	p.Platforms, p.AllStates = notify.Platforms, notify.DeliveryStates
	if p.Errors == nil {
		p.Errors = map[string]string{}
	}
	s.render(w, r, p)
	return nil
}

// noticeFormError shows a refusal on the notices page, beside its field in
// the form named by form.
func (s *Server) noticeFormError(w http.ResponseWriter, r *http.Request, err error, form string) error {
	return s.formError(w, r, err, func(fe map[string]string, msg string) error {
		return s.renderNotices(w, r, &noticesAdminPage{formState: failed(fe, msg), Form: form})
	})
}

func (s *Server) uiSetNoticeSettings(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	port, _ := strconv.Atoi(strings.TrimSpace(r.PostFormValue("smtp_port")))
	in := notify.SettingsInput{BaseURL: r.PostFormValue("base_url"), Reason: r.PostFormValue("reason"), SMTP: notify.SMTPInput{
		Enabled: r.PostFormValue("smtp_enabled") == "1", Host: r.PostFormValue("smtp_host"), Port: port, TLS: r.PostFormValue("smtp_tls"),
		From: r.PostFormValue("smtp_from"), Username: r.PostFormValue("smtp_username"), Password: r.PostFormValue("smtp_password"),
		ClearPassword: r.PostFormValue("smtp_clear_password") == "1"}}
	if _, err := s.Notices.SetSettings(r.Context(), a, in); err != nil {
		return s.noticeFormError(w, r, err, "settings")
	}
	return s.renderNotices(w, r, &noticesAdminPage{formState: formState{Notice: "notice.settings_saved"}})
}

func (s *Server) uiSetRobot(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.department")
	if err != nil {
		return err
	}
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	in := notify.RobotInput{Platform: r.PostFormValue("platform"), Webhook: r.PostFormValue("webhook"), Secret: r.PostFormValue("secret"),
		ClearSecret: r.PostFormValue("clear_secret") == "1", Enabled: r.PostFormValue("enabled") == "1", Reason: r.PostFormValue("reason")}
	if _, err := s.Notices.SetRobot(r.Context(), a, id, in); err != nil {
		return s.noticeFormError(w, r, err, "robot-"+strconv.FormatInt(id, 10))
	}
	return s.renderNotices(w, r, &noticesAdminPage{formState: formState{Notice: "notice.robot_saved"}})
}

func (s *Server) uiTestNotice(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	in := notify.TestInput{Email: strings.TrimSpace(r.PostFormValue("email"))}
	in.DepartmentID, _ = strconv.ParseInt(r.PostFormValue("department_id"), 10, 64)
	res, err := s.Notices.Test(r.Context(), a, in)
	if err != nil {
		return s.noticeFormError(w, r, err, "test")
	}
	if !res.Sent {
		w.WriteHeader(http.StatusOK)
		return s.renderNotices(w, r, &noticesAdminPage{TestError: res.Error})
	}
	return s.renderNotices(w, r, &noticesAdminPage{formState: formState{Notice: "notice.test_sent"}})
}

func (s *Server) uiRetryDelivery(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.delivery")
	if err != nil {
		return err
	}
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	if _, err := s.Notices.Retry(r.Context(), a, id, r.PostFormValue("reason")); err != nil {
		return s.noticeFormError(w, r, err, "retry-"+strconv.FormatInt(id, 10))
	}
	return s.renderNotices(w, r, &noticesAdminPage{formState: formState{Notice: "notice.retry_done"}})
}
