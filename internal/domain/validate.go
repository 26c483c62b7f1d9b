package domain

import (
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Checker collects per-field validation messages; Err turns them into one
// KindInvalid error naming every bad field.
type Checker struct {
	fields map[string]Msg
}

// Add records a message for field unless the field already has one.
func (c *Checker) Add(field, key string, kv ...any) {
	if c.fields == nil {
		c.fields = map[string]Msg{}
	}
	if _, ok := c.fields[field]; !ok {
		c.fields[field] = Msg{Key: key, Args: pairs(kv)}
	}
}

// OK reports whether no message was recorded.
func (c *Checker) OK() bool { return len(c.fields) == 0 }

// Has reports whether field already has a message.
func (c *Checker) Has(field string) bool { _, ok := c.fields[field]; return ok }

// Err returns nil when all checks passed, or a KindInvalid error for op.
func (c *Checker) Err(op string) error {
	if c.OK() {
		return nil
	}
	return &Error{Kind: KindInvalid, Op: op, Key: "error.invalid", Fields: c.fields}
}

// Text checks a free-text field: required if req, at most max runes, valid
// UTF-8 and free of control characters other than newlines and tabs.
func (c *Checker) Text(field, v string, req bool, max int) {
	switch {
	case req && strings.TrimSpace(v) == "":
		c.Add(field, "field.required")
	case !utf8.ValidString(v):
		c.Add(field, "field.bad_text")
	case utf8.RuneCountInString(v) > max:
		c.Add(field, "field.too_long", "max", max)
	default:
		for _, r := range v {
			if r < 0x20 && r != '\n' && r != '\t' && r != '\r' || r == 0x7f {
				c.Add(field, "field.bad_text")
				return
			}
		}
	}
}

// Name checks a printed name — a person's, a department's: what Text
// checks, and nothing that can make two names look the same while they
// differ (so that "王建\u200b国" cannot pass for 王建国 on a signature or an
// approver list). It refuses control characters (Unicode Cc, newlines and
// tabs too), format characters (Cf: zero-width space and joiners, bidi
// embeddings, overrides and isolates, the byte-order mark, the soft
// hyphen), line and paragraph separators, private-use characters, the other
// default-ignorable code points (such as the Hangul fillers) and variation
// selectors ("field.bad_name"), and leading or trailing spaces
// ("field.name_spaces").
func (c *Checker) Name(field, v string, req bool, max int) {
	c.Text(field, v, req, max)
	if v == "" || c.Has(field) {
		return
	}
	for _, r := range v {
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp, unicode.Co,
			unicode.Other_Default_Ignorable_Code_Point, unicode.Variation_Selector) {
			c.Add(field, "field.bad_name")
			return
		}
	}
	if strings.TrimSpace(v) != v {
		c.Add(field, "field.name_spaces")
	}
}

var usernameRE = regexp.MustCompile(`^[a-z][a-z0-9._-]{1,39}$`)

// Username checks a login name: 2–40 characters, lowercase letters, digits, dot, dash, underscore.
func (c *Checker) Username(field, v string) {
	if v == "" {
		c.Add(field, "field.required")
	} else if !usernameRE.MatchString(v) {
		c.Add(field, "field.bad_username")
	}
}

// Email checks an optional e-mail address.
func (c *Checker) Email(field, v string) {
	if v == "" {
		return
	}
	a, err := mail.ParseAddress(v)
	if err != nil || a.Address != v || len(v) > 254 {
		c.Add(field, "field.bad_email")
	}
}

// Date checks an optional (or required) YYYY-MM-DD date.
func (c *Checker) Date(field, v string, req bool) {
	if v == "" {
		if req {
			c.Add(field, "field.required")
		}
		return
	}
	if _, err := time.Parse(time.DateOnly, v); err != nil {
		c.Add(field, "field.bad_date")
	}
}

// OneOf checks that v is one of the allowed values.
func (c *Checker) OneOf(field, v string, allowed ...string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	c.Add(field, "field.bad_choice")
}

// Password checks a new password: 10–128 characters.
func (c *Checker) Password(field, v string) {
	n := utf8.RuneCountInString(v)
	switch {
	case v == "":
		c.Add(field, "field.required")
	case n < 10:
		c.Add(field, "field.password_short", "min", 10)
	case n > 128:
		c.Add(field, "field.too_long", "max", 128)
	}
}
