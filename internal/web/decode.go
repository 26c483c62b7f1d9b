package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"labflow/internal/domain"
)

// MaxJSONBody bounds API request bodies (attachments have their own limit).
const MaxJSONBody = 1 << 20

// decodeJSON reads exactly one JSON object into v, refusing unknown fields,
// wrong types, trailing data and bodies over MaxJSONBody; errors name the
// offending field.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	const op = "web.decode"
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return fieldErr(domain.KindInvalid, op, "error.bad_json", "body", "field.bad_type")
	}
	body := http.MaxBytesReader(w, r.Body, MaxJSONBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	dec.UseNumber() // form values keep their exact decimal text

	err := dec.Decode(v)
	if err == nil {
		if dec.More() || dec.Decode(&struct{}{}) != io.EOF {
			return fieldErr(domain.KindInvalid, op, "error.bad_json", "body", "field.trailing_data")
		}
		return nil
	}
	var mbe *http.MaxBytesError
	var ute *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &mbe):
		return fieldErr(domain.KindTooLarge, op, "error.too_large", "body", "field.body_too_large")
	case errors.As(err, &ute):
		field := ute.Field
		if field == "" {
			field = "body"
		}
		return fieldErr(domain.KindInvalid, op, "error.invalid", field, "field.bad_type")
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fieldErr(domain.KindInvalid, op, "error.bad_json", "body", "field.bad_json")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return fieldErr(domain.KindInvalid, op, "error.invalid", name, "field.unknown")
	default:
		return fieldErr(domain.KindInvalid, op, "error.bad_json", "body", "field.bad_json")
	}
}

func fieldErr(kind domain.Kind, op, key, field, fkey string) error {
	e := domain.E(kind, op, key)
	e.Fields = map[string]domain.Msg{field: {Key: fkey}}
	return e
}

// writeJSON answers v with a status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	writeJSONBody(w, v)
}

func writeJSONBody(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

// pathID reads a positive integer path value, or fails as not found.
func pathID(r *http.Request, name, entity string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, domain.NotFound("web.pathID", entity)
	}
	return id, nil
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// queryInt reads an optional integer query parameter, naming it on error
// (for the handlers not yet written with the typed adapter).
func queryInt(r *http.Request, name string, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, fieldErr(domain.KindInvalid, "web.query", "error.invalid", name, "field.bad_type")
	}
	return n, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
