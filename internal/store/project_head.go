package store

import "context"

// ProjectHead is what the project lists and dashboards need of a project's
// plan and nodes, read without the plans' content or every node: a
// project page reads those.
type ProjectHead struct {
	ProjectID int64
	// Latest is the latest plan revision (0 without a plan) and
	// LatestState its state; InForce is the latest signed revision (0:
	// none).
	Latest      int
	LatestState string
	InForce     int
	// Materials reports the materials confirmed (the clock runs).
	Materials bool
	// NextName and NextEnd are the first unfinished node of the signed
	// plan by planned end, then position ("" when every node is done).
	NextName, NextEnd string
}

// ProjectHeads reads the heads of the projects named, keyed by project, in
// three queries whatever their number.
func ProjectHeads(ctx context.Context, r Reader, signed string, projectIDs ...int64) (map[int64]*ProjectHead, error) {
	const op = "store.ProjectHeads"
	out := make(map[int64]*ProjectHead, len(projectIDs))
	if len(projectIDs) == 0 {
		return out, nil
	}
	for _, id := range projectIDs {
		out[id] = &ProjectHead{ProjectID: id}
	}
	ctx, cancel := bound(ctx, r)
	defer cancel()
	in := sqlInts(projectIDs)
	rows, err := r.QueryContext(ctx, "SELECT project_id, revision, state FROM project_plan WHERE project_id IN ("+in+") ORDER BY project_id, revision")
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var rev int
		var state string
		if err := rows.Scan(&id, &rev, &state); err != nil {
			return nil, mapErr(op, err)
		}
		if h := out[id]; h != nil {
			h.Latest, h.LatestState = rev, state
			if state == signed {
				h.InForce = rev
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(op, err)
	}
	rows.Close()
	if rows, err = r.QueryContext(ctx, "SELECT project_id FROM project_materials WHERE project_id IN ("+in+")"); err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, mapErr(op, err)
		}
		if h := out[id]; h != nil {
			h.Materials = true
		}
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(op, err)
	}
	rows.Close()
	// Per project one step into project_node_open (the partial index).
	if rows, err = r.QueryContext(ctx, `SELECT n.project_id, n.name, n.planned_end FROM project_node n WHERE n.id IN (
		SELECT (SELECT m.id FROM project_node m WHERE m.current = 1 AND m.actual_end = '' AND m.project_id = p.id ORDER BY m.planned_end, m.position LIMIT 1)
		FROM project p WHERE p.id IN (`+in+"))"); err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name, end string
		if err := rows.Scan(&id, &name, &end); err != nil {
			return nil, mapErr(op, err)
		}
		if h := out[id]; h != nil {
			h.NextName, h.NextEnd = name, end
		}
	}
	return out, mapErr(op, rows.Err())
}
