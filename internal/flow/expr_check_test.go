package flow

import (
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

// typesDef has a field of every type, for the type checker's tests.
func typesDef() *Definition {
	t := func(s string) Text { return Text{ZH: s, EN: s} }
	return &Definition{Key: "types", Title: t("types"), Subject: "form",
		Form: []Field{
			{Key: "title", Label: t("title"), Type: FieldText},
			{Key: "note", Label: t("note"), Type: FieldLongText},
			{Key: "kind", Label: t("kind"), Type: FieldSelect, Options: []Option{{Value: "a", Label: t("a")}}},
			{Key: "amount", Label: t("amount"), Type: FieldNumber},
			{Key: "budget", Label: t("budget"), Type: FieldMoney},
			{Key: "day", Label: t("day"), Type: FieldDate},
			{Key: "end_day", Label: t("end"), Type: FieldDate},
			{Key: "booked_at", Label: t("booked"), Type: FieldDateTime},
			{Key: "received_at", Label: t("received"), Type: FieldDateTime},
			{Key: "approver", Label: t("approver"), Type: FieldPerson},
			{Key: "mentor", Label: t("mentor"), Type: FieldPerson},
			{Key: "dept", Label: t("dept"), Type: FieldDepartment},
			{Key: "tags", Label: t("tags"), Type: FieldMultiSelect, Options: []Option{{Value: "x", Label: t("x")}}},
			{Key: "docs", Label: t("docs"), Type: FieldFiles},
			{Key: "items", Label: t("items"), Type: FieldTable, Columns: []Field{
				{Key: "q", Label: t("q"), Type: FieldNumber},
				{Key: "p", Label: t("p"), Type: FieldMoney},
				{Key: "sub", Label: t("sub"), Type: FieldMoney, Computed: "q * p"},
				{Key: "who", Label: t("who"), Type: FieldPerson},
				{Key: "on", Label: t("on"), Type: FieldDate},
				{Key: "what", Label: t("what"), Type: FieldText},
			}},
		},
		Steps: []Step{{ID: "submit", Title: t("submit")}, {ID: "review", Title: t("review")}}}
}

// Ensure a type mismatch is refused at load with the column and the
// types named (issue 8 §7), wherever the expression is used.
func TestExprTypes_MismatchRefusedAtLoad(t *testing.T) {
	d := typesDef()
	cases := []struct {
		place exprPlace
		src   string
		want  string
	}{
		{placeCheck, "title + 5 == 'x'", "column 7: cannot add text and number"},
		{placeCheck, "title > 5", "cannot compare text and number"},
		{placeCheck, "budget > '5000'", "cannot compare number and text"},
		{placeCheck, "day > booked_at", "cannot compare date and datetime: date(x) is the date of a datetime"},
		{placeCheck, "day + 1 > day", "cannot add date and number: use add_days or add_workdays"},
		{placeCheck, "booked_at - received_at > 0", "use days_between or minutes_between"},
		{placeCheck, "approver + 1 > 0", "cannot add id and number"},
		{placeCheck, "approver < mentor", "id cannot be ordered with <"},
		{placeCheck, "tags == 'x'", "cannot compare list of text and text"},
		{placeCheck, "'x' in title", "'in' needs a list on its right, not text"},
		{placeCheck, "amount in tags", "cannot look for number in a list of text"},
		{placeCheck, "tags in tags", "'in' looks for one value in a list"},
		{placeCheck, "day == 'soon'", "cannot compare date and text"},
		{placeCheck, "!amount", "'!' needs true/false, not number"},
		{placeCheck, "amount && true", "&& needs true/false on both sides"},
		{placeCheck, "-title == title", "cannot negate text"},
		{placeCheck, "[1, 'a'] == tags", "a list cannot mix number and text"},
		{placeCheck, "nope > 1", `unknown field "nope"`},
		{placeCheck, "sum(amount) > 1", "sum needs a list of numbers"},
		{placeCheck, "sum(items.who) > 1", "sum needs a list of numbers (such as items.amount), not list of id"},
		{placeCheck, "len(amount) > 1", "len needs text, a list or a table, not number"},
		{placeCheck, "round(amount, 9) > 1", "round keeps 0 to 6 decimal places, not 9"},
		{placeCheck, "round(amount, 0.5) > 1", "round keeps 0 to 6 decimal places, not 0.5"},
		{placeCheck, "round(title) == title", "round needs a number, not text"},
		{placeCheck, "abs(day) > 1", "abs needs a number, not date"},
		{placeCheck, "if(amount, 1, 2) > 1", "if needs a condition (true/false) first, not number"},
		{placeCheck, "if(amount > 1, 1, 'x') == 1", "if gives number or text: both must have one type"},
		{placeCheck, "count(title, q > 1) > 1", `count needs a table field first: "title" is text`},
		{placeCheck, "count(items, q) > 1", "count needs a condition (true/false) on each row, not number"},
		{placeCheck, "count(items, nope > 1) > 1", `unknown field "nope"`},
		{placeCheck, "count(items, count(items, q > 1) > 1) > 1", "count cannot be nested in count"},
		{placeCheck, "q > 1", `unknown field "q"`}, // columns are in scope inside count only
		{placeCheck, "min(day, amount) > 1", "min cannot mix date and number"},
		{placeCheck, "max(approver, mentor) > 1", "max needs numbers, dates or times, not id"},
		{placeCheck, "max(tags) == 'x'", "max needs a list of numbers, dates or times, or several values"},
		{placeCheck, "add_days(amount, 1) > day", "add_days needs a date or a datetime, not number"},
		{placeCheck, "add_workdays(day, 'x') > day", "add_workdays needs a number of days, not text"},
		{placeCheck, "minutes_between(title, booked_at) > 1", "minutes_between needs dates or datetimes, not text"},
		{placeCheck, "days_between(day, 5) > 1", "days_between needs dates or datetimes, not number"},
		{placeCheck, "date(amount) == day", "date needs a datetime, not number"},
		{placeCheck, "add_days(day, 1) > booked_at", "cannot compare date and datetime"},
		{placeCheck, "amount", "must yield true/false, not number"},
		{placeComputed, "amount > 1", "must yield number, not true/false"},
		{placeComputed, "days_between(today(), day)", "today() reads the clock: computed fields cannot use it"},
		{placeComputed, "minutes_between(booked_at, now())", "now() reads the clock"},
		{placeCheck, "rank_of(approver) == 'senior_a'", "rank_of looks up the organisation, other requests or the history: only step and branch conditions may use it"},
		{placeCheck, "in_use('mentor', mentor)", "only step and branch conditions"},
		{placeCond, "completed_at(kind) > now()", "completed_at needs a step id written as 'text'"},
		{placeCond, "completed_at('nope') > now()", `no step "nope"`},
		{placeCond, "in_use('nope', mentor)", `column 8: no field "nope"`},
		{placeCond, "count_instances('types', 'nope', mentor, 30) > 1", `column 26: no field "nope"`},
		{placeCheck, "items == items", "tables cannot be compared"},
		{placeCond, "in_use('mentor', title)", `field "mentor" holds id, not text`},
		{placeCond, "in_use('tags', 'x')", `in_use compares one value: field "tags" is a list of text`},
		{placeCond, "count_instances('Not A Key', 'person', mentor, 30) > 1", `"Not A Key" is not a definition key`},
		{placeCond, "count_instances('other', 'person', mentor, 0) > 1", "count_instances looks back 1 to 3660 days, not 0"},
		{placeCond, "count_instances('types', 'mentor', title, 30) > 1", `field "mentor" holds id, not text`},
		{placeCond, "count_instances('other', 'person', tags, 30) > 1", "count_instances needs one value, not list of text"},
		{placeCond, "department_of(title) == dept", "department_of needs a person, not text"},
		{placeCond, "director_of(day) == approver", "director_of needs a department, not date"},
		{placeCond, "rank_since(approver) > booked_at", "cannot compare date and datetime"},
		{placeCond, "initiator_is_director + 1 > 1", "cannot add true/false and number"},
		{placeEffect, "mentor + 'x'", "cannot add id and text"},
	}
	for _, c := range cases {
		_, err := d.compileIn(c.src, c.place, "")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: err = %v, want %q", c.src, err, c.want)
		}
	}
}

