// Package app wires LabFlow together: it opens the store, builds the
// services and the web server from an explicit Config, and runs them. The
// CLI and the end-to-end tests both use it.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"time"
	_ "time/tzdata" // the zones, on machines without a zoneinfo database

	"labflow/internal/attach"
	"labflow/internal/auth"
	"labflow/internal/blob"
	"labflow/internal/calendar"
	"labflow/internal/demo"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/hr"
	"labflow/internal/notify"
	"labflow/internal/people"
	"labflow/internal/projects"
	"labflow/internal/store"
	"labflow/internal/web"
)

// Config is everything LabFlow needs to run; there is no global configuration.
type Config struct {
	Addr    string // listen address, e.g. 127.0.0.1:8080 (":0" picks a port)
	DataDir string // SQLite file and blob folder (default ./data)
	DSN     string // PostgreSQL URL; empty means SQLite under DataDir
	Demo    bool   // load the demo institute
	// Definitions is a folder of process definitions that add to or
	// override the built-in ones.
	Definitions   string
	Version       string
	Log           *slog.Logger
	Stdout        io.Writer // where demo logins are printed
	SecureCookies bool
	Now           func() time.Time
	// TimeZone is the IANA zone pages show times in (default
	// DefaultTimeZone); stored times stay server UTC.
	TimeZone string
	// DBTimeout bounds every database call (default store.DefaultTimeout);
	// past it a request answers 503 instead of waiting for a database
	// that does not answer.
	DBTimeout time.Duration
	// MinFree is the free space in DataDir below which /readyz reports the
	// storage full (default web.DefaultMinFree).
	MinFree uint64
	// FreeSpace returns the bytes free on the file system of a folder; nil
	// asks the operating system. Tests replace it.
	FreeSpace func(dir string) (uint64, error)
	// Notices tunes the delivery of notices by e-mail and chat (zero
	// fields take notify's defaults; tests shorten the back-off or trust
	// their own TLS certificates).
	Notices notify.Config
}

// DefaultTimeZone is the institute's zone unless configured otherwise.
const DefaultTimeZone = "Asia/Shanghai"

// App is a running (or ready to run) LabFlow.
type App struct {
	Config
	DB       *store.DB
	People   *people.Service
	Auth     *auth.Service
	Attach   *attach.Service
	Flow     *flow.Engine
	Notices  *notify.Service
	Registry *flow.Registry
	// Calendar is the institute's working-day calendar (issue 8 §3).
	Calendar *calendar.Service
	// Projects are the drug-development projects (issue 10).
	Projects *projects.Service
	Server   *web.Server
	Logins   []demo.Login
	listener net.Listener
	http     *http.Server
}

