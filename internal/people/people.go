// Package people is the organization service (SPEC ORG-1..3): departments,
// people, their roles and rank histories. Only the system administrator
// changes them (COMPLIANCE R12); every change is one store write together
// with its audit events (R1, R13), and nothing is ever hard-deleted (R5).
//
// Read methods take no actor: the web layer lets any signed-in user with a
// business role (or the administrator) read the organization. The one
// exception is History, which keeps a person's security events (sign-ins,
// addresses, password and token events) to that person and the
// administrator.
package people

import (
	"context"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/store"
)

// Service runs the organization use cases on a store.
type Service struct {
	db  *store.DB
	org *orgState // roles, committees and proxies as data (roles.go)
	// Recently read people, by id and by username (person_cache.go).
	byID   *store.PeopleCache[int64, domain.Person]
	byName *store.PeopleCache[string, domain.Person]
}

// New returns the organization service on db.
func New(db *store.DB) *Service {
	return &Service{db: db, org: newOrgState(),
		byID:   store.NewPeopleCache[int64, domain.Person](db, personCacheSize),
		byName: store.NewPeopleCache[string, domain.Person](db, personCacheSize)}
}

// Length limits of free-text fields, in runes.
const (
	maxName   = 100
	maxEmail  = 254
	maxPhone  = 40
	maxReason = 1000
	maxNote   = 500
)

var (
	codeRE  = regexp.MustCompile(`^[a-z][a-z0-9_-]{1,39}$`)
	phoneRE = regexp.MustCompile(`^[0-9+() \-]*$`)
)

// isSystem reports whether a is the system actor (demo seeding, bootstrap).
func isSystem(a domain.Actor) bool { return a.ID == 0 && a.Via == domain.System.Via }

// mayAdminister reports whether a may change the organization: the system
// administrator, or the system itself (R12).
func mayAdminister(a domain.Actor) bool { return isSystem(a) || a.IsAdmin() }

func actorName(a domain.Actor) string {
	if a.Name != "" {
		return a.Name
	}
	return a.Username
}

func entry(a domain.Actor, action, entity string, id int64, changes []audit.Change, reason string) audit.Entry {
	return audit.Entry{ActorID: a.ID, ActorName: actorName(a), Action: action, Entity: entity,
		EntityID: strconv.FormatInt(id, 10), Changes: changes, Reason: reason}
}

func checkReason(c *domain.Checker, reason string, req bool) {
	c.Text("reason", reason, req, maxReason)
}

// ---- Departments ----

// DepartmentInput is what an administrator enters for a department.
type DepartmentInput struct{ Code, NameZH, NameEN string }

func (in *DepartmentInput) normalize() {
	in.Code = strings.ToLower(strings.TrimSpace(in.Code))
	in.NameZH = strings.TrimSpace(in.NameZH)
	in.NameEN = strings.TrimSpace(in.NameEN)
}

func (in DepartmentInput) check(c *domain.Checker) {
	if in.Code == "" {
		c.Add("code", "field.required")
	} else if !codeRE.MatchString(in.Code) {
		c.Add("code", "people.bad_code")
	}
	c.Name("name_zh", in.NameZH, true, maxName)
	c.Name("name_en", in.NameEN, true, maxName)
}

// CreateDepartment adds an active department. It returns KindForbidden
// unless the actor is the administrator, and KindInvalid for bad input or a
// code in use (Fields["code"] = field.taken).
func (s *Service) CreateDepartment(ctx context.Context, actor domain.Actor, in DepartmentInput) (domain.Department, error) {
	const op = "people.CreateDepartment"
	if !mayAdminister(actor) {
		return domain.Department{}, domain.Forbidden(op)
	}
	in.normalize()
	var c domain.Checker
	in.check(&c)
	if err := c.Err(op); err != nil {
		return domain.Department{}, err
	}
	var d domain.Department
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		if _, err := store.DepartmentByCode(tx.Context(), tx, in.Code); err == nil {
			return codeTaken(op)
		} else if !domain.IsKind(err, domain.KindNotFound) {
			return err
		}
		var err error
		d, err = tx.InsertDepartment(domain.Department{Code: in.Code, NameZH: in.NameZH, NameEN: in.NameEN, Active: true})
		if err != nil {
			return err
		}
		return tx.Audit(entry(actor, "department.create", "department", d.ID, []audit.Change{
			{Field: "code", New: d.Code}, {Field: "name_zh", New: d.NameZH}, {Field: "name_en", New: d.NameEN},
			{Field: "active", New: true},
		}, ""))
	})
	if store.IsUnique(err) {
		return d, codeTaken(op)
	}
	return d, domain.Wrap(op, err)
}

