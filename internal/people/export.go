package people

import (
	"context"
	"encoding/csv"
	"io"
	"strings"

	"labflow/internal/domain"
	"labflow/internal/store"
)

// exportHeader is the role list's header row (COMPLIANCE R13).
var exportHeader = []string{"username", "name", "department", "role", "role department", "granted at", "granted by"}

// ExportRoles writes the current user and role list as CSV (UTF-8 with a
// byte-order mark so that Excel shows Chinese): one row per active role of
// each active person (COMPLIANCE R13). Only the administrator and the GM may
// export it; others get KindForbidden.
func (s *Service) ExportRoles(ctx context.Context, actor domain.Actor, w io.Writer) error {
	const op = "people.ExportRoles"
	if !mayAdminister(actor) && !actor.Has(domain.RoleGM) {
		return domain.Forbidden(op)
	}
	r := s.db.R()
	grants, err := store.AllActiveGrants(ctx, r)
	if err != nil {
		return domain.Wrap(op, err)
	}
	depts, err := store.FindDepartments(ctx, r, true)
	if err != nil {
		return domain.Wrap(op, err)
	}
	deptName := map[int64]string{}
	for _, d := range depts {
		deptName[d.ID] = d.NameZH
		if actor.Lang == "en" {
			deptName[d.ID] = d.NameEN
		}
	}
	people := map[int64]domain.Person{}
	person := func(id int64) (domain.Person, error) {
		if p, ok := people[id]; ok {
			return p, nil
		}
		p, err := store.GetPerson(ctx, r, id)
		if err != nil {
			return p, err
		}
		people[id] = p
		return p, nil
	}
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return domain.Wrap(op, err)
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(exportHeader); err != nil {
		return domain.Wrap(op, err)
	}
	for _, g := range grants {
		p, err := person(g.PersonID)
		if err != nil {
			return domain.Wrap(op, err)
		}
		by := domain.System.Name
		if g.GrantedBy != 0 {
			gp, err := person(g.GrantedBy)
			if err != nil {
				return domain.Wrap(op, err)
			}
			by = gp.Name
		}
		rec := []string{p.Username, p.Name, deptName[p.DepartmentID], string(g.Role), deptName[g.DepartmentID],
			g.GrantedAt.UTC().Format("2006-01-02T15:04:05Z"), by}
		for i := range rec {
			rec[i] = cell(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return domain.Wrap(op, err)
		}
	}
	cw.Flush()
	return domain.Wrap(op, cw.Error())
}

// cell defuses spreadsheet formulas: a value that Excel would evaluate
// (starting with =, +, -, @, tab or carriage return) gets a leading quote.
func cell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}
