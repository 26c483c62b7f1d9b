package web

import (
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// doc describes an API route for the OpenAPI document. Routes are
// registered through s.api, so the document covers every endpoint by
// construction (and a test checks that each route is listed). A typed
// route (jsonRoute) gives only its summary, status and whether it is
// public: its body, query and response come from its handler's types. The
// few routes that stream (files, CSV, multipart uploads) say the rest here.
type doc struct {
	Summary   string
	In        any          // request body type (JSON)
	Out       any          // response body type (JSON)
	Status    int          // success status (default 200)
	Query     []queryParam // query parameters
	Public    bool         // no authentication needed
	Multipart bool         // request is multipart/form-data with a "file" part
	Produces  string       // non-JSON response media type
}

// queryOf lists the query parameters of the input type T (its fields
// tagged query), for a route that is not a typed handler.
func queryOf[T any]() []queryParam { return queryParams(reflect.TypeFor[T]()) }

type openAPI struct {
	mu      sync.Mutex
	version string
	ops     map[string]map[string]any // path -> method -> operation
	schemas map[string]any
	cached  []byte
}

func newOpenAPI(version string) *openAPI {
	return &openAPI{version: version, ops: map[string]map[string]any{}, schemas: map[string]any{}}
}

// api registers an API handler and documents it.
func (s *Server) api(pattern string, h func(http.ResponseWriter, *http.Request) error, d doc) {
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		if !d.Public {
			if _, err := actor(r); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		if err := h(w, r); err != nil {
			s.writeError(w, r, err)
		}
	})
	method, path, _ := strings.Cut(pattern, " ")
	s.openapi.add(method, path, d)
}

func (o *openAPI) add(method, path string, d doc) {
	o.mu.Lock()
	defer o.mu.Unlock()
	op := map[string]any{"summary": d.Summary, "operationId": strings.ToLower(method) + strings.NewReplacer("/api/v1", "", "/", "_", "{", "", "}", "", ".", "_").Replace(path)}
	var params []any
	for _, seg := range strings.Split(path, "/") {
		if strings.HasPrefix(seg, "{") {
			name := strings.Trim(seg, "{}")
			schema := map[string]any{"type": "integer", "minimum": 1}
			switch name {
			case "key": // a definition key such as purchase-request
				schema = map[string]any{"type": "string", "pattern": "^[a-z][a-z0-9-]*$"}
			case "code": // a project's code such as LF-2026-01
				schema = map[string]any{"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9-]*$"}
			case "sha256": // a file's content hash
				schema = map[string]any{"type": "string", "pattern": "^[0-9a-f]{64}$"}
			case "token": // a one-time link's token (external.go)
				schema = map[string]any{"type": "string", "pattern": "^[A-Za-z0-9_-]{43}$"}
			case "box": // an inbox list
				schema = map[string]any{"type": "string", "enum": []string{"todo", "done", "started", "cc"}}
			}
			params = append(params, map[string]any{"name": name, "in": "path", "required": true, "schema": schema})
		}
	}
	for _, q := range d.Query {
		schema := map[string]any{"type": q.Type}
		if q.Type == "integer" {
			schema["minimum"] = 0
		}
		if q.Default != "" {
			if n, err := strconv.Atoi(q.Default); err == nil && q.Type == "integer" {
				schema["default"] = n
			} else {
				schema["default"] = q.Default
			}
		}
		if len(q.Enum) > 0 {
			schema["enum"] = q.Enum
		}
		params = append(params, map[string]any{"name": q.Name, "in": "query", "schema": schema})
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	if d.In != nil {
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": o.schema(reflect.TypeOf(d.In))}}}
	}
	if d.Multipart {
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"multipart/form-data": map[string]any{"schema": map[string]any{
			"type": "object", "required": []string{"file"}, "properties": map[string]any{"file": map[string]any{"type": "string", "format": "binary"}}}}}}
	}
	status := d.Status
	if status == 0 {
		status = http.StatusOK
	}
	ok := map[string]any{"description": http.StatusText(status)}
	switch {
	case d.Produces != "":
		ok["content"] = map[string]any{d.Produces: map[string]any{"schema": map[string]any{"type": "string", "format": "binary"}}}
	case d.Out != nil:
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": o.schema(reflect.TypeOf(d.Out))}}
	}
	problem := map[string]any{"description": "Problem (RFC 9457)", "content": map[string]any{"application/problem+json": map[string]any{"schema": o.schema(reflect.TypeOf(Problem{}))}}}
	op["responses"] = map[string]any{itoa(status): ok, "4XX": problem, "5XX": problem}
	if !d.Public {
		op["security"] = []any{map[string]any{"bearer": []any{}}, map[string]any{"session": []any{}}}
	}
	if o.ops[path] == nil {
		o.ops[path] = map[string]any{}
	}
	o.ops[path][strings.ToLower(method)] = op
	o.cached = nil
}

