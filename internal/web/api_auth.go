package web

import (
	"net/http"
	"time"

	"labflow/internal/auth"
	"labflow/internal/domain"
)

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

type passwordInput struct {
	OldPassword string `json:"old_password"`
	NewPassword string `json:"new_password"`
}

func (s *Server) apiChangePassword(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	var in passwordInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.Auth.ChangePassword(r.Context(), a, in.OldPassword, in.NewPassword); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type resetPasswordInput struct {
	Password string `json:"password"`
}

func (s *Server) apiResetPassword(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.person")
	if err != nil {
		return err
	}
	var in resetPasswordInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	if err := s.Auth.SetPassword(r.Context(), a, id, in.Password); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type tokenInput struct {
	Name string `json:"name"`
}

type tokenOutput struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	Prefix     string    `json:"prefix"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
}

type newTokenOutput struct {
	Token  string      `json:"token"`
	Detail tokenOutput `json:"detail"`
}

func tokenOf(t auth.Token) tokenOutput {
	return tokenOutput{ID: t.ID, Name: t.Name, Prefix: t.Prefix, CreatedAt: t.CreatedAt, LastUsedAt: t.LastUsedAt, RevokedAt: t.RevokedAt}
}

func (s *Server) apiTokens(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	ts, err := s.Auth.Tokens(r.Context(), a, a.ID)
	if err != nil {
		return err
	}
	out := make([]tokenOutput, 0, len(ts))
	for _, t := range ts {
		out = append(out, tokenOf(t))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) apiCreateToken(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	var in tokenInput
	if err := decodeJSON(w, r, &in); err != nil {
		return err
	}
	secret, t, err := s.Auth.CreateToken(r.Context(), a, a.ID, in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, newTokenOutput{Token: secret, Detail: tokenOf(t)})
	return nil
}

func (s *Server) apiRevokeToken(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	id, err := pathID(r, "id", "entity.token")
	if err != nil {
		return err
	}
	if err := s.Auth.RevokeToken(r.Context(), a, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
