package web

import (
	"net/http"
	"time"

	"labflow/internal/domain"
)

// The JSON API of sessions: signing in and out, the signed-in person.

type loginInput struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type meOutput struct {
	ID       int64          `json:"id"`
	Username string         `json:"username"`
	Name     string         `json:"name"`
	Lang     string         `json:"lang"`
	Roles    []domain.Grant `json:"roles"`
	// MustChangePassword is true while the password is temporary (set by
	// someone else): until it is changed (POST /api/v1/me/password) every
	// other route answers 403 auth.password_change_required.
	MustChangePassword bool      `json:"must_change_password"`
	SessionUntil       time.Time `json:"session_until,omitzero"`
}

func meOf(a domain.Actor) meOutput {
	return meOutput{ID: a.ID, Username: a.Username, Name: a.Name, Lang: a.Lang, Roles: a.Grants, MustChangePassword: a.MustChangePassword}
}

func (s *Server) apiLogin(w http.ResponseWriter, r *http.Request) error {
	var in loginInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	sess, err := s.Auth.Login(r.Context(), in.Username, in.Password, clientIP(r), r.UserAgent())
	if err != nil {
		return err
	}
	noteUser(r.Context(), sess.Actor.Username)
	s.setSessionCookie(w, sess.Token, sess.ExpiresAt)
	out := meOf(sess.Actor)
	out.SessionUntil = sess.ExpiresAt
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiLogout(w http.ResponseWriter, r *http.Request) error {
	if t := sessionToken(r.Context()); t != "" {
		if err := s.Auth.Logout(r.Context(), t); err != nil {
			return err
		}
	}
	s.clearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	writeJSON(w, http.StatusOK, meOf(a))
	return nil
}
