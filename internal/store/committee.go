package store

import (
	"context"

	"labflow/internal/domain"
)

// Committees as data (issue 8 §4): committee and committee_member rows,
// both sealed. The Technical Committee's members are role holders (the
// organisation service reads them from role_grant); other committees'
// members are committee_member rows.

const committeeCols = "id, key, name_zh, name_en, builtin, active, created_at, updated_at"

func scanCommittee(s scanner) (domain.Committee, error) {
	var c domain.Committee
	var builtin, active int
	err := s.Scan(&c.ID, &c.Key, &c.NameZH, &c.NameEN, &builtin, &active, timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt})
	c.Builtin, c.Active = builtin != 0, active != 0
	return c, err
}

// Committees lists the committees, built-in first, the retired ones too when asked.
func Committees(ctx context.Context, r Reader, includeInactive bool) ([]domain.Committee, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	q := "SELECT " + committeeCols + " FROM committee"
	if !includeInactive {
		q += " WHERE active = 1"
	}
	rows, err := r.QueryContext(ctx, q+" ORDER BY builtin DESC, id")
	if err != nil {
		return nil, mapErr("store.Committees", err)
	}
	defer rows.Close()
	var out []domain.Committee
	for rows.Next() {
		c, err := scanCommittee(rows)
		if err != nil {
			return nil, mapErr("store.Committees", err)
		}
		out = append(out, c)
	}
	return out, mapErr("store.Committees", rows.Err())
}

// CommitteeByKey reads one committee (without members); a missing one is KindNotFound.
func CommitteeByKey(ctx context.Context, r Reader, key string) (domain.Committee, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	c, err := scanCommittee(r.QueryRowContext(ctx, "SELECT "+committeeCols+" FROM committee WHERE key = $1", key))
	if err != nil {
		return c, notFound("store.CommitteeByKey", "entity.committee", err)
	}
	return c, nil
}

const memberCols = "m.id, m.committee_id, m.person_id, p.name, m.chair, m.added_at, m.added_by, m.removed_at, m.removed_by"

// CommitteeMembers lists a committee's memberships with the members' names:
// the current ones (of active people) or, with history, every one ever
// recorded, oldest first.
func CommitteeMembers(ctx context.Context, r Reader, committeeID int64, history bool) ([]domain.CommitteeMember, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	q := "SELECT " + memberCols + " FROM committee_member m JOIN person p ON p.id = m.person_id WHERE m.committee_id = $1"
	if !history {
		q += " AND m.removed_at = '' AND p.active = 1"
	}
	rows, err := r.QueryContext(ctx, q+" ORDER BY m.id", committeeID)
	if err != nil {
		return nil, mapErr("store.CommitteeMembers", err)
	}
	defer rows.Close()
	var out []domain.CommitteeMember
	for rows.Next() {
		var m domain.CommitteeMember
		var chair int
		if err := rows.Scan(&m.ID, &m.CommitteeID, &m.PersonID, &m.Name, &chair, timeCol{&m.AddedAt}, &m.AddedBy,
			timeCol{&m.RemovedAt}, &m.RemovedBy); err != nil {
			return nil, mapErr("store.CommitteeMembers", err)
		}
		m.Chair = chair != 0
		out = append(out, m)
	}
	return out, mapErr("store.CommitteeMembers", rows.Err())
}

// InsertCommittee stores a committee unless its key is taken; inserted is
// false (and nothing written) when it is.
func (t *Tx) InsertCommittee(c domain.Committee) (out domain.Committee, inserted bool, err error) {
	now := TimeText(t.now)
	rows, err := t.QueryContext(t.ctx, `INSERT INTO committee (key, name_zh, name_en, builtin, active, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6) ON CONFLICT (key) DO NOTHING RETURNING id`,
		c.Key, c.NameZH, c.NameEN, boolInt(c.Builtin), boolInt(c.Active), now)
	if err != nil {
		return c, false, mapErr("store.InsertCommittee", err)
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&c.ID); err != nil {
			return c, false, mapErr("store.InsertCommittee", err)
		}
		inserted = true
	}
	if err := rows.Err(); err != nil {
		return c, false, mapErr("store.InsertCommittee", err)
	}
	if inserted {
		t.touch("committee", c.ID)
		c.CreatedAt, c.UpdatedAt = ParseTime(now), ParseTime(now)
	}
	return c, inserted, nil
}

// UpdateCommittee writes a committee's names and active flag.
func (t *Tx) UpdateCommittee(c domain.Committee) (domain.Committee, error) {
	now := TimeText(t.now)
	res, err := t.Exec(`UPDATE committee SET name_zh = $1, name_en = $2, active = $3, updated_at = $4 WHERE id = $5`,
		c.NameZH, c.NameEN, boolInt(c.Active), now, c.ID)
	if err != nil {
		return c, mapErr("store.UpdateCommittee", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return c, domain.NotFound("store.UpdateCommittee", "entity.committee")
	}
	t.touch("committee", c.ID)
	c.UpdatedAt = ParseTime(now)
	return c, nil
}

// InsertMember records that by put a person on a committee, as chair or not.
func (t *Tx) InsertMember(committeeID, personID int64, chair bool, by int64) (int64, error) {
	var id int64
	err := t.QueryRowContext(t.ctx, `INSERT INTO committee_member (committee_id, person_id, chair, added_at, added_by)
		VALUES ($1, $2, $3, $4, $5) RETURNING id`, committeeID, personID, boolInt(chair), TimeText(t.now), by).Scan(&id)
	if err != nil {
		return 0, mapErr("store.InsertMember", err)
	}
	t.touch("committee_member", id)
	return id, nil
}

// EndMember ends a current membership row (the row stays as history).
func (t *Tx) EndMember(memberID, by int64) error {
	res, err := t.Exec(`UPDATE committee_member SET removed_at = $1, removed_by = $2 WHERE id = $3 AND removed_at = ''`,
		TimeText(t.now), by, memberID)
	if err != nil {
		return mapErr("store.EndMember", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.Conflict("store.EndMember", "error.conflict")
	}
	t.touch("committee_member", memberID)
	return nil
}
