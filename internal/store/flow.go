package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/flow"
)

// FlowStore implements flow.Store over the database.
type FlowStore struct {
	db *DB
}

// Flow returns the process engine's store. The first call prepares the
// engine's write statements on the write pool (never from inside a write:
// on SQLite the one write connection is busy then).
func (db *DB) Flow() *FlowStore {
	ctx := context.Background()
	for _, q := range flowStmts {
		db.prepare(ctx, q)
	}
	if db.dialect == Postgres {
		// On SQLite new instances and tasks are queued (bulk.go).
		db.prepare(ctx, qInsertInstance)
		db.prepare(ctx, qInsertTask)
	}
	return &FlowStore{db: db}
}

var _ flow.Store = (*FlowStore)(nil)

// Now returns the store clock (server UTC).
func (s *FlowStore) Now() time.Time { return s.db.Now() }

// Write runs fn in a group-committed write transaction.
func (s *FlowStore) Write(ctx context.Context, fn func(tx flow.Tx) error) error {
	return s.db.Write(ctx, func(tx *Tx) error { return fn(&flowTx{tx: tx}) })
}

// SaveDefinition stores a definition body, returning its version: the
// existing one when hash is known, else one more than the highest. Servers
// starting together may save the same key at once: the one that loses the
// race on the (key, version) index reads again and finds the winner's row
// (the same hash) or takes the next version (another hash).
func (s *FlowStore) SaveDefinition(ctx context.Context, key, hash string, body []byte) (int, error) {
	for try := 1; ; try++ {
		v, err := s.saveDefinition(ctx, key, hash, body)
		if err == nil || !IsUnique(err) || try == 5 {
			return v, err
		}
	}
}

func (s *FlowStore) saveDefinition(ctx context.Context, key, hash string, body []byte) (int, error) {
	var v int
	rctx, cancel := s.db.bound(ctx)
	err := s.db.R().QueryRowContext(rctx, "SELECT version FROM flow_definition WHERE key = $1 AND hash = $2", key, hash).Scan(&v)
	cancel()
	if err == nil {
		return v, nil
	}
	if err != sql.ErrNoRows {
		return 0, mapErr("store.SaveDefinition", err)
	}
	err = s.db.Write(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(tx.ctx, "SELECT version FROM flow_definition WHERE key = $1 AND hash = $2", key, hash).Scan(&v); err == nil {
			return nil
		} else if err != sql.ErrNoRows {
			return err
		}
		if err := tx.QueryRowContext(tx.ctx, "SELECT COALESCE(MAX(version), 0) + 1 FROM flow_definition WHERE key = $1", key).Scan(&v); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRowContext(tx.ctx, "INSERT INTO flow_definition (key, version, hash, body, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id",
			key, v, hash, string(body), TimeText(tx.Now())).Scan(&id); err != nil {
			return err
		}
		tx.touch("flow_definition", id)
		return tx.Audit(audit.Entry{ActorID: 0, ActorName: "system", Action: "flow.definition", Entity: "flow_definition",
			EntityID: fmt.Sprintf("%s@%d", key, v), Changes: []audit.Change{{Field: "hash", New: hash}}})
	})
	return v, mapErr("store.SaveDefinition", err)
}

// DefinitionBody returns a stored definition version's body.
func (s *FlowStore) DefinitionBody(ctx context.Context, key string, version int) ([]byte, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	var body string
	err := s.db.R().QueryRowContext(ctx, "SELECT body FROM flow_definition WHERE key = $1 AND version = $2", key, version).Scan(&body)
	if err != nil {
		return nil, notFoundFlow("store.DefinitionBody", "entity.definition", err)
	}
	return []byte(body), nil
}

func notFoundFlow(op, entity string, err error) error {
	if err == sql.ErrNoRows {
		return domain.NotFound(op, entity)
	}
	return mapErr(op, err)
}

const instanceCols = "id, def_key, def_version, title, initiator_id, initiator_name, initiator_dept, status, form, state, parent_id, parent_step, version, created_at, updated_at, ended_at, outcome, subject_kind, subject_id"