// Ensure what the rulebook's rules need type-checks: money compares with
// numbers, ids with ids and numbers, quoted dates with dates, and the
// functions with their documented types.
func TestExprTypes_Accepted(t *testing.T) {
	d := typesDef()
	cases := []struct {
		place exprPlace
		src   string
	}{
		{placeCheck, "budget > 5000 && amount <= budget"},
		{placeCheck, "title + note == 'ab'"},
		{placeCheck, "day >= '2026-01-01' && day in ['2026-01-05', '2026-01-06']"},
		{placeCheck, "received_at > '2026-01-05T09:00'"},
		{placeCheck, "approver != mentor && approver == 5 && dept in [1, 2]"},
		{placeCheck, "'x' in tags && len(docs) <= 3 && len(items) > 0 && len(title) < 40"},
		{placeCheck, "sum(items.sub) == budget && max(items.q) > min(items.q)"},
		{placeCheck, "max(amount, budget, 3) > 1 && min(day, end_day) >= '2026-01-01' && max(items.on) <= end_day"},
		{placeCheck, "abs(amount - budget) < 0.01 && round(amount, 2) == round(budget) "},
		{placeCheck, "if(amount == 0, 0, budget / amount) < 10"},
		{placeCheck, "count(items, q > 10 && who != approver && on > day && what != '') >= 1"},
		{placeCheck, "empty(booked_at) || empty(tags) || empty(items) || empty(title)"},
		{placeCheck, "date(received_at) <= end_day && day <= today() && booked_at < now()"},
		{placeCheck, "minutes_between(booked_at, received_at) > 30"},
		{placeCheck, "days_between(day, end_day) <= 30 && workdays_between(day, received_at) < 3"},
		{placeCheck, "add_days(day, 3) <= end_day && add_workdays(booked_at, 2) > received_at"},
		{placeComputed, "sum(items.sub) + round(amount * 1.13, 2)"},
		{placeComputed, "days_between(day, end_day) + workdays_between(day, end_day)"},
		{placeCond, "initiator_id != director_of(department_of(approver)) && !initiator_is_director"},
		{placeCond, "rank_of(approver) in ['senior_a', 'senior_b'] && rank_since(approver) <= add_days(today(), -365)"},
		{placeCond, "hired_on(mentor) < '2025-01-01'"},
		{placeCond, "completed_at('review') > booked_at && minutes_between(completed_at('submit'), now()) > 60"},
		{placeCond, "count_instances('service-complaint', 'person', mentor, 30) >= 2"},
		{placeCond, "count_instances('types', 'mentor', mentor, 30) >= 2"},
		{placeCond, "!in_use('mentor', mentor) && in_use('title', title)"},
		{placeCond, "initiator_department == dept"},
		{placeEffect, "add_days(today(), 90)"}, // the values of built-in effects, of any type
		{placeEffect, "'confirmed'"},
		{placeEffect, "if(rank_of(mentor) == 'senior_a', 'senior_a', rank_of(approver))"},
	}
	for _, c := range cases {
		if _, err := d.compileIn(c.src, c.place, ""); err != nil {
			t.Errorf("%q: %v", c.src, err)
		}
	}
	// A computed column reads its row's cells by their keys.
	if _, err := d.compileIn("q * p", placeComputed, "items"); err != nil {
		t.Errorf("column: %v", err)
	}
}