func codeTaken(op string) error {
	var c domain.Checker
	c.Add("code", "field.taken")
	return c.Err(op)
}

// UpdateDepartment changes a department's code and names. It returns
// KindForbidden, KindNotFound or KindInvalid.
func (s *Service) UpdateDepartment(ctx context.Context, actor domain.Actor, id int64, in DepartmentInput, reason string) (domain.Department, error) {
	const op = "people.UpdateDepartment"
	if !mayAdminister(actor) {
		return domain.Department{}, domain.Forbidden(op)
	}
	in.normalize()
	var c domain.Checker
	in.check(&c)
	checkReason(&c, reason, false)
	if err := c.Err(op); err != nil {
		return domain.Department{}, err
	}
	var d domain.Department
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		old, err := store.GetDepartment(tx.Context(), tx, id)
		if err != nil {
			return err
		}
		d = old
		var changes []audit.Change
		if in.Code != old.Code {
			if _, err := store.DepartmentByCode(tx.Context(), tx, in.Code); err == nil {
				return codeTaken(op)
			} else if !domain.IsKind(err, domain.KindNotFound) {
				return err
			}
			changes = append(changes, audit.Change{Field: "code", Old: old.Code, New: in.Code})
		}
		if in.NameZH != old.NameZH {
			changes = append(changes, audit.Change{Field: "name_zh", Old: old.NameZH, New: in.NameZH})
		}
		if in.NameEN != old.NameEN {
			changes = append(changes, audit.Change{Field: "name_en", Old: old.NameEN, New: in.NameEN})
		}
		if len(changes) == 0 {
			return nil
		}
		d.Code, d.NameZH, d.NameEN = in.Code, in.NameZH, in.NameEN
		if d, err = tx.UpdateDepartment(d); err != nil {
			return err
		}
		return tx.Audit(entry(actor, "department.update", "department", id, changes, reason))
	})
	if store.IsUnique(err) {
		return d, codeTaken(op)
	}
	return d, domain.Wrap(op, err)
}

// SetDepartmentActive deactivates (never deletes, R5) or reactivates a
// department. Deactivation needs a reason and is refused with KindConflict
// (people.department_in_use) while active people or roles belong to it.
func (s *Service) SetDepartmentActive(ctx context.Context, actor domain.Actor, id int64, active bool, reason string) error {
	const op = "people.SetDepartmentActive"
	if !mayAdminister(actor) {
		return domain.Forbidden(op)
	}
	var c domain.Checker
	checkReason(&c, reason, !active)
	if err := c.Err(op); err != nil {
		return err
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		d, err := store.GetDepartment(tx.Context(), tx, id)
		if err != nil {
			return err
		}
		if d.Active == active {
			return nil
		}
		action := "department.activate"
		if !active {
			action = "department.deactivate"
			n, err := store.DepartmentInUse(tx.Context(), tx, id)
			if err != nil {
				return err
			}
			if n > 0 {
				return domain.Conflict(op, "people.department_in_use", "count", n)
			}
		}
		d.Active = active
		if _, err := tx.UpdateDepartment(d); err != nil {
			return err
		}
		return tx.Audit(entry(actor, action, "department", id, []audit.Change{{Field: "active", Old: !active, New: active}}, reason))
	})
	return domain.Wrap(op, err)
}

// Departments lists departments, the inactive ones too when asked.
func (s *Service) Departments(ctx context.Context, includeInactive bool) ([]domain.Department, error) {
	ds, err := store.FindDepartments(ctx, s.db.R(), includeInactive)
	return ds, domain.Wrap("people.Departments", err)
}

// Department returns one department, or KindNotFound.
func (s *Service) Department(ctx context.Context, id int64) (domain.Department, error) {
	d, err := store.GetDepartment(ctx, s.db.R(), id)
	return d, domain.Wrap("people.Department", err)
}

// checkDepartment validates that a department id names an active department.
func checkDepartment(ctx context.Context, r store.Reader, c *domain.Checker, field string, id int64) error {
	if id == 0 {
		return nil
	}
	d, err := store.GetDepartment(ctx, r, id)
	switch {
	case domain.IsKind(err, domain.KindNotFound):
		c.Add(field, "people.department_unknown")
	case err != nil:
		return err
	case !d.Active:
		c.Add(field, "people.department_inactive")
	}
	return nil
}

// ---- People ----

// PersonInput is what an administrator enters for a new person.
type PersonInput struct {
	Username, Name, Email, Phone string
	DepartmentID                 int64
	HiredOn, Lang                string
	Roles                        []domain.Grant
	Rank                         domain.Rank // optional initial rank
	RankSince                    string      // YYYY-MM-DD, required with Rank
	PasswordHash                 string      // optional; already hashed by the caller, never logged or audited
	// PasswordPermanent keeps PasswordHash from being temporary. A password
	// someone other than its owner chose is temporary (COMPLIANCE R8, R12):
	// it must be changed at the first sign-in and never signs. Only
	// in-process work (Via "system": demo seeding, the CLI's --permanent)
	// may set this; anyone else gets KindForbidden.
	PasswordPermanent bool
}

