package web

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sort"
	"strings"

	"labflow/internal/domain"
	"labflow/internal/i18n"
)

// statusOf is the one table from error kind to HTTP status.
var statusOf = map[domain.Kind]int{
	domain.KindInternal:        http.StatusInternalServerError,
	domain.KindInvalid:         http.StatusUnprocessableEntity,
	domain.KindNotFound:        http.StatusNotFound,
	domain.KindConflict:        http.StatusConflict,
	domain.KindForbidden:       http.StatusForbidden,
	domain.KindUnauthenticated: http.StatusUnauthorized,
	domain.KindTooMany:         http.StatusTooManyRequests,
	domain.KindTooLarge:        http.StatusRequestEntityTooLarge,
	domain.KindUnavailable:     http.StatusServiceUnavailable,
}

// statusClientClosedRequest is what the access log and the metrics record
// for a request whose client went away before the answer (nginx's 499);
// nobody receives it.
const statusClientClosedRequest = 499

// retryAfter is the Retry-After of a 503: the database is unreachable,
// frozen or full, which an operator or a failover may mend any moment.
const retryAfter = "5"

// FieldProblem is one field's message in a problem document.
type FieldProblem struct {
	Field   string `json:"field"`
	Key     string `json:"key"`
	Message string `json:"message"`
}

// Problem is an RFC 9457 problem document with per-field messages.
type Problem struct {
	Type     string         `json:"type"`
	Title    string         `json:"title"`
	Status   int            `json:"status"`
	Detail   string         `json:"detail"`
	Instance string         `json:"instance,omitempty"`
	Key      string         `json:"key"`
	Errors   []FieldProblem `json:"errors,omitempty"`
	// RequestID lets a user quote the failure to an administrator, who finds it in the log.
	RequestID string `json:"request_id,omitempty"`
}

// problemOf turns any error into a translated, client-safe problem. Internal
// errors never expose their text.
func problemOf(err error, lang string) (Problem, *domain.Error) {
	var de *domain.Error
	if !errors.As(err, &de) {
		de = &domain.Error{Kind: domain.KindInternal, Key: "error.internal", Err: err}
	}
	status := statusOf[de.Kind]
	key := de.Key
	if key == "" || de.Kind == domain.KindInternal {
		key = "error." + de.Kind.String()
		if de.Kind == domain.KindInternal {
			key = "error.internal"
		}
	}
	p := Problem{
		Type:   "https://labflow.invalid/problems/" + strings.ReplaceAll(de.Kind.String(), "_", "-"),
		Title:  http.StatusText(status),
		Status: status,
		Detail: i18n.T(lang, key, de.Args),
		Key:    key,
	}
	for f, m := range de.Fields {
		p.Errors = append(p.Errors, FieldProblem{Field: f, Key: m.Key, Message: i18n.T(lang, m.Key, m.Args)})
	}
	sort.Slice(p.Errors, func(i, j int) bool { return p.Errors[i].Field < p.Errors[j].Field })
	return p, de
}

// writeError is the one place errors become HTTP responses: it maps the kind
// to a status, logs internal errors and unavailability with the request's
// attributes, counts errors by kind, and answers problem+json for the API
// or an HTML page for the UI — in the user's language, never with internal
// text. A 503 carries Retry-After. A request whose client went away is
// recorded as 499 and counted as "cancelled", at info level: it is not
// the server's failure.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if cancelled(r, err) {
		// The client went away (its request context ended, and the store
		// stopped on it): not a failure of the server, and no one to answer.
		s.metrics.errors.WithLabelValues("cancelled").Inc()
		s.log.InfoContext(r.Context(), "request cancelled", slog.Any("err", err),
			slog.String("route", routeOf(r)), slog.String("request_id", requestID(r.Context())))
		w.WriteHeader(statusClientClosedRequest)
		return
	}
	lang := s.lang(r)
	p, de := problemOf(err, lang)
	p.Instance = r.URL.Path
	p.RequestID = requestID(r.Context())
	s.metrics.errors.WithLabelValues(de.Kind.String()).Inc()
	switch de.Kind {
	case domain.KindInternal:
		s.log.ErrorContext(r.Context(), "internal error", slog.String("op", de.Op), slog.Any("err", err),
			slog.String("route", routeOf(r)), slog.String("request_id", p.RequestID))
	case domain.KindUnavailable:
		s.log.WarnContext(r.Context(), "database unavailable", slog.String("reason", p.Key), slog.String("op", de.Op), slog.Any("err", err),
			slog.String("route", routeOf(r)), slog.String("request_id", p.RequestID))
	}
	if de.Kind == domain.KindUnauthenticated && !wantsJSON(r) {
		http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	if p.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", retryAfter)
	}
	if wantsJSON(r) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(p.Status)
		writeJSONBody(w, p)
		return
	}
	w.WriteHeader(p.Status)
	s.render(w, r, &errorPage{Problem: p})
}

// cancelled reports whether err ends a request whose client went away:
// its context is cancelled, or the error is a cancellation.
func cancelled(r *http.Request, err error) bool {
	return errors.Is(r.Context().Err(), context.Canceled) || errors.Is(err, context.Canceled)
}

// serverFault reports whether err is the server's failure (internal, or the
// database unavailable) rather than something the user can correct on a
// form; forms show the others beside their fields and leave these to
// writeError (which logs them, and adds Retry-After to a 503).
func serverFault(err error) bool {
	k := domain.ErrorKind(err)
	return k == domain.KindInternal || k == domain.KindUnavailable
}

// wantsJSON reports whether the client is the API (or asks for JSON).
func wantsJSON(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.Contains(r.Header.Get("Accept"), "json") && !strings.Contains(r.Header.Get("Accept"), "text/html")
}

// formError redisplays a form with field messages for user errors, and
// leaves internal errors to writeError.
func (s *Server) formError(w http.ResponseWriter, r *http.Request, err error, again func(map[string]string, string) error) error {
	k := domain.ErrorKind(err)
	if serverFault(err) || k == domain.KindUnauthenticated {
		return err
	}
	fe, msg := s.fieldErrors(r, err)
	w.WriteHeader(statusOf[k])
	return again(fe, msg)
}

// errorPage is the page of an error a page could not show beside a form.
type errorPage struct {
	Page
	Problem Problem
}

func (*errorPage) template() string { return "error" }
