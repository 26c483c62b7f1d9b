package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/i18n"
	"labflow/internal/people"
)

// A process form rendered from its definition's fields (a fieldView per
// field or table cell) and read back from a submitted HTML form.

const (
	defaultTableRows = 5
	moreTableRows    = 5
	maxFormBody      = 64 << 20 // a start form may carry files
)

// optionView is one choice of a select.
type optionView struct {
	Value, Label string
	Selected     bool
}

// fieldView is one form field (or table cell) ready for the template.
type fieldView struct {
	Key, Name, Label, Help string
	Type                   flow.FieldType
	Required, Computed     bool
	Value                  string
	Options                []optionView
	Files                  []fileView // files already in the field
	MaxMB                  int64      // files: the size limit of a submission
	Error                  string
	Min, Max, Step         string
	MaxLen                 int
	// Aria labels a table cell ("名称（第 1 行）"): its column heading
	// is not a label.
	Aria string
	// ReadOnly shows the value without letting it change (a table column a
	// step may not edit, when it may edit another: items.unit_price).
	ReadOnly bool
	// Tables.
	Columns  []fieldView
	Rows     [][]fieldView
	RowCount int
	RowError map[int]string
	// FixedRows: the rows cannot be added or removed (column-level editing).
	FixedRows bool
}

type formCtx struct {
	rd     *reader // names the files already in a form
	lang   string
	values map[string]any // submitted or stored values by key ("items" → rows)
	errs   map[string]string
	people map[string][]optionView // by role ("" = everyone)
	depts  []optionView
	refs   map[string][]optionView // what reference fields may point at, by ref
}

func (s *Server) newFormCtx(r *http.Request, d *flow.Definition, values map[string]any, errs map[string]string) (*formCtx, error) {
	fc := &formCtx{lang: s.lang(r), values: values, errs: errs, people: map[string][]optionView{}, refs: map[string][]optionView{}, rd: s.reader(r)}
	if fc.values == nil {
		fc.values = map[string]any{}
	}
	if fc.errs == nil {
		fc.errs = map[string]string{}
	}
	var need = map[string]bool{}
	dept := false
	var walk func([]flow.Field)
	walk = func(fs []flow.Field) {
		for _, f := range fs {
			switch f.Type {
			case flow.FieldPerson:
				need[f.Role] = true
			case flow.FieldDepartment:
				dept = true
			case flow.FieldReference:
				fc.refs[f.Ref] = nil
			case flow.FieldTable:
				walk(f.Columns)
			}
		}
	}
	walk(d.Form)
	for ref := range fc.refs {
		a, _ := actor(r)
		cs, err := s.Flow.Choices(r.Context(), a, ref, "", 200)
		if err != nil {
			return nil, err
		}
		opts := []optionView{}
		for _, c := range cs {
			opts = append(opts, optionView{Value: strconv.FormatInt(c.ID, 10), Label: c.Label})
		}
		fc.refs[ref] = opts
	}
	for role := range need {
		ps, _, err := s.People.People(r.Context(), people.PersonFilter{Role: domain.Role(role), Limit: 1000})
		if err != nil {
			return nil, err
		}
		var opts []optionView
		for _, p := range ps {
			opts = append(opts, optionView{Value: strconv.FormatInt(p.ID, 10), Label: p.Name + " (" + p.Username + ")"})
		}
		fc.people[role] = opts
	}
	if dept {
		ds, err := s.People.Departments(r.Context(), false)
		if err != nil {
			return nil, err
		}
		for _, x := range ds {
			l := x.NameZH
			if fc.lang == i18n.EN {
				l = x.NameEN
			}
			fc.depts = append(fc.depts, optionView{Value: strconv.FormatInt(x.ID, 10), Label: l})
		}
	}
	return fc, nil
}

// text renders a stored or submitted value as the text of an input.
func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return string(x)
	case []string:
		return strings.Join(x, ", ")
	case []any:
		var parts []string
		for _, e := range x {
			parts = append(parts, valueText(e))
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}

func valueList(v any) []string {
	switch x := v.(type) {
	case string:
		if x == "" {
			return nil
		}
		return []string{x}
	case []string:
		return x
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, valueText(e))
		}
		return out
	}
	return nil
}

func rowsOf(v any) []map[string]any {
	switch x := v.(type) {
	case []map[string]any:
		return x
	case []any:
		var out []map[string]any
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			} else {
				out = append(out, map[string]any{})
			}
		}
		return out
	}
	return nil
}