// Open builds the application: database (migrated), blob store, services,
// demo data when asked, and the HTTP handler.
func Open(ctx context.Context, cfg Config) (*App, error) {
	if cfg.DataDir == "" {
		cfg.DataDir = "data"
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	}
	if cfg.Stdout == nil {
		cfg.Stdout = io.Discard
	}
	if cfg.TimeZone == "" {
		cfg.TimeZone = DefaultTimeZone
	}
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", cfg.TimeZone, err)
	}
	db, err := store.Open(ctx, store.Config{DSN: cfg.DSN, DataDir: cfg.DataDir, Now: cfg.Now, Timeout: cfg.DBTimeout})
	if err != nil {
		return nil, err
	}
	a := &App{Config: cfg, DB: db}
	blobs, err := blob.New(filepath.Join(cfg.DataDir, "blobs"))
	if err != nil {
		db.Close()
		return nil, err
	}
	a.People = people.New(db)
	a.People.UseZone(loc)
	// The built-in roles and the Technical Committee as data (org.go).
	if err := a.People.EnsureBuiltins(ctx); err != nil {
		db.Close()
		return nil, err
	}
	a.Auth = auth.New(db, auth.Config{Zone: loc})
	a.Attach = attach.New(db, blobs, 0)
	if cfg.Demo {
		// Servers starting together seed one after another; the later
		// ones find the institute there (Seed is idempotent).
		err = db.WithLock(ctx, "demo", func(ctx context.Context) (err error) {
			a.Logins, err = demo.Seed(ctx, a.People, auth.HashPassword)
			return err
		})
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("demo: %w", err)
		}
	}
	// The working-day calendar: the shipped one is loaded once (servers
	// starting together load it one after another; the later ones find it).
	a.Calendar = calendar.New(db, loc)
	err = db.WithLock(ctx, "calendar", func(ctx context.Context) error { return a.Calendar.LoadShipped(ctx) })
	if err == nil {
		err = a.Calendar.Load(ctx)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("calendar: %w", err)
	}
	a.Registry = flow.NewRegistry()
	RegisterDomain(a.Registry, a.People.RankHistory, db.Now)
	if err := RegisterOrganisation(ctx, a.Registry, a.People); err != nil {
		db.Close()
		return nil, err
	}
	hr.RegisterSources(a.Registry, activePeople(a.People)) // dates schedules start from
	a.Projects = projects.New(db, a.People, loc)
	a.Projects.Register(a.Registry) // node plans and projects as records processes govern and point at
	defs, err := flow.Load(a.Registry, cfg.Definitions)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("definitions: %w", err)
	}
	a.Flow, err = flow.New(db.Flow(), a.Registry, Directory{a.People}, a.Auth, defs)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("flow: %w", err)
	}
	// A file is read by its uploader and by who may see a record holding
	// it; a record references only files its author may read.
	a.Flow.UseFiles(a.Attach)
	// Definitions' built-in effects change people (set_person, deactivate_person).
	a.Flow.UsePeople(a.People)
	a.Attach.SetViewer(a.Flow)
	// Failed uses of external links are limited per address as sign-ins are.
	a.Flow.UseThrottle(a.Auth.Throttle())
	a.connectOrganisation()
	a.warnGaps(ctx)
	a.Flow.UseCalendar(a.Calendar)
	// Conditions read datetimes entered without a zone, and take today's
	// date, in the institute's zone.
	a.Flow.UseTimeZone(loc)
	a.Projects.UseFlow(a.Flow)
	nc := cfg.Notices
	if nc.Log == nil {
		nc.Log = cfg.Log
	}
	a.Notices = notify.New(db, a.People, nc)
	if cfg.Demo {
		// The demo's projects, with plans the committee signed (issue 10).
		// Their history is not news: its notices are dispatched at once, to
		// the channels set up now (none, in a new demo), not mailed later.
		err = db.WithLock(ctx, "demo-projects", func(ctx context.Context) error {
			if err := demo.SeedProjects(ctx, a.People, a.Projects, a.Flow, db.Now().In(loc)); err != nil {
				return err
			}
			if err := demo.SeedInitiation(ctx, a.People, a.Projects, a.Flow, a.Attach, db.Now().In(loc)); err != nil {
				return err
			}
			if err := demo.SeedSupplements(ctx, a.People, a.Projects, a.Flow, db.Now().In(loc)); err != nil { // 发补 and escalations
				return err
			}
			if err := demo.SeedStages(ctx, a.People, a.Projects, a.Flow, a.Attach, db.Now().In(loc)); err != nil { // batches, closures, bonuses (pstage)
				return err
			}
			if err := demo.SeedExecution(ctx, a.People, a.Projects, db.Now().In(loc)); err != nil { // nodes: materials and actuals (PRJ-4)
				return err
			}
			_, err := a.Notices.Dispatch(ctx)
			return err
		})
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("demo: %w", err)
		}
	}
	a.Server, err = web.New(web.Deps{DB: db, People: a.People, Auth: a.Auth, Attach: a.Attach, Flow: a.Flow, Notices: a.Notices, Log: cfg.Log,
		Version: cfg.Version, SecureCookies: cfg.SecureCookies, TimeZone: loc,
		DataDir: cfg.DataDir, MinFree: cfg.MinFree, FreeSpace: cfg.FreeSpace, Calendar: a.Calendar, Projects: a.Projects})
	if err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

