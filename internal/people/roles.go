package people

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/i18n"
	"labflow/internal/store"
)

// Roles as data (issue 8 §4): the administrator defines roles — a key,
// Chinese and English names, department-scoped or not (客服专员, 人事专员,
// 办公室主任 …) — and grants them as the built-in ones are granted: on the
// people pages, through the API, by import, in the role export (R13), kept
// apart from the administrator's role (R12). The built-in roles
// (domain.Roles) are seeded as data at start (EnsureBuiltins) and can be
// neither changed nor retired. A role is never deleted (R5): it is retired
// (SetRoleActive), which only a role nobody holds and no loaded process
// names may be.

// roleKeyRE is a role key: what a definition names (`role: office_head`).
var roleKeyRE = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)

// orgState is what the organisation service keeps in memory: caches of the
// role catalog and of the standing proxies in effect, the institute's
// zone, and the hooks the application sets.
type orgState struct {
	mu        sync.Mutex
	roles     map[domain.Role]domain.RoleDef
	rolesAt   time.Time
	proxies   map[int64][]domain.Proxy
	proxiesAt time.Time
	zone      *time.Location
	// defined is told of each role or committee the administrator defines
	// (kind "role" or "committee"), so that the process engine's registry
	// knows it.
	defined func(kind, key string)
	// namedBy lists the loaded process definitions that name a role or a
	// committee (kind "role" or "committee"), which then cannot be retired.
	namedBy func(kind, key string) []string
	// knownDefinition reports whether a process definition key exists (a
	// standing proxy names the processes it covers).
	knownDefinition func(key string) bool
}

// cacheFor is how long the role catalog and the proxies in effect are kept
// in memory. A change made through this service clears them at once; one
// made by another server on the same database is seen within this time.
const cacheFor = 10 * time.Second

func newOrgState() *orgState {
	zone, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		zone = time.FixedZone("CST", 8*3600)
	}
	return &orgState{zone: zone}
}

// UseZone sets the institute's time zone, in which the periods of
// standing proxies are entered and shown (default Asia/Shanghai).
func (s *Service) UseZone(loc *time.Location) {
	if loc != nil {
		s.org.mu.Lock()
		s.org.zone = loc
		s.org.mu.Unlock()
	}
}

// UseDefinitions tells the service about the loaded process definitions:
// defined is called for each role or committee the administrator defines
// (kind "role" or "committee"); namedBy lists the definitions naming one;
// known reports whether a definition key exists. Any may be nil.
func (s *Service) UseDefinitions(defined func(kind, key string), namedBy func(kind, key string) []string, known func(key string) bool) {
	s.org.mu.Lock()
	defer s.org.mu.Unlock()
	s.org.defined, s.org.namedBy, s.org.knownDefinition = defined, namedBy, known
}

func (s *Service) hooks() (defined func(kind, key string), namedBy func(kind, key string) []string, known func(string) bool) {
	s.org.mu.Lock()
	defer s.org.mu.Unlock()
	return s.org.defined, s.org.namedBy, s.org.knownDefinition
}

// builtinRole returns a built-in role as data, named from the catalogs.
func builtinRole(r domain.Role) (domain.RoleDef, bool) {
	if !r.Valid() {
		return domain.RoleDef{}, false
	}
	key := "people.role." + string(r)
	return domain.RoleDef{Key: r, NameZH: i18n.T(i18n.ZH, key, nil), NameEN: i18n.T(i18n.EN, key, nil), Scoped: r.Scoped(),
		Builtin: true, Active: true}, true
}

// roleCatalog is every role by key: the built-in ones and those defined.
type roleCatalog map[domain.Role]domain.RoleDef

// loadCatalog reads the role catalog through r (a write's own transaction,
// or the read pool).
func loadCatalog(ctx context.Context, r store.Reader) (roleCatalog, error) {
	cat := roleCatalog{}
	for _, k := range domain.Roles {
		cat[k], _ = builtinRole(k)
	}
	ds, err := store.RoleDefs(ctx, r, true)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		if !d.Builtin {
			cat[d.Key] = d
		}
	}
	return cat, nil
}