func (fc *formCtx) field(f flow.Field, name string, v any) fieldView {
	fv := fieldView{Key: f.Key, Name: name, Label: f.Label.In(fc.lang), Help: f.Help.In(fc.lang), Type: f.Type, Required: f.Required,
		Computed: f.Computed != "", Value: valueText(v), Error: fc.errs[name], Min: f.Min, Max: f.Max, MaxLen: f.MaxLen}
	switch f.Type {
	case flow.FieldNumber:
		fv.Step = "any"
	case flow.FieldMoney:
		fv.Step = "0.01"
	case flow.FieldSelect, flow.FieldMultiSelect:
		sel := map[string]bool{}
		for _, x := range valueList(v) {
			sel[x] = true
		}
		for _, o := range f.Options {
			fv.Options = append(fv.Options, optionView{Value: o.Value, Label: o.Label.In(fc.lang), Selected: sel[o.Value]})
		}
	case flow.FieldPerson:
		for _, o := range fc.people[f.Role] {
			o.Selected = o.Value == fv.Value
			fv.Options = append(fv.Options, o)
		}
	case flow.FieldDepartment:
		for _, o := range fc.depts {
			o.Selected = o.Value == fv.Value
			fv.Options = append(fv.Options, o)
		}
	case flow.FieldReference:
		for _, o := range fc.refs[f.Ref] {
			o.Selected = o.Value == fv.Value
			fv.Options = append(fv.Options, o)
		}
	case flow.FieldFiles:
		for _, sha := range valueList(v) {
			fv.Files = append(fv.Files, fc.rd.file(sha))
		}
		fv.MaxMB = maxFormBody >> 20
		fv.Value = ""
	}
	return fv
}

// fields builds the views of d's fields (only those in keys, when given);
// rows asks for at least that many rows per table.
func (fc *formCtx) fields(d *flow.Definition, keys []string, rows map[string]int) []fieldView {
	var out []fieldView
	for _, f := range d.Form {
		if keys != nil && !containsStr(keys, f.Key) {
			continue
		}
		if f.Type != flow.FieldTable {
			if f.Computed != "" && fc.values[f.Key] == nil {
				fv := fc.field(f, f.Key, nil)
				out = append(out, fv)
				continue
			}
			out = append(out, fc.field(f, f.Key, fc.values[f.Key]))
			continue
		}
		tv := fc.field(f, f.Key, nil)
		for _, c := range f.Columns {
			tv.Columns = append(tv.Columns, fc.field(c, "", nil))
		}
		data := rowsOf(fc.values[f.Key])
		n := max(len(data), rows[f.Key], defaultTableRows, f.MinRows)
		if f.MaxRows > 0 {
			n = min(n, max(f.MaxRows, len(data)))
		}
		tv.RowCount = n
		tv.RowError = map[int]string{}
		for i := 0; i < n; i++ {
			var row map[string]any
			if i < len(data) {
				row = data[i]
			}
			var cells []fieldView
			for _, c := range f.Columns {
				cell := fc.field(c, fmt.Sprintf("%s.%d.%s", f.Key, i+1, c.Key), row[c.Key])
				cell.Aria = tr(fc.lang, "page.cell", "label", cell.Label, "n", i+1)
				cells = append(cells, cell)
			}
			if m := fc.errs[fmt.Sprintf("%s.%d", f.Key, i+1)]; m != "" {
				tv.RowError[i+1] = m
			}
			tv.Rows = append(tv.Rows, cells)
		}
		out = append(out, tv)
	}
	return out
}

// editFields builds the views of what a step may edit (its Editable
// entries): whole fields, and for "table.column" entries the table with
// only those columns open, its rows fixed.
func (fc *formCtx) editFields(d *flow.Definition, editable []string) []fieldView {
	var keys []string
	cols := map[string][]string{}
	for _, e := range editable {
		table, col, isCol := strings.Cut(e, ".")
		if !containsStr(keys, table) {
			keys = append(keys, table)
		}
		if isCol {
			cols[table] = append(cols[table], col)
		} else {
			cols[table] = nil
			cols[table+"\x00whole"] = []string{}
		}
	}
	out := fc.fields(d, keys, nil)
	for i := range out {
		tv := &out[i]
		open, limited := cols[tv.Key]
		if _, whole := cols[tv.Key+"\x00whole"]; tv.Type != flow.FieldTable || !limited || whole || open == nil {
			continue
		}
		data := rowsOf(fc.values[tv.Key])
		tv.Rows, tv.RowCount, tv.FixedRows = tv.Rows[:len(data)], len(data), true
		for r := range tv.Rows {
			for c := range tv.Rows[r] {
				cell := &tv.Rows[r][c]
				if !cell.Computed && !containsStr(open, tv.Columns[c].Key) {
					cell.ReadOnly = true
				}
			}
		}
	}
	return out
}

