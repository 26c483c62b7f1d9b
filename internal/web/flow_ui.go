package web

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"mime/multipart"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/i18n"
	"labflow/internal/people"
)

// The process pages: /processes (what one may start), the start form
// rendered from a definition's fields, /inbox, /instances/{id} and
// /notifications.

const (
	defaultTableRows = 5
	moreTableRows    = 5
	maxFormBody      = 64 << 20 // a start form may carry files
)

// ---------- form rendering ----------

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
	Files                  []string // attachment hashes already in the field
	Error                  string
	Min, Max, Step         string
	MaxLen                 int
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
	lang   string
	values map[string]any // submitted or stored values by key ("items" → rows)
	errs   map[string]string
	people map[string][]optionView // by role ("" = everyone)
	depts  []optionView
	refs   map[string][]optionView // what reference fields may point at, by ref
}

func (s *Server) newFormCtx(r *http.Request, d *flow.Definition, values map[string]any, errs map[string]string) (*formCtx, error) {
	fc := &formCtx{lang: s.lang(r), values: values, errs: errs, people: map[string][]optionView{}, refs: map[string][]optionView{}}
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
		fv.Files = valueList(v)
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
				cells = append(cells, fc.field(c, fmt.Sprintf("%s.%d.%s", f.Key, i+1, c.Key), row[c.Key]))
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

func parseAnyForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		err = r.ParseMultipartForm(8 << 20)
	} else {
		err = r.ParseForm()
	}
	if err != nil {
		if _, ok := err.(*http.MaxBytesError); ok {
			return fieldErr(domain.KindTooLarge, "web.form", "error.too_large", "body", "field.body_too_large")
		}
		return fieldErr(domain.KindInvalid, "web.form", "error.invalid", "body", "field.bad_type")
	}
	return nil
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

func newIdemKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ---------- /processes ----------

type processView struct {
	Key, Title, Description string
	Version                 int
	CanStart                bool
	Steps                   []string
}

func (s *Server) uiProcesses(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	e := s.Flow
	lang := s.lang(r)
	var list []processView
	for _, d := range e.Definitions() {
		pv := processView{Key: d.Key, Title: d.Title.In(lang), Description: d.Description.In(lang), Version: d.Version, CanStart: mayStartDef(a, d)}
		for _, st := range d.Steps {
			if st.Kind == flow.StepApproval || st.Kind == "" || st.Kind == flow.StepTask {
				pv.Steps = append(pv.Steps, st.Title.In(lang))
			}
		}
		list = append(list, pv)
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].CanStart && !list[j].CanStart })
	s.render(w, r, "processes", map[string]any{"Processes": list})
	return nil
}

func (s *Server) renderStartForm(w http.ResponseWriter, r *http.Request, d *flow.Definition, values map[string]any, rows map[string]int,
	errs map[string]string, msg, idem string) error {
	fc, err := s.newFormCtx(r, d, values, errs)
	if err != nil {
		return err
	}
	lang := s.lang(r)
	if idem == "" {
		idem = newIdemKey()
	}
	choices, err := s.startChoices(r, d)
	if err != nil {
		return err
	}
	if errs == nil {
		errs = map[string]string{}
	}
	s.render(w, r, "process_start", map[string]any{"Def": d, "Title": d.Title.In(lang), "Description": d.Description.In(lang),
		"Fields": fc.fields(d, d.StartFields(), rows), "Choices": choices, "Error": msg, "Errors": errs, "IdemKey": idem})
	return nil
}

// choiceView is a step whose assignee the initiator picks when filing
// (chosen_by: initiator), with the holders of its role to pick from.
type choiceView struct {
	Step, Title, Selected string
	Options               []optionView
}