// lookupRole reads one role's definition through r: a built-in one, or
// one the administrator defined. known is false for neither.
func lookupRole(ctx context.Context, r store.Reader, role domain.Role) (d domain.RoleDef, known bool, err error) {
	if b, ok := builtinRole(role); ok {
		return b, true, nil
	}
	d, err = store.RoleDefByKey(ctx, r, string(role))
	if domain.IsKind(err, domain.KindNotFound) || err == nil && d.Builtin {
		return domain.RoleDef{}, false, nil
	}
	return d, err == nil, err
}

// scoped reports whether a known role is department-scoped.
func (c roleCatalog) scoped(r domain.Role) bool { return c[r].Scoped }

// checkRole adds a message for field when role cannot be granted: unknown
// (field.bad_choice) or retired (people.role_inactive).
func (c roleCatalog) checkRole(ck *domain.Checker, field string, r domain.Role) bool {
	d, ok := c[r]
	switch {
	case !ok:
		ck.Add(field, "field.bad_choice")
	case !d.Active:
		ck.Add(field, "org.role_inactive", "role", d.NameZH)
	default:
		return true
	}
	return false
}

// roleMsg is how a message names a role: the catalog key of a built-in
// one (translated with the message), or the key of one the administrator defined.
func roleMsg(r domain.Role) string {
	if r.Valid() {
		return "people.role." + string(r)
	}
	return string(r)
}

// catalog returns the role catalog, from memory when fresh.
func (s *Service) catalog(ctx context.Context) (roleCatalog, error) {
	s.org.mu.Lock()
	if s.org.roles != nil && time.Since(s.org.rolesAt) < cacheFor {
		c := s.org.roles
		s.org.mu.Unlock()
		return c, nil
	}
	s.org.mu.Unlock()
	c, err := loadCatalog(ctx, s.db.R())
	if err != nil {
		return nil, err
	}
	s.org.mu.Lock()
	s.org.roles, s.org.rolesAt = c, time.Now()
	s.org.mu.Unlock()
	return c, nil
}

// forgetRoles drops the cached catalog after a change.
func (s *Service) forgetRoles() {
	s.org.mu.Lock()
	s.org.roles = nil
	s.org.mu.Unlock()
}

// RoleName returns a role's name in lang: the catalog's for a built-in
// role, the administrator's for one defined, the key for one unknown.
func (s *Service) RoleName(lang string, r domain.Role) string {
	if d, ok := builtinRole(r); ok {
		return d.Name(i18n.Norm(lang))
	}
	c, err := s.catalog(context.Background())
	if err != nil {
		return string(r)
	}
	if d, ok := c[r]; ok {
		return d.Name(i18n.Norm(lang))
	}
	return string(r)
}

// Roles lists the roles — built-in first, then those defined, the retired
// ones too when asked.
func (s *Service) Roles(ctx context.Context, includeInactive bool) ([]domain.RoleDef, error) {
	const op = "people.Roles"
	ds, err := store.RoleDefs(ctx, s.db.R(), includeInactive)
	if err != nil {
		return nil, domain.Wrap(op, err)
	}
	// Built-in roles not seeded yet (a database the server has not
	// started on) are listed all the same.
	have := map[domain.Role]bool{}
	for _, d := range ds {
		have[d.Key] = true
	}
	var out []domain.RoleDef
	for _, k := range domain.Roles {
		if !have[k] {
			d, _ := builtinRole(k)
			out = append(out, d)
		}
	}
	out = append(out, ds...)
	for i := range out {
		if out[i].Builtin {
			// The names of built-in roles are the catalogs'.
			d, _ := builtinRole(out[i].Key)
			out[i].NameZH, out[i].NameEN = d.NameZH, d.NameEN
		}
	}
	return out, nil
}

// Role returns one role by key, or KindNotFound.
func (s *Service) Role(ctx context.Context, key string) (domain.RoleDef, error) {
	const op = "people.Role"
	d, err := store.RoleDefByKey(ctx, s.db.R(), key)
	if domain.IsKind(err, domain.KindNotFound) {
		if b, ok := builtinRole(domain.Role(key)); ok {
			return b, nil
		}
	}
	if err != nil {
		return d, domain.Wrap(op, err)
	}
	if b, ok := builtinRole(d.Key); ok && d.Builtin {
		d.NameZH, d.NameEN = b.NameZH, b.NameEN
	}
	return d, nil
}

