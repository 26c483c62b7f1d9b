package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"labflow/internal/flow"
)

// Scheduled jobs (flow_job): the occurrences of definitions' schedules,
// each to start one request. Servers record them with a unique key and
// claim them with leases, as timers (flow_timer.go).

var (
	_ flow.JobStore = (*FlowStore)(nil)
	_ flow.JobTx    = (*flowTx)(nil)
)

// EnqueueJobs records jobs in one write, leaving any whose key is recorded
// already as it is; it returns how many were new.
func (s *FlowStore) EnqueueJobs(ctx context.Context, jobs []flow.Job) (int, error) {
	if len(jobs) == 0 {
		return 0, nil
	}
	forms := make([]string, len(jobs))
	for i, j := range jobs {
		b, err := json.Marshal(j.Form)
		if err != nil {
			return 0, mapErr("store.EnqueueJobs", err)
		}
		if j.Form == nil {
			b = []byte("{}")
		}
		forms[i] = string(b)
	}
	n := 0
	err := s.db.Write(ctx, func(tx *Tx) error {
		n = 0
		now := TimeText(tx.Now())
		// Up to 100 rows per statement (8 values each).
		for start := 0; start < len(jobs); start += 100 {
			end := min(start+100, len(jobs))
			var q strings.Builder
			q.WriteString("INSERT INTO flow_job (key, def_key, schedule_id, occurrence, person_id, form, due_at, created_at) VALUES ")
			args := make([]any, 0, 8*(end-start))
			for i := start; i < end; i++ {
				j := jobs[i]
				if i > start {
					q.WriteString(", ")
				}
				b := len(args)
				fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, $%d)", b+1, b+2, b+3, b+4, b+5, b+6, b+7, b+8)
				args = append(args, j.Key, j.DefinitionKey, j.ScheduleID, j.Occurrence, j.PersonID, forms[i], TimeText(j.DueAt), now)
			}
			q.WriteString(" ON CONFLICT (key) DO NOTHING")
			res, err := tx.Exec(q.String(), args...)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += int(k)
		}
		return nil
	})
	return n, mapErr("store.EnqueueJobs", err)
}

const jobCols = "id, key, def_key, schedule_id, occurrence, person_id, form, due_at, attempts, done_at, instance_id, error"

func scanJob(s scanner) (flow.Job, error) {
	var j flow.Job
	var form string
	if err := s.Scan(&j.ID, &j.Key, &j.DefinitionKey, &j.ScheduleID, &j.Occurrence, &j.PersonID, &form, timeCol{&j.DueAt}, &j.Attempts,
		timeCol{&j.DoneAt}, &j.InstanceID, &j.Error); err != nil {
		return j, err
	}
	if err := flow.DecodeJSON([]byte(form), &j.Form); err != nil {
		return j, err
	}
	return j, nil
}

// ClaimJobs leases to owner, until until, up to limit jobs due at or
// before now that are not done and whose lease has expired (or that nobody
// claimed), oldest first.
func (s *FlowStore) ClaimJobs(ctx context.Context, owner string, now, until time.Time, limit int) ([]flow.Job, error) {
	if limit <= 0 {
		limit = 100
	}
	var out []flow.Job
	err := s.db.Write(ctx, func(tx *Tx) error {
		out = out[:0]
		rows, err := tx.QueryContext(tx.ctx, `UPDATE flow_job SET owner = $1, lease_until = $2, attempts = attempts + 1
			WHERE id IN (SELECT id FROM flow_job WHERE done_at = '' AND due_at <= $3 AND lease_until < $4 AND attempts < `+itoa(maxClaims)+`
				ORDER BY due_at, id LIMIT `+itoa(limit)+tx.Dialect().skipLocked()+`)
			RETURNING `+jobCols,
			owner, TimeText(until), TimeText(now), TimeText(now))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			j, err := scanJob(rows)
			if err != nil {
				return err
			}
			out = append(out, j)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, mapErr("store.ClaimJobs", err)
	}
	return out, nil
}

// FailJob records why a job failed; a final failure marks it done (with
// no instance), so that it is not tried again.
func (s *FlowStore) FailJob(ctx context.Context, id int64, msg string, final bool) error {
	if len(msg) > 2000 {
		msg = msg[:2000]
	}
	err := s.db.Write(ctx, func(tx *Tx) error {
		q := "UPDATE flow_job SET error = $1 WHERE id = $2 AND done_at = ''"
		args := []any{msg, id}
		if final {
			q = "UPDATE flow_job SET error = $1, done_at = $3 WHERE id = $2 AND done_at = ''"
			args = append(args, TimeText(tx.Now()))
		}
		_, err := tx.Exec(q, args...)
		return err
	})
	return mapErr("store.FailJob", err)
}

// Jobs lists jobs, newest first.
func (s *FlowStore) Jobs(ctx context.Context, limit int) ([]flow.Job, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	rows, err := s.db.R().QueryContext(ctx, "SELECT "+jobCols+" FROM flow_job ORDER BY due_at DESC, id DESC LIMIT "+itoa(limit))
	if err != nil {
		return nil, mapErr("store.Jobs", err)
	}
	defer rows.Close()
	var out []flow.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, mapErr("store.Jobs", err)
		}
		out = append(out, j)
	}
	return out, mapErr("store.Jobs", rows.Err())
}

// FinishJob marks a job done with the instance it started, in the write
// that started it: false when it was done already (another server took it
// over when this one's lease expired, and finished first).
func (f *flowTx) FinishJob(id, instanceID int64, at time.Time) (bool, error) {
	res, err := f.tx.Exec("UPDATE flow_job SET done_at = $1, instance_id = $2, error = '' WHERE id = $3 AND done_at = ''", TimeText(at), instanceID, id)
	if err != nil {
		return false, mapErr("store.FinishJob", err)
	}
	n, err := res.RowsAffected()
	return n == 1, mapErr("store.FinishJob", err)
}
