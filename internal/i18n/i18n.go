// Package i18n holds the message catalogs (zh, the default, and en) and
// picks the user's language. Catalogs are JSON files embedded from
// locales/, one pair per area: AREA.zh.json and AREA.en.json. Messages use
// {name} placeholders filled from named arguments.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
	"strings"

	"golang.org/x/text/language"
)

// The supported languages; Chinese is the default.
const (
	ZH = "zh"
	EN = "en"
)

// Langs lists the supported languages, default first.
var Langs = []string{ZH, EN}

//go:embed locales/*.json
var localeFS embed.FS

var catalogs = mustLoad()

func mustLoad() map[string]map[string]string {
	c, err := load(localeFS)
	if err != nil {
		panic(err) // the catalogs are embedded; a broken one is a build defect caught by tests
	}
	return c
}

func load(fsys fs.FS) (map[string]map[string]string, error) {
	out := map[string]map[string]string{ZH: {}, EN: {}}
	names, err := fs.Glob(fsys, "locales/*.json")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		parts := strings.Split(strings.TrimSuffix(strings.TrimPrefix(n, "locales/"), ".json"), ".")
		if len(parts) != 2 || out[parts[1]] == nil {
			return nil, fmt.Errorf("i18n: %s: want AREA.zh.json or AREA.en.json", n)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n: %s: %w", n, err)
		}
		for k, v := range m {
			if _, dup := out[parts[1]][k]; dup {
				return nil, fmt.Errorf("i18n: %s: key %q defined twice", n, k)
			}
			out[parts[1]][k] = v
		}
	}
	return out, nil
}

// Has reports whether key exists in lang's catalog.
func Has(lang, key string) bool { _, ok := catalogs[Norm(lang)][key]; return ok }

// Keys returns the sorted keys of lang's catalog.
func Keys(lang string) []string {
	var ks []string
	for k := range catalogs[Norm(lang)] {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// T translates key into lang, filling {name} placeholders from args. An
// unknown key is returned as is, so a missing translation is visible but
// harmless.
func T(lang, key string, args map[string]any) string {
	s, ok := catalogs[Norm(lang)][key]
	if !ok {
		if s, ok = catalogs[ZH][key]; !ok {
			return key
		}
	}
	if len(args) == 0 || !strings.Contains(s, "{") {
		return s
	}
	pairs := make([]string, 0, 2*len(args))
	for k, v := range args {
		if str, ok := v.(string); ok && Has(lang, str) {
			v = T(lang, str, nil) // arguments may themselves be message keys (e.g. entity names)
		}
		pairs = append(pairs, "{"+k+"}", fmt.Sprint(v))
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// Norm maps any language tag to a supported language.
func Norm(lang string) string {
	if strings.HasPrefix(strings.ToLower(lang), "en") {
		return EN
	}
	return ZH
}

var matcher = language.NewMatcher([]language.Tag{language.Chinese, language.English})

// FromRequest picks the language: the user's setting (pref) if any, then a
// ?lang= parameter or the lang cookie, then Accept-Language, then Chinese.
func FromRequest(r *http.Request, pref string) string {
	if pref == ZH || pref == EN {
		return pref
	}
	if q := r.URL.Query().Get("lang"); q == ZH || q == EN {
		return q
	}
	if c, err := r.Cookie("lang"); err == nil && (c.Value == ZH || c.Value == EN) {
		return c.Value
	}
	if al := r.Header.Get("Accept-Language"); al != "" {
		tags, _, err := language.ParseAcceptLanguage(al)
		if err == nil && len(tags) > 0 {
			_, idx, conf := matcher.Match(tags...)
			if conf != language.No && idx == 1 {
				return EN
			}
		}
	}
	return ZH
}
