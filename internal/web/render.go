package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/i18n"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages holds each page parsed once, at start, with the layout — one set
// per language, so that rendering needs no per-request cloning.
type pages struct {
	byName map[string]map[string]*template.Template // lang -> page -> template
	// roleName names roles the administrator defined (people.Service.RoleName);
	// nil names the built-in ones only.
	roleName func(lang string, r domain.Role) string
}

// roleNameIn names a role in lang.
func (p *pages) roleNameIn(lang string, r domain.Role) string {
	if p.roleName != nil {
		return p.roleName(lang, r)
	}
	return i18n.T(lang, "people.role."+string(r), nil)
}

// funcs are the template helpers; T and lang are bound to one language.
func funcs(lang string, loc *time.Location, p *pages) template.FuncMap {
	return template.FuncMap{
		// roleName names a role, built-in or defined by the administrator.
		"roleName": func(r domain.Role) string { return p.roleNameIn(lang, r) },
		"T":        func(key string, kv ...any) string { return i18n.T(lang, key, dict(kv...)) },
		"lang":     func() string { return lang },
		"fmtTime":  func(t time.Time) string { return fmtTimeLayout(t, loc, timeLayout) },
		"fmtSec":   func(t time.Time) string { return fmtTimeLayout(t, loc, secLayout) },
		"zone":     func() string { return zoneNote(loc) },
		"fmtDate":  func(t time.Time) string { return fmtTimeLayout(t, loc, time.DateOnly) },
		"join":     strings.Join,
		"hasRole":  func(a domain.Actor, r string) bool { return a.Has(domain.Role(r)) },
		"dict":     dict,
		"add":      func(a, b int) int { return a + b },
		"contains": strings.Contains,
		"stepTitle": func(d *flow.Definition, id string) string {
			if d == nil {
				return id
			}
			return stepTitler(d, lang)(id)
		},
	}
}

// timeLayout shows a time on a page in the institute's zone, to the minute
// ("2026-11-27 12:05"); secLayout to the second, where the second matters
// (the audit trail, signatures). Stored times are server UTC (R6); the
// layout states the zone once, at the foot of every page (zoneNote).
const (
	timeLayout = "2006-01-02 15:04"
	secLayout  = "2006-01-02 15:04:05"
)

// zoneNote names the zone pages show times in: "Asia/Shanghai, UTC+08:00".
func zoneNote(loc *time.Location) string {
	name := loc.String()
	_, off := time.Now().In(loc).Zone()
	sign := "+"
	if off < 0 {
		sign, off = "-", -off
	}
	return fmt.Sprintf("%s, UTC%s%02d:%02d", name, sign, off/3600, off%3600/60)
}

// tr translates key in lang with named arguments given as pairs.
func tr(lang, key string, kv ...any) string { return i18n.T(lang, key, dict(kv...)) }

func fmtTimeLayout(t time.Time, loc *time.Location, layout string) string {
	if t.IsZero() {
		return ""
	}
	return t.In(loc).Format(layout)
}

func dict(kv ...any) map[string]any {
	m := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[fmt.Sprint(kv[i])] = kv[i+1]
	}
	return m
}

func loadPages(loc *time.Location) (*pages, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	partials, err := fs.Glob(templateFS, "templates/_*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]map[string]*template.Template{}}
	for _, lang := range i18n.Langs {
		p.byName[lang] = map[string]*template.Template{}
		for _, n := range names {
			base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
			if base == "layout" || strings.HasPrefix(base, "_") {
				continue
			}
			files := append([]string{"templates/layout.html"}, partials...)
			files = append(files, n)
			t, err := template.New("layout.html").Funcs(funcs(lang, loc, p)).ParseFS(templateFS, files...)
			if err != nil {
				return nil, fmt.Errorf("web: template %s: %w", base, err)
			}
			p.byName[lang][base] = t
		}
	}
	return p, nil
}

// Names lists the pages (for the test that renders each one).
func (p *pages) Names() []string {
	var out []string
	for n := range p.byName[i18n.ZH] {
		out = append(out, n)
	}
	return out
}

// render executes a page with the layout in the request's language,
// filling in what every page has (Page).
func (s *Server) render(w http.ResponseWriter, r *http.Request, data pageData) {
	lang := s.lang(r)
	b, err := s.renderBytes(r, lang, data)
	if err != nil {
		s.log.Error("render", "page", data.template(), "err", err)
		http.Error(w, i18n.T(lang, "error.internal", nil), http.StatusInternalServerError)
		return
	}
	writeHTML(w, b)
}

func writeHTML(w http.ResponseWriter, b []byte) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

// renderBytes executes a page with the layout in lang.
func (s *Server) renderBytes(r *http.Request, lang string, data pageData) ([]byte, error) {
	t, ok := s.pages.byName[lang][data.template()]
	if !ok {
		return nil, fmt.Errorf("web: no page %q", data.template())
	}
	p := data.base()
	p.Lang, p.Path, p.Query = lang, r.URL.Path, r.URL.RawQuery
	if a, ok := domain.ActorFrom(r.Context()); ok {
		p.Actor, p.SignedIn = a, true
		if !p.Counts.Known {
			p.Counts = s.navCounts(r)
		}
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// fieldErrors turns an error into per-field translated messages for forms,
// plus a general message.
func (s *Server) fieldErrors(r *http.Request, err error) (map[string]string, string) {
	p, _ := problemOf(err, s.lang(r))
	m := map[string]string{}
	for _, f := range p.Errors {
		m[f.Field] = f.Message
	}
	return m, p.Detail
}
