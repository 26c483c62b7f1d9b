package main

import (
	"context"
	"fmt"
	"strings"

	"labflow/internal/app"
	"labflow/internal/flow"
	"labflow/internal/people"
	"labflow/internal/store"
)

// orgRegistry adds to reg the roles and committees of the database d names
// when it can be read (opened read-only: nothing is created or migrated),
// and says where the names lint checks against came from.
func orgRegistry(ctx context.Context, reg *flow.Registry, d *dataFlags) string {
	db, err := store.OpenReadOnly(ctx, store.Config{DSN: d.db, DataDir: d.data})
	if err != nil {
		return "roles and committees: built-in only (no database to read: " + oneLine(err) + ")"
	}
	defer db.Close()
	if err := app.RegisterOrganisation(ctx, reg, people.New(db)); err != nil {
		return "roles and committees: built-in only (the database holds none: " + oneLine(err) + ")"
	}
	where := "SQLite " + d.data
	if d.db != "" {
		where = "PostgreSQL"
	}
	return fmt.Sprintf("roles and committees: from the database (%s): %d roles, %d committees", where, len(reg.Roles()), len(reg.Committees()))
}

func oneLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
