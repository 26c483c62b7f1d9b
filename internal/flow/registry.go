package flow

import (
	"context"
	"math/big"
	"sort"
	"sync"

	"labflow/internal/domain"
)

// GuardFunc decides whether a step may complete. It returns nil to allow,
// or a *domain.Error (KindInvalid or KindForbidden, with a catalog message
// key and arguments) to refuse; the engine shows that message to the actor.
type GuardFunc func(ctx context.Context, g GuardInput) error

// GuardInput is what a guard sees: the definition and step ("" for the
// definition's own guards, at start and resubmit), the instance's current
// form, who is acting and who started the instance. A number or money value
// is a json.Number in a form just submitted and a float64 or string once
// read back from storage: read it with FormDecimal.
type GuardInput struct {
	DefinitionKey, StepID string
	Form                  map[string]any
	Actor                 domain.Actor
	InitiatorID           int64
}

// FormDecimal reads a number or money value of a form exactly, whichever
// form it arrives in (see GuardInput).
func FormDecimal(v any) (*big.Rat, bool) {
	s, ok := numberText(v)
	if !ok {
		return nil, false
	}
	r, err := ParseDecimal(s)
	return r, err == nil
}

// EffectFunc runs, inside the transition's store transaction, when a step
// completes. An error rolls the transition back.
type EffectFunc func(ctx context.Context, e EffectInput) error

// EffectInput is what an effect sees. Tx is the store transaction, opaque
// here; domain packages type-assert it to *store.Tx.
type EffectInput struct {
	DefinitionKey, StepID string
	InstanceID            int64
	Form                  map[string]any
	Actor                 domain.Actor
	Tx                    any
}

// Registry holds what definitions may name: roles, committees, subjects,
// guards and effects. Domain packages register theirs at start-up, before
// definitions are loaded, and the application adds the roles and
// committees the organisation defines as data (AddRoles, AddCommittees);
// the loader rejects any name the registry does not know. It is safe for
// concurrent use.
type Registry struct {
	mu         sync.RWMutex
	roles      map[string]bool
	committees map[string]bool
	subjects   map[string]bool
	guards     map[string]GuardFunc
	effects    map[string]EffectFunc
	kinds      map[string]*SubjectKind
	sources    map[string]DateSource // schedule.go (issue 8 §6)
}

// NewRegistry returns a registry that knows the built-in roles
// (domain.Roles), the Technical Committee and the subject "form", and no
// guards or effects.
func NewRegistry() *Registry {
	r := &Registry{roles: map[string]bool{}, committees: map[string]bool{string(TechnicalCommittee): true},
		subjects: map[string]bool{"form": true}, guards: map[string]GuardFunc{}, effects: map[string]EffectFunc{}}
	for _, role := range domain.Roles {
		r.roles[string(role)] = true
	}
	return r
}

// AddRoles makes roles the organisation defines as data known to
// definitions (issue 8 §4: roles as data).
func (r *Registry) AddRoles(keys ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range keys {
		r.roles[k] = true
	}
}

// AddCommittees makes committees the organisation defines known to
// definitions (`committee: KEY`).
func (r *Registry) AddCommittees(keys ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range keys {
		r.committees[k] = true
	}
}

// HasCommittee reports whether key names a known committee.
func (r *Registry) HasCommittee(key string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.committees[key]
}

// Roles returns the sorted known role names.
func (r *Registry) Roles() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.roles))
	for k := range r.roles {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Committees returns the sorted known committee keys.
func (r *Registry) Committees() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.committees))
	for k := range r.committees {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// RegisterGuard makes a guard available to definitions under name (by
// convention "package.verb", e.g. "hr.promotion_eligible"). Registering a
// name again replaces the function.
func (r *Registry) RegisterGuard(name string, f GuardFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.guards[name] = f
}

// RegisterEffect makes an effect available to definitions under name (e.g. "purchasing.open_order").
func (r *Registry) RegisterEffect(name string, f EffectFunc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.effects[name] = f
}

// RegisterSubject declares a kind of record a definition may govern.
func (r *Registry) RegisterSubject(name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.subjects[name] = true
}

// Guard returns the guard registered under name.
func (r *Registry) Guard(name string) (GuardFunc, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	f, ok := r.guards[name]
	return f, ok
}

// Effect returns the effect registered under name.
func (r *Registry) Effect(name string) (EffectFunc, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	f, ok := r.effects[name]
	return f, ok
}

// HasRole reports whether role is a known role name.
func (r *Registry) HasRole(role string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.roles[role]
}

// HasSubject reports whether subject is registered.
func (r *Registry) HasSubject(subject string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.subjects[subject]
}

// Names returns the sorted names of the registered guards and effects, for
// `labflow definitions list` and error messages.
func (r *Registry) Names() (guards, effects []string) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for k := range r.guards {
		guards = append(guards, k)
	}
	for k := range r.effects {
		effects = append(effects, k)
	}
	sort.Strings(guards)
	sort.Strings(effects)
	return guards, effects
}
