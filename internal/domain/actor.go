package domain

import "context"

// Actor is the authenticated person (or the system) on whose behalf an
// operation runs. Audit events take their actor id and printed name from it.
type Actor struct {
	ID       int64
	Username string
	Name     string // printed name, recorded in audit events and signatures
	Lang     string
	Grants   []Grant
	Via      string // "session", "token", "cli" or "system"
	// MustChangePassword is set while the person's password is temporary:
	// set by someone other than its owner (an administrator's reset, the
	// CLI). Until the owner changes it they may do nothing else, and it
	// never completes an electronic signature (COMPLIANCE R8, R12).
	MustChangePassword bool
}

// System is the actor for work that no person started (demo seeding,
// migrations, timers). Its id is 0.
var System = Actor{ID: 0, Username: "system", Name: "system", Via: "system"}

// Has reports whether the actor holds role, in any department.
func (a Actor) Has(role Role) bool {
	for _, g := range a.Grants {
		if g.Role == role {
			return true
		}
	}
	return false
}

// HasIn reports whether the actor holds role scoped to department dept.
func (a Actor) HasIn(role Role, dept int64) bool {
	for _, g := range a.Grants {
		if g.Role == role && g.DepartmentID == dept {
			return true
		}
	}
	return false
}

// IsAdmin reports whether the actor is a system administrator.
func (a Actor) IsAdmin() bool { return a.Has(RoleSysAdmin) }

// HasBusinessRole reports whether the actor holds any business role.
func (a Actor) HasBusinessRole() bool {
	for _, g := range a.Grants {
		if g.Role.IsBusiness() {
			return true
		}
	}
	return false
}

type actorKey struct{}

// WithActor returns a context that carries a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor in ctx and whether there is one.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}
