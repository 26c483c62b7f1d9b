package store

import (
	"context"
	"time"

	"labflow/internal/flow"
)

// InstanceForms returns the id and form of instances of a definition
// (every version), newest first, at most limit: those filed at or after
// since (any time when zero), and only running ones when running. The
// conditions' count_instances and in_use match the forms (flow decides
// what equal means for each field type); the flow_instance_def index
// (def_key, created_at) keeps this to the definition's rows.
func (s *FlowStore) InstanceForms(ctx context.Context, key string, since time.Time, running bool, limit int) ([]flow.InstanceForm, error) {
	const op = "store.FlowInstanceForms"
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	q := "SELECT id, form FROM flow_instance WHERE def_key = $1 AND created_at >= $2"
	args := []any{key, TimeText(since)}
	if running {
		q += " AND status = $3"
		args = append(args, string(flow.StatusRunning))
	}
	q += " ORDER BY created_at DESC, id DESC LIMIT " + itoa(limit)
	rows, err := s.db.R().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr(op, err)
	}
	defer rows.Close()
	var out []flow.InstanceForm
	for rows.Next() {
		var x flow.InstanceForm
		var form string
		if err := rows.Scan(&x.ID, &form); err != nil {
			return nil, mapErr(op, err)
		}
		if err := flow.DecodeJSON([]byte(form), &x.Form); err != nil {
			return nil, mapErr(op, err)
		}
		out = append(out, x)
	}
	return out, mapErr(op, rows.Err())
}
