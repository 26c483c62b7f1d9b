package domain

import (
	"strings"
	"testing"
)

// Ensure the field checks name the field and the reason.
func TestChecker(t *testing.T) {
	cases := []struct {
		name string
		run  func(c *Checker)
		key  string
	}{
		{"required", func(c *Checker) { c.Text("f", "  ", true, 10) }, "field.required"},
		{"too long", func(c *Checker) { c.Text("f", strings.Repeat("药", 11), false, 10) }, "field.too_long"},
		{"control char", func(c *Checker) { c.Text("f", "a\x00b", false, 10) }, "field.bad_text"},
		{"bad utf-8", func(c *Checker) { c.Text("f", "\xff", false, 10) }, "field.bad_text"},
		{"username", func(c *Checker) { c.Username("f", "Bad Name") }, "field.bad_username"},
		{"email", func(c *Checker) { c.Email("f", "not-an-email") }, "field.bad_email"},
		{"date", func(c *Checker) { c.Date("f", "2026-13-01", false) }, "field.bad_date"},
		{"choice", func(c *Checker) { c.OneOf("f", "x", "a", "b") }, "field.bad_choice"},
		{"password", func(c *Checker) { c.Password("f", "short") }, "field.password_short"},
	}
	for _, tc := range cases {
		var c Checker
		tc.run(&c)
		err := c.Err("op")
		if m, ok := FieldError(err, "f"); !ok || m.Key != tc.key || ErrorKind(err) != KindInvalid {
			t.Errorf("%s: got %v, want f=%s", tc.name, err, tc.key)
		}
	}
	var ok Checker
	ok.Text("f", "合成部 O'Brien; DROP TABLE", true, 100)
	ok.Username("u", "zhang.wei-2")
	ok.Email("e", "a@b.cn")
	ok.Date("d", "2026-02-28", true)
	if err := ok.Err("op"); err != nil {
		t.Fatalf("valid input refused: %v", err)
	}
}

// Ensure anything that is not a *Error is internal and wrapping keeps kinds.
func TestErrorKinds(t *testing.T) {
	if ErrorKind(strings.NewReader("").UnreadByte()) != KindInternal {
		t.Fatal("a plain error is not internal")
	}
	nf := NotFound("op", "entity.person")
	if Wrap("outer", nf) != nf || !IsKind(Wrap("outer", nf), KindNotFound) {
		t.Fatal("Wrap lost the kind")
	}
}

// Ensure a printed name refuses what makes two names look alike while they
// differ: control, format (zero-width, bidi, BOM, soft hyphen) and other
// invisible characters, and leading or trailing spaces; real names pass.
func TestR7_NameRefusesInvisibleCharacters(t *testing.T) {
	bad := map[string]string{
		"王建\u200b国":        "field.bad_name", // zero-width space
		"王建国\u200d":        "field.bad_name", // zero-width joiner
		"王\u200c建国":        "field.bad_name", // zero-width non-joiner
		"\u2060王建国":        "field.bad_name", // word joiner
		"\ufeff王建国":        "field.bad_name", // byte-order mark
		"王建\u00ad国":        "field.bad_name", // soft hyphen
		"\u202e国建王":        "field.bad_name", // right-to-left override
		"王建国\u2066x\u2069": "field.bad_name", // isolate
		"王建\u200e国":        "field.bad_name", // left-to-right mark
		"王建\u3164国":        "field.bad_name", // Hangul filler (invisible)
		"王建国\ufe0f":        "field.bad_name", // variation selector
		"王建\u2028国":        "field.bad_name", // line separator
		"王建\n国":            "field.bad_name", // newline
		"王建\t国":            "field.bad_name", // tab
		"王建\ue000国":        "field.bad_name", // private use
		" 王建国":             "field.name_spaces",
		"王建国 ":             "field.name_spaces",
		"王建国\u3000":        "field.name_spaces", // ideographic space
		"王建\x00国":          "field.bad_text",
		"":                 "field.required",
	}
	for v, key := range bad {
		var c Checker
		c.Name("name", v, true, 100)
		if m, ok := FieldError(c.Err("op"), "name"); !ok || m.Key != key {
			t.Errorf("%q: got %+v, want %s", v, m, key)
		}
	}
	for _, v := range []string{"王建国", "欧阳 娜娜", "Anne-Marie O'Brien", "José Müller", "阿卜杜拉·买买提", "合成部", "Synthesis"} {
		var c Checker
		c.Name("name", v, true, 100)
		if err := c.Err("op"); err != nil {
			t.Errorf("%q refused: %v", v, err)
		}
	}
}
