package flow

import (
	"encoding/json"
	"testing"
)

// FuzzParse: the definition loader never panics, whatever the bytes.
func FuzzParse(f *testing.F) {
	f.Add([]byte(base))
	f.Add([]byte(allTypes))
	for _, name := range []string{"purchase-request", "promotion", "site-loan"} {
		if b, err := Builtin.ReadFile("definitions/" + name + ".yaml"); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("key: [\n"))
	f.Add([]byte("a: &x [*x]\n"))
	reg := testRegistry()
	f.Fuzz(func(t *testing.T, src []byte) {
		d, err := Parse("fuzz.yaml", src, reg)
		if err == nil && (d == nil || d.First() == nil) {
			t.Fatal("a definition without steps was accepted")
		}
	})
}

// FuzzValidateForm: form validation never panics, whatever the JSON.
func FuzzValidateForm(f *testing.F) {
	b, _ := json.Marshal(goodPurchase())
	f.Add(b)
	f.Add([]byte(`{"items":[{"quantity":1e308,"unit_price":"99999999999999999999.99"}],"total":"x"}`))
	f.Add([]byte(`{"items":[null,1,"x",{"amount":[]}],"reason":{}}`))
	f.Add([]byte(`{"n":"-0","m":-0.0,"dt":"2026-13-40T99:99","ms":[1,2],"f":"x","p":1e300}`))
	d := purchaseDef(f)
	types, err := Parse("types.yaml", []byte(allTypes), NewRegistry())
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var m map[string]any
		if json.Unmarshal(data, &m) != nil {
			return
		}
		for _, def := range []*Definition{d, types} {
			out, err := ValidateForm(def, m, nil)
			if err == nil && out == nil {
				t.Fatal("nil form without error")
			}
			_, _ = ValidateForm(def, m, []string{"items", "n"})
		}
	})
}

// FuzzCompile: the expression compiler and evaluator never panic.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{"0.1 + 0.2 == 0.3", "sum(items.amount) > 50000 && !x", "a in [1, 'b']", "days_between(a, today())"} {
		f.Add(s)
	}
	env := map[string]any{"a": "2026-01-01", "x": true, "items": []any{map[string]any{"amount": "1.00"}}}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Compile(src)
		if err != nil {
			return
		}
		_, _ = e.Eval(env)
	})
}
