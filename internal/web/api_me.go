package web

import (
	"net/http"
	"time"

	"labflow/internal/auth"
)

// The JSON API of one's own account: password and API tokens.

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
