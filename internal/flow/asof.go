package flow

import (
	"context"
	"strings"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
)

// The trail holds every value an instance ever had (COMPLIANCE R1, R3):
// filing records every field, every edit and resubmission its old and new
// values, every event the status, title and steps it changed, every
// signature its content hash. AsOf rebuilds an instance as it stood at a
// moment from the trail alone — not from the instance row — so that what
// the record says can be compared with what the trail says.

// Snapshot is an instance as the audit trail says it stood at a moment.
type Snapshot struct {
	InstanceID int64          `json:"instance_id"`
	At         time.Time      `json:"at"`
	Exists     bool           `json:"exists"` // false before it was filed
	Definition string         `json:"definition,omitempty"`
	Title      string         `json:"title,omitempty"`
	Status     Status         `json:"status,omitempty"`
	Form       map[string]any `json:"form"`
	Steps      []string       `json:"steps"` // the steps it was at
	Signatures []SnapshotSig  `json:"signatures"`
	// Events is how many audit events the snapshot was rebuilt from; Last
	// is the sequence number of the latest of them.
	Events int   `json:"events"`
	Last   int64 `json:"last_seq,omitempty"`
}

// SnapshotSig is a signature as the trail records it.
type SnapshotSig struct {
	Step        string    `json:"step"`
	SignerID    int64     `json:"signer_id"`
	SignerName  string    `json:"signer_name"`
	Meaning     Meaning   `json:"meaning"`
	ContentHash string    `json:"content_hash"`
	At          time.Time `json:"at"`
}

// FieldDiff is one form field that differs between a snapshot and now.
type FieldDiff struct {
	Field string `json:"field"`
	Then  any    `json:"then"`
	Now   any    `json:"now"`
}

// AsOfView is a snapshot with the differences to the instance now.
type AsOfView struct {
	Snapshot Snapshot    `json:"snapshot"`
	Changed  []FieldDiff `json:"changed"`
	// StatusNow and StepsNow are the instance's status and steps now.
	StatusNow Status   `json:"status_now"`
	StepsNow  []string `json:"steps_now"`
}

// AsOf rebuilds the instance as it stood at at, from the audit trail alone,
// for someone who may see it now, with the differences to now.
func (e *Engine) AsOf(ctx context.Context, actor domain.Actor, id int64, at time.Time) (*AsOfView, error) {
	in, err := e.st.Instance(ctx, id)
	if err != nil {
		return nil, err
	}
	if ok, err := e.CanView(ctx, actor, in); err != nil || !ok {
		if err == nil {
			err = domain.NotFound("flow.AsOf", "entity.instance")
		}
		return nil, err
	}
	snap, err := e.Rebuild(ctx, id, at)
	if err != nil {
		return nil, err
	}
	v := &AsOfView{Snapshot: *snap, StatusNow: in.Status, StepsNow: activeSteps(in)}
	if v.StepsNow == nil {
		v.StepsNow = []string{}
	}
	keys := map[string]bool{}
	for k := range snap.Form {
		keys[k] = true
	}
	for k := range in.Form {
		keys[k] = true
	}
	for _, k := range sortedKeys(keys) {
		if !sameJSON(snap.Form[k], in.Form[k]) {
			v.Changed = append(v.Changed, FieldDiff{Field: k, Then: snap.Form[k], Now: in.Form[k]})
		}
	}
	return v, nil
}

// Rebuild replays the audit events of instance id up to at (inclusive).
func (e *Engine) Rebuild(ctx context.Context, id int64, at time.Time) (*Snapshot, error) {
	evs, err := e.st.Events(ctx, "instance", id, at)
	if err != nil {
		return nil, err
	}
	s := &Snapshot{InstanceID: id, At: at, Form: map[string]any{}, Steps: []string{}, Signatures: []SnapshotSig{}}
	for _, ev := range evs {
		cs, err := decodeChanges(ev)
		if err != nil {
			return nil, err
		}
		s.Events++
		s.Last = ev.Seq
		if ev.Action == "flow.start" {
			s.Exists = true
		}
		var sig *SnapshotSig
		step := ""
		for _, c := range cs {
			switch {
			case strings.HasPrefix(c.Field, "form."):
				k := strings.TrimPrefix(c.Field, "form.")
				if c.New == nil {
					delete(s.Form, k)
				} else {
					s.Form[k] = c.New
				}
			case c.Field == "definition":
				s.Definition, _ = c.New.(string)
			case c.Field == "title":
				s.Title, _ = c.New.(string)
			case c.Field == "status":
				if st, ok := c.New.(string); ok {
					s.Status = Status(st)
				}
			case c.Field == "steps":
				s.Steps = stringsOf(c.New)
			case c.Field == "step":
				step, _ = c.New.(string)
			case c.Field == "signature":
				m, _ := c.New.(string)
				sig = &SnapshotSig{SignerID: ev.ActorID, SignerName: ev.ActorName, Meaning: Meaning(m), At: ev.At}
			case c.Field == "content_hash" && sig != nil:
				sig.ContentHash, _ = c.New.(string)
			}
		}
		if sig != nil {
			sig.Step = step
			s.Signatures = append(s.Signatures, *sig)
		}
	}
	return s, nil
}

// decodeChanges reads an event's changes with exact numbers.
func decodeChanges(ev audit.Event) ([]audit.Change, error) {
	var cs []audit.Change
	if err := DecodeJSON([]byte(ev.Changes), &cs); err != nil {
		return nil, domain.Wrap("flow.Rebuild", err)
	}
	return cs, nil
}

func stringsOf(v any) []string {
	out := []string{}
	list, _ := v.([]any)
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}
