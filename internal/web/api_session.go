package web

import (
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

func (s *Server) apiLogin(c *call, in loginInput) (meOutput, error) {
	r := c.Request()
	sess, err := s.Auth.Login(c.Context(), in.Username, in.Password, clientIP(r), r.UserAgent())
	if err != nil {
		return meOutput{}, err
	}
	noteUser(c.Context(), sess.Actor.Username)
	s.setSessionCookie(c.w, sess.Token, sess.ExpiresAt)
	out := meOf(sess.Actor)
	out.SessionUntil = sess.ExpiresAt
	return out, nil
}

func (s *Server) apiLogout(c *call, _ none) (none, error) {
	if t := sessionToken(c.Context()); t != "" {
		if err := s.Auth.Logout(c.Context(), t); err != nil {
			return none{}, err
		}
	}
	s.clearSessionCookie(c.w)
	return none{}, nil
}

func (s *Server) apiMe(c *call, _ none) (meOutput, error) {
	return meOf(c.Actor), nil
}