func (in *PersonInput) normalize(cat roleCatalog) {
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	in.Name = strings.TrimSpace(in.Name)
	in.Email = strings.TrimSpace(in.Email)
	in.Phone = strings.TrimSpace(in.Phone)
	in.HiredOn = strings.TrimSpace(in.HiredOn)
	in.Lang = strings.TrimSpace(in.Lang)
	in.RankSince = strings.TrimSpace(in.RankSince)
	// Scoped roles without a department take the person's own.
	for i, g := range in.Roles {
		if cat.scoped(g.Role) && g.DepartmentID == 0 {
			in.Roles[i].DepartmentID = in.DepartmentID
		}
	}
}

// checkProfile checks a person's profile fields, the printed name with
// Checker.Name when newName (a name being set), else as plain text: a name
// stored before that check existed must not block other changes, such as
// one's own language switch.
func checkProfile(c *domain.Checker, newName bool, name, email, phone, hiredOn, lang string) {
	if newName {
		c.Name("name", name, true, maxName)
	} else {
		c.Text("name", name, true, maxName)
	}
	c.Text("email", email, false, maxEmail)
	c.Email("email", email)
	c.Text("phone", phone, false, maxPhone)
	if !c.Has("phone") && !phoneRE.MatchString(phone) {
		c.Add("phone", "people.bad_phone")
	}
	c.Date("hired_on", hiredOn, false)
	c.OneOf("lang", lang, "", "zh", "en")
}

// check validates the input's own fields and that its department exists and
// is active. Role rules that depend on other people are checked at write time.
func (in PersonInput) check(ctx context.Context, r store.Reader, cat roleCatalog, c *domain.Checker) error {
	c.Username("username", in.Username)
	checkProfile(c, true, in.Name, in.Email, in.Phone, in.HiredOn, in.Lang)
	if err := checkDepartment(ctx, r, c, "department_id", in.DepartmentID); err != nil {
		return err
	}
	for _, g := range in.Roles {
		if !cat.checkRole(c, "roles", g.Role) {
			continue
		} else if cat.scoped(g.Role) && g.DepartmentID == 0 {
			c.Add("roles", "people.role_needs_department", "role", roleMsg(g.Role))
		} else if !cat.scoped(g.Role) && g.DepartmentID != 0 {
			c.Add("roles", "people.role_unscoped", "role", roleMsg(g.Role))
		} else if g.DepartmentID != 0 && g.DepartmentID != in.DepartmentID {
			if err := checkDepartment(ctx, r, c, "roles", g.DepartmentID); err != nil {
				return err
			}
		}
	}
	checkRank(c, in.Rank, in.RankSince, in.HiredOn, "rank", "rank_since", in.Rank != "" || in.RankSince != "")
	return nil
}

func checkRank(c *domain.Checker, rank domain.Rank, since, hiredOn, rankField, sinceField string, want bool) {
	if !want {
		return
	}
	if rank == "" {
		c.Add(rankField, "field.required")
	} else if rank.Level() < 0 {
		c.Add(rankField, "field.bad_choice")
	}
	c.Date(sinceField, since, true)
	if !c.Has(sinceField) && hiredOn != "" && since < hiredOn {
		c.Add(sinceField, "people.rank_before_hire")
	}
}

func usernameTaken(op string) error {
	var c domain.Checker
	c.Add("username", "field.taken")
	return c.Err(op)
}

// CreatePerson adds an active person with roles and an optional initial
// rank, as one audited change (event person.create). It returns
// KindForbidden unless the actor is the administrator, KindInvalid for bad
// input (Fields["username"] = field.taken for a name in use) and
// KindConflict when a role rule (R12, one director, one chair) is broken.
func (s *Service) CreatePerson(ctx context.Context, actor domain.Actor, in PersonInput) (domain.Person, error) {
	const op = "people.CreatePerson"
	if !mayAdminister(actor) || in.PasswordPermanent && actor.Via != domain.System.Via {
		return domain.Person{}, domain.Forbidden(op)
	}
	cat, err := s.catalog(ctx)
	if err != nil {
		return domain.Person{}, domain.Wrap(op, err)
	}
	in.normalize(cat)
	var c domain.Checker
	if err := in.check(ctx, s.db.R(), cat, &c); err != nil {
		return domain.Person{}, domain.Wrap(op, err)
	}
	if err := c.Err(op); err != nil {
		return domain.Person{}, err
	}
	var p domain.Person
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		var err error
		p, err = createPerson(tx, op, actor, in)
		return err
	})
	if store.IsUnique(err) {
		return domain.Person{}, usernameTaken(op)
	}
	if err != nil {
		return domain.Person{}, domain.Wrap(op, err)
	}
	return s.Person(ctx, p.ID)
}

