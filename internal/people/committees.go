package people

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/store"
)

// Committees as data (issue 8 §4): besides the Technical Committee there
// may be a tender committee, a decision committee …, each with a key (what
// a definition names: `assignee: {committee: tender}`), names, members and
// a chair, administered by the administrator and audited.
//
// The Technical Committee (key "technical", seeded by EnsureBuiltins) is
// what it always was: the holders of the committee and committee_chair
// roles, so existing definitions (`committee: true`), grants and the demo
// institute keep their meaning. Its members are administered on the
// committee page too, as grants of those roles (events role.grant and
// role.revoke on the person, R13). Other committees keep their members in
// committee_member rows (events committee.add_member, committee.remove_member,
// committee.set_chair on the committee). Members hold a business role (R12).

// committeeKeyRE is a committee key.
var committeeKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_-]{1,39}$`)

// CommitteeInput is what the administrator enters for a committee.
type CommitteeInput struct{ Key, NameZH, NameEN string }

func (in *CommitteeInput) normalize() {
	in.Key = strings.ToLower(strings.TrimSpace(in.Key))
	in.NameZH = strings.TrimSpace(in.NameZH)
	in.NameEN = strings.TrimSpace(in.NameEN)
}

func committeeEntry(a domain.Actor, action, key string, changes []audit.Change, reason string) audit.Entry {
	return audit.Entry{ActorID: a.ID, ActorName: actorName(a), Action: action, Entity: "committee", EntityID: key,
		Changes: changes, Reason: reason}
}

// Committees lists the committees with their current members, the retired
// ones too when asked.
func (s *Service) Committees(ctx context.Context, includeInactive bool) ([]domain.Committee, error) {
	const op = "people.Committees"
	cs, err := store.Committees(ctx, s.db.R(), includeInactive)
	if err != nil {
		return nil, domain.Wrap(op, err)
	}
	if !slices.ContainsFunc(cs, func(c domain.Committee) bool { return c.Key == domain.TechnicalCommittee }) {
		cs = append([]domain.Committee{technicalCommittee()}, cs...)
	}
	for i := range cs {
		if cs[i].Members, err = s.members(ctx, cs[i]); err != nil {
			return nil, domain.Wrap(op, err)
		}
	}
	return cs, nil
}

// technicalCommittee is the Technical Committee before it is seeded.
func technicalCommittee() domain.Committee {
	return domain.Committee{Key: domain.TechnicalCommittee, NameZH: "技术委员会", NameEN: "Technical Committee", Builtin: true, Active: true}
}

// CommitteeNamed returns one committee with its current members, or KindNotFound.
func (s *Service) CommitteeNamed(ctx context.Context, key string) (domain.Committee, error) {
	const op = "people.CommitteeNamed"
	c, err := store.CommitteeByKey(ctx, s.db.R(), key)
	if domain.IsKind(err, domain.KindNotFound) && key == domain.TechnicalCommittee {
		c, err = technicalCommittee(), nil
	}
	if err != nil {
		return c, domain.Wrap(op, err)
	}
	c.Members, err = s.members(ctx, c)
	return c, domain.Wrap(op, err)
}

// CommitteeKeys returns the keys of the active committees (what a
// definition may name).
func (s *Service) CommitteeKeys(ctx context.Context) ([]string, error) {
	cs, err := store.Committees(ctx, s.db.R(), false)
	if err != nil {
		return nil, domain.Wrap("people.CommitteeKeys", err)
	}
	out := []string{domain.TechnicalCommittee}
	for _, c := range cs {
		if c.Key != domain.TechnicalCommittee {
			out = append(out, c.Key)
		}
	}
	return out, nil
}

// members returns a committee's current members, the chair first.
func (s *Service) members(ctx context.Context, c domain.Committee) ([]domain.CommitteeMember, error) {
	if c.Key == domain.TechnicalCommittee {
		ms, chair, err := s.Committee(ctx)
		if err != nil {
			return nil, err
		}
		out := []domain.CommitteeMember{}
		if chair.ID != 0 {
			out = append(out, domain.CommitteeMember{CommitteeID: c.ID, PersonID: chair.ID, Name: chair.Name, Chair: true})
		}
		for _, m := range ms {
			if m.ID != chair.ID {
				out = append(out, domain.CommitteeMember{CommitteeID: c.ID, PersonID: m.ID, Name: m.Name})
			}
		}
		return out, nil
	}
	ms, err := store.CommitteeMembers(ctx, s.db.R(), c.ID, false)
	if err != nil {
		return nil, err
	}
	out := []domain.CommitteeMember{}
	for _, m := range ms {
		if m.Chair {
			out = append([]domain.CommitteeMember{m}, out...)
		} else {
			out = append(out, m)
		}
	}
	return out, nil
}

// CommitteeHistory lists every membership of a committee ever recorded,
// oldest first (for the Technical Committee: the grants of its roles are
// in each member's role history).
func (s *Service) CommitteeHistory(ctx context.Context, key string) ([]domain.CommitteeMember, error) {
	const op = "people.CommitteeHistory"
	c, err := store.CommitteeByKey(ctx, s.db.R(), key)
	if err != nil {
		return nil, domain.Wrap(op, err)
	}
	if c.Builtin {
		return []domain.CommitteeMember{}, nil
	}
	ms, err := store.CommitteeMembers(ctx, s.db.R(), c.ID, true)
	if ms == nil {
		ms = []domain.CommitteeMember{}
	}
	return ms, domain.Wrap(op, err)
}

// CommitteeByKey returns a committee's active members (the chair among
// them) and its chair, for the process engine (flow.CommitteeDirectory);
// "technical" is the Technical Committee. A retired committee has nobody;
// an unknown one is KindNotFound.
func (s *Service) CommitteeByKey(ctx context.Context, key string) ([]domain.Person, domain.Person, error) {
	const op = "people.CommitteeByKey"
	if key == domain.TechnicalCommittee {
		return s.Committee(ctx)
	}
	c, err := store.CommitteeByKey(ctx, s.db.R(), key)
	if err != nil {
		return nil, domain.Person{}, domain.Wrap(op, err)
	}
	if !c.Active {
		return []domain.Person{}, domain.Person{}, nil
	}
	ms, err := store.CommitteeMembers(ctx, s.db.R(), c.ID, false)
	if err != nil {
		return nil, domain.Person{}, domain.Wrap(op, err)
	}
	ids := make([]int64, 0, len(ms))
	var chairID int64
	for _, m := range ms {
		ids = append(ids, m.PersonID)
		if m.Chair {
			chairID = m.PersonID
		}
	}
	if len(ids) == 0 {
		return []domain.Person{}, domain.Person{}, nil
	}
	ps, _, err := store.FindPeople(ctx, s.db.R(), store.PeopleFilter{IDs: ids})
	if err != nil {
		return nil, domain.Person{}, domain.Wrap(op, err)
	}
	if err := fill(ctx, s.db.R(), ps); err != nil {
		return nil, domain.Person{}, domain.Wrap(op, err)
	}
	var chair domain.Person
	for _, p := range ps {
		if p.ID == chairID {
			chair = p
		}
	}
	return ps, chair, nil
}

// CreateCommittee adds a committee (event committee.create). It returns
// KindForbidden unless the actor is the administrator, and KindInvalid for
// bad input or a key in use (Fields["key"] = field.taken).
func (s *Service) CreateCommittee(ctx context.Context, actor domain.Actor, in CommitteeInput) (domain.Committee, error) {
	const op = "people.CreateCommittee"
	if !mayAdminister(actor) {
		return domain.Committee{}, domain.Forbidden(op)
	}
	in.normalize()
	var c domain.Checker
	if in.Key == "" {
		c.Add("key", "field.required")
	} else if !committeeKeyRE.MatchString(in.Key) || in.Key == "true" || in.Key == "false" {
		c.Add("key", "org.bad_key")
	} else if in.Key == domain.TechnicalCommittee {
		c.Add("key", "field.taken")
	}
	c.Name("name_zh", in.NameZH, true, maxName)
	c.Name("name_en", in.NameEN, true, maxName)
	if err := c.Err(op); err != nil {
		return domain.Committee{}, err
	}
	var out domain.Committee
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var inserted bool
		var err error
		out, inserted, err = tx.InsertCommittee(domain.Committee{Key: in.Key, NameZH: in.NameZH, NameEN: in.NameEN, Active: true})
		if err != nil {
			return err
		}
		if !inserted {
			var c domain.Checker
			c.Add("key", "field.taken")
			return c.Err(op)
		}
		return tx.Audit(committeeEntry(actor, "committee.create", in.Key, []audit.Change{{Field: "key", New: in.Key},
			{Field: "name_zh", New: in.NameZH}, {Field: "name_en", New: in.NameEN}, {Field: "active", New: true}}, ""))
	})
	if err != nil {
		return domain.Committee{}, domain.Wrap(op, err)
	}
	if defined, _, _ := s.hooks(); defined != nil {
		defined("committee", in.Key)
	}
	out.Members = []domain.CommitteeMember{}
	return out, nil
}

// UpdateCommittee renames a committee (event committee.update); its key
// never changes. It returns KindForbidden, KindNotFound or KindInvalid.
func (s *Service) UpdateCommittee(ctx context.Context, actor domain.Actor, key string, in CommitteeInput, reason string) (domain.Committee, error) {
	const op = "people.UpdateCommittee"
	if !mayAdminister(actor) {
		return domain.Committee{}, domain.Forbidden(op)
	}
	in.normalize()
	if err := checkRename(op, in.NameZH, in.NameEN, reason); err != nil {
		return domain.Committee{}, err
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		old, err := store.CommitteeByKey(tx.Context(), tx, key)
		if err != nil {
			return err
		}
		var changes []audit.Change
		if in.NameZH != old.NameZH {
			changes = append(changes, audit.Change{Field: "name_zh", Old: old.NameZH, New: in.NameZH})
		}
		if in.NameEN != old.NameEN {
			changes = append(changes, audit.Change{Field: "name_en", Old: old.NameEN, New: in.NameEN})
		}
		if len(changes) == 0 {
			return nil
		}
		old.NameZH, old.NameEN = in.NameZH, in.NameEN
		if _, err := tx.UpdateCommittee(old); err != nil {
			return err
		}
		return tx.Audit(committeeEntry(actor, "committee.update", key, changes, reason))
	})
	if err != nil {
		return domain.Committee{}, domain.Wrap(op, err)
	}
	return s.CommitteeNamed(ctx, key)
}

// SetCommitteeActive retires (never deletes, R5) or restores a committee
// (events committee.retire, committee.restore). Retiring needs a reason;
// the Technical Committee is never retired (org.committee_builtin), nor a
// committee a loaded process definition names (org.committee_named).
func (s *Service) SetCommitteeActive(ctx context.Context, actor domain.Actor, key string, active bool, reason string) error {
	const op = "people.SetCommitteeActive"
	if !mayAdminister(actor) {
		return domain.Forbidden(op)
	}
	var c domain.Checker
	checkReason(&c, reason, !active)
	if err := c.Err(op); err != nil {
		return err
	}
	if key == domain.TechnicalCommittee {
		return domain.Conflict(op, "org.committee_builtin")
	}
	if !active {
		if _, namedBy, _ := s.hooks(); namedBy != nil {
			if defs := namedBy("committee", key); len(defs) > 0 {
				return domain.Conflict(op, "org.committee_named", "definitions", strings.Join(defs, ", "))
			}
		}
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		cm, err := store.CommitteeByKey(tx.Context(), tx, key)
		if err != nil {
			return err
		}
		if cm.Active == active {
			return nil
		}
		action := "committee.restore"
		if !active {
			action = "committee.retire"
		}
		cm.Active = active
		if _, err := tx.UpdateCommittee(cm); err != nil {
			return err
		}
		return tx.Audit(committeeEntry(actor, action, key, []audit.Change{{Field: "active", Old: !active, New: active}}, reason))
	})
	return domain.Wrap(op, err)
}

// memberChange is one change of a committee's membership.
type memberChange int

const (
	addMember memberChange = iota
	removeMember
	makeChair
)

// AddMember puts a person on a committee. The person must be active and
// hold a business role (R12). It returns KindForbidden, KindNotFound,
// KindInvalid or KindConflict (org.already_member).
func (s *Service) AddMember(ctx context.Context, actor domain.Actor, key string, personID int64, reason string) error {
	return s.changeMembers(ctx, actor, "people.AddMember", key, personID, reason, addMember)
}

// RemoveMember takes a person off a committee (the chair too). A reason is
// required. It returns KindForbidden, KindNotFound, KindInvalid or
// KindConflict (org.not_member).
func (s *Service) RemoveMember(ctx context.Context, actor domain.Actor, key string, personID int64, reason string) error {
	return s.changeMembers(ctx, actor, "people.RemoveMember", key, personID, reason, removeMember)
}

// SetChair makes a person the committee's chair (a member, if they were
// not); the former chair stays a member. It returns KindForbidden,
// KindNotFound, KindInvalid or KindConflict.
func (s *Service) SetChair(ctx context.Context, actor domain.Actor, key string, personID int64, reason string) error {
	return s.changeMembers(ctx, actor, "people.SetChair", key, personID, reason, makeChair)
}

func (s *Service) changeMembers(ctx context.Context, actor domain.Actor, op, key string, personID int64, reason string, what memberChange) error {
	if !mayAdminister(actor) {
		return domain.Forbidden(op)
	}
	var c domain.Checker
	checkReason(&c, reason, what == removeMember)
	if personID == 0 {
		c.Add("person_id", "field.required")
	}
	if err := c.Err(op); err != nil {
		return err
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		ctx := tx.Context()
		cm, err := store.CommitteeByKey(ctx, tx, key)
		if domain.IsKind(err, domain.KindNotFound) && key == domain.TechnicalCommittee {
			cm, err = technicalCommittee(), nil
		}
		if err != nil {
			return err
		}
		if !cm.Active {
			return domain.Conflict(op, "org.committee_retired")
		}
		p, err := store.PersonFull(ctx, tx, personID, "")
		if domain.IsKind(err, domain.KindNotFound) {
			var c domain.Checker
			c.Add("person_id", "flow.bad_person")
			return c.Err(op)
		}
		if err != nil {
			return err
		}
		if what != removeMember && (!p.Active || !businessPerson(p)) {
			var c domain.Checker
			c.Add("person_id", "org.member_not_business")
			return c.Err(op)
		}
		if cm.Key == domain.TechnicalCommittee {
			return technicalChange(tx, op, actor, p, reason, what)
		}
		return committeeChange(tx, op, actor, cm, p, reason, what)
	})
	if store.IsUnique(err) {
		return domain.Conflict(op, "org.already_member")
	}
	return domain.Wrap(op, err)
}

// businessPerson reports whether p holds a business role and not the
// administrator's (R12).
func businessPerson(p domain.Person) bool {
	business := false
	for _, g := range p.Grants {
		if g.Role == domain.RoleSysAdmin {
			return false
		}
		business = business || g.Role.IsBusiness()
	}
	return business
}

// committeeChange changes the membership rows of a committee other than
// the Technical Committee.
func committeeChange(tx *store.Tx, op string, actor domain.Actor, cm domain.Committee, p domain.Person, reason string, what memberChange) error {
	ms, err := store.CommitteeMembers(tx.Context(), tx, cm.ID, false)
	if err != nil {
		return err
	}
	var mine, chair *domain.CommitteeMember
	for i := range ms {
		if ms[i].PersonID == p.ID {
			mine = &ms[i]
		}
		if ms[i].Chair {
			chair = &ms[i]
		}
	}
	member := []audit.Change{{Field: "person_id", New: p.ID}, {Field: "person_name", New: p.Name}}
	switch what {
	case addMember:
		if mine != nil {
			return domain.Conflict(op, "org.already_member")
		}
		if _, err := tx.InsertMember(cm.ID, p.ID, false, actor.ID); err != nil {
			return err
		}
		return tx.Audit(committeeEntry(actor, "committee.add_member", cm.Key, member, reason))
	case removeMember:
		if mine == nil {
			return domain.Conflict(op, "org.not_member")
		}
		if err := tx.EndMember(mine.ID, actor.ID); err != nil {
			return err
		}
		changes := []audit.Change{{Field: "person_id", Old: p.ID, New: nil}, {Field: "person_name", Old: p.Name, New: nil}}
		if mine.Chair {
			changes = append(changes, audit.Change{Field: "chair", Old: p.ID, New: nil})
		}
		return tx.Audit(committeeEntry(actor, "committee.remove_member", cm.Key, changes, reason))
	}
	if mine != nil && mine.Chair {
		return nil
	}
	changes := []audit.Change{}
	if chair != nil {
		// The former chair stays a member: their row ends, a new one begins.
		if err := tx.EndMember(chair.ID, actor.ID); err != nil {
			return err
		}
		if _, err := tx.InsertMember(cm.ID, chair.PersonID, false, actor.ID); err != nil {
			return err
		}
		changes = append(changes, audit.Change{Field: "chair", Old: chair.PersonID, New: p.ID})
	} else {
		changes = append(changes, audit.Change{Field: "chair", New: p.ID})
	}
	if mine != nil {
		if err := tx.EndMember(mine.ID, actor.ID); err != nil {
			return err
		}
	} else {
		changes = append(changes, member...)
	}
	if _, err := tx.InsertMember(cm.ID, p.ID, true, actor.ID); err != nil {
		return err
	}
	changes = append(changes, audit.Change{Field: "chair_name", New: p.Name})
	return tx.Audit(committeeEntry(actor, "committee.set_chair", cm.Key, changes, reason))
}

// technicalChange changes the Technical Committee: grants and revocations
// of the committee and committee_chair roles, each audited on the person
// as GrantRole and RevokeRole do (R13).
func technicalChange(tx *store.Tx, op string, actor domain.Actor, p domain.Person, reason string, what memberChange) error {
	ctx := tx.Context()
	if actor.ID == p.ID {
		return domain.E(domain.KindForbidden, op, "people.self_grant")
	}
	held, err := heldGrants(ctx, tx, p.ID)
	if err != nil {
		return err
	}
	member, chair := domain.Grant{Role: domain.RoleCommittee}, domain.Grant{Role: domain.RoleCommitteeChair}
	grant := func(personID int64, held *[]domain.Grant, g domain.Grant, person domain.Person) error {
		if err := checkGrant(ctx, tx, op, person, *held, g); err != nil {
			return err
		}
		if _, err := tx.InsertGrant(personID, g, actor.ID); err != nil {
			return err
		}
		before := grantsValue(*held)
		*held = append(*held, g)
		return tx.Audit(entry(actor, "role.grant", "person", personID, []audit.Change{
			{Field: "role", New: string(g.Role)}, {Field: "role_department_id", New: g.DepartmentID},
			{Field: "roles", Old: before, New: grantsValue(*held)}}, reason))
	}
	revoke := func(personID int64, held *[]domain.Grant, g domain.Grant) error {
		if _, err := tx.RevokeGrant(personID, g, actor.ID); err != nil {
			return err
		}
		before := grantsValue(*held)
		*held = slices.DeleteFunc(slices.Clone(*held), func(h domain.Grant) bool { return h == g })
		return tx.Audit(entry(actor, "role.revoke", "person", personID, []audit.Change{
			{Field: "role", Old: string(g.Role), New: nil}, {Field: "role_department_id", Old: g.DepartmentID, New: nil},
			{Field: "roles", Old: before, New: grantsValue(*held)}}, reason))
	}
	switch what {
	case addMember:
		if slices.Contains(held, member) || slices.Contains(held, chair) {
			return domain.Conflict(op, "org.already_member")
		}
		return grant(p.ID, &held, member, p)
	case removeMember:
		if !slices.Contains(held, member) && !slices.Contains(held, chair) {
			return domain.Conflict(op, "org.not_member")
		}
		if slices.Contains(held, chair) {
			if err := revoke(p.ID, &held, chair); err != nil {
				return err
			}
		}
		if slices.Contains(held, member) {
			return revoke(p.ID, &held, member)
		}
		return nil
	}
	if slices.Contains(held, chair) {
		return nil
	}
	// The former chair gives up the chair and stays a member.
	hs, err := store.ActiveHolders(ctx, tx, domain.RoleCommitteeChair, 0)
	if err != nil {
		return err
	}
	for _, h := range hs {
		if actor.ID == h.PersonID {
			return domain.E(domain.KindForbidden, op, "people.self_grant")
		}
		was, err := heldGrants(ctx, tx, h.PersonID)
		if err != nil {
			return err
		}
		if err := revoke(h.PersonID, &was, chair); err != nil {
			return err
		}
	}
	if !slices.Contains(held, member) {
		if err := grant(p.ID, &held, member, p); err != nil {
			return err
		}
	}
	return grant(p.ID, &held, chair, p)
}