func (s *Server) startChoices(r *http.Request, d *flow.Definition) ([]choiceView, error) {
	a, _ := actor(r)
	lang := s.lang(r)
	var out []choiceView
	for _, st := range d.Steps {
		if st.Assignee.ChosenBy != "initiator" {
			continue
		}
		holders, err := s.People.WithRole(r.Context(), domain.Role(st.Assignee.Role), 0)
		if err != nil {
			return nil, err
		}
		cv := choiceView{Step: st.ID, Title: st.Title.In(lang), Selected: r.PostFormValue("chosen." + st.ID)}
		for _, p := range holders {
			if p.ID != a.ID {
				cv.Options = append(cv.Options, optionView{Value: strconv.FormatInt(p.ID, 10), Label: p.Name + " (" + p.Username + ")"})
			}
		}
		out = append(out, cv)
	}
	return out, nil
}

// formChosen reads the start form's choices of assignees ("chosen.STEP").
func formChosen(r *http.Request) map[string]int64 {
	out := map[string]int64{}
	for k, vs := range r.PostForm {
		if step, ok := strings.CutPrefix(k, "chosen."); ok && len(vs) > 0 {
			if id, err := strconv.ParseInt(vs[0], 10, 64); err == nil && id > 0 {
				out[step] = id
			}
		}
	}
	return out
}

func (s *Server) uiNewInstance(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	d, err := s.definition(r)
	if err != nil {
		return err
	}
	if !mayStartDef(a, d) {
		return domain.Forbidden("web.newInstance")
	}
	rows := map[string]int{}
	for _, f := range d.Form {
		if f.Type == flow.FieldTable {
			if n, err := strconv.Atoi(r.URL.Query().Get("rows." + f.Key)); err == nil {
				rows[f.Key] = min(max(n, 1), 200)
			}
		}
	}
	return s.renderStartForm(w, r, d, nil, rows, nil, "", "")
}

func (s *Server) uiStartInstance(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	d, err := s.definition(r)
	if err != nil {
		return err
	}
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	form, rows, err := s.readForm(r, a, d, d.StartFields())
	if err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderStartForm(w, r, d, nil, rows, fe, msg, "")
		})
	}
	idem := r.PostFormValue("idempotency_key")
	if more := r.PostFormValue("more_rows"); more != "" {
		// "More rows": show the form again with what was entered and more empty lines.
		rows[more] += moreTableRows
		return s.renderStartForm(w, r, d, form, rows, nil, "", idem)
	}
	inst, err := s.start(r, a, d, form, formChosen(r), idem)
	if err != nil {
		return s.formError(w, r, err, func(_ map[string]string, msg string) error {
			fe, _ := s.formMessages(r, err)
			return s.renderStartForm(w, r, d, form, rows, fe, msg, idem)
		})
	}
	if len(inst.Issued) > 0 {
		// A link went to someone outside the institute: its token is shown
		// to the initiator this once, on the request page (external.go).
		return s.renderIssued(w, r, inst)
	}
	http.Redirect(w, r, "/instances/"+strconv.FormatInt(inst.ID, 10), http.StatusSeeOther)
	return nil
}

// uiPreviewForm answers the start form's script while the form is being
// filled in: the computed fields and columns (a line's amount, the total)
// for what has been entered, as {"values": {"total": "771.00",
// "items.1.amount": "771.00"}}. Nothing is stored and files are not read.
func (s *Server) uiPreviewForm(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	d, err := s.definition(r)
	if err != nil {
		return err
	}
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	if r.MultipartForm != nil {
		r.MultipartForm.File = nil // a preview uploads nothing
	}
	form, _, err := s.readForm(r, a, d, d.StartFields())
	if err != nil {
		return err
	}
	out := flow.PreviewForm(d, form)
	values := map[string]string{}
	for _, f := range d.Form {
		if f.Computed != "" {
			if v, ok := out[f.Key]; ok {
				values[f.Key] = fmt.Sprint(v)
			}
			continue
		}
		if f.Type != flow.FieldTable {
			continue
		}
		// Normalizing drops blank lines; the entered lines that were not
		// blank map, in order, to the normalized rows.
		in, _ := form[f.Key].([]any)
		norm, _ := out[f.Key].([]map[string]any)
		j := 0
		for i, row := range in {
			if m, _ := row.(map[string]any); len(m) == 0 {
				continue
			}
			if j >= len(norm) {
				break
			}
			for _, c := range f.Columns {
				if v, ok := norm[j][c.Key]; ok && c.Computed != "" {
					values[fmt.Sprintf("%s.%d.%s", f.Key, i+1, c.Key)] = fmt.Sprint(v)
				}
			}
			j++
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"values": values})
	return nil
}

