package store

import (
	"context"

	"labflow/internal/flow"
)

// Tasks that went to a standing proxy (flow.ProxyTx, flow.ProxyStore):
// flow_task_proxy rows, keyed by the task's id and sealed with it.

var (
	_ flow.ProxyTx    = (*flowTx)(nil)
	_ flow.ProxyStore = (*FlowStore)(nil)
)

// InsertTaskProxy records that a task's assignee acts on someone's behalf.
func (f *flowTx) InsertTaskProxy(taskID, instanceID, onBehalfOf int64, onBehalfName string, rule int64) error {
	_, err := f.exec(`INSERT INTO flow_task_proxy (id, instance_id, on_behalf_of, on_behalf_name, proxy_rule) VALUES ($1, $2, $3, $4, $5)`,
		taskID, instanceID, onBehalfOf, onBehalfName, rule)
	if err != nil {
		return mapErr("store.InsertTaskProxy", err)
	}
	f.tx.seal("flow_task_proxy", taskID, taskID, instanceID, onBehalfOf, onBehalfName, rule)
	return nil
}

// TaskProxies returns, by task id, the instance's tasks that went to a proxy.
func (s *FlowStore) TaskProxies(ctx context.Context, instanceID int64) (map[int64]flow.TaskProxy, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	rows, err := s.db.R().QueryContext(ctx, "SELECT id, on_behalf_of, on_behalf_name, proxy_rule FROM flow_task_proxy WHERE instance_id = $1", instanceID)
	if err != nil {
		return nil, mapErr("store.TaskProxies", err)
	}
	defer rows.Close()
	out := map[int64]flow.TaskProxy{}
	for rows.Next() {
		var id int64
		var p flow.TaskProxy
		if err := rows.Scan(&id, &p.OnBehalfOf, &p.OnBehalfName, &p.Rule); err != nil {
			return nil, mapErr("store.TaskProxies", err)
		}
		out[id] = p
	}
	return out, mapErr("store.TaskProxies", rows.Err())
}

// OnBehalfTasks lists, newest first, the tasks that went to a proxy on person's behalf.
func (s *FlowStore) OnBehalfTasks(ctx context.Context, personID int64, limit int) ([]flow.OnBehalfItem, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	rows, err := s.db.R().QueryContext(ctx, `SELECT t.id, t.instance_id, i.def_key, i.def_version, i.title, t.step_id, t.assignee_id, t.assignee_name,
		t.state, t.outcome, i.status, t.created_at, t.acted_at
		FROM flow_task_proxy x JOIN flow_task t ON t.id = x.id JOIN flow_instance i ON i.id = t.instance_id
		WHERE x.on_behalf_of = $1 ORDER BY x.id DESC LIMIT `+itoa(limit), personID)
	if err != nil {
		return nil, mapErr("store.OnBehalfTasks", err)
	}
	defer rows.Close()
	var out []flow.OnBehalfItem
	for rows.Next() {
		var it flow.OnBehalfItem
		var state, status string
		if err := rows.Scan(&it.TaskID, &it.InstanceID, &it.DefinitionKey, &it.DefinitionVersion, &it.Title, &it.StepID, &it.ProxyID,
			&it.ProxyName, &state, &it.Outcome, &status, timeCol{&it.CreatedAt}, timeCol{&it.ActedAt}); err != nil {
			return nil, mapErr("store.OnBehalfTasks", err)
		}
		it.State, it.Status = flow.TaskState(state), flow.Status(status)
		out = append(out, it)
	}
	return out, mapErr("store.OnBehalfTasks", rows.Err())
}
