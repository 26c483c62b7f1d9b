package store

import (
	"context"
	"database/sql"

	"labflow/internal/flow"
)

// scanFunc adapts a function to the Scan of scanInstance and scanTask, so
// that one row holding both can be read with them.
type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

// instanceColCount is how many columns instanceCols and instanceColsI name.
const instanceColCount = 19

const instanceColsI = "i.id, i.def_key, i.def_version, i.title, i.initiator_id, i.initiator_name, i.initiator_dept, i.status, i.form, i.state, i.parent_id, i.parent_step, i.version, i.created_at, i.updated_at, i.ended_at, i.outcome, i.subject_kind, i.subject_id"

const taskColsT = "t.id, t.instance_id, t.step_id, t.round, t.slot, t.assignee_id, t.assignee_name, t.state, t.kind, t.parent_task_id, t.added_by, t.outcome, t.comment, t.def_key, t.initiator_id, t.created_at, t.acted_at, t.due_at, t.version"

// qTaskInstanceLive reads a task's instance and that instance's open and
// waiting tasks in one statement (the instance's columns repeat on each
// row; they are decoded from the first).
const qTaskInstanceLive = "SELECT " + instanceColsI + ", " + taskColsT + `
	FROM flow_task k JOIN flow_instance i ON i.id = k.instance_id JOIN flow_task t ON t.instance_id = i.id
	WHERE k.id = $1 AND t.state IN ('open', 'waiting', 'unassigned') ORDER BY t.id`

// InstanceOfTaskLive returns the instance a task belongs to with its live
// tasks (flow.TaskLoader): what Act needs, in one read instead of two.
func (s *FlowStore) InstanceOfTaskLive(ctx context.Context, taskID int64) (*flow.Instance, []*flow.Task, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	rows, err := s.query(ctx, qTaskInstanceLive, taskID)
	if err != nil {
		return nil, nil, mapErr("store.FlowInstanceOfTask", err)
	}
	defer rows.Close()
	var in *flow.Instance
	var tasks []*flow.Task
	var skip []any // the instance's columns on later rows, not decoded again
	for rows.Next() {
		t, err := scanTask(scanFunc(func(td ...any) error {
			if in == nil {
				var err error
				in, err = scanInstance(scanFunc(func(id ...any) error { return rows.Scan(append(id, td...)...) }))
				return err
			}
			if skip == nil {
				skip = make([]any, instanceColCount)
				for i := range skip {
					skip[i] = new(sql.RawBytes)
				}
			}
			return rows.Scan(append(skip[:instanceColCount:instanceColCount], td...)...)
		}))
		if err != nil {
			return nil, nil, mapErr("store.FlowInstanceOfTask", err)
		}
		tasks = append(tasks, t)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, mapErr("store.FlowInstanceOfTask", err)
	}
	if in != nil {
		return in, tasks, nil
	}
	// No live task (the task is closed, or unknown): read the instance alone.
	if in, err = s.InstanceOfTask(ctx, taskID); err != nil {
		return nil, nil, err
	}
	tasks, err = s.LiveTasks(ctx, in.ID)
	return in, tasks, err
}