// ---------- /inbox ----------

type inboxRow struct {
	flow.InboxItem
	DefTitle, StepTitle, OutcomeLabel string
	// Ended is the label of the outcome the request ended with (转正).
	Ended string
	Bulk  bool
}

var inboxBoxes = []flow.Box{flow.BoxTodo, flow.BoxDone, flow.BoxStarted, flow.BoxCC}

func (s *Server) uiInbox(w http.ResponseWriter, r *http.Request) error {
	return s.renderInbox(w, r, nil)
}

func (s *Server) renderInbox(w http.ResponseWriter, r *http.Request, data map[string]any) error {
	a, _ := actor(r)
	e := s.Flow
	box := flow.Box(r.URL.Query().Get("box"))
	if box == "" {
		box = flow.BoxTodo
	}
	if !containsStr([]string{"todo", "done", "started", "cc"}, string(box)) {
		return fieldErr(domain.KindInvalid, "web.inbox", "error.invalid", "box", "field.bad_choice")
	}
	f, err := inboxFilter(r)
	if err != nil {
		return err
	}
	items, total, err := e.Inbox(r.Context(), a, box, f)
	if err != nil {
		return err
	}
	counts, err := s.counts(r.Context(), a)
	if err != nil {
		return err
	}
	lang := s.lang(r)
	rows := make([]inboxRow, 0, len(items))
	anyBulk := false
	for _, it := range items {
		row := inboxRow{InboxItem: it, DefTitle: it.Definition.In(lang), StepTitle: it.StepTitle.In(lang), Ended: it.OutcomeLabel.In(lang)}
		if it.Outcome != "" {
			row.OutcomeLabel = it.Outcome
			if k := "flowui.outcome." + it.Outcome; i18n.Has(lang, k) {
				row.OutcomeLabel = i18n.T(lang, k, nil)
			}
		}
		if box == flow.BoxTodo && it.TaskState == flow.TaskOpen {
			if d, ok := e.Definition(it.DefinitionKey); ok && d.BulkApprove && d.Version == it.DefinitionVersion {
				if st := d.Step(it.StepID); st != nil && st.Signature == "" && it.InitiatorID != a.ID {
					row.Bulk, anyBulk = true, true
				}
			}
		}
		rows = append(rows, row)
	}
	type defOpt struct{ Key, Title string }
	var defs []defOpt
	for _, d := range e.Definitions() {
		defs = append(defs, defOpt{d.Key, d.Title.In(lang)})
	}
	// The initiator filter lists people by name (inactive ones too: their
	// requests stay in the boxes).
	ppl, _, err := s.People.People(r.Context(), people.PersonFilter{IncludeInactive: true, Limit: 1000})
	if err != nil {
		return err
	}
	initiators := make([]optionView, 0, len(ppl))
	for _, p := range ppl {
		initiators = append(initiators, optionView{Value: strconv.FormatInt(p.ID, 10), Label: p.Name + " (" + p.Username + ")",
			Selected: p.ID == f.InitiatorID})
	}
	q := r.URL.Query()
	q.Del("offset")
	q.Del("box")
	if data == nil {
		data = map[string]any{}
	}
	data["Box"] = string(box)
	data["Boxes"] = inboxBoxes
	data["BoxCounts"] = map[string]int{"todo": counts.Todo, "done": counts.Done, "started": counts.Started, "cc": counts.CC}
	data["Items"] = rows
	data["Total"] = total
	data["Filter"] = f
	data["Definitions"] = defs
	data["Initiators"] = initiators
	data["Statuses"] = []flow.Status{flow.StatusRunning, flow.StatusApproved, flow.StatusRejected, flow.StatusReturned, flow.StatusWithdrawn}
	data["AnyBulk"] = anyBulk
	q.Set("box", string(box))
	if f.Offset > 0 {
		q.Set("offset", strconv.Itoa(max(f.Offset-f.Limit, 0)))
		data["PrevURL"] = template.URL("/inbox?" + q.Encode())
	}
	if f.Offset+f.Limit < total {
		q.Set("offset", strconv.Itoa(f.Offset+f.Limit))
		data["NextURL"] = template.URL("/inbox?" + q.Encode())
	}
	data["Unread"] = counts.Unread
	s.render(w, r, "inbox", data)
	return nil
}

