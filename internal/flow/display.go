package flow

import (
	"fmt"
	"strings"
)

// What a definition shows of a request besides its form: the summary line
// the approval page starts with (Definition.Summary) and the title lists
// give it (Definition.ListTitle). Both name form values; the engine
// resolves them, and the web layer formats them as it formats the form.

// The references a list title may name besides form fields.
const (
	RefInitiator = "initiator" // who filed the request
	RefID        = "id"        // the request's number
)

// TitlePart is one piece of a list title: literal text, or a reference to
// a value (a field key, "table.column", "initiator" or "id").
type TitlePart struct {
	Text string `json:"text,omitempty"`
	Ref  string `json:"ref,omitempty"`
}

// ParseListTitle splits a list title into text and {references}; a brace
// that does not close, or an empty reference, is an error.
func ParseListTitle(s string) ([]TitlePart, error) {
	var out []TitlePart
	for s != "" {
		i := strings.IndexAny(s, "{}")
		if i < 0 {
			out = append(out, TitlePart{Text: s})
			break
		}
		if s[i] == '}' {
			return nil, fmt.Errorf("a } without its {")
		}
		if i > 0 {
			out = append(out, TitlePart{Text: s[:i]})
		}
		j := strings.IndexAny(s[i+1:], "{}")
		if j < 0 || s[i+1+j] != '}' {
			return nil, fmt.Errorf("a { without its }")
		}
		ref := strings.TrimSpace(s[i+1 : i+1+j])
		if ref == "" {
			return nil, fmt.Errorf("an empty {}")
		}
		out = append(out, TitlePart{Ref: ref})
		s = s[i+1+j+1:]
	}
	return out, nil
}

// ListTitleParts returns the definition's list title, parsed (lint has
// checked it; an unparsable one gives none).
func (d *Definition) ListTitleParts() []TitlePart {
	if d.ListTitle == "" {
		return nil
	}
	parts, err := ParseListTitle(d.ListTitle)
	if err != nil {
		return nil
	}
	return parts
}

// DisplayValue is one value a definition shows of a request, with the
// field (or table column) it comes from.
type DisplayValue struct {
	Ref string
	// Field is the field, or the column of a "table.column" reference; nil
	// for "initiator" and "id".
	Field *Field
	Label Text
	// Value is the form's value; for "table.column" the column's values,
	// row by row ([]any).
	Value any
}

// Display resolves a reference (a field key or "table.column") against a
// form. ok is false for a reference the definition does not have.
func (d *Definition) Display(ref string, form map[string]any) (DisplayValue, bool) {
	table, col, isCol := strings.Cut(ref, ".")
	f := d.field(table)
	if f == nil {
		return DisplayValue{}, false
	}
	if !isCol {
		return DisplayValue{Ref: ref, Field: f, Label: f.Label, Value: form[f.Key]}, true
	}
	for i := range f.Columns {
		c := &f.Columns[i]
		if c.Key != col {
			continue
		}
		var vals []any
		switch rows := form[f.Key].(type) {
		case []any:
			for _, r := range rows {
				if m, ok := r.(map[string]any); ok {
					vals = append(vals, m[col])
				}
			}
		case []map[string]any:
			for _, m := range rows {
				vals = append(vals, m[col])
			}
		}
		return DisplayValue{Ref: ref, Field: c, Label: c.Label, Value: vals}, true
	}
	return DisplayValue{}, false
}

// Summarize returns the values of the definition's summary line, in order.
func (d *Definition) Summarize(form map[string]any) []DisplayValue {
	out := make([]DisplayValue, 0, len(d.Summary))
	for _, ref := range d.Summary {
		if v, ok := d.Display(ref, form); ok {
			out = append(out, v)
		}
	}
	return out
}

// display checks the summary and the list title: each names a field of
// the form (a table by one of its columns), the title may also name the
// initiator and the request's number, and the title's braces close.
func (v *vctx) display() {
	d := v.d
	ref := func(p, r string, extra bool) {
		if extra && (r == RefInitiator || r == RefID) {
			return
		}
		table, col, isCol := strings.Cut(r, ".")
		f := v.fields[table]
		switch {
		case f == nil:
			v.add(p, "unknown field %q", r)
		case f.Type == FieldTable && !isCol:
			v.add(p, "%q is a table: name one of its columns (%s.COLUMN)", r, r)
		case isCol && f.Type != FieldTable:
			v.add(p, "%q is not a table", table)
		case isCol && !v.formIdents[r]:
			v.add(p, "table %q has no column %q", table, col)
		}
	}
	for i, r := range d.Summary {
		ref(fmt.Sprintf("summary[%d]", i), r, false)
	}
	if d.ListTitle == "" {
		return
	}
	parts, err := ParseListTitle(d.ListTitle)
	if err != nil {
		v.add("list_title", "%v", err)
		return
	}
	for _, p := range parts {
		if p.Ref != "" {
			ref("list_title", p.Ref, true)
		}
	}
}
