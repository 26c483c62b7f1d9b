package flow

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"labflow/internal/domain"
)

// An electronic signature (COMPLIANCE R7–R9) covers canonical content: the
// definition key and version, the instance id, the step id and the whole
// form, as canonical JSON (object keys sorted, numbers in their exact
// decimal text). Its SHA-256 is the signature's content hash, and the
// content itself is kept with the signature, so that a later view can say
// exactly what changed since signing.
//
// A signature stays valid only while every value it covered is unchanged,
// with two exceptions the definition declares:
//
//   - a value that was empty when signed and that another step may edit
//     (a supplier, a negotiated unit price, a result) may be filled later;
//     values computed from such fills follow them (a line's amount);
//   - a value the signing step declares as a ceiling (`ceilings: [total]`)
//     may go down, never up: approving an amount approves that amount.
//
// Any other change invalidates the signature. The engine never lets that
// happen silently: an edit that invalidates a signature of the current
// pass sends the instance back to that step for a new signature (see
// resign in recheck.go).

// ContentHash is the SHA-256 (hex) of the canonical content an electronic
// signature covers.
func ContentHash(defKey string, defVersion int, instanceID int64, stepID string, form map[string]any) (string, error) {
	b, err := signedContent(defKey, defVersion, instanceID, stepID, form, nil)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

type content struct {
	Key      string `json:"definition_key"`
	Version  int    `json:"definition_version"`
	Instance int64  `json:"instance_id"`
	Step     string `json:"step_id"`
	Form     any    `json:"form"`
	// Subject is the record a bound instance governs (absent otherwise,
	// so that the content of unbound instances is as it always was).
	Subject *signedSubject `json:"subject,omitempty"`
}

// signedContent is the canonical JSON an electronic signature covers. A
// JSON round trip makes typed values (int64, []map…) and stored ones
// (json.Number, []any) encode alike; numbers keep their exact text.
func signedContent(defKey string, defVersion int, instanceID int64, stepID string, form map[string]any, subj *signedSubject) ([]byte, error) {
	norm, err := canonicalForm(form)
	if err != nil {
		return nil, err
	}
	return json.Marshal(content{defKey, defVersion, instanceID, stepID, norm, subj})
}

// canonicalForm returns form as generic JSON values (maps, []any, strings,
// json.Number), exactly.
func canonicalForm(form map[string]any) (map[string]any, error) {
	if form == nil {
		form = map[string]any{}
	}
	b, err := json.Marshal(form)
	if err != nil {
		return nil, domain.Wrap("flow.signedContent", err)
	}
	var norm map[string]any
	if err := DecodeJSON(b, &norm); err != nil {
		return nil, domain.Wrap("flow.signedContent", err)
	}
	return norm, nil
}

// legacyContent is the content as signatures made before numbers were kept
// exact encoded it: numbers went through float64. Signatures made then stay
// valid while the form is unchanged.
func legacyContent(defKey string, defVersion int, instanceID int64, stepID string, form map[string]any) ([]byte, error) {
	b, err := json.Marshal(form)
	if err != nil {
		return nil, err
	}
	var norm any = map[string]any{}
	if form != nil {
		if err := json.Unmarshal(b, &norm); err != nil {
			return nil, err
		}
	}
	return json.Marshal(content{Key: defKey, Version: defVersion, Instance: instanceID, Step: stepID, Form: norm})
}

// SignedChange is one value that differs between what a signature covered
// and the form now.
type SignedChange struct {
	// Path is the field ("supplier") or table cell ("items.2.unit_price",
	// rows counted from 1); a table whose rows were added or removed is
	// the table's key.
	Path  string `json:"path"`
	Field string `json:"field"` // the top-level field key
	Was   any    `json:"was"`
	Now   any    `json:"now"`
	// Kind is how the change bears on the signature: "added" (empty when
	// signed, filled by a later step as the definition allows),
	// "followed" (a computed value following such fills), "lowered" (a
	// ceiling that went down), or "changed" (invalidates the signature).
	Kind string `json:"kind"`
}

// The kinds of SignedChange.
const (
	ChangeAdded    = "added"
	ChangeFollowed = "followed"
	ChangeLowered  = "lowered"
	ChangeChanged  = "changed"
)

// checkSignature decides whether a signature still holds (COMPLIANCE R9)
// and fills Valid, Diff, Updated (fields changed as the definition allows)
// and Changed (fields whose change invalidated it).
func checkSignature(g *Signature, def *Definition, in *Instance) error {
	g.Updated, g.Changed, g.Diff = nil, nil, nil
	cur, err := signedContent(in.DefinitionKey, in.DefinitionVersion, in.ID, g.StepID, in.Form, in.subject)
	if err != nil {
		return err
	}
	if hashOf(cur) == g.ContentHash {
		g.Valid = true
		return g.decodeSigned()
	}
	legacy, err := legacyContent(in.DefinitionKey, in.DefinitionVersion, in.ID, g.StepID, in.Form)
	if err != nil {
		return domain.Wrap("flow.checkSignature", err)
	}
	if hashOf(legacy) == g.ContentHash {
		g.Valid = true
		return g.decodeSigned()
	}
	g.Valid = false
	if g.Content == "" || hashOf([]byte(g.Content)) != g.ContentHash {
		// Without the signed content (or with content that is not what was
		// hashed) nothing can be said about what changed: invalid.
		return nil
	}
	if err := g.decodeSigned(); err != nil {
		return err
	}
	now, err := canonicalForm(in.Form)
	if err != nil {
		return err
	}
	g.Diff = diffSigned(def, g.StepID, g.SignedForm, now)
	if in.SubjectKind != "" && !sameSubject(g.Content, in.subject) {
		// The record itself changed since signing (R9).
		g.Diff = append(g.Diff, SignedChange{Path: "record", Field: "record", Kind: ChangeChanged})
	}
	updated, changed := map[string]bool{}, map[string]bool{}
	for _, c := range g.Diff {
		if c.Kind == ChangeChanged {
			changed[c.Field] = true
		} else {
			updated[c.Field] = true
		}
	}
	for f := range changed {
		delete(updated, f)
	}
	g.Updated, g.Changed = sortedKeys(updated), sortedKeys(changed)
	g.Valid = len(g.Changed) == 0
	return nil
}

// decodeSigned fills SignedForm from the stored content.
func (g *Signature) decodeSigned() error {
	if g.Content == "" {
		return nil
	}
	var c struct {
		Form map[string]any `json:"form"`
	}
	if err := DecodeJSON([]byte(g.Content), &c); err != nil {
		return domain.Wrap("flow.signature", err)
	}
	g.SignedForm = c.Form
	return nil
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// diffSigned compares the form as signed at stepID with the form now,
// value by value, and says of each difference whether the definition
// allows it (see the package comment above).
func diffSigned(def *Definition, stepID string, was, now map[string]any) []SignedChange {
	fill := fillable(def, stepID)
	ceil := map[string]bool{}
	if st := def.Step(stepID); st != nil {
		for _, c := range st.Ceilings {
			ceil[c] = true
		}
	}
	fields := map[string]*Field{}
	for i := range def.Form {
		fields[def.Form[i].Key] = &def.Form[i]
	}
	keys := map[string]bool{}
	for k := range was {
		keys[k] = true
	}
	for k := range now {
		keys[k] = true
	}
	var out []SignedChange
	judge := func(path, field string, f *Field, a, b any, fillOK bool) {
		if sameJSON(a, b) {
			return
		}
		c := SignedChange{Path: path, Field: field, Was: a, Now: b, Kind: ChangeChanged}
		switch {
		case f != nil && ceil[path] && !isEmpty(a) && !isEmpty(b) && decimalCmp(b, a) <= 0:
			c.Kind = ChangeLowered
		case f != nil && ceil[path]:
			// A ceiling that rose (or appeared, or vanished) is a change.
		case f != nil && f.Computed != "":
			c.Kind = ChangeFollowed
		case isEmpty(a) && fillOK:
			c.Kind = ChangeAdded
		}
		out = append(out, c)
	}
	for _, k := range sortedKeys(keys) {
		f := fields[k]
		if f != nil && f.Type == FieldTable {
			wr, _ := tableRows(was[k])
			nr, _ := tableRows(now[k])
			if len(wr) != len(nr) {
				kind := ChangeChanged
				if len(wr) == 0 && fill[k] {
					kind = ChangeAdded // an empty table a later step fills (the staff sent)
				}
				out = append(out, SignedChange{Path: k, Field: k, Was: len(wr), Now: len(nr), Kind: kind})
				continue
			}
			for i := range wr {
				for _, col := range f.Columns {
					col := col
					judge(k+"."+strconv.Itoa(i+1)+"."+col.Key, k, &col, wr[i][col.Key], nr[i][col.Key], fill[k] || fill[k+"."+col.Key])
				}
			}
			continue
		}
		judge(k, k, f, was[k], now[k], fill[k])
	}
	// A computed value follows its inputs: it is judged by them, unless it
	// is a ceiling. If an input changed in a way that invalidates, that
	// input is reported as changed already.
	return out
}

// fillable is the set of fields (and "table.column" cells) that steps other
// than stepID may edit: what the definition says later steps fill.
func fillable(def *Definition, stepID string) map[string]bool {
	out := map[string]bool{}
	if def == nil {
		return out
	}
	for _, s := range def.Steps {
		if s.ID == stepID {
			continue
		}
		for _, f := range s.Editable {
			out[f] = true
		}
	}
	return out
}

// decimalCmp compares two form numbers exactly (money text or numbers).
func decimalCmp(a, b any) int {
	x, ok1 := FormDecimal(a)
	y, ok2 := FormDecimal(b)
	if !ok1 || !ok2 {
		return 1
	}
	return x.Cmp(y)
}

var attachRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// sign records an electronic signature by the actor on the task's step; the
// audit event of the approval carries the content hash.
func (w *work) sign(t *Task, meaning Meaning) (*Signature, error) {
	if err := w.e.loadSubject(w.ctx, w.inst); err != nil {
		return nil, err
	}
	b, err := signedContent(w.def.Key, w.def.Version, w.inst.ID, t.StepID, w.inst.Form, w.inst.subject)
	if err != nil {
		return nil, err
	}
	g := &Signature{TaskID: t.ID, StepID: t.StepID, SignerID: w.actor.ID, SignerName: w.actor.Name, Meaning: meaning,
		ContentHash: hashOf(b), Content: string(b)}
	w.sigs = append(w.sigs, g)
	return g, nil
}

// describeValue renders a form value for a reason text: money with its
// unit, numbers exactly, lists joined.
func describeValue(f *Field, v any, lang string) string {
	if isEmpty(v) {
		if lang == "en" {
			return "(empty)"
		}
		return "（空）"
	}
	if f != nil && f.Type == FieldMoney {
		if r, ok := FormDecimal(v); ok {
			if lang == "en" {
				return "CNY " + r.FloatString(2)
			}
			return r.FloatString(2) + " 元"
		}
	}
	if r, ok := v.(*big.Rat); ok {
		return FormatDecimal(r)
	}
	return fmt.Sprint(v)
}

// PathLabel names a value path ("items.2.unit_price") in lang: "采购明细 第2行 单价（元）".
func PathLabel(def *Definition, path, lang string) string {
	parts := strings.Split(path, ".")
	f := def.field(parts[0])
	if f == nil {
		return path
	}
	out := f.Label.In(lang)
	if len(parts) == 3 {
		col := parts[2]
		for _, c := range f.Columns {
			if c.Key == col {
				col = c.Label.In(lang)
			}
		}
		if lang == "en" {
			return out + " row " + parts[1] + " " + col
		}
		return out + " 第" + parts[1] + "行 " + col
	}
	return out
}

// sameSubject reports whether the record part of signed content is the
// record now.
func sameSubject(signed string, now *signedSubject) bool {
	var c struct {
		Subject *signedSubject `json:"subject"`
	}
	if err := json.Unmarshal([]byte(signed), &c); err != nil {
		return false
	}
	if c.Subject == nil || now == nil {
		return c.Subject == nil && now == nil
	}
	return c.Subject.Kind == now.Kind && c.Subject.ID == now.ID && string(c.Subject.Content) == string(now.Content)
}