// RoleKeys returns the keys of the roles a definition may name: the
// built-in ones and every active one defined.
func (s *Service) RoleKeys(ctx context.Context) ([]string, error) {
	ds, err := s.Roles(ctx, false)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		out = append(out, string(d.Key))
	}
	return out, nil
}

// RoleInput is what the administrator enters for a role.
type RoleInput struct {
	Key            string
	NameZH, NameEN string
	// Scoped makes the role department-scoped: each grant names a department.
	Scoped bool
}

func (in *RoleInput) normalize() {
	in.Key = strings.ToLower(strings.TrimSpace(in.Key))
	in.NameZH = strings.TrimSpace(in.NameZH)
	in.NameEN = strings.TrimSpace(in.NameEN)
}

// CreateRole defines a role (event role.define). It returns KindForbidden
// unless the actor is the administrator, and KindInvalid for bad input or a
// key in use (Fields["key"] = field.taken; the built-in keys are taken).
func (s *Service) CreateRole(ctx context.Context, actor domain.Actor, in RoleInput) (domain.RoleDef, error) {
	const op = "people.CreateRole"
	if !mayAdminister(actor) {
		return domain.RoleDef{}, domain.Forbidden(op)
	}
	in.normalize()
	var c domain.Checker
	if in.Key == "" {
		c.Add("key", "field.required")
	} else if !roleKeyRE.MatchString(in.Key) {
		c.Add("key", "org.bad_key")
	} else if domain.Role(in.Key).Valid() {
		c.Add("key", "field.taken")
	}
	c.Name("name_zh", in.NameZH, true, maxName)
	c.Name("name_en", in.NameEN, true, maxName)
	if err := c.Err(op); err != nil {
		return domain.RoleDef{}, err
	}
	var d domain.RoleDef
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var inserted bool
		var err error
		d, inserted, err = tx.InsertRoleDef(domain.RoleDef{Key: domain.Role(in.Key), NameZH: in.NameZH, NameEN: in.NameEN,
			Scoped: in.Scoped, Active: true})
		if err != nil {
			return err
		}
		if !inserted {
			var c domain.Checker
			c.Add("key", "field.taken")
			return c.Err(op)
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "role.define", Entity: "role_def",
			EntityID: in.Key, Changes: []audit.Change{{Field: "key", New: in.Key}, {Field: "name_zh", New: in.NameZH},
				{Field: "name_en", New: in.NameEN}, {Field: "scoped", New: in.Scoped}, {Field: "active", New: true}}})
	})
	if err != nil {
		return domain.RoleDef{}, domain.Wrap(op, err)
	}
	s.forgetRoles()
	if defined, _, _ := s.hooks(); defined != nil {
		defined("role", in.Key)
	}
	return d, nil
}

// UpdateRole renames a role the administrator defined (event role.update).
// Its key and scope never change: definitions and grants name it. It
// returns KindForbidden, KindNotFound, KindInvalid or KindConflict
// (org.role_builtin for a built-in role).
func (s *Service) UpdateRole(ctx context.Context, actor domain.Actor, key string, in RoleInput, reason string) (domain.RoleDef, error) {
	const op = "people.UpdateRole"
	if !mayAdminister(actor) {
		return domain.RoleDef{}, domain.Forbidden(op)
	}
	in.normalize()
	if err := checkRename(op, in.NameZH, in.NameEN, reason); err != nil {
		return domain.RoleDef{}, err
	}
	var d domain.RoleDef
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		old, err := s.definedRole(tx, op, key)
		if err != nil {
			return err
		}
		d = old
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
		d.NameZH, d.NameEN = in.NameZH, in.NameEN
		if d, err = tx.UpdateRoleDef(d); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: "role.update", Entity: "role_def",
			EntityID: key, Changes: changes, Reason: reason})
	})
	s.forgetRoles()
	return d, domain.Wrap(op, err)
}