func (s *Server) uiBulkApprove(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	ids := formIDs(r, "task_id")
	out, err := s.bulkApprove(r, a, ids, r.PostFormValue("comment"))
	if err != nil {
		return s.formError(w, r, err, func(fe map[string]string, msg string) error {
			return s.renderInbox(w, r, map[string]any{"Error": msg, "Errors": fe})
		})
	}
	return s.renderInbox(w, r, map[string]any{"Bulk": out})
}

// ---------- /instances/{id} ----------

type valueView struct {
	Label, Text string
	Files       []string
	Table       *tableView
}

type tableView struct {
	Head []string
	Rows [][]string
}

type timelineView struct {
	flow.ActionRecord
	What, Meaning, Target, Step string
	// Ext says, for an outsider's entry, from which address and browser.
	Ext string
}

type actionsView struct {
	TaskID      int64
	StepTitle   string
	OnBehalf    string // the absent person a standing proxy acts for (代)
	Has         map[string]bool
	NeedsPwd    bool
	ReturnTo    []optionView
	Editable    []fieldView
	HasEditable bool
	// RejectRoutes: a rejection of the step goes on (on_reject) rather
	// than ending the request.
	RejectRoutes bool
}

func (s *Server) personName(r *http.Request, cache map[int64]string, id int64) string {
	if id == 0 {
		return ""
	}
	if n, ok := cache[id]; ok {
		return n
	}
	n := "#" + strconv.FormatInt(id, 10)
	if p, err := s.People.Person(r.Context(), id); err == nil {
		n = p.Name
	}
	cache[id] = n
	return n
}

// formValues renders an instance's form for reading.
func (s *Server) formValues(r *http.Request, d *flow.Definition, form map[string]any, names map[int64]string) []valueView {
	lang := s.lang(r)
	deptNames, _, _ := s.deptNames(r)
	var cell func(f flow.Field, v any) string
	cell = func(f flow.Field, v any) string {
		switch f.Type {
		case flow.FieldSelect, flow.FieldMultiSelect:
			var out []string
			for _, x := range valueList(v) {
				l := x
				for _, o := range f.Options {
					if o.Value == x {
						l = o.Label.In(lang)
					}
				}
				out = append(out, l)
			}
			return strings.Join(out, "、")
		case flow.FieldPerson:
			if id, err := strconv.ParseInt(valueText(v), 10, 64); err == nil {
				return s.personName(r, names, id)
			}
		case flow.FieldDepartment:
			if id, err := strconv.ParseInt(valueText(v), 10, 64); err == nil {
				return deptNames[id]
			}
		case flow.FieldReference:
			if id, err := strconv.ParseInt(valueText(v), 10, 64); err == nil {
				return s.Flow.ReferenceLabel(r.Context(), f.Ref, id)
			}
		}
		return valueText(v)
	}
	var out []valueView
	for _, f := range d.Form {
		v, ok := form[f.Key]
		if !ok {
			continue
		}
		vv := valueView{Label: f.Label.In(lang)}
		switch f.Type {
		case flow.FieldTable:
			tv := &tableView{}
			for _, c := range f.Columns {
				tv.Head = append(tv.Head, c.Label.In(lang))
			}
			for _, row := range rowsOf(v) {
				var cells []string
				for _, c := range f.Columns {
					cells = append(cells, cell(c, row[c.Key]))
				}
				tv.Rows = append(tv.Rows, cells)
			}
			vv.Table = tv
		case flow.FieldFiles:
			vv.Files = valueList(v)
		default:
			vv.Text = cell(f, v)
		}
		out = append(out, vv)
	}
	return out
}

