package store

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"labflow/internal/flow"
)

// Inbox lists one person's box with its total ignoring Limit and Offset.
// The todo list is served by the index flow_task_inbox (assignee_id, state, created_at).
func (s *FlowStore) Inbox(ctx context.Context, personID int64, box flow.Box, f flow.InboxFilter) ([]flow.InboxItem, int, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + itoa(len(args))
	}
	var from, order, dateCol string
	taskCols := "t.id, t.step_id, t.state, t.outcome, t.created_at, t.acted_at, t.due_at"
	switch box {
	case flow.BoxTodo:
		from = "flow_task t JOIN flow_instance i ON i.id = t.instance_id"
		where = append(where, "t.assignee_id = "+arg(personID), "t.state = 'open'")
		order, dateCol = "t.created_at DESC, t.id DESC", "t.created_at"
	case flow.BoxDone:
		from = "flow_task t JOIN flow_instance i ON i.id = t.instance_id"
		where = append(where, "t.assignee_id = "+arg(personID), "t.acted_at <> ''", "t.state = 'done'")
		order, dateCol = "t.acted_at DESC, t.id DESC", "t.acted_at"
	case flow.BoxStarted:
		from = "flow_instance i"
		taskCols = "0, '', '', '', i.created_at, '', ''"
		where = append(where, "i.initiator_id = "+arg(personID), "i.parent_id = 0")
		order, dateCol = "i.created_at DESC, i.id DESC", "i.created_at"
	case flow.BoxCC:
		from = "flow_cc c JOIN flow_instance i ON i.id = c.instance_id"
		taskCols = "0, '', '', '', c.created_at, '', ''"
		where = append(where, "c.person_id = "+arg(personID))
		order, dateCol = "c.created_at DESC, i.id DESC", "c.created_at"
	default:
		return nil, 0, nil
	}
	if f.Definition != "" {
		where = append(where, "i.def_key = "+arg(f.Definition))
	}
	if f.InitiatorID != 0 {
		where = append(where, "i.initiator_id = "+arg(f.InitiatorID))
	}
	if f.Status != "" {
		where = append(where, "i.status = "+arg(string(f.Status)))
	}
	if f.From != "" {
		where = append(where, dateCol+" >= "+arg(f.From))
	}
	if f.To != "" {
		to := f.To
		if len(to) == 10 {
			to += "T23:59:59.999999Z"
		}
		where = append(where, dateCol+" <= "+arg(to))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		where = append(where, `i.search LIKE `+arg("%"+escapeLike(strings.ToLower(q))+"%")+` ESCAPE '\'`)
	}
	cond := " FROM " + from + " WHERE " + strings.Join(where, " AND ")
	var total int
	if err := s.db.R().QueryRowContext(ctx, "SELECT COUNT(*)"+cond, args...).Scan(&total); err != nil {
		return nil, 0, mapErr("store.Inbox", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	if limit > 500 {
		limit = 500
	}
	q := "SELECT " + taskCols + ", i.id, i.def_key, i.def_version, i.title, i.initiator_id, i.initiator_name, i.status, i.outcome, i.form" + cond +
		" ORDER BY " + order + " LIMIT " + itoa(limit)
	if f.Offset > 0 {
		q += " OFFSET " + itoa(f.Offset)
	}
	rows, err := s.db.R().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, mapErr("store.Inbox", err)
	}
	defer rows.Close()
	var out []flow.InboxItem
	for rows.Next() {
		var it flow.InboxItem
		var state, status, form string
		if err := rows.Scan(&it.TaskID, &it.StepID, &state, &it.Outcome, timeCol{&it.CreatedAt}, timeCol{&it.ActedAt}, timeCol{&it.DueAt},
			&it.InstanceID, &it.DefinitionKey, &it.DefinitionVersion, &it.Title, &it.InitiatorID, &it.InitiatorName, &status, &it.InstanceOutcome, &form); err != nil {
			return nil, 0, mapErr("store.Inbox", err)
		}
		it.TaskState, it.Status = flow.TaskState(state), flow.Status(status)
		if err := flow.DecodeJSON([]byte(form), &it.Form); err != nil {
			return nil, 0, mapErr("store.Inbox", err)
		}
		out = append(out, it)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, mapErr("store.Inbox", err)
	}
	rows.Close()
	return out, total, s.currentSteps(ctx, out)
}