// Ensure a typed expression follows its types at run time: texts join and
// order as text (today "10" + "5" was 15), money strings are numbers, and
// numbers stay exact.
func TestExprTypes_EvaluationFollowsTypes(t *testing.T) {
	d := typesDef()
	env := map[string]any{
		"title": "10", "note": "5", "kind": "9",
		"amount": json.Number("5000"), "budget": "5000.00",
		"day": "2026-01-05", "end_day": "2026-02-04",
		"approver": int64(5), "mentor": int64(6), "dept": int64(2),
		"tags":  []string{"x"},
		"items": []map[string]any{{"q": json.Number("11"), "p": "0.10", "sub": "1.10", "who": int64(5)}, {"q": json.Number("3"), "p": "33.33", "sub": "99.99"}},
	}
	cases := []struct {
		src  string
		want any
	}{
		{"title + note == '105'", true},
		{"title + note", "105"},
		{"kind > title", true}, // '9' > '10' as text
		{"budget == amount", true},
		{"budget > 4999.99", true},
		{"sum(items.sub) == 101.09", true},
		{"3 * 33.33 == 99.99 && 0.1 + 0.2 == 0.3", true},
		{"approver == 5 && approver != mentor", true},
		{"dept in [1, 2]", true},
		{"day < '2026-01-06'", true},
	}
	for _, c := range cases {
		got, err := typed(t, d, c.src).Eval(env)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if got != c.want {
			t.Errorf("%s = %v, want %v", c.src, got, c.want)
		}
	}
	// Untyped, as before: a decimal text is a number.
	if v, _ := mustCompile(t, "title + note").Eval(env); FormatDecimal(v.(*big.Rat)) != "15" {
		t.Errorf("untyped title + note = %v, want 15", v)
	}
	// An empty datetime is in no order with another: both comparisons are false.
	for _, src := range []string{"booked_at < received_at", "booked_at >= received_at"} {
		if ok, err := typed(t, d, src).EvalBool(map[string]any{"received_at": "2026-01-05T09:00"}); ok || err != nil {
			t.Errorf("%s with an empty datetime = %v, %v; want false", src, ok, err)
		}
	}
}

// typed compiles src against d as a check does, of whatever type it has.
func typed(t *testing.T, d *Definition, src string) *Expr {
	t.Helper()
	e := mustCompile(t, src)
	if err := e.check(d.scope(placeCheck, ""), tAny); err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	return e
}