func (s *Server) uiInstance(w http.ResponseWriter, r *http.Request) error {
	return s.renderInstance(w, r, nil)
}

func (s *Server) renderInstance(w http.ResponseWriter, r *http.Request, data map[string]any) error {
	a, _ := actor(r)
	e := s.Flow
	id, err := pathID(r, "id", "flowui.entity.instance")
	if err != nil {
		return err
	}
	v, err := e.Instance(r.Context(), a, id)
	if err != nil {
		return err
	}
	if data == nil {
		data = map[string]any{}
	}
	lang := s.lang(r)
	d := v.Definition
	names := map[int64]string{}
	stepTitle := stepTitler(d, lang)
	var timeline []timelineView
	for _, t := range v.Timeline {
		tv := timelineView{ActionRecord: t, What: actionLabel(lang, t.Action), Target: s.personName(r, names, t.TargetID), Step: stepTitle(t.StepID)}
		if t.Meaning != "" {
			tv.Meaning = i18n.T(lang, "flowui.meaning."+string(t.Meaning), nil)
		}
		if t.External != nil { // a person outside the institute, by a link
			tv.ActorName, tv.Ext = i18n.T(lang, "external.waiting_for", map[string]any{"name": t.ActorName}), externalEntryText(lang, t.External)
		}
		timeline = append(timeline, tv)
	}
	// The actions the viewer may take now, grouped by task; instance-level ones apart.
	var tasks []*actionsView
	byTask := map[int64]*actionsView{}
	inst := map[string]bool{}
	for _, al := range v.Allowed {
		if al.TaskID == 0 {
			inst[string(al.Action)] = true
			continue
		}
		av := byTask[al.TaskID]
		if av == nil {
			av = &actionsView{TaskID: al.TaskID, StepTitle: stepTitle(al.StepID), Has: map[string]bool{}}
			if st := d.Step(al.StepID); st != nil {
				av.RejectRoutes = st.OnReject != ""
			}
			byTask[al.TaskID] = av
			tasks = append(tasks, av)
			// Return targets: the initiator, the previous step, or any earlier step done.
			av.ReturnTo = []optionView{{Value: "initiator", Label: i18n.T(lang, "flowui.return.initiator", nil)},
				{Value: "previous", Label: i18n.T(lang, "flowui.return.previous", nil)}}
			seen := map[string]bool{}
			for _, h := range v.Instance.State.History {
				if h.Step != "" && !seen[h.Step] {
					seen[h.Step] = true
					av.ReturnTo = append(av.ReturnTo, optionView{Value: h.Step, Label: stepTitle(h.Step)})
				}
			}
		}
		av.Has[string(al.Action)] = true
		if al.NeedsPassword {
			av.NeedsPwd = true
		}
	}
	errs, _ := data["Errors"].(map[string]string)
	fc, err := s.newFormCtx(r, d, v.Instance.Form, errs)
	if err != nil {
		return err
	}
	if edit, ok := data["EditValues"].(map[string]any); ok {
		fc.values = edit
	}
	for _, av := range tasks {
		for _, t := range v.Tasks {
			if t.ID == av.TaskID {
				av.OnBehalf = t.OnBehalfName
				if st := d.Step(t.StepID); st != nil && len(st.Editable) > 0 && av.Has["approve"] {
					av.Editable = fc.editFields(d, st.Editable)
					av.HasEditable = true
				}
			}
		}
	}
	var resubmit []fieldView
	if inst["resubmit"] {
		rows, _ := data["Rows"].(map[string]int)
		resubmit = fc.fields(d, nil, rows)
	}
	ppl, _, err := s.People.People(r.Context(), people.PersonFilter{Limit: 1000})
	if err != nil {
		return err
	}
	var persons []optionView
	for _, p := range ppl {
		if p.ID != a.ID {
			persons = append(persons, optionView{Value: strconv.FormatInt(p.ID, 10), Label: p.Name + " (" + p.Username + ")"})
		}
	}
	var warnings []string
	for _, wn := range v.Warnings {
		warnings = append(warnings, stepTitle(wn.Step)+": "+translate(lang, wn.Msg))
	}
	var sigs []sigView
	for _, g := range v.Signatures {
		sv := sigView{Signature: g}
		for _, c := range g.Diff {
			sv.Diff = append(sv.Diff, sigDiffView{Label: flow.PathLabel(d, c.Path, lang), Was: valueText(c.Was), Now: valueText(c.Now),
				Kind: c.Kind, Text: i18n.T(lang, "flowui.sig.kind."+c.Kind, nil)})
		}
		sigs = append(sigs, sv)
	}
	data["Signatures"] = sigs
	data["AsOfNow"] = s.DB.Now().In(s.TimeZone).Format("2006-01-02T15:04:05")
	data["View"] = v
	data["Inst"] = v.Instance
	data["DefTitle"] = d.Title.In(lang)
	data["Outcome"] = d.OutcomeLabel(v.Instance.Outcome, lang)
	data["SubjectKind"] = ""
	if v.Subject != nil {
		data["SubjectKind"] = v.Subject.KindTitle.In(lang)
	}
	data["Values"] = s.formValues(r, d, v.Instance.Form, names)
	data["Timeline"] = timeline
	data["Tasks"] = tasks
	data["InstActions"] = inst
	data["Persons"] = persons
	data["Resubmit"] = resubmit
	data["Warnings"] = warnings
	data["StepTitle"] = stepTitle
	data["Meaning"] = func(m flow.Meaning) string { return i18n.T(lang, "flowui.meaning."+string(m), nil) }
	data["Steps"] = s.stepViews(lang, v)
	data["External"] = s.externalSection(r, a, v, names)
	if data["Errors"] == nil {
		data["Errors"] = map[string]string{}
	}
	if data["ActTask"] == nil {
		data["ActTask"] = int64(0)
	}
	if data["ActAction"] == nil {
		data["ActAction"] = ""
	}
	if data["Comment"] == nil {
		data["Comment"] = ""
	}
	s.render(w, r, "instance", data)
	return nil
}

