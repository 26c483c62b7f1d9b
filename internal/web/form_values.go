package web

import (
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"labflow/internal/flow"
)

// A process form rendered for reading, in people's words: option labels,
// names of people and departments, money with ¥ and separators, files by
// name. One reader per request caches the names it looked up.

// valueView is one field of a form for reading.
type valueView struct {
	Label, Text string
	Files       []fileView
	Table       *tableView
	// Money marks an amount (shown right-aligned, in figures).
	Money bool
}

// tableView is a table field for reading.
type tableView struct {
	Head []string
	// Num marks the columns of numbers and money (right-aligned).
	Num  []bool
	Rows [][]string
}

// fileView is a file named in a form or a comment: its name and size for
// people, its SHA-256 for the detail and the link.
type fileView struct {
	SHA  string
	Name string
	Size string
}

// reader formats form values for one request's pages.
type reader struct {
	s      *Server
	r      *http.Request
	lang   string
	people map[int64]string
	depts  map[int64]string
	files  map[string]fileView
	codes  map[int64]string
}

func (s *Server) reader(r *http.Request) *reader {
	return &reader{s: s, r: r, lang: s.lang(r), people: map[int64]string{}, files: map[string]fileView{}}
}

// person names a person by id ("#12" for one not found).
func (rd *reader) person(id int64) string {
	if id == 0 {
		return ""
	}
	if n, ok := rd.people[id]; ok {
		return n
	}
	n := "#" + strconv.FormatInt(id, 10)
	if p, err := rd.s.People.Person(rd.r.Context(), id); err == nil {
		n = p.Name
	}
	rd.people[id] = n
	return n
}

// project names a project by id: its code.
func (rd *reader) project(id int64) string {
	if c, ok := rd.codes[id]; ok {
		return c
	}
	c := "#" + strconv.FormatInt(id, 10)
	if svc, err := rd.s.projectService(); err == nil {
		if code := svc.CodeOf(rd.r.Context(), id); code != "" {
			c = code
		}
	}
	if rd.codes == nil {
		rd.codes = map[int64]string{}
	}
	rd.codes[id] = c
	return c
}

// dept names a department by id, in the reader's language.
func (rd *reader) dept(id int64) string {
	if rd.depts == nil {
		rd.depts, _, _ = rd.s.deptNames(rd.r)
	}
	if n, ok := rd.depts[id]; ok {
		return n
	}
	return "#" + strconv.FormatInt(id, 10)
}

// file describes a file by its SHA-256: its name and size when the reader
// may read it (the attachment service decides), else a short hash.
func (rd *reader) file(sha string) fileView {
	if f, ok := rd.files[sha]; ok {
		return f
	}
	f := fileView{SHA: sha, Name: shortHash(sha)}
	a, _ := actor(rd.r)
	if att, err := rd.s.Attach.Describe(rd.r.Context(), a, sha); err == nil {
		f.Name, f.Size = att.Name, sizeText(att.Size)
	}
	rd.files[sha] = f
	return f
}

func shortHash(sha string) string {
	if len(sha) > 12 {
		return sha[:12] + "…"
	}
	return sha
}

// sizeText is a file size for people: "812 B", "4.2 KB", "63.5 MB".
func sizeText(n int64) string {
	switch {
	case n < 1024:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1<<20:
		return strconv.FormatFloat(float64(n)/1024, 'f', 1, 64) + " KB"
	default:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	}
}

// text formats one value of field f for reading; money has its ¥ unless
// bare (a list title supplies its own).
func (rd *reader) text(f *flow.Field, v any, bare bool) string {
	switch f.Type {
	case flow.FieldSelect, flow.FieldMultiSelect:
		var out []string
		for _, x := range valueList(v) {
			l := x
			for _, o := range f.Options {
				if o.Value == x {
					l = o.Label.In(rd.lang)
				}
			}
			out = append(out, l)
		}
		return strings.Join(out, "、")
	case flow.FieldPerson:
		if id, err := strconv.ParseInt(valueText(v), 10, 64); err == nil {
			return rd.person(id)
		}
	case flow.FieldDepartment:
		if id, err := strconv.ParseInt(valueText(v), 10, 64); err == nil {
			return rd.dept(id)
		}
	case flow.FieldReference:
		if id, err := strconv.ParseInt(valueText(v), 10, 64); err == nil {
			return rd.s.Flow.ReferenceLabel(rd.r.Context(), f.Ref, id)
		}
	case flow.FieldMoney:
		if m := moneyText(valueText(v)); m != "" {
			if bare {
				return m
			}
			return "¥" + m
		}
		return ""
	case flow.FieldDateTime:
		// Stored in UTC when entered with a zone, else as the wall time typed.
		x := valueText(v)
		if t, err := time.Parse(time.RFC3339, x); err == nil {
			return fmtTimeLayout(t, rd.s.TimeZone, timeLayout)
		}
		return strings.Replace(x, "T", " ", 1)
	case flow.FieldFiles:
		var names []string
		for _, sha := range valueList(v) {
			names = append(names, rd.file(sha).Name)
		}
		return strings.Join(names, "、")
	case flow.FieldTable:
		return strconv.Itoa(len(rowsOf(v)))
	}
	return valueText(v)
}

