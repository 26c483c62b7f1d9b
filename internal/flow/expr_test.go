package flow

import (
	"encoding/json"
	"math/big"
	"strings"
	"testing"
	"time"
)

func TestExprEval(t *testing.T) {
	env := map[string]any{
		"total":    "60000.00",
		"qty":      json.Number("3"),
		"price":    33.33,
		"category": "reagent",
		"flag":     true,
		"start":    "2026-01-01",
		"end":      "2026-03-01",
		"items": []map[string]any{
			{"amount": "10.10"}, {"amount": "0.20"}, {"amount": nil},
		},
		"initiator_is_director": false,
		"note":                  "",
	}
	cases := []struct {
		src  string
		want any
	}{
		{"0.1 + 0.2 == 0.3", true},
		{"3 * 33.33 == 99.99", true},
		{"qty * price == 99.99", true},
		{"qty * price", "99.99"},
		{"total > 50000", true},
		{"total >= 60000.01", false},
		{"sum(items.amount) == 10.3", true},
		{"sum(items.amount)", "10.3"},
		{"category in ['reagent', 'solvent']", true},
		{"category in ['instrument']", false},
		{"!initiator_is_director", true},
		{"not flag", false},
		{"flag and (total > 1 or qty < 1)", true},
		{"flag && total < 1 || qty == 3", true},
		{"days_between(start, end)", "59"},
		{"len(category)", "7"},
		{"len(items)", "3"},
		{"note == ''", true},
		{"missing == ''", true},
		{"missing + 1", "1"},
		{"'a' + 'b' == 'ab'", true},
		{"start < end", true},
		{"-qty + 1", "-2"},
		{"10 / 4", "2.5"},
		{"1 / 3 * 3 == 1", true},
		{"today() == '2026-05-01'", false},
	}
	for _, c := range cases {
		e, err := Compile(c.src)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		got, err := e.Eval(env)
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if r, ok := got.(*big.Rat); ok {
			got = FormatDecimal(r)
		}
		if got != c.want {
			t.Errorf("%s = %v, want %v", c.src, got, c.want)
		}
	}
}

func TestExprToday(t *testing.T) {
	e, err := Compile("today() == '2026-05-01'")
	if err != nil {
		t.Fatal(err)
	}
	// 2026-04-30 20:00 UTC is already May 1st in the institute's zone.
	ok, err := e.evalBool(nil, &exprRT{now: time.Date(2026, 4, 30, 20, 0, 0, 0, time.UTC), loc: time.FixedZone("CST", 8*3600)})
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
}

func TestExprCompileErrorsNamePosition(t *testing.T) {
	cases := []struct{ src, col string }{
		{"total > ", "column 9"},
		{"a = 1", "column 3"},
		{"(a > 1", "column 7"},
		{"foo(1)", "column 1"},
		{"a == 'x", "column 6"},
		{"1 < 2 < 3", "column 7"},
		{"a & b", "column 3"},
		{"sum(a, b)", "column 1"},
		{"", "column 1"},
		{"a #", "column 3"},
		{strings.Repeat("(", 100) + "1" + strings.Repeat(")", 100), "nested"},
	}
	for _, c := range cases {
		_, err := Compile(c.src)
		if err == nil || !strings.Contains(err.Error(), c.col) {
			t.Errorf("%q: err = %v, want %s", c.src, err, c.col)
		}
	}
}

func TestExprEvalErrors(t *testing.T) {
	for _, src := range []string{"1 / 0", "'a' * 2", "category && true", "sum(category)", "'x' in 'y'"} {
		if _, err := EvalBool(src, map[string]any{"category": "reagent"}); err == nil {
			t.Errorf("%s: want an error", src)
		}
	}
	if _, err := EvalBool("1 + 1", nil); err == nil {
		t.Error("a non-boolean condition must be an error")
	}
}

func TestExprIdents(t *testing.T) {
	e, err := Compile("sum(items.amount) > limit && !initiator_is_director")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(e.Idents(), ","); got != "initiator_is_director,items.amount,limit" {
		t.Errorf("idents = %s", got)
	}
	if got := strings.Join(e.Funcs(), ","); got != "sum" {
		t.Errorf("funcs = %s", got)
	}
}

func TestMoney(t *testing.T) {
	for _, s := range []string{"0.1", "12", "12.50", "-3.05"} {
		if _, err := ParseMoney(s); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
	for _, s := range []string{"0.001", "1e3", "abc", "", "1,000", ".5", "0x10"} {
		if _, err := ParseMoney(s); err == nil {
			t.Errorf("%s: want an error", s)
		}
	}
	r, _ := ParseDecimal("33.33")
	r.Mul(r, big.NewRat(3, 1))
	if FormatMoney(r) != "99.99" {
		t.Errorf("3 × 33.33 = %s", FormatMoney(r))
	}
}
