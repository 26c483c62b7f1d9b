package flow

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"labflow/internal/domain"
)

func purchaseDef(t testing.TB) *Definition {
	t.Helper()
	src, err := Builtin.ReadFile("definitions/purchase-request.yaml")
	if err != nil {
		t.Fatal(err)
	}
	reg := NewRegistry()
	reg.RegisterSubjectKind(SubjectKind{Name: "projects.project"}) // its project field points at one (PRJ-4)
	d, err := Parse("purchase-request.yaml", src, reg)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func goodPurchase() map[string]any {
	return map[string]any{
		"reason":     "Synthesis of batch 7 needs solvent",
		"category":   "solvent",
		"acceptance": "requester_confirms",
		"needed_by":  "2026-06-01",
		"items": []any{
			map[string]any{"name": "Acetonitrile", "quantity": 3.0, "unit": "L", "unit_price": "33.33"},
			map[string]any{"name": "Methanol", "quantity": json.Number("0.5"), "unit": "L", "unit_price": 0.1},
		},
	}
}

func fieldKey(t *testing.T, err error, field string) string {
	t.Helper()
	if !domain.IsKind(err, domain.KindInvalid) {
		t.Fatalf("want KindInvalid, got %v", err)
	}
	m, ok := domain.FieldError(err, field)
	if !ok {
		t.Fatalf("no message on %q: %v", field, err)
	}
	return m.Key
}

func TestPUR1_FormComputesAmountsAndTotalExactly(t *testing.T) {
	d := purchaseDef(t)
	out, err := ValidateForm(d, goodPurchase(), nil)
	if err != nil {
		t.Fatal(err)
	}
	items := out["items"].([]map[string]any)
	if items[0]["amount"] != "99.99" || items[1]["amount"] != "0.05" {
		t.Errorf("amounts = %v, %v", items[0]["amount"], items[1]["amount"])
	}
	if items[0]["quantity"] != json.Number("3") || items[0]["unit_price"] != "33.33" {
		t.Errorf("row 1 = %v", items[0])
	}
	if out["total"] != "100.04" {
		t.Errorf("total = %v", out["total"])
	}
	// A value sent for a computed field is ignored.
	in := goodPurchase()
	in["total"] = "1.00"
	out, err = ValidateForm(d, in, nil)
	if err != nil || out["total"] != "100.04" {
		t.Errorf("total = %v, %v", out["total"], err)
	}
}

func TestFormErrors(t *testing.T) {
	d := purchaseDef(t)
	cases := []struct {
		name  string
		edit  func(m map[string]any)
		field string
		key   string
	}{
		{"required", func(m map[string]any) { delete(m, "reason") }, "reason", "field.required"},
		{"required blank", func(m map[string]any) { m["reason"] = "   " }, "reason", "field.required"},
		{"table cell", func(m map[string]any) {
			m["items"].([]any)[1].(map[string]any)["quantity"] = "0"
		}, "items.2.quantity", "flow.field.below_min"},
		{"table cell not a number", func(m map[string]any) {
			m["items"].([]any)[1].(map[string]any)["quantity"] = "lots"
		}, "items.2.quantity", "flow.field.bad_number"},
		{"table cell required", func(m map[string]any) {
			delete(m["items"].([]any)[0].(map[string]any), "unit")
		}, "items.1.unit", "field.required"},
		{"unknown column", func(m map[string]any) {
			m["items"].([]any)[0].(map[string]any)["colour"] = "red"
		}, "items.1.colour", "field.unknown"},
		{"money with 3 decimals", func(m map[string]any) {
			m["items"].([]any)[0].(map[string]any)["unit_price"] = "1.005"
		}, "items.1.unit_price", "flow.field.bad_money"},
		{"money float with 3 decimals", func(m map[string]any) {
			m["items"].([]any)[0].(map[string]any)["unit_price"] = 1.005
		}, "items.1.unit_price", "flow.field.bad_money"},
		{"unknown key", func(m map[string]any) { m["colour"] = "red" }, "colour", "field.unknown"},
		{"not a choice", func(m map[string]any) { m["category"] = "cake" }, "category", "field.bad_choice"},
		{"bad date", func(m map[string]any) { m["needed_by"] = "01/06/2026" }, "needed_by", "field.bad_date"},
		{"too long", func(m map[string]any) { m["purpose"] = strings.Repeat("x", 201) }, "purpose", "field.too_long"},
		{"no rows", func(m map[string]any) { m["items"] = []any{} }, "items", "field.required"},
		{"too many rows", func(m map[string]any) {
			rows := make([]any, 101)
			for i := range rows {
				rows[i] = map[string]any{"name": "x", "quantity": 1, "unit": "g"}
			}
			m["items"] = rows
		}, "items", "flow.field.too_many_rows"},
		{"bad row", func(m map[string]any) { m["items"] = []any{"x"} }, "items.1", "flow.field.bad_row"},
		{"wrong type", func(m map[string]any) { m["reason"] = 12.0 }, "reason", "field.bad_type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := goodPurchase()
			c.edit(in)
			_, err := ValidateForm(d, in, nil)
			if got := fieldKey(t, err, c.field); got != c.key {
				t.Errorf("%s: key = %s, want %s (%v)", c.field, got, c.key, err)
			}
		})
	}
}