// definedRole reads a role the administrator defined, refusing a built-in one.
func (s *Service) definedRole(tx *store.Tx, op, key string) (domain.RoleDef, error) {
	if domain.Role(key).Valid() {
		return domain.RoleDef{}, domain.Conflict(op, "org.role_builtin")
	}
	return store.RoleDefByKey(tx.Context(), tx, key)
}

// SetRoleActive retires (never deletes, R5) or restores a role the
// administrator defined (events role.retire, role.restore). Retiring needs
// a reason and is refused with KindConflict while anyone holds the role
// (org.role_held_by, with the count) or a loaded process definition names
// it (org.role_named, with the definitions).
func (s *Service) SetRoleActive(ctx context.Context, actor domain.Actor, key string, active bool, reason string) error {
	const op = "people.SetRoleActive"
	if !mayAdminister(actor) {
		return domain.Forbidden(op)
	}
	var c domain.Checker
	checkReason(&c, reason, !active)
	if err := c.Err(op); err != nil {
		return err
	}
	if !active {
		if _, namedBy, _ := s.hooks(); namedBy != nil {
			if defs := namedBy("role", key); len(defs) > 0 {
				return domain.Conflict(op, "org.role_named", "definitions", strings.Join(defs, ", "))
			}
		}
	}
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		d, err := s.definedRole(tx, op, key)
		if err != nil {
			return err
		}
		if d.Active == active {
			return nil
		}
		action := "role.restore"
		if !active {
			action = "role.retire"
			n, err := store.RoleHolderCount(tx.Context(), tx, key)
			if err != nil {
				return err
			}
			if n > 0 {
				return domain.Conflict(op, "org.role_held_by", "count", n)
			}
		}
		d.Active = active
		if _, err := tx.UpdateRoleDef(d); err != nil {
			return err
		}
		return tx.Audit(audit.Entry{ActorID: actor.ID, ActorName: actorName(actor), Action: action, Entity: "role_def",
			EntityID: key, Changes: []audit.Change{{Field: "active", Old: !active, New: active}}, Reason: reason})
	})
	s.forgetRoles()
	return domain.Wrap(op, err)
}

// EnsureBuiltins seeds, once, the built-in roles and the Technical
// Committee as data (events role.seed and committee.seed by the system).
// It is idempotent and safe for several servers starting together.
func (s *Service) EnsureBuiltins(ctx context.Context) error {
	const op = "people.EnsureBuiltins"
	err := s.db.Write(ctx, func(tx *store.Tx) error {
		var seeded []string
		for _, k := range domain.Roles {
			d, _ := builtinRole(k)
			if _, inserted, err := tx.InsertRoleDef(d); err != nil {
				return err
			} else if inserted {
				seeded = append(seeded, string(k))
			}
		}
		if len(seeded) > 0 {
			if err := tx.Audit(audit.Entry{ActorName: domain.System.Name, Action: "role.seed", Entity: "role_def", EntityID: "builtin",
				Changes: []audit.Change{{Field: "roles", New: seeded}}}); err != nil {
				return err
			}
		}
		tc := domain.Committee{Key: domain.TechnicalCommittee, NameZH: i18n.T(i18n.ZH, "org.technical_committee", nil),
			NameEN: i18n.T(i18n.EN, "org.technical_committee", nil), Builtin: true, Active: true}
		c, inserted, err := tx.InsertCommittee(tc)
		if err != nil || !inserted {
			return err
		}
		return tx.Audit(audit.Entry{ActorName: domain.System.Name, Action: "committee.seed", Entity: "committee",
			EntityID: c.Key, Changes: []audit.Change{{Field: "key", New: c.Key}, {Field: "name_zh", New: c.NameZH},
				{Field: "name_en", New: c.NameEN}, {Field: "builtin", New: true}}})
	})
	s.forgetRoles()
	return domain.Wrap(op, err)
}

// checkRename checks the names and the optional reason of a renaming (a
// role's or a committee's): both names are required.
func checkRename(op, nameZH, nameEN, reason string) error {
	var c domain.Checker
	c.Name("name_zh", nameZH, true, maxName)
	c.Name("name_en", nameEN, true, maxName)
	checkReason(&c, reason, false)
	return c.Err(op)
}
