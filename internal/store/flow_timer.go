package store

import (
	"context"
	"time"

	"labflow/internal/flow"
)

// DueTimers returns unfired timers due at or before now, oldest first.
func (s *FlowStore) DueTimers(ctx context.Context, now time.Time, limit int) ([]flow.Timer, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	if limit <= 0 {
		limit = 100
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT id, instance_id, task_id, kind, due_at FROM flow_timer
		WHERE fired_at = '' AND due_at <= $1 ORDER BY due_at, id LIMIT `+itoa(limit), TimeText(now))
	if err != nil {
		return nil, mapErr("store.DueTimers", err)
	}
	defer rows.Close()
	var out []flow.Timer
	for rows.Next() {
		var t flow.Timer
		if err := rows.Scan(&t.ID, &t.InstanceID, &t.TaskID, &t.Kind, timeCol{&t.DueAt}); err != nil {
			return nil, mapErr("store.DueTimers", err)
		}
		out = append(out, t)
	}
	return out, mapErr("store.DueTimers", rows.Err())
}

func (f *flowTx) InsertTimer(t *flow.Timer) error {
	_, err := f.exec("INSERT INTO flow_timer (instance_id, task_id, kind, due_at) VALUES ($1, $2, $3, $4)",
		t.InstanceID, t.TaskID, t.Kind, TimeText(t.DueAt))
	return mapErr("store.InsertTimer", err)
}

// FireTimer marks a timer fired once: false when it already was.
func (f *flowTx) FireTimer(id int64, at time.Time) (bool, error) {
	res, err := f.exec("UPDATE flow_timer SET fired_at = $1 WHERE id = $2 AND fired_at = ''", TimeText(at), id)
	if err != nil {
		return false, mapErr("store.FireTimer", err)
	}
	n, err := res.RowsAffected()
	return n == 1, mapErr("store.FireTimer", err)
}
