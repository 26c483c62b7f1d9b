package store

import (
	"context"
	"time"
)

// DefinitionVersion is one stored version of a process definition with the
// number of its instances still open (not approved or rejected).
type DefinitionVersion struct {
	Key       string
	Version   int
	Hash      string
	CreatedAt time.Time
	Open      int // instances of this version that have not ended
	Total     int // all instances of this version
}

// DefinitionVersions lists every stored definition version, by key and
// version, with how many instances use it (for `labflow definitions list`).
func (db *DB) DefinitionVersions(ctx context.Context) ([]DefinitionVersion, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	const op = "store.DefinitionVersions"
	rows, err := db.R().QueryContext(ctx, `SELECT d.key, d.version, d.hash, d.created_at,
		COALESCE(SUM(CASE WHEN i.status IN ('approved', 'rejected') OR i.id IS NULL THEN 0 ELSE 1 END), 0),
		COUNT(i.id)
		FROM flow_definition d LEFT JOIN flow_instance i ON i.def_key = d.key AND i.def_version = d.version
		GROUP BY d.key, d.version, d.hash, d.created_at ORDER BY d.key, d.version`)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	var out []DefinitionVersion
	for rows.Next() {
		var v DefinitionVersion
		if err := rows.Scan(&v.Key, &v.Version, &v.Hash, timeCol{&v.CreatedAt}, &v.Open, &v.Total); err != nil {
			return nil, mapErr(op, err)
		}
		out = append(out, v)
	}
	return out, mapErr(op, rows.Err())
}
