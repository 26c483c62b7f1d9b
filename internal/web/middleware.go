package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"labflow/internal/auth"
	"labflow/internal/domain"
)

// Request ids only need to be unique and unguessable enough to be worth
// nothing: a random per-process prefix and a counter, with no system call
// per request.
var (
	requestPrefix = func() string {
		var b [4]byte
		rand.Read(b[:])
		return hex.EncodeToString(b[:])
	}()
	requestSeq atomic.Uint64
)

func nextRequestID() string {
	return requestPrefix + strconv.FormatUint(requestSeq.Add(1), 36)
}

// SessionCookie is the name of the session cookie.
const SessionCookie = "labflow_session"

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests gives each request an id (echoed as X-Request-Id) and writes
// one structured access-log line with the route pattern, status, time and
// the signed-in user. The route and the user are known only further in,
// on copies of the request, so they come back through slots in the
// context (recordRoute, noteUser).
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := nextRequestID()
		w.Header().Set("X-Request-Id", id)
		route, user := new(string), new(string)
		ctx := context.WithValue(context.WithValue(r.Context(), keyRequestID, id), keyRoute, route)
		r = r.WithContext(context.WithValue(ctx, keyUser, user))
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		r.Pattern = *route
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("request_id", id), slog.String("method", r.Method), slog.String("path", redactPath(r.URL.Path)),
			slog.String("route", r.Pattern), slog.Int("status", sw.status), slog.Int("bytes", sw.bytes),
			slog.Duration("duration", time.Since(start)), slog.String("user", *user), slog.String("ip", clientIP(r)))
	})
}

// noteUser records the authenticated username for the access log, in the
// slot logRequests put in the context: authenticate's actor, or the person
// a sign-in has just signed in (never a name that failed to sign in).
func noteUser(ctx context.Context, username string) {
	if p, ok := ctx.Value(keyUser).(*string); ok {
		*p = username
	}
}

// routeOf returns the matched route pattern, recorded by the mux wrapper.
func routeOf(r *http.Request) string {
	if p, ok := r.Context().Value(keyRoute).(*string); ok && *p != "" {
		return *p
	}
	return r.Pattern
}

// recordRoute runs the mux and records the matched pattern for the outer
// middleware (which hold an earlier copy of the request).
func recordRoute(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if p, ok := r.Context().Value(keyRoute).(*string); ok {
			*p = r.Pattern
		}
	})
}

// recoverer turns a panic into a logged internal error; the client sees the
// generic message and the request id, never the panic text.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.writeError(w, r, domain.Wrap("web.panic", fmt.Errorf("panic: %v\n%s", p, debug.Stack())))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// securityHeaders sets a strict CSP (no inline script, no third-party
// origins: every asset is served by LabFlow), frame denial and friends.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		next.ServeHTTP(w, r)
	})
}

// authenticate puts the actor in the context: from an API token
// ("Authorization: Bearer …") or the session cookie. Anonymous requests go
// on without one; handlers that need an actor ask for it.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if h := r.Header.Get("Authorization"); h != "" {
			secret, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				s.writeError(w, r, domain.E(domain.KindUnauthenticated, "web.auth", "error.bad_token"))
				return
			}
			a, err := s.Auth.TokenActor(ctx, strings.TrimSpace(secret))
			if err != nil {
				s.writeError(w, r, err)
				return
			}
			noteUser(ctx, a.Username)
			next.ServeHTTP(w, r.WithContext(domain.WithActor(ctx, a)))
			return
		}
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			a, err := s.Auth.Session(ctx, c.Value)
			if err == nil {
				noteUser(ctx, a.Username)
				ctx = auth.WithSessionToken(context.WithValue(domain.WithActor(ctx, a), keySession, c.Value), c.Value)
			} else if domain.IsKind(err, domain.KindUnauthenticated) {
				s.clearSessionCookie(w)
			} else {
				s.writeError(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func (s *Server) setSessionCookie(w http.ResponseWriter, token string, expires time.Time) {
	// HttpOnly keeps scripts away from it; SameSite=Lax keeps it off
	// cross-site subrequests and POSTs (CSRF defence in depth, beside
	// CrossOriginProtection).
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
}

// clientIP is the peer address. LabFlow does not trust X-Forwarded-For by
// default: a client could forge it to dodge per-IP throttling.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
