package flow

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"sort"
	"strings"
)

// ContentHash is the SHA-256 (hex) of the canonical content an electronic
// signature covers (COMPLIANCE R7, R9): canonical JSON (object keys sorted)
// of the definition key and version, the instance id, the step id and the form.
func ContentHash(defKey string, defVersion int, instanceID int64, stepID string, form map[string]any) string {
	sum := sha256.Sum256(signedContent(defKey, defVersion, instanceID, stepID, form))
	return hex.EncodeToString(sum[:])
}

// signedContent is the canonical JSON an electronic signature covers: the
// definition and version, the instance, the step and the whole form.
func signedContent(defKey string, defVersion int, instanceID int64, stepID string, form map[string]any) []byte {
	if form == nil {
		form = map[string]any{}
	}
	// A JSON round trip makes typed values (int, []map…) and stored ones
	// (float64, []any) encode alike.
	var norm any
	if b, err := json.Marshal(form); err == nil {
		_ = json.Unmarshal(b, &norm)
	}
	b, _ := json.Marshal(struct {
		Key      string `json:"definition_key"`
		Version  int    `json:"definition_version"`
		Instance int64  `json:"instance_id"`
		Step     string `json:"step_id"`
		Form     any    `json:"form"`
	}{defKey, defVersion, instanceID, stepID, norm})
	return b
}

// checkSignature decides whether a signature still holds (COMPLIANCE R9).
// Unchanged content is valid. Otherwise the stored signed content tells
// which form fields changed: if every one is a field that the definition
// gives another step to fill or edit (or a computed field that follows
// them), the signature stays valid and lists them as Updated; any other
// change invalidates it and is listed as Changed. A signature without
// stored content (made before content was kept) is valid only unchanged.
func checkSignature(g *Signature, def *Definition, in *Instance) {
	g.Updated, g.Changed = nil, nil
	cur := signedContent(in.DefinitionKey, in.DefinitionVersion, in.ID, g.StepID, in.Form)
	sum := sha256.Sum256(cur)
	if hex.EncodeToString(sum[:]) == g.ContentHash {
		g.Valid = true
		return
	}
	g.Valid = false
	var was, now struct {
		Form map[string]json.RawMessage `json:"form"`
	}
	if g.Content == "" || json.Unmarshal([]byte(g.Content), &was) != nil || json.Unmarshal(cur, &now) != nil {
		return
	}
	later := laterFields(def, g.StepID)
	keys := map[string]bool{}
	for k := range was.Form {
		keys[k] = true
	}
	for k := range now.Form {
		keys[k] = true
	}
	for k := range keys {
		if string(was.Form[k]) == string(now.Form[k]) {
			continue
		}
		if later[k] {
			g.Updated = append(g.Updated, k)
		} else {
			g.Changed = append(g.Changed, k)
		}
	}
	sort.Strings(g.Updated)
	sort.Strings(g.Changed)
	g.Valid = len(g.Changed) == 0
}

// laterFields are the form fields that steps other than stepID may edit,
// and the computed fields (which follow their inputs).
func laterFields(def *Definition, stepID string) map[string]bool {
	out := map[string]bool{}
	if def == nil {
		return out
	}
	for _, s := range def.Steps {
		if s.ID == stepID {
			continue
		}
		for _, f := range s.Editable {
			key, _, _ := strings.Cut(f, ".") // "items.unit_price" edits the items table
			out[key] = true
		}
	}
	for _, f := range def.Form {
		if f.Computed != "" {
			out[f.Key] = true
		}
	}
	return out
}

var attachRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// sign records an electronic signature by the actor on the task's step.
func (w *work) sign(t *Task, meaning Meaning) {
	w.sigs = append(w.sigs, &Signature{TaskID: t.ID, StepID: t.StepID, SignerID: w.actor.ID, SignerName: w.actor.Name, Meaning: meaning,
		ContentHash: ContentHash(w.def.Key, w.def.Version, w.inst.ID, t.StepID, w.inst.Form),
		Content:     string(signedContent(w.def.Key, w.def.Version, w.inst.ID, t.StepID, w.inst.Form))})
}
