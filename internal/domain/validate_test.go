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
