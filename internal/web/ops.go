package web

import (
	"io/fs"
	"net/http"
	"time"

	"labflow/internal/auth"
	"labflow/internal/domain"
	"labflow/internal/i18n"
)

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "version": s.Version, "uptime_s": int(time.Since(s.started).Seconds())})
}

// readyz tells a load balancer whether to send this server work: not when
// the database does not answer, nor when writes cannot go on because the
// storage is full (storageFull).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if err := s.DB.Ping(r.Context()); err != nil {
		s.log.Error("readyz: database", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "database": "down"})
		return
	}
	if full, free := s.storageFull(); full {
		s.log.Warn("readyz: storage full", "free_bytes", free, "last_write_failed", s.DB.StorageFull())
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "storage": "full"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "database": string(s.DB.Dialect())})
}

// staticHandler serves embedded assets; they change only with the binary,
// so clients may cache them for a day.
func staticHandler(fsys fs.FS) http.Handler {
	fh := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		fh.ServeHTTP(w, r)
	})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.writeError(w, r, domain.NotFound("web", "entity.page"))
}

// page adapts a UI handler that returns an error: it requires a signed-in
// user (redirecting to the login page otherwise) and shows errors as pages.
func (s *Server) page(h func(http.ResponseWriter, *http.Request) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, err := actor(r); err != nil {
			s.writeError(w, r, err)
			return
		}
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	}
}

func hashPassword(pw string) (string, error) { return auth.HashPassword(pw) }

// translate renders a domain message in lang.
func translate(lang string, m domain.Msg) string { return i18n.T(lang, m.Key, m.Args) }