func containsStr(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// readForm reads d's fields (only keys, when given) from a submitted HTML
// form into the shape ValidateForm takes. Files chosen in the form are
// stored first and their SHA-256 put into the field. It also returns the
// number of rows each table was shown with.
func (s *Server) readForm(r *http.Request, a domain.Actor, d *flow.Definition, keys []string) (map[string]any, map[string]int, error) {
	form := map[string]any{}
	rows := map[string]int{}
	var files map[string][]*multipart.FileHeader
	if r.MultipartForm != nil {
		files = r.MultipartForm.File
	}
	for _, f := range d.Form {
		if keys != nil && !containsStr(keys, f.Key) || f.Computed != "" {
			continue
		}
		switch f.Type {
		case flow.FieldMultiSelect:
			if vs := r.PostForm[f.Key]; len(vs) > 0 {
				form[f.Key] = vs
			}
		case flow.FieldFiles:
			var hashes []string
			for _, h := range r.PostForm[f.Key] {
				if h = strings.TrimSpace(h); h != "" {
					hashes = append(hashes, h)
				}
			}
			for _, fh := range files[f.Key] {
				if fh.Filename == "" {
					continue
				}
				fr, err := fh.Open()
				if err != nil {
					return nil, nil, err
				}
				att, err := s.Attach.Upload(r.Context(), a, fh.Filename, fr, "flow", d.Key)
				fr.Close()
				if err != nil {
					return nil, nil, err
				}
				hashes = append(hashes, att.SHA256)
			}
			if len(hashes) > 0 {
				form[f.Key] = hashes
			}
		case flow.FieldTable:
			n, _ := strconv.Atoi(r.PostFormValue("rows." + f.Key))
			n = min(max(n, 0), 1000)
			rows[f.Key] = n
			var list []any
			for i := 1; i <= n; i++ {
				row := map[string]any{}
				for _, c := range f.Columns {
					if c.Computed != "" {
						continue
					}
					name := fmt.Sprintf("%s.%d.%s", f.Key, i, c.Key)
					if c.Type == flow.FieldMultiSelect {
						if vs := r.PostForm[name]; len(vs) > 0 {
							row[c.Key] = vs
						}
						continue
					}
					if v := r.PostFormValue(name); v != "" {
						row[c.Key] = v
					}
				}
				list = append(list, row)
			}
			// Trailing blank rows are only the empty lines of the page.
			for len(list) > 0 && len(list[len(list)-1].(map[string]any)) == 0 {
				list = list[:len(list)-1]
			}
			if len(list) > 0 {
				form[f.Key] = list
			}
		default:
			if v := r.PostFormValue(f.Key); strings.TrimSpace(v) != "" {
				form[f.Key] = v
			}
		}
	}
	return form, rows, nil
}

// parseAnyForm parses a submitted form, URL-encoded or multipart (files
// included), of at most maxFormBody bytes. A body over the limit is
// refused naming the files; what was typed before the files (fields come
// first in a form's order) is kept in r.PostForm, so that the page can
// show it again with the error instead of losing it.
func parseAnyForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	multi := strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data")
	var head *prefixBuffer
	if multi {
		head = &prefixBuffer{max: 256 << 10}
		r.Body = teeBody{r.Body, head}
	}
	var err error
	if multi {
		err = r.ParseMultipartForm(8 << 20)
	} else {
		err = r.ParseForm()
	}
	if err == nil {
		return nil
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		if multi {
			r.PostForm = prefixValues(r, head.b.Bytes())
		}
		e := domain.E(domain.KindTooLarge, "web.form", "error.too_large")
		e.Fields = map[string]domain.Msg{"attachments": {Key: "field.file_too_large", Args: map[string]any{"max_mb": int64(maxFormBody >> 20)}}}
		return e
	}
	return fieldErr(domain.KindInvalid, "web.form", "error.invalid", "body", "field.bad_type")
}

// prefixBuffer keeps the first max bytes written to it.
type prefixBuffer struct {
	b   bytes.Buffer
	max int
}

func (p *prefixBuffer) Write(b []byte) (int, error) {
	if room := p.max - p.b.Len(); room > 0 {
		p.b.Write(b[:min(len(b), room)])
	}
	return len(b), nil
}

// teeBody copies what is read of a request body into a prefixBuffer.
type teeBody struct {
	io.ReadCloser
	head *prefixBuffer
}

func (t teeBody) Read(b []byte) (int, error) {
	n, err := t.ReadCloser.Read(b)
	t.head.Write(b[:n])
	return n, err
}

// prefixValues reads the complete text fields from the start of a
// multipart body (the rest, with the files, was refused).
func prefixValues(r *http.Request, head []byte) url.Values {
	out := url.Values{}
	_, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		return out
	}
	mr := multipart.NewReader(bytes.NewReader(head), params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return out
		}
		if p.FileName() != "" {
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p, 1<<20))
		if err != nil {
			return out
		}
		out.Add(p.FormName(), string(b))
	}
}

// formMessages turns a validation error into messages by field, in the
// user's language ("flow.check" messages carry both languages).
func (s *Server) formMessages(r *http.Request, err error) (map[string]string, string) {
	fe, msg := s.fieldErrors(r, err)
	if de, ok := err.(*domain.Error); ok {
		lang := s.lang(r)
		for k, m := range de.Fields {
			if t, ok := flow.MsgText(m, lang); ok {
				fe[k] = t
			}
		}
	}
	return fe, msg
}

// formIDs reads the positive integer values of a repeated form field
// (checkboxes of tasks or notifications); anything else is ignored.
func formIDs(r *http.Request, name string) []int64 {
	var ids []int64
	for _, v := range r.PostForm[name] {
		if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
			ids = append(ids, id)
		}
	}
	return ids
}