func TestFormBlankRowsDropped(t *testing.T) {
	d := purchaseDef(t)
	in := goodPurchase()
	in["items"] = append(in["items"].([]any), map[string]any{"name": "", "quantity": "", "amount": "5"})
	out, err := ValidateForm(d, in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(out["items"].([]map[string]any)); n != 2 {
		t.Errorf("rows = %d", n)
	}
}

const allTypes = `key: types
title: {zh: 类型, en: Types}
form:
  - {key: t, label: {zh: 文本, en: Text}, type: text, pattern: "^[A-Z]{2}[0-9]+$"}
  - {key: n, label: {zh: 数, en: Number}, type: number, min: "1", max: "10"}
  - {key: m, label: {zh: 钱, en: Money}, type: money}
  - {key: d, label: {zh: 日, en: Date}, type: date, min: "2026-01-01"}
  - {key: dt, label: {zh: 时, en: Datetime}, type: datetime}
  - key: ms
    label: {zh: 多选, en: Multi}
    type: multiselect
    options:
      - {value: a, label: {zh: 甲, en: A}}
      - {value: b, label: {zh: 乙, en: B}}
  - {key: p, label: {zh: 人, en: Person}, type: person}
  - {key: dep, label: {zh: 部门, en: Department}, type: department}
  - {key: f, label: {zh: 文件, en: Files}, type: files}
  - key: path
    label: {zh: 途径, en: Path}
    type: select
    options:
      - {value: normal, label: {zh: 正常, en: Normal}}
      - {value: outstanding, label: {zh: 突出, en: Outstanding}}
  - {key: why, label: {zh: 理由, en: Why}, type: longtext}
checks:
  - when: "path == 'outstanding'"
    expr: "len(why) > 0"
    field: why
    message: {zh: 须填写理由, en: A justification is needed}
steps:
  - id: a
    title: {zh: 甲, en: A}
    assignee: {field: p}
    editable: [n, why]
`

func TestFormTypesNormalized(t *testing.T) {
	d, err := Parse("types.yaml", []byte(allTypes), NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	hash := strings.Repeat("ab", 32)
	out, err := ValidateForm(d, map[string]any{
		"t": "AB12", "n": "2.50", "m": 12.5, "d": "2026-02-03", "dt": "2026-02-03T08:30:00+08:00",
		"ms": []any{"b", "a", "b"}, "p": 42.0, "dep": "7", "f": []any{strings.ToUpper(hash)}, "path": "normal",
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"t": "AB12", "n": json.Number("2.5"), "m": "12.50", "d": "2026-02-03", "dt": "2026-02-03T00:30:00Z",
		"ms": []string{"b", "a"}, "p": int64(42), "dep": int64(7), "f": []string{hash}, "path": "normal",
	}
	if !reflect.DeepEqual(out, want) {
		t.Errorf("got  %#v\nwant %#v", out, want)
	}
	bad := []struct {
		field string
		value any
		key   string
	}{
		{"t", "ab12", "flow.field.pattern"},
		{"n", "11", "flow.field.above_max"},
		{"n", 0.5, "flow.field.below_min"},
		{"n", "1.0000001", "flow.field.too_many_places"},
		{"m", "1e3", "flow.field.bad_money"},
		{"d", "2025-12-31", "flow.field.below_min"},
		{"dt", "tomorrow", "flow.field.bad_datetime"},
		{"ms", []any{"c"}, "field.bad_choice"},
		{"p", 1.5, "flow.field.bad_id"},
		{"p", "-3", "flow.field.bad_id"},
		{"f", []any{"nothex"}, "flow.field.bad_file"},
	}
	for _, b := range bad {
		_, err := ValidateForm(d, map[string]any{b.field: b.value}, nil)
		if got := fieldKey(t, err, b.field); got != b.key {
			t.Errorf("%s=%v: key = %s, want %s", b.field, b.value, got, b.key)
		}
	}
}

func TestFormCheck(t *testing.T) {
	d, err := Parse("types.yaml", []byte(allTypes), NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	_, err = ValidateForm(d, map[string]any{"path": "outstanding"}, nil)
	m, ok := domain.FieldError(err, "why")
	if !ok || m.Key != "flow.check" || m.Args["en"] != "A justification is needed" || m.Args["zh"] != "须填写理由" {
		t.Fatalf("check message = %#v (%v)", m, err)
	}
	if s, ok := MsgText(m, "en"); !ok || s != "A justification is needed" {
		t.Errorf("MsgText = %q", s)
	}
	if _, err := ValidateForm(d, map[string]any{"path": "outstanding", "why": "because"}, nil); err != nil {
		t.Error(err)
	}
	if _, err := ValidateForm(d, map[string]any{"path": "normal"}, nil); err != nil {
		t.Error(err)
	}
}

func TestFormOnlyAndMergeEdit(t *testing.T) {
	d, err := Parse("types.yaml", []byte(allTypes), NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ValidateForm(d, map[string]any{"n": "3", "t": "AB1"}, []string{"n"}); fieldKey(t, err, "t") != "flow.field.not_editable" {
		t.Error("a field outside only must be refused")
	}
	stored := map[string]any{"t": "AB1", "n": "2", "path": "normal"}
	out, err := MergeEdit(d, stored, map[string]any{"n": 4.0}, d.Steps[0].Editable)
	if err != nil || out["n"] != json.Number("4") || out["t"] != "AB1" {
		t.Fatalf("merge = %v, %v", out, err)
	}
	if _, err := MergeEdit(d, stored, map[string]any{"t": "CD2"}, d.Steps[0].Editable); fieldKey(t, err, "t") != "flow.field.not_editable" {
		t.Error("t is not editable")
	}
	// Column-level editing: purchasing may change unit prices only.
	pd := purchaseDef(t)
	pstored, err := ValidateForm(pd, goodPurchase(), nil)
	if err != nil {
		t.Fatal(err)
	}
	edit := map[string]any{"items": []any{
		map[string]any{"name": "Acetonitrile", "quantity": "3", "unit": "L", "unit_price": "30.00"},
		map[string]any{"name": "Methanol", "quantity": "0.5", "unit": "L", "unit_price": "0.10"},
	}}
	out, err = MergeEdit(pd, pstored, edit, []string{"items.unit_price"})
	if err != nil || out["total"] != "90.05" {
		t.Fatalf("merge = %v, %v", out["total"], err)
	}
	edit["items"].([]any)[0].(map[string]any)["quantity"] = "4"
	if _, err := MergeEdit(pd, pstored, edit, []string{"items.unit_price"}); fieldKey(t, err, "items.1.quantity") != "flow.field.not_editable" {
		t.Error("quantity is not editable")
	}
}