func scanInstance(s scanner) (*flow.Instance, error) {
	in := &flow.Instance{}
	var status, form, state string
	err := s.Scan(&in.ID, &in.DefinitionKey, &in.DefinitionVersion, &in.Title, &in.InitiatorID, &in.InitiatorName, &in.InitiatorDept,
		&status, &form, &state, &in.ParentID, &in.ParentStep, &in.Version, timeCol{&in.CreatedAt}, timeCol{&in.UpdatedAt}, timeCol{&in.EndedAt},
		&in.Outcome, &in.SubjectKind, &in.SubjectID)
	if err != nil {
		return nil, err
	}
	in.Status = flow.Status(status)
	// Numbers stay exact (json.Number), never float64.
	in.FormText = form
	if err := flow.DecodeJSON([]byte(form), &in.Form); err != nil {
		return nil, err
	}
	if err := flow.DecodeJSON([]byte(state), &in.State); err != nil {
		return nil, err
	}
	return in, nil
}

// Instance reads one instance.
func (s *FlowStore) Instance(ctx context.Context, id int64) (*flow.Instance, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	in, err := scanInstance(s.queryRow(ctx, "SELECT "+instanceCols+" FROM flow_instance WHERE id = $1", id))
	if err != nil {
		return nil, notFoundFlow("store.FlowInstance", "entity.instance", err)
	}
	return in, nil
}

// InstanceOfTask reads the instance a task belongs to.
func (s *FlowStore) InstanceOfTask(ctx context.Context, taskID int64) (*flow.Instance, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	in, err := scanInstance(s.queryRow(ctx, "SELECT "+instanceCols+" FROM flow_instance WHERE id = (SELECT instance_id FROM flow_task WHERE id = $1)", taskID))
	if err != nil {
		return nil, notFoundFlow("store.FlowInstanceOfTask", "entity.task", err)
	}
	return in, nil
}

// Children returns the subprocess instances started by parent.
func (s *FlowStore) Children(ctx context.Context, parentID int64) ([]*flow.Instance, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	// "parent_id <> 0" lets the partial index flow_instance_parent serve
	// the query (the planner cannot know that the parameter is not 0):
	// without it every request page scanned the whole instance table.
	rows, err := s.db.R().QueryContext(ctx, "SELECT "+instanceCols+" FROM flow_instance WHERE parent_id = $1 AND parent_id <> 0 ORDER BY id", parentID)
	if err != nil {
		return nil, mapErr("store.FlowChildren", err)
	}
	defer rows.Close()
	var out []*flow.Instance
	for rows.Next() {
		in, err := scanInstance(rows)
		if err != nil {
			return nil, mapErr("store.FlowChildren", err)
		}
		out = append(out, in)
	}
	return out, mapErr("store.FlowChildren", rows.Err())
}

// IsCopied reports whether person was copied on the instance.
func (s *FlowStore) IsCopied(ctx context.Context, instanceID, personID int64) (bool, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	var n int
	err := s.db.R().QueryRowContext(ctx, "SELECT COUNT(*) FROM flow_cc WHERE instance_id = $1 AND person_id = $2", instanceID, personID).Scan(&n)
	return n > 0, mapErr("store.FlowIsCopied", err)
}

// Idem returns the instance recorded under an actor's idempotency key.
func (s *FlowStore) Idem(ctx context.Context, actorID int64, key string) (int64, bool, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	var id int64
	err := s.queryRow(ctx, "SELECT instance_id FROM flow_idem WHERE actor_id = $1 AND key = $2", actorID, key).Scan(&id)
	if err == sql.ErrNoRows {
		return 0, false, nil
	}
	return id, err == nil, mapErr("store.FlowIdem", err)
}

