package store

import (
	"context"
	"encoding/json"

	"labflow/internal/flow"
)

const taskCols = "id, instance_id, step_id, round, slot, assignee_id, assignee_name, state, kind, parent_task_id, added_by, outcome, comment, def_key, initiator_id, created_at, acted_at, due_at, version"

func scanTask(s scanner) (*flow.Task, error) {
	t := &flow.Task{}
	var state, kind string
	err := s.Scan(&t.ID, &t.InstanceID, &t.StepID, &t.Round, &t.Slot, &t.AssigneeID, &t.AssigneeName, &state, &kind,
		&t.ParentTaskID, &t.AddedBy, &t.Outcome, &t.Comment, &t.DefinitionKey, &t.InitiatorID, timeCol{&t.CreatedAt}, timeCol{&t.ActedAt}, timeCol{&t.DueAt}, &t.Version)
	if err != nil {
		return nil, err
	}
	t.State, t.Kind = flow.TaskState(state), flow.TaskKind(kind)
	return t, nil
}

// Task reads one task.
func (s *FlowStore) Task(ctx context.Context, id int64) (*flow.Task, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	t, err := scanTask(s.queryRow(ctx, "SELECT "+taskCols+" FROM flow_task WHERE id = $1", id))
	if err != nil {
		return nil, notFoundFlow("store.FlowTask", "entity.task", err)
	}
	return t, nil
}

func (s *FlowStore) tasks(ctx context.Context, q string, args ...any) ([]*flow.Task, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, mapErr("store.FlowTasks", err)
	}
	defer rows.Close()
	var out []*flow.Task
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, mapErr("store.FlowTasks", err)
		}
		out = append(out, t)
	}
	return out, mapErr("store.FlowTasks", rows.Err())
}

// LiveTasks returns the instance's open and waiting tasks.
func (s *FlowStore) LiveTasks(ctx context.Context, instanceID int64) ([]*flow.Task, error) {
	return s.tasks(ctx, "SELECT "+taskCols+" FROM flow_task WHERE instance_id = $1 AND state IN ('open', 'waiting', 'unassigned') ORDER BY id", instanceID)
}

// Tasks returns every task of the instance, oldest first.
func (s *FlowStore) Tasks(ctx context.Context, instanceID int64) ([]*flow.Task, error) {
	return s.tasks(ctx, "SELECT "+taskCols+" FROM flow_task WHERE instance_id = $1 ORDER BY id", instanceID)
}

func (f *flowTx) InsertTask(t *flow.Task) (int64, error) {
	if f.tx.db.dialect == SQLite {
		// Queued: one multi-row INSERT per batch (bulk.go).
		id, err := f.tx.nextID("flow_task")
		if err != nil {
			return 0, mapErr("store.InsertTask", err)
		}
		f.tx.insertLater(taskRows, id,
			t.InstanceID, t.StepID, t.Round, t.Slot, t.AssigneeID, t.AssigneeName, string(t.State), string(t.Kind), t.ParentTaskID, t.AddedBy,
			t.Outcome, t.Comment, t.DefinitionKey, t.InitiatorID, TimeText(t.CreatedAt), TimeText(t.ActedAt), TimeText(t.DueAt), t.Version)
		f.sealTask(id, t)
		return id, nil
	}
	var id int64
	err := f.queryRow(qInsertTask,
		t.InstanceID, t.StepID, t.Round, t.Slot, t.AssigneeID, t.AssigneeName, string(t.State), string(t.Kind), t.ParentTaskID, t.AddedBy,
		t.Outcome, t.Comment, t.DefinitionKey, t.InitiatorID, TimeText(t.CreatedAt), TimeText(t.ActedAt), TimeText(t.DueAt), t.Version).Scan(&id)
	if err == nil {
		f.sealTask(id, t)
	}
	return id, mapErr("store.InsertTask", err)
}

func (f *flowTx) UpdateTask(t *flow.Task, oldState flow.TaskState) error {
	res, err := f.exec(qUpdateTask,
		string(t.State), t.Outcome, t.Comment, TimeText(t.ActedAt), t.AssigneeID, t.AssigneeName, t.Version, t.ID, string(oldState))
	if err := oneRow("store.UpdateTask", res, err); err != nil {
		return err
	}
	f.sealTask(t.ID, t)
	return nil
}

// sealTask records the digest of the task row as written (taskCols order).
func (f *flowTx) sealTask(id int64, t *flow.Task) {
	f.tx.seal("flow_task", id, id, t.InstanceID, t.StepID, int64(t.Round), int64(t.Slot), t.AssigneeID, t.AssigneeName, string(t.State),
		string(t.Kind), t.ParentTaskID, t.AddedBy, t.Outcome, t.Comment, t.DefinitionKey, t.InitiatorID, TimeText(t.CreatedAt),
		TimeText(t.ActedAt), TimeText(t.DueAt), t.Version)
}

func (f *flowTx) InsertAction(a *flow.ActionRecord) error {
	att := "[]"
	if len(a.Attachments) > 0 {
		b, err := json.Marshal(a.Attachments)
		if err != nil {
			return mapErr("store.InsertAction", err)
		}
		att = string(b)
	}
	ext, err := externalEntryText(a.External) // "" but for an outsider's entry (rare)
	if err != nil {
		return mapErr("store.InsertAction", err)
	}
	f.tx.insertLater(actionRows,
		a.InstanceID, a.TaskID, a.StepID, a.ActorID, a.ActorName, a.Action, a.TargetID, a.Comment, string(a.Meaning), att, TimeText(a.At), ext)
	return nil
}

func (f *flowTx) InsertSignature(g *flow.Signature) error {
	err := f.queryRow(`INSERT INTO flow_signature (instance_id, task_id, step_id, signer_id, signer_name, meaning, signed_at, content_hash, content)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		g.InstanceID, g.TaskID, g.StepID, g.SignerID, g.SignerName, string(g.Meaning), TimeText(g.SignedAt), g.ContentHash, g.Content).Scan(&g.ID)
	if err != nil {
		return mapErr("store.InsertSignature", err)
	}
	// The content enters the digest by its hash, which is the signature's
	// content hash (the SHA-256 of exactly that content, computed when signing).
	f.tx.seal("flow_signature", g.ID, g.ID, g.InstanceID, g.TaskID, g.StepID, g.SignerID, g.SignerName, string(g.Meaning),
		TimeText(g.SignedAt), g.ContentHash, g.ContentHash)
	return nil
}

func (f *flowTx) InsertCC(instanceID, personID, byID int64) error {
	_, err := f.exec(`INSERT INTO flow_cc (instance_id, person_id, by_id, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (instance_id, person_id) DO NOTHING`, instanceID, personID, byID, TimeText(f.tx.Now()))
	return mapErr("store.InsertCC", err)
}

func (f *flowTx) PutIdem(actorID int64, key string, instanceID int64) error {
	_, err := f.exec("INSERT INTO flow_idem (actor_id, key, instance_id, created_at) VALUES ($1, $2, $3, $4)",
		actorID, key, instanceID, TimeText(f.tx.Now()))
	return mapErr("store.PutIdem", err)
}
