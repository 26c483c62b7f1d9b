package flow

import (
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"labflow/internal/domain"
)

// Form validation runs on the server for every submission (start, edit by
// a step with Editable fields, resubmit after a return).
//
// Input is a decoded JSON object (numbers as float64 or json.Number, or
// strings) or an HTML form (strings). The normalized copy holds:
//
//	text, longtext     string (text is trimmed)
//	number             json.Number with an exact decimal text ("2", "0.5"); at most 6 decimal places
//	money              string with exactly 2 decimal places ("1234.50"); input with more than 2 places is refused
//	date               string "YYYY-MM-DD"
//	datetime           string: RFC 3339 in UTC when the input names a zone, else "YYYY-MM-DDTHH:MM" as entered
//	select             string (an option value)
//	multiselect        []string (option values, duplicates removed)
//	person, department int64 (> 0); that the person exists and holds Field.Role is for the caller to check
//	files              []string of lowercase SHA-256 hex
//	table              []map[string]any, rows normalized like fields, computed columns filled;
//	                   rows whose cells are all empty are dropped
//
// Empty optional fields are left out. Computed fields are always computed
// by the server; values sent for them are ignored.
//
// Errors: one *domain.Error of KindInvalid whose Fields map field keys to
// messages; table cells are "items.2.quantity" (1-based rows, counted as
// sent). The message keys are in the flow catalog (and the core "field.*"
// keys for required, too long, bad date, bad choice, unknown). A failed
// Check (cross-field rule) puts domain.Msg{Key: "flow.check", Args:
// {"zh": …, "en": …, "text": "zh / en"}} on Check.Field. The catalog text
// of "flow.check" is "{text}" (both languages), so plain i18n.T shows
// something sensible; the web layer should show the user's language with
// MsgText(m, lang), which picks Args[lang] for "flow.check" messages.

const (
	defaultMaxText     = 200
	defaultMaxLongText = 5000
	defaultMaxRows     = 200
	maxFiles           = 50
	maxNumberPlaces    = 6
)

var sha256RE = regexp.MustCompile(`^[0-9a-f]{64}$`)

var patternCache sync.Map // string → *regexp.Regexp

func compiledPattern(p string) (*regexp.Regexp, error) {
	if re, ok := patternCache.Load(p); ok {
		return re.(*regexp.Regexp), nil
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, err
	}
	patternCache.Store(p, re)
	return re, nil
}

// ValidateForm checks form against d's fields (all of them, or only those
// keys listed in only) and its Checks, and returns the normalized copy.
// With only, keys of other fields are refused (flow.field.not_editable),
// computed fields are computed when their inputs are present, and only
// Checks whose fields are all present run; a step editing fields should
// rather use MergeEdit, which validates the whole merged form.
func ValidateForm(d *Definition, form map[string]any, only []string) (map[string]any, error) {
	return validateFormAt(d, form, only, nil)
}

// validateFormAt is ValidateForm with the engine's clock, zone and
// calendar for the expressions of checks and computed fields (nil: the
// server clock, UTC, Monday to Friday).
func validateFormAt(d *Definition, form map[string]any, only []string, rt *exprRT) (map[string]any, error) {
	const op = "flow.ValidateForm"
	var c domain.Checker
	out := validateForm(&c, d, form, only, rt)
	if err := c.Err(op); err != nil {
		return nil, err
	}
	return out, nil
}

// PreviewForm normalizes a form that is still being filled in, as
// ValidateForm does, and returns what it could: the fields given, and the
// computed fields and columns whose inputs are there (a line's amount, the
// total), even while other fields are missing or wrong. Nothing is stored;
// the form page shows the computed values as they change.
func PreviewForm(d *Definition, form map[string]any) map[string]any {
	var c domain.Checker
	return validateForm(&c, d, form, nil, nil)
}

