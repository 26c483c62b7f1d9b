package web

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"labflow/internal/domain"
)

// JSON handlers are typed: each is a function of the request (with the
// signed-in actor) and its decoded input, returning its output:
//
//	func (s *Server) apiPerson(c *call, _ none) (personOut, error)
//
// jsonRoute registers one: it decodes the input (the JSON body of a POST,
// PUT or PATCH; query parameters from the fields tagged `query`), refuses
// anonymous callers unless the route is public, calls the handler, and
// encodes the output (none answers 204). The OpenAPI document is built from
// the same In and Out types, so it describes what the handler reads and
// writes, not what someone wrote beside it.

// none is the input of a route that reads neither a body nor a query, and
// the output of one that answers 204 No Content.
type none struct{}

// call is one API request as a typed handler sees it.
type call struct {
	// Actor is who is signed in (the zero Actor on a public route called
	// anonymously).
	Actor domain.Actor
	r     *http.Request
	w     http.ResponseWriter
	s     *Server
}

// Context is the request's context.
func (c *call) Context() context.Context { return c.r.Context() }

// Request is the underlying request (for what no type carries: headers).
func (c *call) Request() *http.Request { return c.r }

// Header is the response's header (for a Location or a cookie).
func (c *call) Header() http.Header { return c.w.Header() }

// Lang is the caller's language.
func (c *call) Lang() string { return c.s.lang(c.r) }

// PathID reads the positive integer path value name; anything else is the
// entity not found.
func (c *call) PathID(name, entity string) (int64, error) { return pathID(c.r, name, entity) }

// PathValue reads a path value as it is.
func (c *call) PathValue(name string) string { return c.r.PathValue(name) }

// jsonRoute registers a typed JSON handler for pattern, documented by d
// (summary, success status, public) and by its own In and Out types.
func jsonRoute[In, Out any](s *Server, pattern string, d doc, h func(c *call, in In) (Out, error)) {
	inT, outT := reflect.TypeFor[In](), reflect.TypeFor[Out]()
	method, _, _ := strings.Cut(pattern, " ")
	body := hasBody(method) && bodyFields(inT)
	status := d.Status
	if status == 0 {
		status = http.StatusOK
	}
	if outT == reflect.TypeFor[none]() {
		status = http.StatusNoContent
	}
	d.Status = status
	if body {
		d.In = reflect.New(inT).Elem().Interface()
	}
	if outT != reflect.TypeFor[none]() {
		d.Out = reflect.New(outT).Elem().Interface()
	}
	d.Query = append(d.Query, queryParams(inT)...)
	s.api(pattern, func(w http.ResponseWriter, r *http.Request) error {
		c := &call{r: r, w: w, s: s}
		c.Actor, _ = domain.ActorFrom(r.Context())
		var in In
		if err := decodeQuery(r, &in); err != nil {
			return err
		}
		if body {
			if err := decodeJSON(w, r, &in); err != nil {
				return err
			}
		}
		out, err := h(c, in)
		if err != nil {
			return err
		}
		if status == http.StatusNoContent {
			w.WriteHeader(status)
			return nil
		}
		writeJSON(w, status, out)
		return nil
	}, d)
}

func hasBody(method string) bool {
	return method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch
}

// bodyFields reports whether t has fields read from a JSON body: any
// exported field not tagged `query` (query fields are `json:"-"`).
func bodyFields(t reflect.Type) bool {
	if t.Kind() != reflect.Struct {
		return true // a map or a slice is a body
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.IsExported() && f.Tag.Get("query") == "" && f.Tag.Get("json") != "-" {
			return true
		}
	}
	return false
}

// queryParam is one query parameter of a route, from a field of its input.
type queryParam struct {
	Name, Type, Default string
	Enum                []string
}

// queryParams lists the query parameters an input type reads.
func queryParams(t reflect.Type) []queryParam {
	if t.Kind() != reflect.Struct {
		return nil
	}
	var out []queryParam
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("query")
		if name == "" {
			continue
		}
		if f.Tag.Get("json") != "-" {
			panic(fmt.Sprintf("web: query field %s.%s must be tagged json:\"-\"", t.Name(), f.Name))
		}
		p := queryParam{Name: name, Type: "string", Default: f.Tag.Get("default")}
		switch f.Type.Kind() {
		case reflect.Bool:
			p.Type = "boolean"
		case reflect.Int, reflect.Int64:
			p.Type = "integer"
		case reflect.String:
		default:
			panic(fmt.Sprintf("web: query field %s.%s: unsupported type %s", t.Name(), f.Name, f.Type))
		}
		if e := f.Tag.Get("enum"); e != "" {
			p.Enum = strings.Split(e, ",")
		}
		out = append(out, p)
	}
	return out
}

// decodeQuery fills the fields of *v tagged `query:"name"` from the URL's
// query: strings as they are, booleans true only for "true", integers
// non-negative (anything else names the parameter as a bad type). A field
// whose parameter is absent takes its `default` tag.
func decodeQuery(r *http.Request, v any) error {
	rv := reflect.ValueOf(v).Elem()
	if rv.Kind() != reflect.Struct {
		return nil
	}
	t := rv.Type()
	q := r.URL.Query()
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("query")
		if name == "" {
			continue
		}
		val := q.Get(name)
		if val == "" {
			val = f.Tag.Get("default")
		}
		fv := rv.Field(i)
		switch f.Type.Kind() {
		case reflect.String:
			fv.SetString(val)
		case reflect.Bool:
			fv.SetBool(val == "true")
		case reflect.Int, reflect.Int64:
			if val == "" {
				continue
			}
			n, err := strconv.ParseInt(val, 10, 64)
			if err != nil || n < 0 {
				return fieldErr(domain.KindInvalid, "web.query", "error.invalid", name, "field.bad_type")
			}
			fv.SetInt(n)
		}
	}
	return nil
}
