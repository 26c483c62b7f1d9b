package web

import (
	"net/http"

	"labflow/internal/auth"
	"labflow/internal/domain"
	"labflow/internal/i18n"
)

// One's own account page (/account): password and API tokens.

func (s *Server) uiAccount(w http.ResponseWriter, r *http.Request) error {
	return s.renderAccount(w, r, &accountPage{})
}

func (s *Server) renderAccount(w http.ResponseWriter, r *http.Request, p *accountPage) error {
	a, _ := actor(r)
	ts, err := s.Auth.Tokens(r.Context(), a, a.ID)
	if err != nil {
		return err
	}
	p.Tokens = ts
	s.render(w, r, p)
	return nil
}

func (s *Server) uiChangePassword(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	err := s.Auth.ChangePassword(r.Context(), a, r.PostFormValue("old_password"), r.PostFormValue("new_password"))
	if err != nil && !serverFault(err) {
		fe, msg := s.fieldErrors(r, err)
		w.WriteHeader(statusOf[domain.ErrorKind(err)])
		return s.renderAccount(w, r, &accountPage{formState: failed(fe, msg)})
	}
	if err != nil {
		return err
	}
	// The password is now the owner's own: the page shows the account as
	// it is from now on (the actor was loaded before the change).
	a.MustChangePassword = false
	r = r.WithContext(domain.WithActor(r.Context(), a))
	return s.renderAccount(w, r, &accountPage{formState: formState{Notice: i18n.T(s.lang(r), "account.password_changed", nil)}})
}

func (s *Server) uiCreateToken(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	secret, _, err := s.Auth.CreateToken(r.Context(), a, a.ID, r.PostFormValue("name"))
	if err != nil && !serverFault(err) {
		fe, msg := s.fieldErrors(r, err)
		w.WriteHeader(statusOf[domain.ErrorKind(err)])
		return s.renderAccount(w, r, &accountPage{formState: failed(fe, msg)})
	}
	if err != nil {
		return err
	}
	return s.renderAccount(w, r, &accountPage{NewToken: secret})
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

// accountPage is one's own account: the password form and the API tokens.
type accountPage struct {
	Page
	formState
	Tokens   []auth.Token
	NewToken string
}

func (*accountPage) template() string { return "account" }
