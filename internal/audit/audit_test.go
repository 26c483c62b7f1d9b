package audit

import (
	"errors"
	"testing"
	"time"
)

func chain(n int) []Event {
	var evs []Event
	prev := ""
	for i := 1; i <= n; i++ {
		e := Event{Seq: int64(i), At: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), ActorID: 7, ActorName: "张三",
			Action: "x.y", Entity: "thing", EntityID: "1", Changes: `[]`, PrevHash: prev}
		e.Hash = ComputeHash(e)
		prev = e.Hash
		evs = append(evs, e)
	}
	return evs
}

// Ensure the canonical encoding separates fields: moving text from one
// field to its neighbour changes the hash (R2).
func TestComputeHashSeparatesFields(t *testing.T) {
	a := Event{Seq: 1, Action: "ab", Entity: "c"}
	b := Event{Seq: 1, Action: "a", Entity: "bc"}
	if ComputeHash(a) == ComputeHash(b) {
		t.Fatal("events differing only in a field boundary hash alike")
	}
	if ComputeHash(a) != ComputeHash(a) || len(ComputeHash(a)) != 64 {
		t.Fatal("hash is not a stable SHA-256 hex digest")
	}
}

// Ensure the verifier accepts an intact chain and names the first altered,
// missing or reordered event, and an expected head that is gone.
func TestVerifier(t *testing.T) {
	run := func(evs []Event, stored Head, expect string) error {
		v := NewVerifier(expect)
		for _, e := range evs {
			if err := v.Add(e); err != nil {
				return err
			}
		}
		_, err := v.Finish(stored)
		return err
	}
	evs := chain(4)
	head := Head{Count: 4, Hash: evs[3].Hash}
	if err := run(evs, head, evs[3].Hash); err != nil {
		t.Fatalf("intact chain: %v", err)
	}
	altered := chain(4)
	altered[2].Reason = "edited"
	missing := append(chain(4)[:1], chain(4)[2:]...)
	// Rows are read in sequence order, so a reordering shows as swapped
	// sequence numbers: the event that was third now sits second.
	swapped := chain(4)
	swapped[1], swapped[2] = swapped[2], swapped[1]
	swapped[1].Seq, swapped[2].Seq = 2, 3
	cases := []struct {
		name   string
		evs    []Event
		stored Head
		expect string
		seq    int64
		reason string
	}{
		{"altered", altered, head, "", 3, "altered"},
		{"missing", missing, head, "", 2, "missing"},
		{"reordered", swapped, head, "", 2, "reordered"},
		{"truncated", chain(3), Head{Count: 3, Hash: chain(3)[2].Hash}, evs[3].Hash, 4, "head"},
		{"head mismatch", chain(3), head, "", 4, "missing"},
	}
	for _, c := range cases {
		err := run(c.evs, c.stored, c.expect)
		var p *Problem
		if !errors.As(err, &p) || p.Seq != c.seq || p.Reason != c.reason {
			t.Errorf("%s: got %v, want event %d %s", c.name, err, c.seq, c.reason)
		}
	}
}
