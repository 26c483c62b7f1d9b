package i18n

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// Ensure every message id exists, non-empty, in both catalogs, with the same placeholders.
func TestCatalogsComplete(t *testing.T) {
	for _, a := range Langs {
		for _, b := range Langs {
			for _, k := range Keys(a) {
				v, ok := catalogs[b][k]
				if !ok || strings.TrimSpace(v) == "" {
					t.Errorf("key %q is in %s but missing or empty in %s", k, a, b)
					continue
				}
				if got, want := placeholders(v), placeholders(catalogs[a][k]); got != want {
					t.Errorf("key %q: placeholders %s in %s, %s in %s", k, got, b, want, a)
				}
			}
		}
	}
}

func placeholders(s string) string {
	var out []string
	for {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			break
		}
		out = append(out, s[i:i+j+1])
		s = s[i+j+1:]
	}
	sortStrings(out)
	return strings.Join(out, ",")
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// Ensure the language follows preference, then query, then Accept-Language.
func TestFromRequest(t *testing.T) {
	cases := []struct{ pref, url, al, want string }{
		{"", "/", "", ZH},
		{"", "/", "en-US,en;q=0.9", EN},
		{"", "/", "zh-CN,zh;q=0.9,en;q=0.8", ZH},
		{"zh", "/", "en-US", ZH},
		{"", "/?lang=en", "zh-CN", EN},
		{"", "/", "fr-FR", ZH},
	}
	for _, c := range cases {
		r := httptest.NewRequest("GET", c.url, nil)
		if c.al != "" {
			r.Header.Set("Accept-Language", c.al)
		}
		if got := FromRequest(r, c.pref); got != c.want {
			t.Errorf("pref=%q url=%q al=%q: got %s, want %s", c.pref, c.url, c.al, got, c.want)
		}
	}
}

// Ensure placeholders are filled and keys given as arguments are translated.
func TestT(t *testing.T) {
	if got := T(EN, "field.too_long", map[string]any{"max": 5}); !strings.Contains(got, "5") {
		t.Fatalf("got %q", got)
	}
	if got := T(ZH, "no.such.key", nil); got != "no.such.key" {
		t.Fatalf("got %q", got)
	}
}