// sigView is a signature on the instance page with what differs, value by
// value, between what was signed and the form now.
type sigView struct {
	flow.Signature
	Diff []sigDiffView
}

type sigDiffView struct {
	Label, Was, Now, Kind, Text string
}

// stepTitler names a definition's steps in lang (the id of a step it lacks).
func stepTitler(d *flow.Definition, lang string) func(string) string {
	return func(id string) string {
		if st := d.Step(id); st != nil {
			return st.Title.In(lang)
		}
		return id
	}
}

type stepBox struct {
	Title, State, Kind, Assignees, Meaning string
}

func (s *Server) stepViews(lang string, v *flow.InstanceView) []stepBox {
	var out []stepBox
	for _, st := range v.Steps {
		if st.Kind != flow.StepApproval && st.Kind != flow.StepTask && st.Kind != flow.StepSubprocess && st.Kind != "" {
			continue
		}
		b := stepBox{Title: st.Title.In(lang), State: st.State, Kind: string(st.Kind), Assignees: strings.Join(st.Assignees, "、")}
		if who := s.externalWho(lang, v, st.ID); who != "" {
			b.Assignees = who
		} else if proxied := proxiedAssignees(lang, v, st); proxied != "" {
			b.Assignees = proxied // standing proxies say for whom (ui_org.go)
		}
		if st.Signature != "" {
			b.Meaning = i18n.T(lang, "flowui.meaning."+string(st.Signature), nil)
		}
		out = append(out, b)
	}
	return out
}

func actionLabel(lang, action string) string {
	k := "flowui.action." + action
	if i18n.Has(lang, k) {
		return i18n.T(lang, k, nil)
	}
	return action
}

