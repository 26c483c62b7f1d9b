package flow

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml"

	"labflow/internal/domain"
)

// Committees as data (issue 8 §4): an assignee (or cc, notify, viewers)
// may name any committee the organisation defines by its key —
// `committee: tender` — while `committee: true` keeps meaning the
// Technical Committee (key "technical"), as it always did. The loader and
// lint refuse a key the registry does not know (Registry.AddCommittees).

// CommitteeRef names a committee in a definition: the key of a committee,
// TechnicalCommittee for `committee: true`, or "" for none.
type CommitteeRef string

// TechnicalCommittee is the Technical Committee (技术委员会), `committee: true`.
const TechnicalCommittee CommitteeRef = domain.TechnicalCommittee

// UnmarshalYAML reads `committee: true` (the Technical Committee),
// `committee: false` (none) or `committee: KEY`.
func (c *CommitteeRef) UnmarshalYAML(b []byte) error {
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return err
	}
	return c.set(v)
}

// UnmarshalJSON reads what MarshalJSON writes (and the stored bodies of
// definitions recorded before committees were data: `true`).
func (c *CommitteeRef) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	return c.set(v)
}

func (c *CommitteeRef) set(v any) error {
	switch x := v.(type) {
	case nil:
		*c = ""
	case bool:
		*c = ""
		if x {
			*c = TechnicalCommittee
		}
	case string:
		*c = CommitteeRef(strings.TrimSpace(x))
	default:
		return fmt.Errorf("committee: want true or a committee's key, not %v", v)
	}
	return nil
}

// MarshalJSON writes the Technical Committee as true, as definitions did
// before committees were data, and any other committee as its key.
func (c CommitteeRef) MarshalJSON() ([]byte, error) {
	if c == TechnicalCommittee {
		return []byte("true"), nil
	}
	return json.Marshal(string(c))
}

// CommitteeDirectory is optionally implemented by a Directory to resolve a
// committee by its key: its active members (the chair among them) and its
// chair. An unknown key is KindNotFound; a committee without members
// returns none (the step then waits, visibly).
type CommitteeDirectory interface {
	CommitteeByKey(ctx context.Context, key string) (members []domain.Person, chair domain.Person, err error)
}

// committee resolves a committee named in a definition.
func (w *work) committee(ctx context.Context, c CommitteeRef) ([]domain.Person, domain.Person, error) {
	if c == TechnicalCommittee {
		return w.e.dir.Committee(ctx)
	}
	cd, ok := w.e.dir.(CommitteeDirectory)
	if !ok {
		return nil, domain.Person{}, nil
	}
	return cd.CommitteeByKey(ctx, string(c))
}