// Actions returns an instance's timeline, oldest first.
func (s *FlowStore) Actions(ctx context.Context, instanceID int64) ([]flow.ActionRecord, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	rows, err := s.db.R().QueryContext(ctx, `SELECT id, instance_id, task_id, step_id, actor_id, actor_name, action, target_id, comment, meaning, attachments, at,
		external_entry FROM flow_action WHERE instance_id = $1 ORDER BY id`, instanceID)
	if err != nil {
		return nil, mapErr("store.FlowActions", err)
	}
	defer rows.Close()
	var out []flow.ActionRecord
	for rows.Next() {
		var a flow.ActionRecord
		var meaning, att, ext string
		if err := rows.Scan(&a.ID, &a.InstanceID, &a.TaskID, &a.StepID, &a.ActorID, &a.ActorName, &a.Action, &a.TargetID, &a.Comment, &meaning, &att, timeCol{&a.At},
			&ext); err != nil {
			return nil, mapErr("store.FlowActions", err)
		}
		var err error
		if a.External, err = readExternalEntry(ext); err != nil {
			return nil, mapErr("store.FlowActions", err)
		}
		a.Meaning = flow.Meaning(meaning)
		if err := json.Unmarshal([]byte(att), &a.Attachments); err != nil {
			return nil, mapErr("store.FlowActions", err)
		}
		out = append(out, a)
	}
	return out, mapErr("store.FlowActions", rows.Err())
}

// Signatures returns an instance's electronic signatures, oldest first.
func (s *FlowStore) Signatures(ctx context.Context, instanceID int64) ([]flow.Signature, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	rows, err := s.db.R().QueryContext(ctx, `SELECT id, instance_id, task_id, step_id, signer_id, signer_name, meaning, signed_at, content_hash, content
		FROM flow_signature WHERE instance_id = $1 ORDER BY id`, instanceID)
	if err != nil {
		return nil, mapErr("store.FlowSignatures", err)
	}
	defer rows.Close()
	var out []flow.Signature
	for rows.Next() {
		var g flow.Signature
		var meaning string
		if err := rows.Scan(&g.ID, &g.InstanceID, &g.TaskID, &g.StepID, &g.SignerID, &g.SignerName, &meaning, timeCol{&g.SignedAt}, &g.ContentHash, &g.Content); err != nil {
			return nil, mapErr("store.FlowSignatures", err)
		}
		g.Meaning = flow.Meaning(meaning)
		out = append(out, g)
	}
	return out, mapErr("store.FlowSignatures", rows.Err())
}

// The engine's hot write statements, prepared once per database (Flow).
const (
	qInsertInstance = `INSERT INTO flow_instance (def_key, def_version, title, initiator_id, initiator_name, initiator_dept, status, form, state, search, parent_id, parent_step, version, created_at, updated_at, ended_at, outcome, subject_kind, subject_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id`
	qUpdateInstance = `UPDATE flow_instance SET status = $1, state = $2, version = $3, updated_at = $4, ended_at = $5, outcome = $6
		WHERE id = $7 AND version = $8`
	qUpdateInstanceForm = `UPDATE flow_instance SET status = $1, form = $2, state = $3, search = $4, version = $5, updated_at = $6, ended_at = $7, title = $8, outcome = $9
		WHERE id = $10 AND version = $11`
	qInsertTask = `INSERT INTO flow_task (instance_id, step_id, round, slot, assignee_id, assignee_name, state, kind, parent_task_id, added_by, outcome, comment, def_key, initiator_id, created_at, acted_at, due_at, version)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) RETURNING id`
	qUpdateTask = `UPDATE flow_task SET state = $1, outcome = $2, comment = $3, acted_at = $4, assignee_id = $5, assignee_name = $6, version = $7
		WHERE id = $8 AND state = $9`
)

var flowStmts = []string{qUpdateInstanceForm, qUpdateInstance, qUpdateTask}

// flowTx implements flow.Tx over a write share.
type flowTx struct {
	tx *Tx
}

func (f *flowTx) Now() time.Time { return f.tx.Now() }
func (f *flowTx) Raw() any       { return f.tx }

func (f *flowTx) Audit(e audit.Entry) error { return f.tx.Audit(e) }

func (f *flowTx) exec(q string, args ...any) (sql.Result, error) {
	if s := f.tx.db.prepared(q); s != nil {
		return f.tx.tx.StmtContext(f.tx.ctx, s).ExecContext(f.tx.ctx, args...)
	}
	return f.tx.tx.ExecContext(f.tx.ctx, q, args...)
}