// uiInstanceAct runs one action from the instance page: on a task when
// task_id is set, else on the instance.
func (s *Server) uiInstanceAct(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	e := s.Flow
	id, err := pathID(r, "id", "flowui.entity.instance")
	if err != nil {
		return err
	}
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	taskID, _ := strconv.ParseInt(r.PostFormValue("task_id"), 10, 64)
	in := flow.ActInput{Action: flow.Action(r.PostFormValue("action")), Comment: r.PostFormValue("comment"), Password: r.PostFormValue("password"),
		To: r.PostFormValue("to"), Before: r.PostFormValue("before") == "true", IdemKey: r.PostFormValue("idempotency_key")}
	in.PersonID, _ = strconv.ParseInt(r.PostFormValue("person_id"), 10, 64)
	var edit map[string]any
	v, err := e.Instance(r.Context(), a, id)
	if err != nil {
		return err
	}
	d := v.Definition
	switch {
	case in.Action == flow.ActResubmit || in.Action == "" && r.PostFormValue("more_rows") != "":
		form, rows, err := s.readForm(r, a, d, nil)
		if err != nil {
			return err
		}
		if more := r.PostFormValue("more_rows"); more != "" {
			rows[more] += moreTableRows
			return s.renderInstance(w, r, map[string]any{"EditValues": form, "ActAction": "resubmit", "Rows": rows})
		}
		in.Form, edit = form, form
	case taskID != 0 && in.Action == flow.ActApprove:
		for _, t := range v.Tasks {
			if t.ID == taskID {
				if st := d.Step(t.StepID); st != nil && len(st.Editable) > 0 && r.PostFormValue("edit") == "1" {
					var keys []string
					for _, k := range st.Editable {
						k, _, _ = strings.Cut(k, ".")
						keys = append(keys, k)
					}
					form, _, err := s.readForm(r, a, d, keys)
					if err != nil {
						return err
					}
					if len(form) > 0 {
						in.Form = form
						edit = map[string]any{}
						for k, x := range v.Instance.Form {
							edit[k] = x
						}
						for k, x := range form {
							edit[k] = x
						}
					}
				}
			}
		}
	}
	if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["attachments"] {
			if fh.Filename == "" {
				continue
			}
			f, err := fh.Open()
			if err != nil {
				return err
			}
			att, err := s.Attach.Upload(r.Context(), a, fh.Filename, f, "instance", strconv.FormatInt(id, 10))
			f.Close()
			if err != nil {
				return err
			}
			in.Attachments = append(in.Attachments, att.SHA256)
		}
	}
	if taskID != 0 {
		_, err = e.Act(r.Context(), a, taskID, in)
	} else {
		_, err = e.ActOnInstance(r.Context(), a, id, in)
	}
	if err != nil {
		err = signatureError(err)
		return s.formError(w, r, err, func(_ map[string]string, msg string) error {
			fe, _ := s.formMessages(r, err)
			data := map[string]any{"Errors": fe, "Error": msg, "ActTask": taskID, "ActAction": string(in.Action), "Comment": in.Comment}
			if edit != nil {
				data["EditValues"] = edit
			}
			return s.renderInstance(w, r, data)
		})
	}
	http.Redirect(w, r, "/instances/"+strconv.FormatInt(id, 10)+"?done="+urlQueryEscape(string(in.Action)), http.StatusSeeOther)
	return nil
}

// ---------- /notifications ----------

func (s *Server) uiNotifications(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	unread := r.URL.Query().Get("unread") == "true"
	ns, err := s.notifications(r, a, unread, 200)
	if err != nil {
		return err
	}
	var unreadIDs []int64
	for _, n := range ns {
		if !n.Read {
			unreadIDs = append(unreadIDs, n.ID)
		}
	}
	s.render(w, r, "notifications", map[string]any{"Notifications": ns, "UnreadIDs": unreadIDs, "UnreadOnly": unread, "Now": time.Now()})
	return nil
}

func (s *Server) uiMarkRead(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if err := parseAnyForm(w, r); err != nil {
		return err
	}
	ids := formIDs(r, "id")
	if len(ids) > 0 {
		if err := s.Flow.MarkRead(r.Context(), a, ids); err != nil {
			return err
		}
	}
	next := safeNext(r.PostFormValue("next"))
	if next == "/" {
		next = "/notifications"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
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