// createPerson writes a validated person, their grants and initial rank and
// one person.create event inside tx.
func createPerson(tx *store.Tx, op string, actor domain.Actor, in PersonInput) (domain.Person, error) {
	ctx := tx.Context()
	taken, err := store.UsernameTaken(ctx, tx, in.Username)
	if err != nil {
		return domain.Person{}, err
	}
	if taken {
		return domain.Person{}, usernameTaken(op)
	}
	roles := withImplied(in.Roles)
	if err := checkSeparation(op, nil, roles); err != nil {
		return domain.Person{}, err
	}
	p, err := tx.InsertPerson(domain.Person{Username: in.Username, Name: in.Name, Email: in.Email, Phone: in.Phone,
		DepartmentID: in.DepartmentID, HiredOn: in.HiredOn, Lang: in.Lang, Active: true}, in.PasswordHash)
	if err != nil {
		return p, err
	}
	changes := []audit.Change{
		{Field: "username", New: p.Username}, {Field: "name", New: p.Name}, {Field: "email", New: p.Email},
		{Field: "phone", New: p.Phone}, {Field: "department_id", New: p.DepartmentID}, {Field: "hired_on", New: p.HiredOn},
		{Field: "lang", New: p.Lang}, {Field: "active", New: true},
	}
	var held []domain.Grant
	for _, g := range roles {
		if err := checkGrant(ctx, tx, op, p, held, g); err != nil {
			return p, err
		}
		if _, err := tx.InsertGrant(p.ID, g, actor.ID); err != nil {
			return p, err
		}
		held = append(held, g)
	}
	changes = append(changes, audit.Change{Field: "roles", New: grantsValue(held)})
	if in.Rank != "" {
		if _, err := tx.InsertRank(domain.RankEntry{PersonID: p.ID, Rank: in.Rank, Since: in.RankSince}); err != nil {
			return p, err
		}
		changes = append(changes, audit.Change{Field: "rank", New: string(in.Rank)}, audit.Change{Field: "rank_since", New: in.RankSince})
	}
	if in.PasswordHash != "" {
		// Only the fact, never the hash.
		changes = append(changes, audit.Change{Field: "password_set", Old: false, New: true})
		temporary := !in.PasswordPermanent
		if temporary {
			if err := tx.SetPasswordTemporary(p.ID, true); err != nil {
				return p, err
			}
		}
		changes = append(changes, audit.Change{Field: "password_temporary", Old: nil, New: temporary})
	}
	p.Grants = held
	return p, tx.Audit(entry(actor, "person.create", "person", p.ID, changes, ""))
}

// grantsValue renders grants for an audit change, e.g. ["director@3", "committee"].
func grantsValue(gs []domain.Grant) []string {
	out := make([]string, 0, len(gs))
	for _, g := range gs {
		out = append(out, grantText(g))
	}
	return out
}

func grantText(g domain.Grant) string {
	if g.DepartmentID != 0 {
		return string(g.Role) + "@" + strconv.FormatInt(g.DepartmentID, 10)
	}
	return string(g.Role)
}

// withImplied adds the committee membership that a chair implies, and drops duplicates.
func withImplied(gs []domain.Grant) []domain.Grant {
	var out []domain.Grant
	for _, g := range gs {
		if !slices.Contains(out, g) {
			out = append(out, g)
		}
	}
	chair := slices.ContainsFunc(out, func(g domain.Grant) bool { return g.Role == domain.RoleCommitteeChair })
	member := domain.Grant{Role: domain.RoleCommittee}
	if chair && !slices.Contains(out, member) {
		out = append(out, member)
	}
	return out
}

// checkSeparation enforces COMPLIANCE R12 on a set of grants: the
// administrator role never goes with a business role.
func checkSeparation(op string, held, adding []domain.Grant) error {
	admin, business := false, false
	for _, g := range held {
		if g.Role == domain.RoleSysAdmin {
			admin = true
		} else {
			business = true
		}
	}
	for _, g := range adding {
		if g.Role == domain.RoleSysAdmin {
			if business {
				return domain.Conflict(op, "people.r12_admin_with_business")
			}
			admin = true
		} else {
			if admin {
				return domain.Conflict(op, "people.r12_business_with_admin")
			}
			business = true
		}
	}
	return nil
}

