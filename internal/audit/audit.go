// Package audit defines the audit trail's event, its canonical encoding and
// the hash chain over it (COMPLIANCE R1, R2). It holds no SQL: the store
// appends events inside the same transaction as the change they record, and
// Verify walks what the store reads back.
package audit

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"time"
)

// TimeFormat is how event times are written: UTC, fixed width, microseconds.
const TimeFormat = "2006-01-02T15:04:05.000000Z"

// Change is one field's old and new value.
type Change struct {
	Field string `json:"field"`
	Old   any    `json:"old"`
	New   any    `json:"new"`
}

// Entry is what a caller records: who did what to which entity, the field
// changes and the reason. The store adds the sequence, time and hashes.
type Entry struct {
	ActorID   int64
	ActorName string
	Action    string // e.g. "person.create", "flow.approve"
	Entity    string // e.g. "person"
	EntityID  string
	Changes   []Change
	Reason    string
	// Encoded, when set, is Changes already encoded (EncodeChanges): a
	// writer may encode before its write reaches the group commit.
	Encoded string
}

// Event is a stored audit event.
type Event struct {
	Seq       int64     `json:"seq"`
	At        time.Time `json:"at"`
	ActorID   int64     `json:"actor_id"`
	ActorName string    `json:"actor_name"`
	Action    string    `json:"action"`
	Entity    string    `json:"entity"`
	EntityID  string    `json:"entity_id"`
	Changes   string    `json:"changes"` // JSON array of Change, exactly as stored and hashed
	Reason    string    `json:"reason"`
	// Records is the state, after this event, of every record the change
	// wrote: a JSON object from "table/id" to the SHA-256 of the record's
	// canonical content (see the store's seal.go). It lets a verifier
	// prove that each record is what its trail says it is. Empty on events
	// that wrote no record, and on events made before records were sealed.
	Records  string `json:"records,omitempty"`
	PrevHash string `json:"prev_hash"`
	Hash     string `json:"hash"`
}

// EncodeChanges returns the JSON text stored for a list of changes.
// A change whose old and new values are the same ("yes → yes") changes
// nothing and is left out.
func EncodeChanges(cs []Change) (string, error) {
	kept := make([]Change, 0, len(cs))
	for _, c := range cs {
		if c.Old == nil && c.New != nil && !isNilValue(c.New) {
			kept = append(kept, c) // a new value: nothing to compare
			continue
		}
		old, err1 := json.Marshal(c.Old)
		nw, err2 := json.Marshal(c.New)
		if err := errors.Join(err1, err2); err != nil {
			return "", err
		}
		if string(old) != string(nw) {
			kept = append(kept, c)
		}
	}
	b, err := json.Marshal(kept)
	return string(b), err
}

// DecodeChanges parses an event's changes.
func (e Event) DecodeChanges() ([]Change, error) {
	var cs []Change
	err := json.Unmarshal([]byte(e.Changes), &cs)
	return cs, err
}

// ComputeHash returns the SHA-256 (hex) of the event's canonical encoding:
// every field but Hash, each written as its length, a colon and its bytes,
// so that no two different events encode alike. PrevHash is part of it,
// which chains each event to its predecessor.
func ComputeHash(e Event) string {
	h := sha256.New()
	put := func(s string) {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	put("labflow-audit-v1")
	put(strconv.FormatInt(e.Seq, 10))
	put(e.At.UTC().Format(TimeFormat))
	put(strconv.FormatInt(e.ActorID, 10))
	put(e.ActorName)
	put(e.Action)
	put(e.Entity)
	put(e.EntityID)
	put(e.Changes)
	put(e.Reason)
	put(e.PrevHash)
	if e.Records != "" {
		// Events with records (format 2) hash them too; events without
		// hash exactly as before, so that chains made earlier verify.
		put("records")
		put(e.Records)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Head is the end of the chain: how many events there are and the hash of
// the last one. Recorded outside the database, it proves later that nothing
// up to it was dropped from the end.
type Head struct {
	Count int64  `json:"count"`
	Hash  string `json:"hash"`
}

// String formats the head as "COUNT:HASH".
func (h Head) String() string { return fmt.Sprintf("%d:%s", h.Count, h.Hash) }

// Problem describes the first place where the chain does not hold.
type Problem struct {
	Seq    int64  // the sequence number where it was found
	Reason string // "altered", "missing", "reordered", "head"
	Detail string
}

func (p *Problem) Error() string {
	return fmt.Sprintf("audit chain broken at event %d: %s (%s)", p.Seq, p.Reason, p.Detail)
}

// Verifier checks events one at a time, in the order the store lists them
// (ascending sequence).
type Verifier struct {
	next     int64
	prevHash string
	prevSeq  int64
	count    int64
	seen     map[string]int64 // hash -> seq, for --expect-head
	expect   string
	found    bool
}

// NewVerifier returns a verifier; expectHead, if not empty, is a hash that
// must appear in the chain.
func NewVerifier(expectHead string) *Verifier {
	return &Verifier{next: 1, expect: expectHead}
}

// Add checks the next event. It returns the first problem found.
func (v *Verifier) Add(e Event) error {
	switch {
	case e.Seq < v.next:
		return &Problem{Seq: e.Seq, Reason: "reordered", Detail: fmt.Sprintf("sequence %d after %d", e.Seq, v.prevSeq)}
	case e.Seq > v.next:
		return &Problem{Seq: v.next, Reason: "missing", Detail: fmt.Sprintf("events %d..%d are absent", v.next, e.Seq-1)}
	}
	if e.PrevHash != v.prevHash {
		return &Problem{Seq: e.Seq, Reason: "reordered", Detail: "previous-hash link does not match the event before it"}
	}
	if got := ComputeHash(e); got != e.Hash {
		return &Problem{Seq: e.Seq, Reason: "altered", Detail: "content does not match its hash"}
	}
	if v.expect != "" && e.Hash == v.expect {
		v.found = true
	}
	v.prevHash, v.prevSeq, v.next = e.Hash, e.Seq, e.Seq+1
	v.count++
	return nil
}

// Finish checks the end of the chain against the stored head and, if one
// was expected, that the expected head was met. It returns the head.
func (v *Verifier) Finish(stored Head) (Head, error) {
	h := Head{Count: v.count, Hash: v.prevHash}
	if stored.Count != h.Count || stored.Hash != h.Hash {
		return h, &Problem{Seq: v.next, Reason: "missing", Detail: fmt.Sprintf("stored head is %s but the chain ends at %s", stored, h)}
	}
	if v.expect != "" && !v.found {
		return h, &Problem{Seq: v.next, Reason: "head", Detail: "expected head " + v.expect + " is not in the chain: events were removed from its end or altered"}
	}
	return h, nil
}

// isNilValue reports whether v is a typed nil (a nil slice, map or
// pointer), which encodes as null like a missing value.
func isNilValue(v any) bool {
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Map, reflect.Pointer, reflect.Interface:
		return rv.IsNil()
	}
	return false
}
