package store

import (
	"context"
	"database/sql"
	"strings"

	"labflow/internal/domain"
)

const personCols = "p.id, p.username, p.name, p.email, p.phone, p.department_id, p.hired_on, p.lang, p.active, p.created_at, p.updated_at"

func scanPerson(s scanner) (domain.Person, error) {
	var p domain.Person
	var dept sql.NullInt64
	var active int
	err := s.Scan(&p.ID, &p.Username, &p.Name, &p.Email, &p.Phone, &dept, &p.HiredOn, &p.Lang, &active, timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt})
	p.DepartmentID = dept.Int64
	p.Active = active != 0
	return p, err
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// GetPerson reads one person (without grants or rank); a missing one is KindNotFound.
func GetPerson(ctx context.Context, r Reader, id int64) (domain.Person, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	p, err := scanPerson(r.QueryRowContext(ctx, "SELECT "+personCols+" FROM person p WHERE p.id = $1", id))
	if err != nil {
		return p, notFound("store.GetPerson", "entity.person", err)
	}
	return p, nil
}

// PersonFull reads one person by id (or, with id 0, by username) together
// with their active grants and current rank, in one query: the process
// engine resolves an assignee this way on nearly every transition. A missing
// person is KindNotFound.
func PersonFull(ctx context.Context, r Reader, id int64, username string) (domain.Person, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	const op = "store.PersonFull"
	where, arg := "p.id = $1", any(id)
	if id == 0 {
		where, arg = "p.username = $1", username
	}
	rows, err := r.QueryContext(ctx, "SELECT "+personCols+`, COALESCE(g.role, ''), COALESCE(g.department_id, 0),
		COALESCE((SELECT h.rank FROM rank_history h WHERE h.person_id = p.id ORDER BY h.since DESC, h.id DESC LIMIT 1), '')
		FROM person p LEFT JOIN role_grant g ON g.person_id = p.id AND g.revoked_at = ''
		WHERE `+where+" ORDER BY g.id", arg)
	if err != nil {
		return domain.Person{}, mapErr(op, err)
	}
	defer rows.Close()
	var p domain.Person
	found := false
	for rows.Next() {
		var dept sql.NullInt64
		var active int
		var role, rank string
		var gdept int64
		if err := rows.Scan(&p.ID, &p.Username, &p.Name, &p.Email, &p.Phone, &dept, &p.HiredOn, &p.Lang, &active, timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt},
			&role, &gdept, &rank); err != nil {
			return domain.Person{}, mapErr(op, err)
		}
		if !found {
			p.DepartmentID, p.Active, p.Rank = dept.Int64, active != 0, domain.Rank(rank)
			p.Grants = []domain.Grant{}
			found = true
		}
		if role != "" {
			p.Grants = append(p.Grants, domain.Grant{Role: domain.Role(role), DepartmentID: gdept})
		}
	}
	if err := rows.Err(); err != nil {
		return domain.Person{}, mapErr(op, err)
	}
	if !found {
		return domain.Person{}, domain.NotFound(op, "entity.person")
	}
	return p, nil
}

// UsernameTaken reports whether any person (active or not) has username.
func UsernameTaken(ctx context.Context, r Reader, username string) (bool, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	var n int
	err := r.QueryRowContext(ctx, "SELECT COUNT(*) FROM person WHERE username = $1", username).Scan(&n)
	return n > 0, mapErr("store.UsernameTaken", err)
}

// PeopleFilter selects people. Zero fields do not filter.
type PeopleFilter struct {
	Query           string // substring of username, name, email or phone (case-insensitive)
	DepartmentID    int64
	Role            domain.Role // holds this role (active grant), in any department
	IncludeInactive bool
	IDs             []int64 // only these people
	Limit, Offset   int     // Limit 0 means no limit
}