// checkGrant checks that p, holding held, may receive g: the role and its
// department scope are valid, the person is active, the grant is new, R12
// holds, and the department's director and the committee chair stay unique.
func checkGrant(ctx context.Context, r store.Reader, op string, p domain.Person, held []domain.Grant, g domain.Grant) error {
	var c domain.Checker
	def, known, err := lookupRole(ctx, r, g.Role)
	if err != nil {
		return err
	}
	switch {
	case !known:
		c.Add("role", "field.bad_choice")
	case !def.Active:
		c.Add("role", "org.role_inactive", "role", def.NameZH)
	case def.Scoped && g.DepartmentID == 0:
		c.Add("department_id", "people.role_needs_department", "role", roleMsg(g.Role))
	case !def.Scoped && g.DepartmentID != 0:
		c.Add("department_id", "people.role_unscoped", "role", roleMsg(g.Role))
	case g.DepartmentID != 0:
		if err := checkDepartment(ctx, r, &c, "department_id", g.DepartmentID); err != nil {
			return err
		}
	}
	if err := c.Err(op); err != nil {
		return err
	}
	if !p.Active {
		return domain.Conflict(op, "people.person_inactive")
	}
	if slices.Contains(held, g) {
		return domain.Conflict(op, "people.role_held", "role", "people.role."+string(g.Role))
	}
	if err := checkSeparation(op, held, []domain.Grant{g}); err != nil {
		return err
	}
	return checkUnique(ctx, r, op, p.ID, g)
}

// checkUnique refuses a second active director of a department and a second
// committee chair.
func checkUnique(ctx context.Context, r store.Reader, op string, personID int64, g domain.Grant) error {
	var key string
	switch g.Role {
	case domain.RoleDirector:
		key = "people.director_taken"
	case domain.RoleCommitteeChair:
		key = "people.chair_taken"
	default:
		return nil
	}
	hs, err := store.ActiveHolders(ctx, r, g.Role, g.DepartmentID)
	if err != nil {
		return err
	}
	for _, h := range hs {
		if h.PersonID != personID {
			other, err := store.GetPerson(ctx, r, h.PersonID)
			if err != nil {
				return err
			}
			return domain.Conflict(op, key, "name", other.Name)
		}
	}
	return nil
}

// PersonUpdate holds the profile fields to change; nil fields stay as they are.
type PersonUpdate struct {
	Name, Email, Phone, HiredOn, Lang *string
	DepartmentID                      *int64
}

// UpdatePerson changes a person's profile and records each changed field
// (event person.update). It returns KindForbidden, KindNotFound or KindInvalid.
func (s *Service) UpdatePerson(ctx context.Context, actor domain.Actor, id int64, u PersonUpdate, reason string) (domain.Person, error) {
	const op = "people.UpdatePerson"
	// Everyone may choose their own UI language; everything else is the
	// administrator's.
	ownLang := actor.ID == id && u.Lang != nil && u.Name == nil && u.Email == nil && u.Phone == nil && u.HiredOn == nil && u.DepartmentID == nil
	if !mayAdminister(actor) && !ownLang {
		return domain.Person{}, domain.Forbidden(op)
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		old, err := store.GetPerson(tx.Context(), tx, id)
		if err != nil {
			return err
		}
		p := old
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = strings.TrimSpace(*v)
			}
		}
		set(&p.Name, u.Name)
		set(&p.Email, u.Email)
		set(&p.Phone, u.Phone)
		set(&p.HiredOn, u.HiredOn)
		set(&p.Lang, u.Lang)
		if u.DepartmentID != nil {
			p.DepartmentID = *u.DepartmentID
		}
		var c domain.Checker
		checkProfile(&c, u.Name != nil, p.Name, p.Email, p.Phone, p.HiredOn, p.Lang)
		checkReason(&c, reason, false)
		if p.DepartmentID != old.DepartmentID {
			if err := checkDepartment(tx.Context(), tx, &c, "department_id", p.DepartmentID); err != nil {
				return err
			}
		}
		if err := c.Err(op); err != nil {
			return err
		}
		var changes []audit.Change
		diff := func(field string, o, n any) {
			if o != n {
				changes = append(changes, audit.Change{Field: field, Old: o, New: n})
			}
		}
		diff("name", old.Name, p.Name)
		diff("email", old.Email, p.Email)
		diff("phone", old.Phone, p.Phone)
		diff("department_id", old.DepartmentID, p.DepartmentID)
		diff("hired_on", old.HiredOn, p.HiredOn)
		diff("lang", old.Lang, p.Lang)
		if len(changes) == 0 {
			return nil
		}
		if _, err := tx.UpdatePerson(p); err != nil {
			return err
		}
		return tx.Audit(entry(actor, "person.update", "person", id, changes, reason))
	})
	if err != nil {
		return domain.Person{}, domain.Wrap(op, err)
	}
	return s.Person(ctx, id)
}

