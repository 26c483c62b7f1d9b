// Package domain holds LabFlow's vocabulary shared by every layer: the one
// error type with kinds, the acting user carried in a context, roles, ranks
// and the plain records that the store persists. It imports no infrastructure.
package domain

import (
	"errors"
	"fmt"
	"sort"
)

// Kind classifies an error so that the web layer can map it to a status
// through one table and so that tests can match on it.
type Kind uint8

// The error kinds. Anything that is not a *Error is KindInternal.
const (
	KindInternal        Kind = iota // a bug or an infrastructure failure; its text is never shown
	KindInvalid                     // the input is wrong; Fields names what
	KindNotFound                    // the thing does not exist (or is not visible to the actor)
	KindConflict                    // the state changed underneath, or a unique value is taken
	KindForbidden                   // the actor may not do this
	KindUnauthenticated             // no or bad credentials
	KindTooMany                     // throttled: too many attempts
	KindTooLarge                    // the body or file is above the limit
	KindUnavailable                 // the database cannot answer or store now; try again later
)

var kindNames = map[Kind]string{
	KindInternal: "internal", KindInvalid: "invalid", KindNotFound: "not_found",
	KindConflict: "conflict", KindForbidden: "forbidden", KindUnauthenticated: "unauthenticated",
	KindTooMany: "too_many", KindTooLarge: "too_large", KindUnavailable: "unavailable",
}

// String returns the kind's stable name, used in metrics and problem types.
func (k Kind) String() string { return kindNames[k] }

// Msg is a translatable message: a catalog key and its named arguments.
type Msg struct {
	Key  string         `json:"key"`
	Args map[string]any `json:"args,omitempty"`
}

// Error is LabFlow's one error type. Key is a catalog message id shown to
// the user; Err is the private cause, logged but never shown.
type Error struct {
	Kind   Kind
	Op     string         // the operation, e.g. "people.Create"
	Key    string         // user-facing message id
	Args   map[string]any // arguments of Key
	Fields map[string]Msg // per-field messages for KindInvalid
	Err    error          // underlying cause (private)
}

// Error returns a developer-facing description (never sent to clients).
func (e *Error) Error() string {
	s := e.Kind.String()
	if e.Op != "" {
		s = e.Op + ": " + s
	}
	if e.Key != "" {
		s += " (" + e.Key + ")"
	}
	if len(e.Fields) > 0 {
		names := make([]string, 0, len(e.Fields))
		for f, m := range e.Fields {
			names = append(names, f+"="+m.Key)
		}
		sort.Strings(names)
		s += fmt.Sprint(" ", names)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the private cause.
func (e *Error) Unwrap() error { return e.Err }

// E builds an error of the given kind with a message key and optional
// key/value argument pairs.
func E(kind Kind, op, key string, kv ...any) *Error {
	return &Error{Kind: kind, Op: op, Key: key, Args: pairs(kv)}
}

// Wrap marks err as internal to op unless it already is a *Error, in which
// case it is returned as is.
func Wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *Error
	if errors.As(err, &de) {
		return err
	}
	return &Error{Kind: KindInternal, Op: op, Key: "error.internal", Err: err}
}

// NotFound reports that an entity (a catalog noun key such as "entity.person") does not exist.
func NotFound(op, entity string) *Error {
	return E(KindNotFound, op, "error.not_found", "entity", entity)
}

// Forbidden reports that the actor may not do op.
func Forbidden(op string) *Error { return E(KindForbidden, op, "error.forbidden") }

// Conflict reports a state conflict with a message key.
func Conflict(op, key string, kv ...any) *Error { return E(KindConflict, op, key, kv...) }

// ErrorKind returns the kind of err; nil is not an error, and anything that
// is not a *Error is internal.
func ErrorKind(err error) Kind {
	var de *Error
	if errors.As(err, &de) {
		return de.Kind
	}
	return KindInternal
}

// IsKind reports whether err is a *Error of kind k.
func IsKind(err error, k Kind) bool { return err != nil && ErrorKind(err) == k }

// FieldError returns the per-field message for field, if err carries one.
func FieldError(err error, field string) (Msg, bool) {
	var de *Error
	if errors.As(err, &de) {
		m, ok := de.Fields[field]
		return m, ok
	}
	return Msg{}, false
}

func pairs(kv []any) map[string]any {
	if len(kv) == 0 {
		return nil
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[fmt.Sprint(kv[i])] = kv[i+1]
	}
	return m
}