// FindPeople lists people matching f ordered by id, with the total number
// of matches ignoring Limit and Offset. Grants and ranks are not filled.
func FindPeople(ctx context.Context, r Reader, f PeopleFilter) ([]domain.Person, int, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + itoa(len(args))
	}
	if !f.IncludeInactive {
		where = append(where, "p.active = 1")
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		a := arg("%" + escapeLike(strings.ToLower(q)) + "%")
		where = append(where, "(LOWER(p.username) LIKE "+a+` ESCAPE '\' OR LOWER(p.name) LIKE `+a+` ESCAPE '\' OR LOWER(p.email) LIKE `+a+` ESCAPE '\' OR p.phone LIKE `+a+` ESCAPE '\')`)
	}
	if f.DepartmentID != 0 {
		where = append(where, "p.department_id = "+arg(f.DepartmentID))
	}
	if f.Role != "" {
		where = append(where, "EXISTS (SELECT 1 FROM role_grant g WHERE g.person_id = p.id AND g.revoked_at = '' AND g.role = "+arg(string(f.Role))+")")
	}
	if f.IDs != nil {
		if len(f.IDs) == 0 {
			return nil, 0, nil
		}
		ph := make([]string, len(f.IDs))
		for i, id := range f.IDs {
			ph[i] = arg(id)
		}
		where = append(where, "p.id IN ("+strings.Join(ph, ", ")+")")
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var total int
	if err := r.QueryRowContext(ctx, "SELECT COUNT(*) FROM person p"+cond, args...).Scan(&total); err != nil {
		return nil, 0, mapErr("store.FindPeople", err)
	}
	q := "SELECT " + personCols + " FROM person p" + cond + " ORDER BY p.id"
	if f.Limit > 0 {
		q += " LIMIT " + itoa(f.Limit)
	}
	if f.Offset > 0 {
		if f.Limit <= 0 {
			q += " LIMIT 1000000000" // SQLite needs a LIMIT before OFFSET
		}
		q += " OFFSET " + itoa(f.Offset)
	}
	rows, err := r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, mapErr("store.FindPeople", err)
	}
	defer rows.Close()
	var out []domain.Person
	for rows.Next() {
		p, err := scanPerson(rows)
		if err != nil {
			return nil, 0, mapErr("store.FindPeople", err)
		}
		out = append(out, p)
	}
	return out, total, mapErr("store.FindPeople", rows.Err())
}

// InsertPerson stores a new person with an optional password hash (already
// hashed by the caller) and returns it with its id and times.
func (t *Tx) InsertPerson(p domain.Person, passwordHash string) (domain.Person, error) {
	now := TimeText(t.now)
	pwAt := ""
	if passwordHash != "" {
		pwAt = now
	}
	err := t.QueryRowContext(t.ctx, `INSERT INTO person (username, name, email, phone, department_id, hired_on, lang, active,
		password_hash, password_changed_at, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id`,
		p.Username, p.Name, p.Email, p.Phone, nullID(p.DepartmentID), p.HiredOn, p.Lang, boolInt(p.Active),
		passwordHash, pwAt, now).Scan(&p.ID)
	if err != nil {
		return p, mapErr("store.InsertPerson", err)
	}
	t.touch("person", p.ID)
	p.CreatedAt, p.UpdatedAt = ParseTime(now), ParseTime(now)
	return p, nil
}

// UpdatePerson writes a person's profile fields and active flag (not the
// username or the password).
func (t *Tx) UpdatePerson(p domain.Person) (domain.Person, error) {
	now := TimeText(t.now)
	res, err := t.Exec(`UPDATE person SET name = $1, email = $2, phone = $3, department_id = $4, hired_on = $5, lang = $6,
		active = $7, updated_at = $8 WHERE id = $9`,
		p.Name, p.Email, p.Phone, nullID(p.DepartmentID), p.HiredOn, p.Lang, boolInt(p.Active), now, p.ID)
	if err != nil {
		return p, mapErr("store.UpdatePerson", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return p, domain.NotFound("store.UpdatePerson", "entity.person")
	}
	t.touch("person", p.ID)
	p.UpdatedAt = ParseTime(now)
	return p, nil
}

// EndSessions ends every open session of a person and returns how many it ended.
func (t *Tx) EndSessions(personID int64) (int64, error) {
	res, err := t.Exec("UPDATE session SET ended_at = $1 WHERE person_id = $2 AND ended_at = ''", TimeText(t.now), personID)
	if err != nil {
		return 0, mapErr("store.EndSessions", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
