package web

import (
	"net/http"
	"strings"

	"labflow/internal/domain"
)

// Signing in and out (/login, /logout).

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
		s.render(w, r, &loginPage{Next: next})
		return
	}
	// The plain login page is the same for every anonymous visitor in a
	// language, and the page most often requested: render it once.
	lang := s.lang(r)
	if b, ok := s.loginPage.Load(lang); ok {
		writeHTML(w, b.([]byte))
		return
	}
	b, err := s.renderBytes(r, lang, &loginPage{Next: next})
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
		s.render(w, r, &loginPage{Next: next, Error: msg, Username: username})
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

// loginPage is the sign-in form.
type loginPage struct {
	Page
	Next, Error, Username string
}

func (*loginPage) template() string { return "login" }