var timeType = reflect.TypeOf(time.Time{})

// schema returns a JSON Schema for t, registering named structs as components.
func (o *openAPI) schema(t reflect.Type) map[string]any {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t.Kind() == reflect.String:
		return map[string]any{"type": "string"}
	case t.Kind() == reflect.Bool:
		return map[string]any{"type": "boolean"}
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return map[string]any{"type": "integer"}
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return map[string]any{"type": "number"}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		return map[string]any{"type": "array", "items": o.schema(t.Elem())}
	case t.Kind() == reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": o.schema(t.Elem())}
	case t.Kind() == reflect.Interface:
		return map[string]any{}
	case t.Kind() == reflect.Struct:
		name := t.Name()
		if name == "" {
			return o.structSchema(t)
		}
		if _, ok := o.schemas[name]; !ok {
			o.schemas[name] = map[string]any{} // placeholder against recursion
			o.schemas[name] = o.structSchema(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

func (o *openAPI) structSchema(t reflect.Type) map[string]any {
	props := map[string]any{}
	var required []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		props[name] = o.schema(f.Type)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") && f.Type.Kind() != reflect.Pointer {
			required = append(required, name)
		}
	}
	sort.Strings(required)
	s := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	return s
}

// document returns the OpenAPI 3.1 document.
func (o *openAPI) document() map[string]any {
	o.mu.Lock()
	defer o.mu.Unlock()
	paths := map[string]any{}
	for p, ops := range o.ops {
		paths[p] = ops
	}
	return map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": "LabFlow API", "version": o.version, "description": "LabFlow's JSON API. Errors are RFC 9457 problem documents with per-field messages."},
		"servers": []any{map[string]any{"url": "/"}},
		"paths":   paths,
		"components": map[string]any{
			"schemas": o.schemas,
			"securitySchemes": map[string]any{
				"bearer":  map[string]any{"type": "http", "scheme": "bearer", "description": "API token from POST /api/v1/me/tokens or `labflow user token`"},
				"session": map[string]any{"type": "apiKey", "in": "cookie", "name": SessionCookie},
			},
		},
	}
}

func (s *Server) serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.openapi.document())
}

// Routes lists the documented API routes as "METHOD /path" (for tests).
func (s *Server) APIRoutes() []string {
	s.openapi.mu.Lock()
	defer s.openapi.mu.Unlock()
	var out []string
	for p, ops := range s.openapi.ops {
		for m := range ops {
			out = append(out, strings.ToUpper(m)+" "+p)
		}
	}
	sort.Strings(out)
	return out
}

// queryNames describes query parameters by name alone (strings), for the
// handlers not yet written with the typed adapter (jsonRoute).
func queryNames(names ...string) []queryParam {
	out := make([]queryParam, 0, len(names))
	for _, n := range names {
		out = append(out, queryParam{Name: n, Type: "string"})
	}
	return out
}