func validateForm(c *domain.Checker, d *Definition, form map[string]any, only []string, rt *exprRT) map[string]any {
	scope := map[string]bool{}
	for _, f := range d.Form {
		if only == nil || contains(only, f.Key) || f.Type == FieldTable && hasColumnOf(only, f.Key) {
			scope[f.Key] = true
		}
	}
	byKey := map[string]*Field{}
	for i := range d.Form {
		byKey[d.Form[i].Key] = &d.Form[i]
	}
	for k := range form {
		f := byKey[k]
		switch {
		case f == nil:
			c.Add(k, "field.unknown")
		case f.Computed != "":
			// computed by the server; ignore what was sent
		case !scope[k]:
			c.Add(k, "flow.field.not_editable")
		}
	}
	out := map[string]any{}
	bad := map[string]bool{} // fields with an error, including one in a table cell
	for i := range d.Form {
		f := &d.Form[i]
		if !scope[f.Key] || f.Computed != "" {
			continue
		}
		before := len(errFields(c))
		var v any
		if f.Type == FieldTable {
			v = normTable(c, d, f, form[f.Key], out, rt)
		} else {
			v = normField(c, f.Key, f, form[f.Key])
		}
		if len(errFields(c)) != before {
			bad[f.Key] = true
		}
		if v != nil {
			out[f.Key] = v
		}
	}
	for i := range d.Form {
		f := &d.Form[i]
		if f.Computed == "" || f.Type == FieldTable {
			continue
		}
		e, err := d.expr(f.Computed, placeComputed, "")
		if err != nil {
			c.Add(f.Key, "flow.field.bad_computed")
			continue
		}
		if !inputsReady(e, out, bad, only != nil) {
			continue
		}
		v, ok := computeValue(e, f, out, rt)
		if !ok {
			c.Add(f.Key, "flow.field.bad_computed")
			bad[f.Key] = true
			continue
		}
		if checkBounds(c, f.Key, f, v) {
			out[f.Key] = v
		} else {
			bad[f.Key] = true
		}
	}
	for _, ch := range d.Checks {
		e, err := d.expr(ch.Expr, placeCheck, "")
		if err != nil || !inputsReady(e, out, bad, only != nil) {
			continue
		}
		if ch.When != "" {
			w, err := d.expr(ch.When, placeCheck, "")
			if err != nil || !inputsReady(w, out, bad, only != nil) {
				continue
			}
			if ok, err := w.evalBool(out, rt); err != nil || !ok {
				continue
			}
		}
		if ok, err := e.evalBool(out, rt); err != nil || !ok {
			c.Add(ch.Field, "flow.check", "zh", ch.Message.ZH, "en", ch.Message.EN, "text", ch.Message.ZH+" / "+ch.Message.EN)
		}
	}
	return out
}

// errFields exposes how many fields have messages, to tell whether
// normalizing a field added any.
func errFields(c *domain.Checker) map[string]domain.Msg {
	if err := c.Err(""); err != nil {
		return err.(*domain.Error).Fields
	}
	return nil
}

func hasColumnOf(keys []string, table string) bool {
	for _, k := range keys {
		if strings.HasPrefix(k, table+".") {
			return true
		}
	}
	return false
}

// inputsReady reports whether every field e reads is free of errors and,
// when partial (only), present.
func inputsReady(e *Expr, out map[string]any, bad map[string]bool, partial bool) bool {
	for _, id := range e.Idents() {
		base, _, _ := strings.Cut(id, ".")
		if bad[base] {
			return false
		}
		if _, ok := out[base]; partial && !ok {
			return false
		}
	}
	return true
}

// computeValue evaluates a computed number/money field or column.
func computeValue(e *Expr, f *Field, env map[string]any, rt *exprRT) (any, bool) {
	v, err := e.eval(env, rt)
	if err != nil {
		return nil, false
	}
	r, ok := num(v)
	if !ok {
		return nil, false
	}
	if f.Type == FieldMoney {
		return FormatMoney(r), true
	}
	return json.Number(FormatDecimal(r)), true
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return strings.TrimSpace(x) == ""
	case []any:
		return len(x) == 0
	case []string:
		return len(x) == 0
	case []map[string]any:
		return len(x) == 0
	}
	return false
}