// SetPersonActive deactivates (never deletes, R5) or reactivates a person.
// Deactivation needs a reason and ends the person's open sessions; the
// administrator cannot deactivate themself. Reactivation is refused with
// KindConflict when the person's director or chair seat was taken meanwhile.
func (s *Service) SetPersonActive(ctx context.Context, actor domain.Actor, id int64, active bool, reason string) error {
	const op = "people.SetPersonActive"
	if !mayAdminister(actor) {
		return domain.Forbidden(op)
	}
	if !active && actor.ID == id {
		return domain.E(domain.KindForbidden, op, "people.self_deactivate")
	}
	var c domain.Checker
	checkReason(&c, reason, !active)
	if err := c.Err(op); err != nil {
		return err
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		ctx := tx.Context()
		p, err := store.GetPerson(ctx, tx, id)
		if err != nil {
			return err
		}
		if p.Active == active {
			return nil
		}
		changes := []audit.Change{{Field: "active", Old: !active, New: active}}
		action := "person.activate"
		if active {
			gs, err := store.ActiveGrants(ctx, tx, id)
			if err != nil {
				return err
			}
			for _, g := range gs {
				if err := checkUnique(ctx, tx, op, id, domain.Grant{Role: g.Role, DepartmentID: g.DepartmentID}); err != nil {
					return err
				}
			}
		} else {
			action = "person.deactivate"
			n, err := tx.EndSessions(id)
			if err != nil {
				return err
			}
			if n > 0 {
				changes = append(changes, audit.Change{Field: "sessions_ended", Old: 0, New: n})
			}
		}
		p.Active = active
		if _, err := tx.UpdatePerson(p); err != nil {
			return err
		}
		return tx.Audit(entry(actor, action, "person", id, changes, reason))
	})
	return domain.Wrap(op, err)
}

// GrantRole gives a person a role (event role.grant on the person, R13).
// Granting committee_chair also grants committee membership when missing.
// It returns KindForbidden (not the administrator, or granting to oneself),
// KindInvalid (bad role or department scope) or KindConflict (R12, role
// already held, director or chair seat taken, inactive person).
func (s *Service) GrantRole(ctx context.Context, actor domain.Actor, personID int64, g domain.Grant, reason string) error {
	const op = "people.GrantRole"
	if !mayAdminister(actor) {
		return domain.Forbidden(op)
	}
	if actor.ID == personID {
		return domain.E(domain.KindForbidden, op, "people.self_grant")
	}
	var c domain.Checker
	c.Text("role", string(g.Role), true, 40)
	checkReason(&c, reason, true) // a grant needs its reason, as a revocation does
	if err := c.Err(op); err != nil {
		return err
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		ctx := tx.Context()
		p, err := store.GetPerson(ctx, tx, personID)
		if err != nil {
			return err
		}
		held, err := heldGrants(ctx, tx, personID)
		if err != nil {
			return err
		}
		adding := []domain.Grant{g}
		if member := (domain.Grant{Role: domain.RoleCommittee}); g.Role == domain.RoleCommitteeChair && !slices.Contains(held, member) {
			adding = append(adding, member)
		}
		for _, a := range adding {
			if err := checkGrant(ctx, tx, op, p, held, a); err != nil {
				return err
			}
			if _, err := tx.InsertGrant(personID, a, actor.ID); err != nil {
				return err
			}
			before := grantsValue(held)
			held = append(held, a)
			if err := tx.Audit(entry(actor, "role.grant", "person", personID, []audit.Change{
				{Field: "role", New: string(a.Role)}, {Field: "role_department_id", New: a.DepartmentID},
				{Field: "roles", Old: before, New: grantsValue(held)},
			}, reason)); err != nil {
				return err
			}
		}
		return nil
	})
	if store.IsUnique(err) {
		return domain.Conflict(op, "people.role_held", "role", "people.role."+string(g.Role))
	}
	return domain.Wrap(op, err)
}

func heldGrants(ctx context.Context, r store.Reader, personID int64) ([]domain.Grant, error) {
	gs, err := store.ActiveGrants(ctx, r, personID)
	if err != nil {
		return nil, err
	}
	out := make([]domain.Grant, 0, len(gs))
	for _, g := range gs {
		out = append(out, domain.Grant{Role: g.Role, DepartmentID: g.DepartmentID})
	}
	return out, nil
}