// display formats a value a definition shows (summary, list title): a
// column's values joined, the first three and a count of the rest.
func (rd *reader) display(v flow.DisplayValue, bare bool) string {
	if v.Field == nil {
		return valueText(v.Value)
	}
	vals, isCol := v.Value.([]any)
	if !isCol || v.Field.Type == flow.FieldMultiSelect || v.Field.Type == flow.FieldFiles {
		return rd.text(v.Field, v.Value, bare)
	}
	var parts []string
	for _, x := range vals {
		if t := rd.text(v.Field, x, bare); t != "" {
			parts = append(parts, t)
		}
	}
	if len(parts) > 3 {
		more := len(parts) - 3
		parts = append(parts[:3:3], tr(rd.lang, "page.and_more", "n", more))
	}
	return strings.Join(parts, "、")
}

// formValues renders a form for reading, field by field.
func (rd *reader) formValues(d *flow.Definition, form map[string]any) []valueView {
	var out []valueView
	for i := range d.Form {
		f := &d.Form[i]
		v, ok := form[f.Key]
		if !ok {
			continue
		}
		vv := valueView{Label: f.Label.In(rd.lang), Money: f.Type == flow.FieldMoney}
		switch f.Type {
		case flow.FieldTable:
			tv := &tableView{}
			for _, c := range f.Columns {
				tv.Head = append(tv.Head, c.Label.In(rd.lang))
				tv.Num = append(tv.Num, c.Type == flow.FieldMoney || c.Type == flow.FieldNumber)
			}
			for _, row := range rowsOf(v) {
				var cells []string
				for j := range f.Columns {
					cells = append(cells, rd.text(&f.Columns[j], row[f.Columns[j].Key], false))
				}
				tv.Rows = append(tv.Rows, cells)
			}
			vv.Table = tv
		case flow.FieldFiles:
			for _, sha := range valueList(v) {
				vv.Files = append(vv.Files, rd.file(sha))
			}
		default:
			vv.Text = rd.text(f, v, false)
		}
		out = append(out, vv)
	}
	return out
}

// formValues renders an instance's form for reading.
func (s *Server) formValues(r *http.Request, d *flow.Definition, form map[string]any) []valueView {
	return s.reader(r).formValues(d, form)
}

// moneyText formats an exact decimal amount with thousands separators and
// two places ("4375" → "4,375.00"); text that is not a number is kept.
func moneyText(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	x, ok := new(big.Rat).SetString(s)
	if !ok {
		return s
	}
	t := x.FloatString(2)
	neg := strings.HasPrefix(t, "-")
	t = strings.TrimPrefix(t, "-")
	intPart, frac, _ := strings.Cut(t, ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	b.WriteByte('.')
	b.WriteString(frac)
	return b.String()
}

// clip shortens text to n characters with an ellipsis (for lines in lists).
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n]) + "…"
}

func fieldOf(d *flow.Definition, key string) *flow.Field {
	for i := range d.Form {
		if d.Form[i].Key == key {
			return &d.Form[i]
		}
	}
	return nil
}

// valueSummary renders one rendered value in a line.
func valueSummary(vs []valueView) string {
	if len(vs) == 0 {
		return "—"
	}
	v := vs[0]
	switch {
	case v.Table != nil:
		var rows []string
		for _, r := range v.Table.Rows {
			var cells []string
			for _, c := range r {
				if c != "" {
					cells = append(cells, c)
				}
			}
			rows = append(rows, strings.Join(cells, " / "))
		}
		return strings.Join(rows, "；")
	case v.Files != nil:
		var names []string
		for _, f := range v.Files {
			names = append(names, f.Name)
		}
		return strings.Join(names, "、")
	}
	return v.Text
}
