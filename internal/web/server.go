// Package web is LabFlow's HTTP layer: the JSON API under /api/v1 (described
// by the OpenAPI document at /api/v1/openapi.json), the Chinese-first HTML
// UI, authentication, CSRF protection and sessions. It holds no business
// rules: handlers decode, call a service, and encode.
package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"labflow/internal/attach"
	"labflow/internal/auth"
	"labflow/internal/calendar"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/i18n"
	"labflow/internal/notify"
	"labflow/internal/people"
	"labflow/internal/projects"
	"labflow/internal/store"
)

// Deps are the services the web layer calls; every one is explicit.
type Deps struct {
	DB      *store.DB
	People  *people.Service
	Auth    *auth.Service
	Attach  *attach.Service
	Flow    *flow.Engine
	Notices *notify.Service
	Log     *slog.Logger
	Version string
	// SecureCookies sets the Secure flag on cookies (behind HTTPS).
	SecureCookies bool
	// TimeZone is where pages show times (with the UTC offset); nil is UTC.
	// Stored times and the API stay UTC.
	TimeZone *time.Location
	// DataDir is the data folder (SQLite file, attachments under blobs/),
	// whose free space /readyz watches; "" watches none.
	DataDir string
	// MinFree is the free space in DataDir below which /readyz reports the
	// storage full (default DefaultMinFree).
	MinFree uint64
	// FreeSpace returns the bytes free on the file system of a folder; nil
	// asks the operating system (statfs). Tests replace it.
	FreeSpace func(dir string) (uint64, error)

	// Calendar is the working-day calendar (nil: its pages answer not
	// found); issue 8 §3.
	Calendar *calendar.Service

	// Projects are the drug-development projects (nil: their pages
	// answer not found); issue 10.
	Projects *projects.Service
}

// Server is the HTTP handler of LabFlow.
type Server struct {
	Deps
	log     *slog.Logger
	mux     *http.ServeMux
	handler http.Handler
	metrics *metrics
	pages   *pages
	openapi *openAPI
	started time.Time
	// loginPage caches the plain login page per language (see uiLoginPage).
	loginPage sync.Map
}

// New builds the server with every route and the middleware chain.
func New(d Deps) (*Server, error) {
	if d.DB == nil || d.People == nil || d.Auth == nil || d.Attach == nil || d.Flow == nil || d.Notices == nil {
		return nil, errors.New("web: every service in Deps is required")
	}
	s := &Server{Deps: d, log: d.Log, mux: http.NewServeMux(), started: time.Now()}
	if s.log == nil {
		s.log = slog.Default()
	}
	s.metrics = newMetrics(d.DB.WriteStats)
	if d.TimeZone == nil {
		d.TimeZone = time.UTC
	}
	p, err := loadPages(d.TimeZone)
	if err != nil {
		return nil, err
	}
	p.roleName = d.People.RoleName
	s.pages = p
	s.openapi = newOpenAPI(d.Version)
	s.routes()
	// The chain, outermost first: request id and access log → panic
	// recovery → metrics → security headers → cross-origin (CSRF)
	// protection → authentication → the temporary-password gate → the mux.
	csrf := http.NewCrossOriginProtection()
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, domain.E(domain.KindForbidden, "web.csrf", "error.cross_origin"))
	}))
	var h http.Handler = recordRoute(s.mux)
	h = s.requirePasswordChange(h)
	h = s.authenticate(h)
	h = csrf.Handler(h)
	h = securityHeaders(h)
	h = s.metrics.middleware(h)
	h = s.recoverer(h)
	h = s.logRequests(h)
	s.handler = h
	return s, nil
}

// ServeHTTP serves a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// lang returns the language of the request: the lang cookie (set only by an
// explicit switch, POST /lang), then the user's setting, then ?lang, then
// Accept-Language. An explicit switch sets the cookie and saves the
// setting together, so the two agree; the cookie also carries the choice to
// the login page, before anyone is signed in.
func (s *Server) lang(r *http.Request) string {
	if c, err := r.Cookie("lang"); err == nil && (c.Value == i18n.ZH || c.Value == i18n.EN) {
		return c.Value
	}
	pref := ""
	if a, ok := domain.ActorFrom(r.Context()); ok {
		pref = a.Lang
	}
	return i18n.FromRequest(r, pref)
}

// actor returns the authenticated actor or an unauthenticated error.
func actor(r *http.Request) (domain.Actor, error) {
	a, ok := domain.ActorFrom(r.Context())
	if !ok || a.Via == "" {
		return domain.Actor{}, domain.E(domain.KindUnauthenticated, "web.actor", "error.unauthenticated")
	}
	return a, nil
}

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keySession
	keyRoute
	keyUser // *string: the signed-in username, for the access log
)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}

func sessionToken(ctx context.Context) string {
	t, _ := ctx.Value(keySession).(string)
	return t
}