// RevokeRole ends a person's role (event role.revoke on the person, R13);
// the grant row stays as history. A reason is required. Revoking committee
// membership from the chair is refused (revoke the chair first). It returns
// KindForbidden, KindInvalid, KindNotFound or KindConflict (people.role_not_held).
func (s *Service) RevokeRole(ctx context.Context, actor domain.Actor, personID int64, g domain.Grant, reason string) error {
	const op = "people.RevokeRole"
	if !mayAdminister(actor) {
		return domain.Forbidden(op)
	}
	if actor.ID == personID {
		return domain.E(domain.KindForbidden, op, "people.self_grant")
	}
	var c domain.Checker
	checkReason(&c, reason, true)
	if err := c.Err(op); err != nil {
		return err
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		ctx := tx.Context()
		if _, err := store.GetPerson(ctx, tx, personID); err != nil {
			return err
		}
		held, err := heldGrants(ctx, tx, personID)
		if err != nil {
			return err
		}
		if !slices.Contains(held, g) {
			return domain.Conflict(op, "people.role_not_held", "role", "people.role."+string(g.Role))
		}
		if g.Role == domain.RoleCommittee && slices.Contains(held, domain.Grant{Role: domain.RoleCommitteeChair}) {
			return domain.Conflict(op, "people.chair_needs_member")
		}
		if _, err := tx.RevokeGrant(personID, g, actor.ID); err != nil {
			return err
		}
		after := slices.DeleteFunc(slices.Clone(held), func(h domain.Grant) bool { return h == g })
		return tx.Audit(entry(actor, "role.revoke", "person", personID, []audit.Change{
			{Field: "role", Old: string(g.Role), New: nil}, {Field: "role_department_id", Old: g.DepartmentID, New: nil},
			{Field: "roles", Old: grantsValue(held), New: grantsValue(after)},
		}, reason))
	})
	return domain.Wrap(op, err)
}

// AddRank appends to a person's rank history (SPEC ORG-3, ORG-4; event
// rank.add on the person). The current rank is the entry with the latest
// since date. It returns KindForbidden, KindNotFound or KindInvalid.
func (s *Service) AddRank(ctx context.Context, actor domain.Actor, personID int64, rank domain.Rank, since, note string) error {
	const op = "people.AddRank"
	if !mayAdminister(actor) {
		return domain.Forbidden(op)
	}
	since, note = strings.TrimSpace(since), strings.TrimSpace(note)
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		ctx := tx.Context()
		p, err := store.GetPerson(ctx, tx, personID)
		if err != nil {
			return err
		}
		var c domain.Checker
		checkRank(&c, rank, since, p.HiredOn, "rank", "since", true)
		if !c.Has("since") && since > tx.Now().Format("2006-01-02") {
			c.Add("since", "people.date_future")
		}
		c.Text("note", note, false, maxNote)
		if err := c.Err(op); err != nil {
			return err
		}
		hist, err := store.RankHistory(ctx, tx, personID)
		if err != nil {
			return err
		}
		var old any
		if len(hist) > 0 {
			old = string(hist[len(hist)-1].Rank)
		}
		for _, h := range hist {
			if h.Since == since && h.Rank == rank {
				return domain.Conflict(op, "people.rank_exists")
			}
		}
		if _, err := tx.InsertRank(domain.RankEntry{PersonID: personID, Rank: rank, Since: since, Note: note}); err != nil {
			return err
		}
		return tx.Audit(entry(actor, "rank.add", "person", personID, []audit.Change{
			{Field: "rank", Old: old, New: string(rank)}, {Field: "rank_since", New: since},
		}, note))
	})
	return domain.Wrap(op, err)
}

// ---- Reads ----

// fill loads the grants and current rank of each person.
func fill(ctx context.Context, r store.Reader, ps []domain.Person) error {
	if len(ps) == 0 {
		return nil
	}
	ids := make([]int64, len(ps))
	idx := make(map[int64]int, len(ps))
	for i, p := range ps {
		ids[i], idx[p.ID] = p.ID, i
		ps[i].Grants = []domain.Grant{}
	}
	gs, err := store.ActiveGrants(ctx, r, ids...)
	if err != nil {
		return err
	}
	for _, g := range gs {
		i := idx[g.PersonID]
		ps[i].Grants = append(ps[i].Grants, domain.Grant{Role: g.Role, DepartmentID: g.DepartmentID})
	}
	ranks, err := store.CurrentRanks(ctx, r, ids...)
	if err != nil {
		return err
	}
	for id, rk := range ranks {
		ps[idx[id]].Rank = rk
	}
	return nil
}

// Person returns one person with their active grants and current rank, or KindNotFound.
func (s *Service) Person(ctx context.Context, id int64) (domain.Person, error) {
	if id == 0 {
		return domain.Person{}, domain.NotFound("people.Person", "entity.person")
	}
	p, err := s.personFull(ctx, id, "")
	return p, domain.Wrap("people.Person", err)
}

