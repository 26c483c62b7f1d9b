package store

import (
	"context"

	"labflow/internal/domain"
)

// Roles as data (issue 8 §4): role_def holds the built-in roles, seeded at
// start, and those the administrator defines. Its rows are sealed.

const roleDefCols = "id, key, name_zh, name_en, scoped, builtin, active, created_at, updated_at"

func scanRoleDef(s scanner) (domain.RoleDef, error) {
	var d domain.RoleDef
	var key string
	var scoped, builtin, active int
	err := s.Scan(&d.ID, &key, &d.NameZH, &d.NameEN, &scoped, &builtin, &active, timeCol{&d.CreatedAt}, timeCol{&d.UpdatedAt})
	d.Key, d.Scoped, d.Builtin, d.Active = domain.Role(key), scoped != 0, builtin != 0, active != 0
	return d, err
}

// RoleDefs lists the defined roles, built-in ones first, the retired ones
// too when asked.
func RoleDefs(ctx context.Context, r Reader, includeInactive bool) ([]domain.RoleDef, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	q := "SELECT " + roleDefCols + " FROM role_def"
	if !includeInactive {
		q += " WHERE active = 1"
	}
	rows, err := r.QueryContext(ctx, q+" ORDER BY builtin DESC, id")
	if err != nil {
		return nil, mapErr("store.RoleDefs", err)
	}
	defer rows.Close()
	var out []domain.RoleDef
	for rows.Next() {
		d, err := scanRoleDef(rows)
		if err != nil {
			return nil, mapErr("store.RoleDefs", err)
		}
		out = append(out, d)
	}
	return out, mapErr("store.RoleDefs", rows.Err())
}

// RoleDefByKey reads one role by its key; a missing one is KindNotFound.
func RoleDefByKey(ctx context.Context, r Reader, key string) (domain.RoleDef, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	d, err := scanRoleDef(r.QueryRowContext(ctx, "SELECT "+roleDefCols+" FROM role_def WHERE key = $1", key))
	if err != nil {
		return d, notFound("store.RoleDefByKey", "entity.role", err)
	}
	return d, nil
}

// RoleHolderCount counts the active grants of a role held by active people.
func RoleHolderCount(ctx context.Context, r Reader, key string) (int, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	var n int
	err := r.QueryRowContext(ctx, `SELECT COUNT(*) FROM role_grant g JOIN person p ON p.id = g.person_id
		WHERE g.role = $1 AND g.revoked_at = '' AND p.active = 1`, key).Scan(&n)
	return n, mapErr("store.RoleHolderCount", err)
}

// InsertRoleDef stores a role unless its key is taken; inserted is false
// (and nothing written) when it is.
func (t *Tx) InsertRoleDef(d domain.RoleDef) (out domain.RoleDef, inserted bool, err error) {
	now := TimeText(t.now)
	rows, err := t.QueryContext(t.ctx, `INSERT INTO role_def (key, name_zh, name_en, scoped, builtin, active, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7) ON CONFLICT (key) DO NOTHING RETURNING id`,
		string(d.Key), d.NameZH, d.NameEN, boolInt(d.Scoped), boolInt(d.Builtin), boolInt(d.Active), now)
	if err != nil {
		return d, false, mapErr("store.InsertRoleDef", err)
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&d.ID); err != nil {
			return d, false, mapErr("store.InsertRoleDef", err)
		}
		inserted = true
	}
	if err := rows.Err(); err != nil {
		return d, false, mapErr("store.InsertRoleDef", err)
	}
	if inserted {
		t.touch("role_def", d.ID)
		d.CreatedAt, d.UpdatedAt = ParseTime(now), ParseTime(now)
	}
	return d, inserted, nil
}

// UpdateRoleDef writes a role's names and active flag (its key, scope and
// built-in mark never change).
func (t *Tx) UpdateRoleDef(d domain.RoleDef) (domain.RoleDef, error) {
	now := TimeText(t.now)
	res, err := t.Exec(`UPDATE role_def SET name_zh = $1, name_en = $2, active = $3, updated_at = $4 WHERE id = $5`,
		d.NameZH, d.NameEN, boolInt(d.Active), now, d.ID)
	if err != nil {
		return d, mapErr("store.UpdateRoleDef", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return d, domain.NotFound("store.UpdateRoleDef", "entity.role")
	}
	t.touch("role_def", d.ID)
	d.UpdatedAt = ParseTime(now)
	return d, nil
}
