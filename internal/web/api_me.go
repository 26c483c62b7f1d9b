package web

import (
	"time"

	"labflow/internal/auth"
)

// The JSON API of one's own account: password and API tokens.

type passwordInput struct {
	OldPassword string `json:"old_password"`
	NewPassword string `json:"new_password"`
}

func (s *Server) apiChangePassword(c *call, in passwordInput) (none, error) {
	return none{}, s.Auth.ChangePassword(c.Context(), c.Actor, in.OldPassword, in.NewPassword)
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

func (s *Server) apiTokens(c *call, _ none) ([]tokenOutput, error) {
	ts, err := s.Auth.Tokens(c.Context(), c.Actor, c.Actor.ID)
	if err != nil {
		return nil, err
	}
	out := make([]tokenOutput, 0, len(ts))
	for _, t := range ts {
		out = append(out, tokenOf(t))
	}
	return out, nil
}

func (s *Server) apiCreateToken(c *call, in tokenInput) (newTokenOutput, error) {
	secret, t, err := s.Auth.CreateToken(c.Context(), c.Actor, c.Actor.ID, in.Name)
	if err != nil {
		return newTokenOutput{}, err
	}
	return newTokenOutput{Token: secret, Detail: tokenOf(t)}, nil
}

func (s *Server) apiRevokeToken(c *call, _ none) (none, error) {
	id, err := c.PathID("id", "entity.token")
	if err != nil {
		return none{}, err
	}
	return none{}, s.Auth.RevokeToken(c.Context(), c.Actor, id)
}
