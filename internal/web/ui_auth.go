package web

import (
	"net/http"
	"strings"
	"time"

	"labflow/internal/domain"
	"labflow/internal/people"
)

// safeNext keeps post-login redirects on this site: only local absolute
// paths are followed ("//evil.example" and "https://…" are not).
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Server) uiLoginPage(w http.ResponseWriter, r *http.Request) {
	if _, err := actor(r); err == nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	next := safeNext(r.URL.Query().Get("next"))
	if next != "/" || r.URL.RawQuery != "" {
		s.render(w, r, "login", map[string]any{"Next": next})
		return
	}
	// The plain login page is the same for every anonymous visitor in a
	// language, and the page most often requested: render it once.
	lang := s.lang(r)
	if b, ok := s.loginPage.Load(lang); ok {
		writeHTML(w, b.([]byte))
		return
	}
	b, err := s.renderBytes(r, lang, "login", map[string]any{"Next": next})
	if err != nil {
		s.writeError(w, r, domain.Wrap("web.login", err))
		return
	}
	s.loginPage.Store(lang, b)
	writeHTML(w, b)
}

func (s *Server) uiLogin(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	username, password := r.PostFormValue("username"), r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	sess, err := s.Auth.Login(r.Context(), username, password, clientIP(r), r.UserAgent())
	if err != nil {
		if serverFault(err) {
			s.writeError(w, r, err)
			return
		}
		_, msg := s.fieldErrors(r, err)
		w.WriteHeader(statusOf[domain.ErrorKind(err)])
		s.render(w, r, "login", map[string]any{"Next": next, "Error": msg, "Username": username})
		return
	}
	noteUser(r.Context(), sess.Actor.Username)
	s.setSessionCookie(w, sess.Token, sess.ExpiresAt)
	if sess.Actor.MustChangePassword {
		next = "/account" // nothing else is open until the temporary password is changed
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *Server) uiLogout(w http.ResponseWriter, r *http.Request) {
	if t := sessionToken(r.Context()); t != "" {
		if err := s.Auth.Logout(r.Context(), t); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// uiSetLang switches the UI language: it is remembered in a cookie and, for
// a signed-in user, saved as their setting.
func (s *Server) uiSetLang(w http.ResponseWriter, r *http.Request) {
	lang := r.PostFormValue("lang")
	if lang != "zh" && lang != "en" {
		s.writeError(w, r, fieldErr(domain.KindInvalid, "web.lang", "error.invalid", "lang", "field.bad_choice"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: "lang", Value: lang, Path: "/", MaxAge: 365 * 24 * 3600, SameSite: http.SameSiteLaxMode, HttpOnly: true, Secure: s.SecureCookies})
	if a, err := actor(r); err == nil && a.Lang != lang {
		if _, err := s.People.UpdatePerson(r.Context(), a, a.ID, people.PersonUpdate{Lang: &lang}, ""); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (s *Server) uiHome(w http.ResponseWriter, r *http.Request) error {
	s.render(w, r, "home", nil)
	return nil
}

func (s *Server) uiAccount(w http.ResponseWriter, r *http.Request) error {
	return s.renderAccount(w, r, nil)
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, data map[string]any) error {
	a, _ := actor(r)
	ts, err := s.Auth.Tokens(r.Context(), a, a.ID)
	if err != nil {
		return err
	}
	if data == nil {
		data = map[string]any{}
	}
	data["Tokens"] = ts
	s.render(w, r, "account", data)
	return nil
}

func (s *Server) uiChangePassword(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	err := s.Auth.ChangePassword(r.Context(), a, r.PostFormValue("old_password"), r.PostFormValue("new_password"))
	if err != nil && !serverFault(err) {
		fe, msg := s.fieldErrors(r, err)
		w.WriteHeader(statusOf[domain.ErrorKind(err)])
		return s.renderAccount(w, r, map[string]any{"Errors": fe, "Error": msg})
	}
	if err != nil {
		return err
	}
	// The password is now the owner's own: the page shows the account as
	// it is from now on (the actor was loaded before the change).
	a.MustChangePassword = false
	r = r.WithContext(domain.WithActor(r.Context(), a))
	return s.renderAccount(w, r, map[string]any{"Notice": "account.password_changed"})
}

func (s *Server) uiCreateToken(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	secret, _, err := s.Auth.CreateToken(r.Context(), a, a.ID, r.PostFormValue("name"))
	if err != nil && !serverFault(err) {
		fe, msg := s.fieldErrors(r, err)
		w.WriteHeader(statusOf[domain.ErrorKind(err)])
		return s.renderAccount(w, r, map[string]any{"Errors": fe, "Error": msg})
	}
	if err != nil {
		return err
	}
	return s.renderAccount(w, r, map[string]any{"NewToken": secret})
}

func (s *Server) uiRevokeToken(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.token")
	if err != nil {
		return err
	}
	if err := s.Auth.RevokeToken(r.Context(), a, id); err != nil {
		return err
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
	return nil
}

var _ = time.Now
