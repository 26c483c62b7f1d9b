package notify

import (
	"context"
	"net"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/store"
)

// The SMTP connection security choices.
const (
	TLSStartTLS = "starttls" // plain connection upgraded by STARTTLS (port 587)
	TLSImplicit = "tls"      // TLS from the first byte (port 465)
	TLSNone     = "none"     // no encryption: a relay on the same host or network only
)

// SMTP is the mail server as the administrator sees it: the password is
// never shown, only whether one is set.
type SMTP struct {
	Enabled     bool   `json:"enabled"`
	Host        string `json:"host"`
	Port        int    `json:"port"`
	TLS         string `json:"tls"`
	From        string `json:"from"`
	Username    string `json:"username"`
	PasswordSet bool   `json:"password_set"`
}

// Settings are the notice settings as the administrator sees them.
type Settings struct {
	// BaseURL is the address people reach LabFlow at; e-mail and chat
	// notices link to the request there.
	BaseURL   string    `json:"base_url"`
	SMTP      SMTP      `json:"smtp"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// SMTPInput is what the administrator enters for the mail server. An empty
// Password keeps the one stored; ClearPassword removes it.
type SMTPInput struct {
	Enabled       bool   `json:"enabled"`
	Host          string `json:"host"`
	Port          int    `json:"port,omitempty"`
	TLS           string `json:"tls,omitempty"`
	From          string `json:"from"`
	Username      string `json:"username,omitempty"`
	Password      string `json:"password,omitempty"`
	ClearPassword bool   `json:"clear_password,omitempty"`
}

// SettingsInput is what the administrator saves.
type SettingsInput struct {
	BaseURL string    `json:"base_url"`
	SMTP    SMTPInput `json:"smtp"`
	Reason  string    `json:"reason,omitempty"`
}

func settingsOut(s store.NoticeSettings) Settings {
	return Settings{BaseURL: s.BaseURL, UpdatedAt: s.UpdatedAt, SMTP: SMTP{Enabled: s.SMTPEnabled, Host: s.SMTPHost, Port: s.SMTPPort,
		TLS: s.SMTPTLS, From: s.SMTPFrom, Username: s.SMTPUsername, PasswordSet: s.SMTPPassword != ""}}
}

// Settings returns the notice settings; KindForbidden but for the administrator.
func (s *Service) Settings(ctx context.Context, actor domain.Actor) (Settings, error) {
	if !actor.IsAdmin() {
		return Settings{}, domain.Forbidden("notify.Settings")
	}
	st, err := store.NoticeSettingsOf(ctx, s.db.R())
	return settingsOut(st), err
}

const (
	maxReason = 1000
	maxURL    = 2000
)

// SetSettings saves the notice settings (administrator; audited as
// "notice.settings", the password only as set or changed). KindInvalid
// names each bad field: base_url, smtp.host, smtp.port, smtp.tls,
// smtp.from, smtp.username, smtp.password.
func (s *Service) SetSettings(ctx context.Context, actor domain.Actor, in SettingsInput) (Settings, error) {
	const op = "notify.SetSettings"
	if !actor.IsAdmin() {
		return Settings{}, domain.Forbidden(op)
	}
	in.BaseURL = strings.TrimRight(strings.TrimSpace(in.BaseURL), "/")
	m := &in.SMTP
	m.Host, m.From, m.Username, m.TLS = strings.TrimSpace(m.Host), strings.TrimSpace(m.From), strings.TrimSpace(m.Username), strings.TrimSpace(m.TLS)
	if m.TLS == "" {
		m.TLS = TLSStartTLS
	}
	if m.Port == 0 {
		m.Port = map[string]int{TLSStartTLS: 587, TLSImplicit: 465, TLSNone: 25}[m.TLS]
	}
	var c domain.Checker
	checkBaseURL(&c, in.BaseURL)
	c.Text("reason", in.Reason, false, maxReason)
	c.OneOf("smtp.tls", m.TLS, TLSStartTLS, TLSImplicit, TLSNone)
	if m.Port < 1 || m.Port > 65535 {
		c.Add("smtp.port", "notice.bad_port")
	}
	if m.Host != "" && (strings.ContainsAny(m.Host, " /:@") && net.ParseIP(strings.Trim(m.Host, "[]")) == nil || len(m.Host) > 253) {
		c.Add("smtp.host", "notice.bad_host")
	}
	if m.From != "" {
		if a, err := mail.ParseAddress(m.From); err != nil || len(m.From) > 320 || strings.ContainsAny(a.Address, "\r\n") {
			c.Add("smtp.from", "notice.bad_from")
		}
	}
	c.Text("smtp.username", m.Username, false, 200)
	c.Text("smtp.password", m.Password, false, 500)
	if m.Enabled {
		if m.Host == "" {
			c.Add("smtp.host", "field.required")
		}
		if m.From == "" {
			c.Add("smtp.from", "field.required")
		}
	}
	if err := c.Err(op); err != nil {
		return Settings{}, err
	}
	var out store.NoticeSettings
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		old, err := store.NoticeSettingsOf(tx.Context(), tx)
		if err != nil {
			return err
		}
		next := store.NoticeSettings{BaseURL: in.BaseURL, SMTPEnabled: m.Enabled, SMTPHost: m.Host, SMTPPort: m.Port, SMTPTLS: m.TLS,
			SMTPFrom: m.From, SMTPUsername: m.Username, SMTPPassword: old.SMTPPassword}
		switch {
		case m.ClearPassword:
			next.SMTPPassword = ""
		case m.Password != "":
			next.SMTPPassword = m.Password
		}
		if next.SMTPUsername != "" && next.SMTPTLS == TLSNone && !isLocal(next.SMTPHost) {
			// net/smtp, like any careful client, never sends a password in
			// the clear to another machine: say so now, not at the first notice.
			var c domain.Checker
			c.Add("smtp.tls", "notice.auth_needs_tls")
			return c.Err(op)
		}
		changes := settingsChanges(old, next)
		out = next
		if len(changes) == 0 {
			out = old
			return nil
		}
		if err := tx.SetNoticeSettings(next, actor.ID); err != nil {
			return err
		}
		out.UpdatedAt, out.UpdatedBy = tx.Now(), actor.ID
		return tx.Audit(entry(actor, "notice.settings", "notice_settings", "1", changes, in.Reason))
	})
	if err != nil {
		return Settings{}, domain.Wrap(op, err)
	}
	return settingsOut(out), nil
}

// settingsChanges lists what differs, never a password's value.
func settingsChanges(old, next store.NoticeSettings) []audit.Change {
	var out []audit.Change
	add := func(field string, o, n any) {
		if o != n {
			out = append(out, audit.Change{Field: field, Old: o, New: n})
		}
	}
	add("base_url", old.BaseURL, next.BaseURL)
	add("smtp_enabled", old.SMTPEnabled, next.SMTPEnabled)
	add("smtp_host", old.SMTPHost, next.SMTPHost)
	add("smtp_port", old.SMTPPort, next.SMTPPort)
	add("smtp_tls", old.SMTPTLS, next.SMTPTLS)
	add("smtp_from", old.SMTPFrom, next.SMTPFrom)
	add("smtp_username", old.SMTPUsername, next.SMTPUsername)
	if old.SMTPPassword != next.SMTPPassword {
		c := audit.Change{Field: "smtp_password", New: "changed"}
		switch {
		case next.SMTPPassword == "":
			c.New = "removed"
		case old.SMTPPassword == "":
			c.New = "set"
		}
		out = append(out, c)
	}
	return out
}

func checkBaseURL(c *domain.Checker, v string) {
	if v == "" {
		return
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || len(v) > maxURL {
		c.Add("base_url", "notice.bad_base_url")
	}
}

func isLocal(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// ---- Robots ----

// Robot is a department's group robot as the administrator sees it: the
// webhook address only masked (it holds the robot's token), the secret
// only as set or not.
type Robot struct {
	DepartmentID int64     `json:"department_id"`
	Department   string    `json:"department"`
	DepartmentEN string    `json:"department_en"`
	Platform     string    `json:"platform"`
	Webhook      string    `json:"webhook"` // masked
	SecretSet    bool      `json:"secret_set"`
	Enabled      bool      `json:"enabled"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// RobotInput is what the administrator enters for a department's robot.
// An empty Webhook or Secret keeps the one stored (for the same platform);
// ClearSecret removes the secret.
type RobotInput struct {
	Platform    string `json:"platform"`
	Webhook     string `json:"webhook,omitempty"`
	Secret      string `json:"secret,omitempty"`
	ClearSecret bool   `json:"clear_secret,omitempty"`
	Enabled     bool   `json:"enabled"`
	Reason      string `json:"reason,omitempty"`
}

// Mask shows enough of a webhook address to recognise it — scheme, host,
// path and the last four characters — and nothing of its token.
func Mask(webhook string) string {
	u, err := url.Parse(webhook)
	if err != nil || u.Host == "" {
		return "…"
	}
	tail := webhook
	if len(tail) > 4 {
		tail = tail[len(tail)-4:]
	}
	path := u.Path
	if i := strings.Index(path, "/hook/"); i >= 0 {
		path = path[:i+len("/hook/")]
	}
	return u.Scheme + "://" + u.Host + path + "…" + tail
}

func (s *Service) robotOut(ctx context.Context, r store.NoticeRobot) Robot {
	out := Robot{DepartmentID: r.DepartmentID, Platform: r.Platform, Webhook: Mask(r.Webhook), SecretSet: r.Secret != "", Enabled: r.Enabled, UpdatedAt: r.UpdatedAt}
	if d, err := s.dir.Department(ctx, r.DepartmentID); err == nil {
		out.Department, out.DepartmentEN = d.NameZH, d.NameEN
	}
	return out
}

// Robots lists the departments' robots; KindForbidden but for the administrator.
func (s *Service) Robots(ctx context.Context, actor domain.Actor) ([]Robot, error) {
	if !actor.IsAdmin() {
		return nil, domain.Forbidden("notify.Robots")
	}
	rs, err := store.FindNoticeRobots(ctx, s.db.R())
	if err != nil {
		return nil, err
	}
	out := make([]Robot, 0, len(rs))
	for _, r := range rs {
		out = append(out, s.robotOut(ctx, r))
	}
	return out, nil
}

// checkWebhook checks a webhook address against what its platform's
// robots are given: DingTalk's carries access_token, WeCom's key, Feishu's
// (and Lark's) path ends in /hook/ID.
func checkWebhook(c *domain.Checker, platform, v string) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(v) > maxURL {
		c.Add("webhook", "notice.bad_webhook")
		return
	}
	ok := true
	switch platform {
	case ChannelDingTalk:
		ok = u.Query().Get("access_token") != ""
	case ChannelWeCom:
		ok = u.Query().Get("key") != ""
	case ChannelFeishu:
		i := strings.Index(u.Path, "/hook/")
		ok = i >= 0 && len(u.Path) > i+len("/hook/")
	}
	if !ok {
		c.Add("webhook", "notice.webhook_"+platform)
	}
}

