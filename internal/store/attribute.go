package store

import (
	"context"

	"labflow/internal/domain"
)

// InsertAttribute appends a change of a person's attribute.
func (t *Tx) InsertAttribute(e domain.AttributeEntry) (domain.AttributeEntry, error) {
	e.CreatedAt = TimeText(t.now)
	err := t.QueryRowContext(t.ctx, `INSERT INTO person_attribute (person_id, attribute, value, instance_id, note, created_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, e.PersonID, e.Attribute, e.Value, e.InstanceID, e.Note, e.CreatedAt, e.CreatedBy).Scan(&e.ID)
	if err == nil {
		t.touch("person_attribute", e.ID)
	}
	return e, mapErr("store.InsertAttribute", err)
}

// AttributeHistory lists a person's attribute changes, oldest first.
func AttributeHistory(ctx context.Context, r Reader, personID int64) ([]domain.AttributeEntry, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	rows, err := r.QueryContext(ctx, `SELECT id, person_id, attribute, value, instance_id, note, created_at, created_by
		FROM person_attribute WHERE person_id = $1 ORDER BY id`, personID)
	if err != nil {
		return nil, mapErr("store.AttributeHistory", err)
	}
	defer rows.Close()
	var out []domain.AttributeEntry
	for rows.Next() {
		var e domain.AttributeEntry
		if err := rows.Scan(&e.ID, &e.PersonID, &e.Attribute, &e.Value, &e.InstanceID, &e.Note, &e.CreatedAt, &e.CreatedBy); err != nil {
			return nil, mapErr("store.AttributeHistory", err)
		}
		out = append(out, e)
	}
	return out, mapErr("store.AttributeHistory", rows.Err())
}
