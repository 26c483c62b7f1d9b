package people

import (
	"context"
	"slices"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/store"
)

// A person's employment attributes (domain.Attributes) change through
// processes: a probation review's outcome sets the status and the
// confirmation date, a promotion the rank, a dismissal deactivates the
// person. The engine's built-in effects (set_person, deactivate_person)
// call these inside the transaction of the step that decides, with the
// process as their authority: the audit event names the actor who
// completed the step and the request.

// SetAttributeIn records an attribute change in tx (a *store.Tx) as actor,
// with its audit event. The value must suit the attribute (a choice, a
// date, a rank); a rank goes to the rank history, from today.
func (s *Service) SetAttributeIn(ctx context.Context, tx any, actor domain.Actor, personID int64, attribute, value string, instanceID int64, note string) error {
	ch := struct {
		PersonID         int64
		Attribute, Value string
		InstanceID       int64
		Note             string
	}{personID, attribute, value, instanceID, note}
	const op = "people.SetAttribute"
	t, ok := tx.(*store.Tx)
	if !ok {
		return domain.E(domain.KindInternal, op, "error.internal")
	}
	def, known := domain.Attributes[ch.Attribute]
	var c domain.Checker
	switch {
	case !known:
		c.Add("attribute", "field.bad_choice")
	case def.Type == domain.AttrChoice && !slices.Contains(def.Choices, ch.Value):
		c.Add(ch.Attribute, "field.bad_choice")
	case def.Type == domain.AttrDate:
		c.Date(ch.Attribute, ch.Value, true)
	case def.Type == domain.AttrRank && domain.Rank(ch.Value).Level() < 0:
		c.Add(ch.Attribute, "field.bad_choice")
	}
	if err := c.Err(op); err != nil {
		return err
	}
	p, err := store.GetPerson(ctx, t, ch.PersonID)
	if err != nil {
		return err
	}
	if def.Type == domain.AttrRank {
		since := t.Now().Format("2006-01-02")
		hist, err := store.RankHistory(ctx, t, p.ID)
		if err != nil {
			return err
		}
		var old any
		if len(hist) > 0 {
			old = string(hist[len(hist)-1].Rank)
			if hist[len(hist)-1].Rank == domain.Rank(ch.Value) {
				return nil // already so
			}
		}
		if _, err := t.InsertRank(domain.RankEntry{PersonID: p.ID, Rank: domain.Rank(ch.Value), Since: since, Note: ch.Note}); err != nil {
			return err
		}
		return t.Audit(entry(actor, "rank.add", "person", p.ID, []audit.Change{{Field: "rank", Old: old, New: ch.Value},
			{Field: "rank_since", New: since}, {Field: "instance", New: ch.InstanceID}}, ch.Note))
	}
	hist, err := store.AttributeHistory(ctx, t, p.ID)
	if err != nil {
		return err
	}
	var old any
	for _, h := range hist {
		if h.Attribute == ch.Attribute {
			old = h.Value
		}
	}
	if old == ch.Value {
		return nil
	}
	if _, err := t.InsertAttribute(domain.AttributeEntry{PersonID: p.ID, Attribute: ch.Attribute, Value: ch.Value, InstanceID: ch.InstanceID,
		Note: ch.Note, CreatedBy: actor.ID}); err != nil {
		return err
	}
	return t.Audit(entry(actor, "person.attribute", "person", p.ID, []audit.Change{{Field: ch.Attribute, Old: old, New: ch.Value},
		{Field: "instance", New: ch.InstanceID}}, ch.Note))
}

// DeactivateIn deactivates a person in tx as a process decided (a
// dismissal): their sessions end; the audit event names the request.
func (s *Service) DeactivateIn(ctx context.Context, tx any, actor domain.Actor, personID, instanceID int64, note string) error {
	const op = "people.Deactivate"
	t, ok := tx.(*store.Tx)
	if !ok {
		return domain.E(domain.KindInternal, op, "error.internal")
	}
	p, err := store.GetPerson(ctx, t, personID)
	if err != nil {
		return err
	}
	if !p.Active {
		return nil
	}
	changes := []audit.Change{{Field: "active", Old: true, New: false}, {Field: "instance", New: instanceID}}
	n, err := t.EndSessions(personID)
	if err != nil {
		return err
	}
	if n > 0 {
		changes = append(changes, audit.Change{Field: "sessions_ended", Old: 0, New: n})
	}
	p.Active = false
	if _, err := t.UpdatePerson(p); err != nil {
		return err
	}
	return t.Audit(entry(actor, "person.deactivate", "person", personID, changes, note))
}

// Attributes returns a person's attribute history, oldest first, and the
// current value of each attribute.
func (s *Service) Attributes(ctx context.Context, personID int64) ([]domain.AttributeEntry, map[string]string, error) {
	hist, err := store.AttributeHistory(ctx, s.db.R(), personID)
	if err != nil {
		return nil, nil, err
	}
	now := map[string]string{}
	for _, h := range hist {
		now[h.Attribute] = h.Value
	}
	return hist, now, nil
}