// SetRobot sets a department's group robot (administrator; audited as
// "notice.robot", the address masked and the secret only as set or
// changed). A robot is disabled, never deleted. KindInvalid names the bad
// field: platform, webhook, secret; KindNotFound for no such department.
func (s *Service) SetRobot(ctx context.Context, actor domain.Actor, departmentID int64, in RobotInput) (Robot, error) {
	const op = "notify.SetRobot"
	if !actor.IsAdmin() {
		return Robot{}, domain.Forbidden(op)
	}
	if _, err := s.dir.Department(ctx, departmentID); err != nil {
		return Robot{}, err
	}
	in.Platform, in.Webhook, in.Secret = strings.TrimSpace(in.Platform), strings.TrimSpace(in.Webhook), strings.TrimSpace(in.Secret)
	var c domain.Checker
	c.OneOf("platform", in.Platform, Platforms...)
	c.Text("reason", in.Reason, false, maxReason)
	c.Text("secret", in.Secret, false, 500)
	if in.Platform == ChannelWeCom && in.Secret != "" {
		c.Add("secret", "notice.wecom_no_secret")
	}
	if in.Webhook != "" && !c.Has("platform") {
		checkWebhook(&c, in.Platform, in.Webhook)
	}
	if err := c.Err(op); err != nil {
		return Robot{}, err
	}
	var out store.NoticeRobot
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		old, err := store.NoticeRobotOf(tx.Context(), tx, departmentID)
		if err != nil && !domain.IsKind(err, domain.KindNotFound) {
			return err
		}
		next := store.NoticeRobot{DepartmentID: departmentID, Platform: in.Platform, Webhook: in.Webhook, Secret: in.Secret, Enabled: in.Enabled}
		same := old.ID != 0 && old.Platform == in.Platform
		if next.Webhook == "" && same {
			next.Webhook = old.Webhook
		}
		if next.Secret == "" && same && !in.ClearSecret {
			next.Secret = old.Secret
		}
		if next.Webhook == "" {
			var c domain.Checker
			c.Add("webhook", "field.required")
			return c.Err(op)
		}
		var changes []audit.Change
		add := func(field string, o, n any) {
			if o != n {
				changes = append(changes, audit.Change{Field: field, Old: o, New: n})
			}
		}
		oldHook := ""
		if old.Webhook != "" {
			oldHook = Mask(old.Webhook)
		}
		add("platform", old.Platform, next.Platform)
		if old.Webhook != next.Webhook {
			changes = append(changes, audit.Change{Field: "webhook", Old: oldHook, New: Mask(next.Webhook)})
		}
		if old.Secret != next.Secret {
			changes = append(changes, audit.Change{Field: "secret", Old: old.Secret != "", New: next.Secret != ""})
		}
		add("enabled", old.Enabled, next.Enabled)
		if len(changes) == 0 {
			out = old
			return nil
		}
		if out, err = tx.PutNoticeRobot(next); err != nil {
			return err
		}
		return tx.Audit(entry(actor, "notice.robot", "department", idText(departmentID), changes, in.Reason))
	})
	if err != nil {
		return Robot{}, domain.Wrap(op, err)
	}
	return s.robotOut(ctx, out), nil
}

