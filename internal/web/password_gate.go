package web

import (
	"net/http"
	"strings"

	"labflow/internal/domain"
)

// passwordChangeRoutes are what a person whose password is temporary may
// still reach: their own account and password, signing in and out, the
// language switch, and what needs no sign-in (static files, operations,
// the API description). Keys are "METHOD PATH"; GET also covers HEAD.
var passwordChangeRoutes = map[string]bool{
	"GET /api/v1/me":           true,
	"POST /api/v1/me/password": true,
	"POST /api/v1/session":     true,
	"DELETE /api/v1/session":   true,
	"GET /api/v1/openapi.json": true,
	"GET /account":             true,
	"POST /account/password":   true,
	"GET /login":               true,
	"POST /login":              true,
	"POST /logout":             true,
	"POST /lang":               true,
	"GET /healthz":             true,
	"GET /readyz":              true,
	"GET /metrics":             true,
}

// passwordChangeAllowed reports whether r may go ahead while the actor's
// password is temporary.
func passwordChangeAllowed(r *http.Request) bool {
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	if method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/static/") {
		return true
	}
	return passwordChangeRoutes[method+" "+r.URL.Path]
}

// requirePasswordChange holds a person whose password is temporary — set
// by an administrator or the CLI, not by themself — to changing it before
// anything else (COMPLIANCE R8, R12): every other API route answers 403
// "auth.password_change_required", every other page redirects to /account,
// which says why. It sits after authenticate, so it sees the actor of a
// session and of an API token alike. The services do not rely on it: a
// temporary password never completes a signature (auth.Reauthenticate).
func (s *Server) requirePasswordChange(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := domain.ActorFrom(r.Context())
		if !ok || !a.MustChangePassword || passwordChangeAllowed(r) {
			next.ServeHTTP(w, r)
			return
		}
		if wantsJSON(r) {
			s.writeError(w, r, domain.E(domain.KindForbidden, "web.passwordChange", "auth.password_change_required"))
			return
		}
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	})
}
