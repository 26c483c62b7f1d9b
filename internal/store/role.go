package store

import (
	"context"
	"strings"

	"labflow/internal/domain"
)

const grantCols = "g.id, g.person_id, g.role, g.department_id, g.granted_at, g.granted_by, g.revoked_at, g.revoked_by"

func scanGrant(s scanner) (domain.RoleGrant, error) {
	var g domain.RoleGrant
	var role string
	err := s.Scan(&g.ID, &g.PersonID, &role, &g.DepartmentID, timeCol{&g.GrantedAt}, &g.GrantedBy, timeCol{&g.RevokedAt}, &g.RevokedBy)
	g.Role = domain.Role(role)
	return g, err
}

func queryGrants(ctx context.Context, r Reader, op, q string, args ...any) ([]domain.RoleGrant, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	rows, err := r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	var out []domain.RoleGrant
	for rows.Next() {
		g, err := scanGrant(rows)
		if err != nil {
			return nil, mapErr(op, err)
		}
		out = append(out, g)
	}
	return out, mapErr(op, rows.Err())
}

// ActiveGrants lists the unrevoked role grants of the given people, in grant order.
func ActiveGrants(ctx context.Context, r Reader, personIDs ...int64) ([]domain.RoleGrant, error) {
	if len(personIDs) == 0 {
		return nil, nil
	}
	ph := make([]string, len(personIDs))
	args := make([]any, len(personIDs))
	for i, id := range personIDs {
		ph[i], args[i] = "$"+itoa(i+1), id
	}
	return queryGrants(ctx, r, "store.ActiveGrants", "SELECT "+grantCols+" FROM role_grant g WHERE g.revoked_at = '' AND g.person_id IN ("+
		strings.Join(ph, ", ")+") ORDER BY g.id", args...)
}

// RoleHistory lists every grant a person ever had, revoked ones included, oldest first.
func RoleHistory(ctx context.Context, r Reader, personID int64) ([]domain.RoleGrant, error) {
	return queryGrants(ctx, r, "store.RoleHistory", "SELECT "+grantCols+" FROM role_grant g WHERE g.person_id = $1 ORDER BY g.id", personID)
}

// ActiveHolders lists the unrevoked grants of role held by active people;
// departmentID 0 means any department.
func ActiveHolders(ctx context.Context, r Reader, role domain.Role, departmentID int64) ([]domain.RoleGrant, error) {
	q := "SELECT " + grantCols + " FROM role_grant g JOIN person p ON p.id = g.person_id WHERE g.revoked_at = '' AND p.active = 1 AND g.role = $1"
	args := []any{string(role)}
	if departmentID != 0 {
		q += " AND g.department_id = $2"
		args = append(args, departmentID)
	}
	return queryGrants(ctx, r, "store.ActiveHolders", q+" ORDER BY g.id", args...)
}

// AllActiveGrants lists every unrevoked grant of every active person, by person then grant.
func AllActiveGrants(ctx context.Context, r Reader) ([]domain.RoleGrant, error) {
	return queryGrants(ctx, r, "store.AllActiveGrants", "SELECT "+grantCols+
		" FROM role_grant g JOIN person p ON p.id = g.person_id WHERE g.revoked_at = '' AND p.active = 1 ORDER BY p.username, g.id")
}

// InsertGrant records that by granted g to a person.
func (t *Tx) InsertGrant(personID int64, g domain.Grant, by int64) (domain.RoleGrant, error) {
	rg := domain.RoleGrant{PersonID: personID, Role: g.Role, DepartmentID: g.DepartmentID, GrantedAt: t.now, GrantedBy: by}
	now := TimeText(t.now)
	err := t.QueryRowContext(t.ctx, `INSERT INTO role_grant (person_id, role, department_id, granted_at, granted_by)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, personID, string(g.Role), g.DepartmentID, now, by).Scan(&rg.ID)
	rg.GrantedAt = ParseTime(now)
	if err == nil {
		t.touch("role_grant", rg.ID)
	}
	return rg, mapErr("store.InsertGrant", err)
}

// RevokeGrant marks a person's active grant g as revoked by by. It reports
// whether there was such a grant.
func (t *Tx) RevokeGrant(personID int64, g domain.Grant, by int64) (bool, error) {
	rows, err := t.QueryContext(t.ctx, `UPDATE role_grant SET revoked_at = $1, revoked_by = $2
		WHERE person_id = $3 AND role = $4 AND department_id = $5 AND revoked_at = '' RETURNING id`,
		TimeText(t.now), by, personID, string(g.Role), g.DepartmentID)
	if err != nil {
		return false, mapErr("store.RevokeGrant", err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return false, mapErr("store.RevokeGrant", err)
		}
		t.touch("role_grant", id)
		n++
	}
	return n > 0, mapErr("store.RevokeGrant", rows.Err())
}
