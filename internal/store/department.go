package store

import (
	"context"

	"labflow/internal/domain"
)

const departmentCols = "id, code, name_zh, name_en, active, created_at, updated_at"

func scanDepartment(s scanner) (domain.Department, error) {
	var d domain.Department
	var active int
	err := s.Scan(&d.ID, &d.Code, &d.NameZH, &d.NameEN, &active, timeCol{&d.CreatedAt}, timeCol{&d.UpdatedAt})
	d.Active = active != 0
	return d, err
}

// GetDepartment reads one department by id; a missing one is KindNotFound.
func GetDepartment(ctx context.Context, r Reader, id int64) (domain.Department, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	d, err := scanDepartment(r.QueryRowContext(ctx, "SELECT "+departmentCols+" FROM department WHERE id = $1", id))
	if err != nil {
		return d, notFound("store.GetDepartment", "entity.department", err)
	}
	return d, nil
}

// DepartmentByCode reads one department by its code; a missing one is KindNotFound.
func DepartmentByCode(ctx context.Context, r Reader, code string) (domain.Department, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	d, err := scanDepartment(r.QueryRowContext(ctx, "SELECT "+departmentCols+" FROM department WHERE code = $1", code))
	if err != nil {
		return d, notFound("store.DepartmentByCode", "entity.department", err)
	}
	return d, nil
}

// FindDepartments lists departments by code, the inactive ones too when asked.
func FindDepartments(ctx context.Context, r Reader, includeInactive bool) ([]domain.Department, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	q := "SELECT " + departmentCols + " FROM department"
	if !includeInactive {
		q += " WHERE active = 1"
	}
	q += " ORDER BY id"
	rows, err := r.QueryContext(ctx, q)
	if err != nil {
		return nil, mapErr("store.FindDepartments", err)
	}
	defer rows.Close()
	var out []domain.Department
	for rows.Next() {
		d, err := scanDepartment(rows)
		if err != nil {
			return nil, mapErr("store.FindDepartments", err)
		}
		out = append(out, d)
	}
	return out, mapErr("store.FindDepartments", rows.Err())
}

// InsertDepartment stores a new department and returns it with its id and times.
func (t *Tx) InsertDepartment(d domain.Department) (domain.Department, error) {
	now := TimeText(t.now)
	err := t.QueryRowContext(t.ctx, `INSERT INTO department (code, name_zh, name_en, active, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`, d.Code, d.NameZH, d.NameEN, boolInt(d.Active), now).Scan(&d.ID)
	if err != nil {
		return d, mapErr("store.InsertDepartment", err)
	}
	t.touch("department", d.ID)
	d.CreatedAt, d.UpdatedAt = ParseTime(now), ParseTime(now)
	return d, nil
}

// UpdateDepartment writes a department's code, names and active flag.
func (t *Tx) UpdateDepartment(d domain.Department) (domain.Department, error) {
	now := TimeText(t.now)
	res, err := t.Exec(`UPDATE department SET code = $1, name_zh = $2, name_en = $3, active = $4, updated_at = $5 WHERE id = $6`,
		d.Code, d.NameZH, d.NameEN, boolInt(d.Active), now, d.ID)
	if err != nil {
		return d, mapErr("store.UpdateDepartment", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return d, domain.NotFound("store.UpdateDepartment", "entity.department")
	}
	t.touch("department", d.ID)
	d.UpdatedAt = ParseTime(now)
	return d, nil
}

// DepartmentInUse counts the active people assigned to a department and the
// active department-scoped role grants of active people in it.
func DepartmentInUse(ctx context.Context, r Reader, id int64) (int, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	var n int
	err := r.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM person WHERE department_id = $1 AND active = 1) +
		(SELECT COUNT(*) FROM role_grant g JOIN person p ON p.id = g.person_id
			WHERE g.department_id = $1 AND g.revoked_at = '' AND p.active = 1)`, id).Scan(&n)
	return n, mapErr("store.DepartmentInUse", err)
}

// notFound maps a no-rows error to KindNotFound naming entity, and any other
// error as mapErr does.
func notFound(op, entity string, err error) error {
	e := mapErr(op, err)
	if domain.IsKind(e, domain.KindNotFound) {
		return domain.NotFound(op, entity)
	}
	return e
}