// normField validates one non-table value and returns it normalized, or
// nil when it is empty or bad.
func normField(c *domain.Checker, key string, f *Field, v any) any {
	if isEmpty(v) {
		if f.Required {
			c.Add(key, "field.required")
		}
		return nil
	}
	switch f.Type {
	case FieldText, FieldLongText:
		s, ok := v.(string)
		if !ok {
			c.Add(key, "field.bad_type")
			return nil
		}
		if f.Type == FieldText {
			s = strings.TrimSpace(s)
		}
		max := f.MaxLen
		if max == 0 {
			max = defaultMaxText
			if f.Type == FieldLongText {
				max = defaultMaxLongText
			}
		}
		c.Text(key, s, f.Required, max)
		if c.Has(key) {
			return nil
		}
		if f.Pattern != "" {
			if re, err := compiledPattern(f.Pattern); err != nil || !re.MatchString(s) {
				c.Add(key, "flow.field.pattern")
				return nil
			}
		}
		return s
	case FieldNumber:
		s, ok := numberText(v)
		r, err := ParseDecimal(s)
		if !ok || err != nil {
			c.Add(key, "flow.field.bad_number")
			return nil
		}
		if decimalPlaces(s) > maxNumberPlaces {
			c.Add(key, "flow.field.too_many_places", "places", maxNumberPlaces)
			return nil
		}
		n := json.Number(FormatDecimal(r))
		if !checkBounds(c, key, f, n) {
			return nil
		}
		return n
	case FieldMoney:
		s, ok := numberText(v)
		r, err := ParseMoney(s)
		if !ok || err != nil {
			c.Add(key, "flow.field.bad_money")
			return nil
		}
		m := FormatMoney(r)
		if !checkBounds(c, key, f, m) {
			return nil
		}
		return m
	case FieldDate:
		s, ok := v.(string)
		s = strings.TrimSpace(s)
		if _, err := time.Parse(time.DateOnly, s); !ok || err != nil {
			c.Add(key, "field.bad_date")
			return nil
		}
		if !checkBounds(c, key, f, s) {
			return nil
		}
		return s
	case FieldDateTime:
		s, _ := v.(string)
		if out, ok := normDateTime(strings.TrimSpace(s)); ok {
			return out
		}
		c.Add(key, "flow.field.bad_datetime")
		return nil
	case FieldSelect:
		s, ok := v.(string)
		if !ok || !hasOption(f, s) {
			c.Add(key, "field.bad_choice")
			return nil
		}
		return s
	case FieldMultiSelect:
		list, ok := stringList(v)
		if !ok {
			c.Add(key, "field.bad_type")
			return nil
		}
		var out []string
		for _, s := range list {
			if !hasOption(f, s) {
				c.Add(key, "field.bad_choice")
				return nil
			}
			if !contains(out, s) {
				out = append(out, s)
			}
		}
		return out
	case FieldPerson, FieldDepartment, FieldReference:
		id, ok := toID(v)
		if !ok {
			c.Add(key, "flow.field.bad_id")
			return nil
		}
		return id
	case FieldFiles:
		list, ok := stringList(v)
		if !ok {
			c.Add(key, "field.bad_type")
			return nil
		}
		if len(list) > maxFiles {
			c.Add(key, "flow.field.too_many_files", "max", maxFiles)
			return nil
		}
		var out []string
		for _, s := range list {
			s = strings.ToLower(strings.TrimSpace(s))
			if !sha256RE.MatchString(s) {
				c.Add(key, "flow.field.bad_file")
				return nil
			}
			if !contains(out, s) {
				out = append(out, s)
			}
		}
		return out
	}
	c.Add(key, "field.bad_type")
	return nil
}

// numberText returns the decimal text of a JSON or HTML number.
func numberText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x), true
	case json.Number:
		return string(x), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return "", false
		}
		return floatText(x), true
	case float32:
		return numberText(float64(x))
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case int32:
		return strconv.FormatInt(int64(x), 10), true
	case *big.Rat:
		if x == nil {
			return "", false
		}
		return FormatDecimal(x), true
	}
	return "", false
}