// Ensure lint names the field path, the expression and the mismatch, with
// the line and column of the field (the example).
func TestExprTypes_LintNamesFieldLineAndColumn(t *testing.T) {
	src := strings.Replace(base, `  - expr: "amount > 0"`, `  - expr: "kind + 5 > 0"`, 1)
	_, err := Parse("bad.yaml", []byte(src), NewRegistry())
	les := LoadErrors(err)
	if len(les) != 1 {
		t.Fatalf("errors = %v", err)
	}
	want := `bad.yaml:23:5: checks[0].expr: "kind + 5 > 0": column 6: cannot add text and number`
	if les[0].Error() != want {
		t.Errorf("got  %s\nwant %s", les[0].Error(), want)
	}
}

// Ensure the shipped definitions are typed (none falls back to untyped
// evaluation).
func TestExprTypes_ShippedDefinitionsAreTyped(t *testing.T) {
	reg := testRegistry() // the guards and kinds of record the built-in definitions name
	defs, err := LoadFS(Builtin, "definitions", reg)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range defs {
		each := func(src string, place exprPlace, table string) {
			if src == "" {
				return
			}
			e, err := d.expr(src, place, table)
			if err != nil || !e.typed {
				t.Errorf("%s: %q is not typed (%v)", d.Key, src, err)
			}
			n++
		}
		for _, f := range d.Form {
			if f.Type != FieldTable {
				each(f.Computed, placeComputed, "")
			}
			for _, c := range f.Columns {
				each(c.Computed, placeComputed, f.Key)
			}
		}
		for _, c := range d.Checks {
			each(c.Expr, placeCheck, "")
			each(c.When, placeCheck, "")
		}
		for _, s := range d.Steps {
			each(s.When, placeCond, "")
			for _, b := range s.Branches {
				each(b.When, placeCond, "")
			}
			for _, ch := range s.SetPerson {
				each(ch.Value, placeEffect, "")
			}
			for _, sp := range s.Start {
				for _, v := range sp.Values {
					each(v, placeEffect, "")
				}
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d expressions in the shipped definitions", n)
	}
}

// Ensure a definition stored before expressions were typed, whose
// expression the check refuses, still runs it untyped (its running
// instances finish as they started).
func TestExprTypes_UntypedFallbackForStoredVersions(t *testing.T) {
	d := typesDef()
	e, err := d.expr("title + 5 == 15", placeCheck, "")
	if err != nil {
		t.Fatal(err)
	}
	if e.typed {
		t.Fatal("an ill-typed expression was typed")
	}
	if ok, err := e.EvalBool(map[string]any{"title": "10"}); !ok || err != nil {
		t.Errorf("untyped: %v %v", ok, err)
	}
}

func mustCompile(t *testing.T, src string) *Expr {
	t.Helper()
	e, err := Compile(src)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Ensure a run-time failure carries the message id people see and the
// field it reads.
func TestExprEval_ErrorsNameKeyAndField(t *testing.T) {
	d := typesDef()
	e, err := d.compileIn("budget / amount > 1", placeCheck, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.EvalBool(map[string]any{"budget": "10.00", "amount": json.Number("0")})
	var ee *ExprError
	if !errors.As(err, &ee) || ee.Key != "expr.eval.division_by_zero" || ee.Field != "amount" {
		t.Fatalf("err = %#v", err)
	}
	e, _ = d.compileIn("booked_at < now()", placeCheck, "")
	_, err = e.EvalBool(map[string]any{"booked_at": "yesterday"})
	if !errors.As(err, &ee) || ee.Key != "expr.eval.bad_value" || ee.Field != "booked_at" {
		t.Fatalf("err = %#v", err)
	}
}

// FuzzExprTyped: type-checking an expression against a form and
// evaluating it, with odd values in the form, the clock, the calendar and
// the lookups, never panics.
func FuzzExprTyped(f *testing.F) {
	for _, s := range []string{"title + note == '105'", "minutes_between(booked_at, received_at) > 30",
		"count(items, q > 10 && who == approver) >= 1", "max(items.on) <= add_workdays(day, 3)",
		"if(amount == 0, 0, budget / amount) > round(amount, 2)", "in_use('mentor', mentor) || rank_of(approver) in ['a']",
		"count_instances('types', 'mentor', mentor, 30) > len(tags)", "date(completed_at('review')) == today()"} {
		f.Add(s)
	}
	d := typesDef()
	sc := d.scope(placeCond, "")
	env := map[string]any{"title": "x", "amount": json.Number("0"), "budget": "1e9", "day": "2026-13-01",
		"booked_at": "soon", "received_at": "2026-01-05T09:00", "approver": int64(-1), "tags": []any{1, nil},
		"items": []any{map[string]any{"q": "x", "on": 5}, nil, 3}}
	rt := &exprRT{now: time.Unix(0, 0), loc: time.UTC, cal: WeekdayCalendar{}, look: &fakeLookup{}}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Compile(src)
		if err != nil || e.check(sc, tAny) != nil {
			return
		}
		_, _ = e.eval(env, rt)
		_, _ = e.eval(nil, nil)
	})
}