// Listen binds the address; Addr() then reports the actual one.
func (a *App) Listen() error {
	addr := a.Config.Addr
	if addr == "" {
		addr = "127.0.0.1:8080"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	a.listener = l
	return nil
}

// Addr returns the bound address.
func (a *App) Addr() string { return a.listener.Addr().String() }

// Run serves HTTP until ctx is cancelled, then shuts down gracefully.
func (a *App) Run(ctx context.Context) error {
	if a.listener == nil {
		if err := a.Listen(); err != nil {
			return err
		}
	}
	a.http = &http.Server{
		Handler:           a.Server,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // large attachment uploads
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- a.http.Serve(a.listener) }()
	tctx, stopTimers := context.WithCancel(ctx)
	defer stopTimers()
	go a.runTimers(tctx, TimerInterval)
	// Notices go out by e-mail and chat from the outbox, beside the
	// requests: nobody's approval waits for them.
	go a.Notices.Run(tctx)
	select {
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return a.http.Shutdown(sctx)
	}
}

// Close releases the database.
func (a *App) Close() error { return a.DB.Close() }

// TimerInterval is how often Run fires due timers and starts scheduled
// requests.
const TimerInterval = 30 * time.Second

// runTimers, once at start and then every interval until ctx ends,
// reloads the working-day calendar if another server changed it, fires
// the due timers (reminders, overdue notices, escalations, wait steps)
// and starts the scheduled requests that are due. Timers and jobs are
// stored and claimed with leases: after a restart overdue ones run once,
// and several servers on one database run each once (issue 8 §6).
func (a *App) runTimers(ctx context.Context, every time.Duration) {
	now := time.Now
	if a.Config.Now != nil {
		now = a.Config.Now
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		if err := a.Calendar.Refresh(ctx); err != nil && ctx.Err() == nil {
			a.Log.Error("calendar refresh", "err", err)
		}
		if n, err := a.Flow.RunTimers(ctx, now()); err != nil && ctx.Err() == nil {
			a.Log.Error("flow timers", "err", err)
		} else if n > 0 {
			a.Log.Info("flow timers fired", "n", n)
		}
		if n, err := a.Flow.RunSchedules(ctx, now()); err != nil && ctx.Err() == nil {
			a.Log.Error("flow schedules", "err", err)
		} else if n > 0 {
			a.Log.Info("scheduled requests started", "n", n)
		}
		// Links to outsiders that expired unused: their initiators are told.
		if n, err := a.Flow.ExpireExternalLinks(ctx, now()); err != nil && ctx.Err() == nil {
			a.Log.Error("flow external links", "err", err)
		} else if n > 0 {
			a.Log.Info("external links expired", "n", n)
		}
		// Steps waiting for someone: the organisation may have changed
		// (a role granted by import or the CLI, a person reactivated).
		if n, err := a.Flow.Reassess(ctx); err != nil && ctx.Err() == nil {
			a.Log.Error("flow reassess", "err", err)
		} else if n > 0 {
			a.Log.Info("waiting steps assigned", "n", n)
		}
		// Requests waiting for one that ended while they were filed.
		if n, err := a.Flow.SweepAwaits(ctx); err != nil && ctx.Err() == nil {
			a.Log.Error("flow await sweep", "err", err)
		} else if n > 0 {
			a.Log.Info("waiting requests moved on", "n", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// activePeople lists every active person, for the personnel date sources.
func activePeople(s *people.Service) hr.PeopleFunc {
	return func(ctx context.Context) ([]domain.Person, error) {
		var out []domain.Person
		for off := 0; ; off += 1000 {
			ps, total, err := s.People(ctx, people.PersonFilter{Limit: 1000, Offset: off})
			if err != nil {
				return nil, err
			}
			out = append(out, ps...)
			if off+len(ps) >= total || len(ps) == 0 {
				return out, nil
			}
		}
	}
}

// RegisterDomain registers the guards, effects and subjects that domain
// packages provide to process definitions.
// history may be nil where guards are only named, never run (lint, list).
func RegisterDomain(reg *flow.Registry, history hr.HistoryFunc, now func() time.Time) {
	hr.Register(reg, history, now) // ORG-4: time in rank from the rank history
	hr.RegisterSources(reg, nil)   // the names of the personnel date sources (issue 8 §6)
	projects.RegisterNames(reg)    // node plans and projects (issue 10)
}

// Directory is the engine's view of the organization: people.Service plus
// department codes named in definitions (flow.DepartmentDirectory).
type Directory struct{ *people.Service }

// DepartmentByCode finds an active or inactive department by its code.
func (d Directory) DepartmentByCode(ctx context.Context, code string) (domain.Department, error) {
	ds, err := d.Departments(ctx, true)
	if err != nil {
		return domain.Department{}, err
	}
	for _, x := range ds {
		if x.Code == code {
			return x, nil
		}
	}
	return domain.Department{}, domain.NotFound("app.DepartmentByCode", "entity.department")
}
