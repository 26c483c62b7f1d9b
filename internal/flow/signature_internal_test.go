package flow

import (
	"encoding/json"
	"testing"
)

// Ensure a signature made before numbers were kept exact stays valid: its
// content went through float64 (12345678901234567.25 became
// 12345678901234568), and the form, read exactly now, still matches it
// (issue 7 item 8: "existing signatures must stay valid across the change").
func TestR9_SignatureMadeBeforeExactNumbersStaysValid(t *testing.T) {
	d := &Definition{Key: "k", Form: []Field{{Key: "n", Type: FieldNumber}}, Steps: []Step{{ID: "s"}}}
	var form map[string]any
	if err := DecodeJSON([]byte(`{"n":12345678901234567.25}`), &form); err != nil {
		t.Fatal(err)
	}
	in := &Instance{ID: 7, DefinitionKey: "k", DefinitionVersion: 1, Form: form}
	legacy, err := legacyContent("k", 1, 7, "s", form)
	if err != nil {
		t.Fatal(err)
	}
	g := &Signature{StepID: "s", ContentHash: hashOf(legacy), Content: string(legacy)}
	if err := checkSignature(g, d, in); err != nil || !g.Valid {
		t.Fatalf("legacy signature: valid=%v err=%v", g.Valid, err)
	}
	exact, _ := signedContent("k", 1, 7, "s", form, nil)
	if string(exact) == string(legacy) {
		t.Fatal("the test does not exercise the legacy path")
	}
	// A real change still invalidates it.
	form["n"] = json.Number("1")
	if err := checkSignature(g, d, in); err != nil || g.Valid {
		t.Fatalf("after a change: valid=%v err=%v", g.Valid, err)
	}
}
