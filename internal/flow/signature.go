package flow

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
)

// ContentHash is the SHA-256 (hex) of the canonical content an electronic
// signature covers (COMPLIANCE R7, R9): canonical JSON (object keys sorted)
// of the definition key and version, the instance id, the step id and the form.
func ContentHash(defKey string, defVersion int, instanceID int64, stepID string, form map[string]any) string {
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
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// signatureValid reports whether a signature still covers the instance's content.
func signatureValid(g Signature, in *Instance) bool {
	return g.ContentHash == ContentHash(in.DefinitionKey, in.DefinitionVersion, in.ID, g.StepID, in.Form)
}

var attachRE = regexp.MustCompile(`^[0-9a-f]{64}$`)

// sign records an electronic signature by the actor on the task's step.
func (w *work) sign(t *Task, meaning Meaning) {
	w.sigs = append(w.sigs, &Signature{TaskID: t.ID, StepID: t.StepID, SignerID: w.actor.ID, SignerName: w.actor.Name, Meaning: meaning,
		ContentHash: ContentHash(w.def.Key, w.def.Version, w.inst.ID, t.StepID, w.inst.Form)})
}
