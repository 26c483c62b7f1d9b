package app

import (
	"context"
	"log/slog"
	"strings"

	"labflow/internal/flow"
	"labflow/internal/people"
)

// Roles and committees as data (issue 8 §4): the process engine's registry
// knows the roles and committees the organisation defines in the database,
// as well as the built-in ones, so that a definition may name them and one
// naming something that does not exist fails to load.

// RegisterOrganisation adds the database's roles and committees to reg.
func RegisterOrganisation(ctx context.Context, reg *flow.Registry, ppl *people.Service) error {
	roles, err := ppl.RoleKeys(ctx)
	if err != nil {
		return err
	}
	committees, err := ppl.CommitteeKeys(ctx)
	if err != nil {
		return err
	}
	reg.AddRoles(roles...)
	reg.AddCommittees(committees...)
	return nil
}

// connectOrganisation lets the organisation service and the engine know
// of each other: a role or committee the administrator defines becomes
// known to definitions; one a definition names cannot be retired; a
// standing proxy names existing processes.
func (a *App) connectOrganisation() {
	a.People.UseDefinitions(func(kind, key string) {
		if kind == "committee" {
			a.Registry.AddCommittees(key)
		} else {
			a.Registry.AddRoles(key)
		}
	}, a.Flow.Naming, func(key string) bool {
		_, ok := a.Flow.Definition(key)
		return ok
	})
}

// OrgGaps returns what the organisation lacks for the loaded definitions:
// roles they name that nobody holds, committees without members or a chair.
func (a *App) OrgGaps(ctx context.Context) ([]people.Gap, error) {
	return a.People.Gaps(ctx, a.Flow.NamedRoles(), a.Flow.NamedCommittees())
}

// warnGaps logs, at start, each gap of the organisation.
func (a *App) warnGaps(ctx context.Context) {
	gaps, err := a.OrgGaps(ctx)
	if err != nil {
		a.Log.Warn("organisation check", "err", err)
		return
	}
	for _, g := range gaps {
		a.Log.Warn("organisation: "+strings.ReplaceAll(g.Kind, "_", " "), slog.String("key", g.Key), slog.String("name", g.NameZH),
			slog.String("definitions", strings.Join(g.Definitions, ", ")))
	}
}