// PersonByUsername returns one person by login name, or KindNotFound.
func (s *Service) PersonByUsername(ctx context.Context, username string) (domain.Person, error) {
	username = strings.ToLower(strings.TrimSpace(username))
	if username == "" {
		return domain.Person{}, domain.NotFound("people.PersonByUsername", "entity.person")
	}
	p, err := s.personFull(ctx, 0, username)
	return p, domain.Wrap("people.PersonByUsername", err)
}

// PersonFilter selects people for a list page.
type PersonFilter struct {
	Query           string // part of the username, name, e-mail or phone
	DepartmentID    int64
	Role            domain.Role
	IncludeInactive bool
	Limit, Offset   int // Limit defaults to 50, at most 1000
}

// People returns one page of people matching f and the total number of matches.
func (s *Service) People(ctx context.Context, f PersonFilter) ([]domain.Person, int, error) {
	const op = "people.People"
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 1000)
	ps, total, err := store.FindPeople(ctx, s.db.R(), store.PeopleFilter{Query: f.Query, DepartmentID: f.DepartmentID, Role: f.Role,
		IncludeInactive: f.IncludeInactive, Limit: limit, Offset: max(f.Offset, 0)})
	if err != nil {
		return nil, 0, domain.Wrap(op, err)
	}
	if err := fill(ctx, s.db.R(), ps); err != nil {
		return nil, 0, domain.Wrap(op, err)
	}
	return ps, total, nil
}

// RankHistory lists a person's rank entries, oldest first.
func (s *Service) RankHistory(ctx context.Context, personID int64) ([]domain.RankEntry, error) {
	if _, err := store.GetPerson(ctx, s.db.R(), personID); err != nil {
		return nil, domain.Wrap("people.RankHistory", err)
	}
	h, err := store.RankHistory(ctx, s.db.R(), personID)
	return h, domain.Wrap("people.RankHistory", err)
}

// RoleHistory lists every role a person was ever granted, revoked ones included, oldest first (R13).
func (s *Service) RoleHistory(ctx context.Context, personID int64) ([]domain.RoleGrant, error) {
	if _, err := store.GetPerson(ctx, s.db.R(), personID); err != nil {
		return nil, domain.Wrap("people.RoleHistory", err)
	}
	h, err := store.RoleHistory(ctx, s.db.R(), personID)
	return h, domain.Wrap("people.RoleHistory", err)
}

// holders returns the active people holding any of roles (departmentID 0: any department), by id.
func (s *Service) holders(ctx context.Context, departmentID int64, roles ...domain.Role) ([]domain.Person, error) {
	var ids []int64
	for _, role := range roles {
		gs, err := store.ActiveHolders(ctx, s.db.R(), role, departmentID)
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			if !slices.Contains(ids, g.PersonID) {
				ids = append(ids, g.PersonID)
			}
		}
	}
	if len(ids) == 0 {
		return []domain.Person{}, nil
	}
	ps, _, err := store.FindPeople(ctx, s.db.R(), store.PeopleFilter{IDs: ids})
	if err != nil {
		return nil, err
	}
	return ps, fill(ctx, s.db.R(), ps)
}

// DirectorOf returns the active director of a department, or KindNotFound.
func (s *Service) DirectorOf(ctx context.Context, departmentID int64) (domain.Person, error) {
	const op = "people.DirectorOf"
	if departmentID == 0 {
		return domain.Person{}, domain.NotFound(op, "entity.person")
	}
	ps, err := s.holders(ctx, departmentID, domain.RoleDirector)
	if err != nil {
		return domain.Person{}, domain.Wrap(op, err)
	}
	if len(ps) == 0 {
		return domain.Person{}, domain.NotFound(op, "entity.person")
	}
	return ps[0], nil
}

// WithRole lists the active holders of role; departmentID 0 means any department.
func (s *Service) WithRole(ctx context.Context, role domain.Role, departmentID int64) ([]domain.Person, error) {
	ps, err := s.holders(ctx, departmentID, role)
	return ps, domain.Wrap("people.WithRole", err)
}

// Committee returns the Technical Committee's active members and its chair
// (who counts as a member). Without a chair, chair is the zero Person.
func (s *Service) Committee(ctx context.Context) (members []domain.Person, chair domain.Person, err error) {
	const op = "people.Committee"
	members, err = s.holders(ctx, 0, domain.RoleCommittee, domain.RoleCommitteeChair)
	if err != nil {
		return nil, chair, domain.Wrap(op, err)
	}
	for _, m := range members {
		if slices.ContainsFunc(m.Grants, func(g domain.Grant) bool { return g.Role == domain.RoleCommitteeChair }) {
			chair = m
		}
	}
	return members, chair, nil
}
