package store

import (
	"context"
	"time"

	"labflow/internal/flow"
)

var _ flow.TimerStore = (*FlowStore)(nil)

// maxClaims is how many times a timer or job is claimed before it is left
// alone (it keeps failing; its row says how often it was tried).
const maxClaims = 10

// skipLocked is the suffix of a claim's inner SELECT: on PostgreSQL, rows
// another server is claiming right now are skipped rather than waited
// for, so that servers claim different rows; SQLite has one writer.
func (d Dialect) skipLocked() string {
	if d == Postgres {
		return " FOR UPDATE SKIP LOCKED"
	}
	return ""
}

// ClaimTimers leases to owner, until until, up to limit unfired timers due
// at or before now whose lease has expired (or that nobody claimed),
// oldest first. The claim is its own small write (no audit event: a lease
// is bookkeeping, not a record); firing a timer marks it fired in the
// transaction of its effect (FireTimer).
func (s *FlowStore) ClaimTimers(ctx context.Context, owner string, now, until time.Time, limit int) ([]flow.Timer, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []flow.Timer
	err := s.db.Write(ctx, func(tx *Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(tx.ctx, `UPDATE flow_timer SET owner = $1, lease_until = $2, attempts = attempts + 1
			WHERE id IN (SELECT id FROM flow_timer WHERE fired_at = '' AND due_at <= $3 AND lease_until < $4 AND attempts < `+itoa(maxClaims)+`
				ORDER BY due_at, id LIMIT `+itoa(limit)+tx.Dialect().skipLocked()+`)
			RETURNING id, instance_id, task_id, kind, due_at, ref, round, level`,
			owner, TimeText(until), TimeText(now), TimeText(now))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t flow.Timer
			if err := rows.Scan(&t.ID, &t.InstanceID, &t.TaskID, &t.Kind, timeCol{&t.DueAt}, &t.Ref, &t.Round, &t.Level); err != nil {
				return err
			}
			out = append(out, t)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, mapErr("store.ClaimTimers", err)
	}
	sortTimers(out)
	return out, nil
}

// sortTimers orders claimed timers by due time (RETURNING keeps no order).
func sortTimers(ts []flow.Timer) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && (ts[j].DueAt.Before(ts[j-1].DueAt) || ts[j].DueAt.Equal(ts[j-1].DueAt) && ts[j].ID < ts[j-1].ID); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

func (f *flowTx) InsertTimer(t *flow.Timer) error {
	_, err := f.exec("INSERT INTO flow_timer (instance_id, task_id, kind, due_at, ref, round, level) VALUES ($1, $2, $3, $4, $5, $6, $7)",
		t.InstanceID, t.TaskID, t.Kind, TimeText(t.DueAt), t.Ref, t.Round, t.Level)
	return mapErr("store.InsertTimer", err)
}

// FireTimer marks a timer fired once: false when it already was (by this
// server, or by another that took it over when its lease expired).
func (f *flowTx) FireTimer(id int64, at time.Time) (bool, error) {
	res, err := f.exec("UPDATE flow_timer SET fired_at = $1 WHERE id = $2 AND fired_at = ''", TimeText(at), id)
	if err != nil {
		return false, mapErr("store.FireTimer", err)
	}
	n, err := res.RowsAffected()
	return n == 1, mapErr("store.FireTimer", err)
}
