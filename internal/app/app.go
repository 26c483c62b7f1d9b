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

	"labflow/internal/attach"
	"labflow/internal/auth"
	"labflow/internal/blob"
	"labflow/internal/demo"
	"labflow/internal/people"
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
}

// App is a running (or ready to run) LabFlow.
type App struct {
	Config
	DB       *store.DB
	People   *people.Service
	Auth     *auth.Service
	Attach   *attach.Service
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
	db, err := store.Open(ctx, store.Config{DSN: cfg.DSN, DataDir: cfg.DataDir, Now: cfg.Now})
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
	a.Auth = auth.New(db, auth.Config{})
	a.Attach = attach.New(db, blobs, 0)
	if cfg.Demo {
		a.Logins, err = demo.Seed(ctx, a.People, auth.HashPassword)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("demo: %w", err)
		}
	}
	a.Server, err = web.New(web.Deps{DB: db, People: a.People, Auth: a.Auth, Attach: a.Attach, Log: cfg.Log,
		Version: cfg.Version, SecureCookies: cfg.SecureCookies})
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