// checkBounds checks v (json.Number, money string or date string) against f.Min and f.Max.
func checkBounds(c *domain.Checker, key string, f *Field, v any) bool {
	if f.Min == "" && f.Max == "" {
		return true
	}
	var cmp func(bound string) (int, bool)
	switch x := v.(type) {
	case json.Number, string:
		s := fmt.Sprint(x)
		if f.Type == FieldDate {
			cmp = func(b string) (int, bool) { return strings.Compare(s, b), true }
		} else {
			r, err := ParseDecimal(s)
			if err != nil {
				return true
			}
			cmp = func(b string) (int, bool) {
				br, err := ParseDecimal(b)
				if err != nil {
					return 0, false
				}
				return r.Cmp(br), true
			}
		}
	default:
		return true
	}
	if f.Min != "" {
		if n, ok := cmp(f.Min); ok && n < 0 {
			c.Add(key, "flow.field.below_min", "min", f.Min)
			return false
		}
	}
	if f.Max != "" {
		if n, ok := cmp(f.Max); ok && n > 0 {
			c.Add(key, "flow.field.above_max", "max", f.Max)
			return false
		}
	}
	return true
}

func normDateTime(s string) (string, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC().Format(time.RFC3339), true
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format("2006-01-02T15:04"), true
		}
	}
	return "", false
}

func hasOption(f *Field, s string) bool {
	for _, o := range f.Options {
		if o.Value == s {
			return true
		}
	}
	return false
}

