package web

import (
	"net/http"

	"labflow/internal/domain"
	"labflow/internal/people"
)

// The language switch (POST /lang).

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