func (f *flowTx) queryRow(q string, args ...any) *sql.Row {
	if s := f.tx.db.prepared(q); s != nil {
		return f.tx.tx.StmtContext(f.tx.ctx, s).QueryRowContext(f.tx.ctx, args...)
	}
	return f.tx.tx.QueryRowContext(f.tx.ctx, q, args...)
}

// queryRow runs a single-row read, prepared; the caller bounds ctx
// (DB.bound) and scans before releasing it.
func (s *FlowStore) queryRow(ctx context.Context, q string, args ...any) *sql.Row {
	return cachedReader{s.db}.QueryRowContext(ctx, q, args...)
}

// query runs a read, prepared; the caller bounds ctx (DB.bound) and
// consumes the rows before releasing it.
func (s *FlowStore) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return cachedReader{s.db}.QueryContext(ctx, q, args...)
}

func (f *flowTx) InsertInstance(in *flow.Instance, enc flow.Encoded) (int64, error) {
	if f.tx.db.dialect == SQLite {
		// Queued: one multi-row INSERT per batch (bulk.go).
		id, err := f.tx.nextID("flow_instance")
		if err != nil {
			return 0, mapErr("store.InsertInstance", err)
		}
		f.sealInstance(id, in, enc)
		f.tx.insertLater(instanceRows, id,
			in.DefinitionKey, in.DefinitionVersion, in.Title, in.InitiatorID, in.InitiatorName, in.InitiatorDept, string(in.Status),
			enc.Form, enc.State, enc.Search, in.ParentID, in.ParentStep, in.Version,
			TimeText(in.CreatedAt), TimeText(in.UpdatedAt), TimeText(in.EndedAt), in.Outcome, in.SubjectKind, in.SubjectID)
		return id, nil
	}
	var id int64
	err := f.queryRow(qInsertInstance,
		in.DefinitionKey, in.DefinitionVersion, in.Title, in.InitiatorID, in.InitiatorName, in.InitiatorDept, string(in.Status),
		enc.Form, enc.State, enc.Search, in.ParentID, in.ParentStep, in.Version,
		TimeText(in.CreatedAt), TimeText(in.UpdatedAt), TimeText(in.EndedAt), in.Outcome, in.SubjectKind, in.SubjectID).Scan(&id)
	if err == nil {
		f.sealInstance(id, in, enc)
	}
	return id, mapErr("store.InsertInstance", err)
}

// sealInstance records the digest of the instance row as written.
func (f *flowTx) sealInstance(id int64, in *flow.Instance, enc flow.Encoded) {
	f.tx.seal("flow_instance", id, id, in.DefinitionKey, int64(in.DefinitionVersion), in.Title, in.InitiatorID, in.InitiatorName,
		in.InitiatorDept, string(in.Status), enc.FormHash, enc.StateHash, in.ParentID, in.ParentStep, in.Version,
		TimeText(in.CreatedAt), TimeText(in.UpdatedAt), TimeText(in.EndedAt), in.Outcome, in.SubjectKind, in.SubjectID)
}

func (f *flowTx) UpdateInstance(in *flow.Instance, oldVersion int64, enc flow.Encoded) error {
	var res sql.Result
	var err error
	if enc.FormChanged {
		res, err = f.exec(qUpdateInstanceForm, string(in.Status), enc.Form, enc.State, enc.Search, in.Version,
			TimeText(in.UpdatedAt), TimeText(in.EndedAt), in.Title, in.Outcome, in.ID, oldVersion)
	} else {
		res, err = f.exec(qUpdateInstance, string(in.Status), enc.State, in.Version, TimeText(in.UpdatedAt), TimeText(in.EndedAt), in.Outcome, in.ID, oldVersion)
	}
	if err := oneRow("store.UpdateInstance", res, err); err != nil {
		return err
	}
	f.sealInstance(in.ID, in, enc)
	return nil
}

func oneRow(op string, res sql.Result, err error) error {
	if err != nil {
		return mapErr(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return mapErr(op, err)
	}
	if n != 1 {
		return domain.Conflict(op, "error.conflict")
	}
	return nil
}