// currentSteps fills in where each listed request stands: its steps with
// work open and who has them, in one query over the listed requests.
func (s *FlowStore) currentSteps(ctx context.Context, items []flow.InboxItem) error {
	if len(items) == 0 {
		return nil
	}
	byInst := map[int64][]int{}
	var args []any
	var ph []string
	for i, it := range items {
		if _, seen := byInst[it.InstanceID]; !seen && (it.Status == flow.StatusRunning) {
			args = append(args, it.InstanceID)
			ph = append(ph, "$"+itoa(len(args)))
		}
		byInst[it.InstanceID] = append(byInst[it.InstanceID], i)
	}
	if len(args) == 0 {
		return nil
	}
	rows, err := s.db.R().QueryContext(ctx, `SELECT instance_id, step_id, assignee_name, state, due_at FROM flow_task
		WHERE instance_id IN (`+strings.Join(ph, ", ")+`) AND state IN ('open', 'unassigned') ORDER BY instance_id, id`, args...)
	if err != nil {
		return mapErr("store.Inbox", err)
	}
	defer rows.Close()
	for rows.Next() {
		var inst int64
		var step, name, state string
		var due time.Time
		if err := rows.Scan(&inst, &step, &name, &state, timeCol{&due}); err != nil {
			return mapErr("store.Inbox", err)
		}
		for _, i := range byInst[inst] {
			cur := &items[i].Current
			k := len(*cur) - 1
			for k >= 0 && (*cur)[k].StepID != step {
				k--
			}
			if k < 0 {
				*cur = append(*cur, flow.CurrentStep{StepID: step})
				k = len(*cur) - 1
			}
			c := &(*cur)[k]
			if state == string(flow.TaskOpen) && name != "" && !slices.Contains(c.Assignees, name) {
				c.Assignees = append(c.Assignees, name)
			}
			if !due.IsZero() && (c.DueAt.IsZero() || due.Before(c.DueAt)) {
				c.DueAt = due
			}
		}
	}
	return mapErr("store.Inbox", rows.Err())
}

// Counts returns the size of each of a person's boxes.
func (s *FlowStore) Counts(ctx context.Context, personID int64) (map[flow.Box]int, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	// One statement (one round trip on PostgreSQL) for the navigation bar
	// of every page. A done task always has acted_at (the engine sets it),
	// so the done count is served from the inbox index alone.
	const q = `SELECT
		(SELECT COUNT(*) FROM flow_task WHERE assignee_id = $1 AND state = 'open'),
		(SELECT COUNT(*) FROM flow_task WHERE assignee_id = $1 AND state = 'done'),
		(SELECT COUNT(*) FROM flow_instance WHERE initiator_id = $1 AND parent_id = 0),
		(SELECT COUNT(*) FROM flow_cc WHERE person_id = $1)`
	var todo, done, started, cc int
	if err := s.db.R().QueryRowContext(ctx, q, personID).Scan(&todo, &done, &started, &cc); err != nil {
		return nil, mapErr("store.Counts", err)
	}
	return map[flow.Box]int{flow.BoxTodo: todo, flow.BoxDone: done, flow.BoxStarted: started, flow.BoxCC: cc}, nil
}

func (f *flowTx) InsertNotification(n *flow.Notification) error {
	args := "{}"
	if n.EncodedArgs != "" {
		args = n.EncodedArgs
	} else if len(n.Args) > 0 {
		b, err := json.Marshal(n.Args)
		if err != nil {
			return mapErr("store.InsertNotification", err)
		}
		args = string(b)
	}
	ch := n.Channel
	if ch == "" {
		ch = flow.ChannelInApp
	}
	f.tx.insertLater(outboxRows, ch, n.RecipientID, n.Kind, n.InstanceID, n.TaskID, args, TimeText(f.tx.Now()))
	return nil
}

// Notifications lists a person's in-app notifications, newest first.
func (s *FlowStore) Notifications(ctx context.Context, personID int64, unreadOnly bool, limit int) ([]flow.Notification, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	q := `SELECT id, channel, recipient_id, kind, instance_id, task_id, args, created_at, read_at FROM flow_outbox
		WHERE recipient_id = $1 AND channel = 'inapp'`
	if unreadOnly {
		q += " AND read_at = ''"
	}
	q += " ORDER BY id DESC LIMIT " + itoa(limit)
	rows, err := s.db.R().QueryContext(ctx, q, personID)
	if err != nil {
		return nil, mapErr("store.Notifications", err)
	}
	defer rows.Close()
	var out []flow.Notification
	for rows.Next() {
		var n flow.Notification
		var args string
		if err := rows.Scan(&n.ID, &n.Channel, &n.RecipientID, &n.Kind, &n.InstanceID, &n.TaskID, &args, timeCol{&n.CreatedAt}, timeCol{&n.ReadAt}); err != nil {
			return nil, mapErr("store.Notifications", err)
		}
		if err := flow.DecodeJSON([]byte(args), &n.Args); err != nil {
			return nil, mapErr("store.Notifications", err)
		}
		out = append(out, n)
	}
	return out, mapErr("store.Notifications", rows.Err())
}

// MarkRead marks a person's notifications read (others' ids are ignored).
func (s *FlowStore) MarkRead(ctx context.Context, personID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	return s.db.Write(ctx, func(tx *Tx) error {
		for _, id := range ids {
			if _, err := tx.Exec("UPDATE flow_outbox SET read_at = $1 WHERE id = $2 AND recipient_id = $3 AND read_at = ''",
				TimeText(tx.Now()), id, personID); err != nil {
				return mapErr("store.MarkRead", err)
			}
		}
		return nil
	})
}