// stringList accepts []string, []any of strings, or one string.
func stringList(v any) ([]string, bool) {
	switch x := v.(type) {
	case string:
		return []string{x}, true
	case []string:
		return x, true
	case []any:
		out := make([]string, 0, len(x))
		for _, e := range x {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

// toID accepts a positive integer id as a JSON number or a decimal string.
func toID(v any) (int64, bool) {
	var s string
	switch x := v.(type) {
	case int64:
		return x, x > 0
	case int:
		return int64(x), x > 0
	case float64:
		if x != math.Trunc(x) || x <= 0 || x > 1<<53 {
			return 0, false
		}
		return int64(x), true
	case json.Number:
		s = string(x)
	case string:
		s = strings.TrimSpace(x)
	default:
		return 0, false
	}
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0
}

// normTable validates a table's rows; form holds the top-level values
// normalized so far (computed columns may read them).
func normTable(c *domain.Checker, d *Definition, f *Field, v any, form map[string]any, rt *exprRT) any {
	var rows []any
	switch x := v.(type) {
	case nil:
	case []any:
		rows = x
	case []map[string]any:
		rows = make([]any, len(x))
		for i, r := range x {
			rows[i] = r
		}
	default:
		c.Add(f.Key, "field.bad_type")
		return nil
	}
	max := f.MaxRows
	if max == 0 {
		max = defaultMaxRows
	}
	if len(rows) > max {
		c.Add(f.Key, "flow.field.too_many_rows", "max", max)
		return nil
	}
	cols := map[string]*Field{}
	for i := range f.Columns {
		cols[f.Columns[i].Key] = &f.Columns[i]
	}
	var out []map[string]any
	for i, r := range rows {
		prefix := fmt.Sprintf("%s.%d.", f.Key, i+1)
		row, ok := r.(map[string]any)
		if !ok {
			c.Add(strings.TrimSuffix(prefix, "."), "flow.field.bad_row")
			continue
		}
		blank := true
		for k, cell := range row {
			col := cols[k]
			if col == nil {
				c.Add(prefix+k, "field.unknown")
				blank = false
			} else if col.Computed == "" && !isEmpty(cell) {
				blank = false
			}
		}
		if blank {
			continue
		}
		nrow := map[string]any{}
		badCols := map[string]bool{}
		for j := range f.Columns {
			col := &f.Columns[j]
			if col.Computed != "" {
				continue
			}
			before := c.Has(prefix + col.Key)
			if nv := normField(c, prefix+col.Key, col, row[col.Key]); nv != nil {
				nrow[col.Key] = nv
			} else if !before && c.Has(prefix+col.Key) {
				badCols[col.Key] = true
			}
		}
		for j := range f.Columns {
			col := &f.Columns[j]
			if col.Computed == "" {
				continue
			}
			e, err := d.expr(col.Computed, placeComputed, f.Key)
			if err != nil || !inputsReady(e, nrow, badCols, false) {
				continue
			}
			env := make(map[string]any, len(form)+len(nrow))
			for k, v := range form {
				env[k] = v
			}
			for k, v := range nrow {
				env[k] = v
			}
			v, ok := computeValue(e, col, env, rt)
			if !ok {
				c.Add(prefix+col.Key, "flow.field.bad_computed")
				continue
			}
			if checkBounds(c, prefix+col.Key, col, v) {
				nrow[col.Key] = v
			}
		}
		out = append(out, nrow)
	}
	if len(out) < f.MinRows || f.Required && len(out) == 0 {
		if len(out) == 0 && f.Required {
			c.Add(f.Key, "field.required")
		} else {
			c.Add(f.Key, "flow.field.too_few_rows", "min", f.MinRows)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// MergeEdit applies an edit made at a step whose Editable fields are
// editable (top-level keys, or "table.column" to allow only that column of
// a table): keys outside editable are refused; the edit is laid over
// stored and the whole merged form is validated and returned normalized.
// With column-level editing, the table must keep its rows and every other
// (non-computed) column unchanged.
func MergeEdit(d *Definition, stored, edit map[string]any, editable []string) (map[string]any, error) {
	return mergeEditAt(d, stored, edit, editable, nil)
}

// mergeEditAt is MergeEdit with the engine's clock, zone and calendar (see
// validateFormAt).
func mergeEditAt(d *Definition, stored, edit map[string]any, editable []string, rt *exprRT) (map[string]any, error) {
	const op = "flow.MergeEdit"
	var c domain.Checker
	byKey := map[string]*Field{}
	for i := range d.Form {
		byKey[d.Form[i].Key] = &d.Form[i]
	}
	colOnly := map[string]bool{}
	for k := range edit {
		switch {
		case byKey[k] == nil:
			c.Add(k, "field.unknown")
		case contains(editable, k), byKey[k].Computed != "":
		case byKey[k].Type == FieldTable && hasColumnOf(editable, k):
			colOnly[k] = true
		default:
			c.Add(k, "flow.field.not_editable")
		}
	}
	if err := c.Err(op); err != nil {
		return nil, err
	}
	merged := make(map[string]any, len(stored)+len(edit))
	for k, v := range stored {
		merged[k] = v
	}
	for k, v := range edit {
		merged[k] = v
	}
	out, err := validateFormAt(d, merged, nil, rt)
	if err != nil || len(colOnly) == 0 {
		return out, err
	}
	before, err := validateFormAt(d, stored, nil, rt)
	if err != nil {
		return nil, err
	}
	for t := range colOnly {
		old, _ := before[t].([]map[string]any)
		now, _ := out[t].([]map[string]any)
		if len(old) != len(now) {
			c.Add(t, "flow.field.not_editable")
			continue
		}
		for _, col := range byKey[t].Columns {
			if col.Computed != "" || contains(editable, t+"."+col.Key) {
				continue
			}
			for i := range old {
				if fmt.Sprint(old[i][col.Key]) != fmt.Sprint(now[i][col.Key]) {
					c.Add(fmt.Sprintf("%s.%d.%s", t, i+1, col.Key), "flow.field.not_editable")
				}
			}
		}
	}
	if err := c.Err(op); err != nil {
		return nil, err
	}
	return out, nil
}

// MsgText returns the text of a "flow.check" message in lang ("en" or
// Chinese otherwise), and false for any other message (translate those
// with i18n.T).
func MsgText(m domain.Msg, lang string) (string, bool) {
	if m.Key != "flow.check" {
		return "", false
	}
	zh, _ := m.Args["zh"].(string)
	en, _ := m.Args["en"].(string)
	return Text{ZH: zh, EN: en}.In(lang), true
}