// ---- Each person's channels ----

// Prefs are the channels a person receives notices on besides in-app,
// and whether each can reach them now.
type Prefs struct {
	Email bool `json:"email"`
	Chat  bool `json:"chat"`
	// EmailAddress is where e-mail goes (the person's record); EmailReady
	// says whether the administrator set up mail and the address exists.
	EmailAddress string `json:"email_address"`
	EmailReady   bool   `json:"email_ready"`
	// ChatPlatform is the robot of the person's department ("" for none);
	// ChatReady says whether it is enabled.
	ChatPlatform string `json:"chat_platform"`
	ChatReady    bool   `json:"chat_ready"`
}

// PrefsInput is what a person chooses.
type PrefsInput struct {
	Email bool `json:"email"`
	Chat  bool `json:"chat"`
}

// Prefs returns actor's own channels.
func (s *Service) Prefs(ctx context.Context, actor domain.Actor) (Prefs, error) {
	if actor.ID <= 0 {
		return Prefs{}, domain.Forbidden("notify.Prefs")
	}
	p, err := store.NoticePrefsOf(ctx, s.db.R(), actor.ID)
	if err != nil {
		return Prefs{}, err
	}
	me, err := s.dir.Person(ctx, actor.ID)
	if err != nil {
		return Prefs{}, err
	}
	st, err := store.NoticeSettingsOf(ctx, s.db.R())
	if err != nil {
		return Prefs{}, err
	}
	out := Prefs{Email: p.Email, Chat: p.Chat, EmailAddress: me.Email, EmailReady: st.SMTPEnabled && me.Email != ""}
	if me.DepartmentID != 0 {
		r, err := store.NoticeRobotOf(ctx, s.db.R(), me.DepartmentID)
		if err != nil && !domain.IsKind(err, domain.KindNotFound) {
			return Prefs{}, err
		}
		out.ChatPlatform, out.ChatReady = r.Platform, r.Enabled
	}
	return out, nil
}

// SetPrefs saves actor's own channels (audited as "notice.prefs" on the
// person). Nobody sets another's: there is no such method.
func (s *Service) SetPrefs(ctx context.Context, actor domain.Actor, in PrefsInput) (Prefs, error) {
	const op = "notify.SetPrefs"
	if actor.ID <= 0 {
		return Prefs{}, domain.Forbidden(op)
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		old, err := store.NoticePrefsOf(tx.Context(), tx, actor.ID)
		if err != nil {
			return err
		}
		var changes []audit.Change
		if old.Email != in.Email {
			changes = append(changes, audit.Change{Field: "email", Old: old.Email, New: in.Email})
		}
		if old.Chat != in.Chat {
			changes = append(changes, audit.Change{Field: "chat", Old: old.Chat, New: in.Chat})
		}
		if len(changes) == 0 {
			return nil
		}
		if err := tx.SetNoticePrefs(store.NoticePrefs{PersonID: actor.ID, Email: in.Email, Chat: in.Chat}); err != nil {
			return err
		}
		return tx.Audit(entry(actor, "notice.prefs", "person", idText(actor.ID), changes, ""))
	})
	if err != nil {
		return Prefs{}, domain.Wrap(op, err)
	}
	return s.Prefs(ctx, actor)
}
