package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"labflow/internal/audit"

	"labflow/internal/flow"
)

// IsParty reports whether person is a party of the instance (flow_party).
func (s *FlowStore) IsParty(ctx context.Context, instanceID, personID int64) (bool, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	var n int
	err := s.queryRow(ctx, "SELECT COUNT(*) FROM flow_party WHERE instance_id = $1 AND person_id = $2", instanceID, personID).Scan(&n)
	return n > 0, mapErr("store.FlowIsParty", err)
}

// InstancesWithFile lists the instances that reference a file.
func (s *FlowStore) InstancesWithFile(ctx context.Context, sha string) ([]int64, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	rows, err := s.query(ctx, "SELECT instance_id FROM flow_file WHERE sha256 = $1 ORDER BY instance_id LIMIT 1000", sha)
	if err != nil {
		return nil, mapErr("store.InstancesWithFile", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, mapErr("store.InstancesWithFile", err)
		}
		out = append(out, id)
	}
	return out, mapErr("store.InstancesWithFile", rows.Err())
}

// visibleCond is the visibility rule of flow.CanView in SQL, for the
// instance aliased i (and, one level up, its parent): arg binds values.
func visibleCond(v flow.Viewer, arg func(any) string) string {
	if v.All {
		return "1 = 1"
	}
	me := arg(v.PersonID)
	one := func(a string) string {
		terms := []string{a + ".initiator_id = " + me,
			"EXISTS (SELECT 1 FROM flow_task t WHERE t.instance_id = " + a + ".id AND (t.assignee_id = " + me + " OR t.added_by = " + me + "))",
			"EXISTS (SELECT 1 FROM flow_party p WHERE p.instance_id = " + a + ".id AND p.person_id = " + me + ")",
			"EXISTS (SELECT 1 FROM flow_cc c WHERE c.instance_id = " + a + ".id AND c.person_id = " + me + ")"}
		if len(v.Departments) > 0 {
			var ds []string
			for _, d := range v.Departments {
				ds = append(ds, arg(d))
			}
			terms = append(terms, a+".initiator_dept IN ("+strings.Join(ds, ", ")+")")
		}
		// Who sees the record sees the request (flow.Definition.SubjectViewers).
		for _, sc := range v.Subjects {
			keys := make([]string, len(sc.Definitions))
			for i, k := range sc.Definitions {
				keys[i] = arg(k)
			}
			terms = append(terms, "("+a+".subject_kind = "+arg(sc.Kind)+" AND "+a+".def_key IN ("+strings.Join(keys, ", ")+") AND "+
				sc.Where(a+".subject_id", arg)+")")
		}
		return "(" + strings.Join(terms, " OR ") + ")"
	}
	return "(" + one("i") + " OR i.parent_id <> 0 AND EXISTS (SELECT 1 FROM flow_instance pi WHERE pi.id = i.parent_id AND " + one("pi") + "))"
}

// VisibleInstances lists the instances v may see, newest first.
func (s *FlowStore) VisibleInstances(ctx context.Context, v flow.Viewer, f flow.VisibleFilter) ([]*flow.Instance, int, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	const op = "store.VisibleInstances"
	var args []any
	arg := func(x any) string {
		args = append(args, x)
		return "$" + itoa(len(args))
	}
	where := []string{visibleCond(v, arg)}
	if f.Definition != "" {
		where = append(where, "i.def_key = "+arg(f.Definition))
	}
	if f.SubjectKind != "" {
		// subject_kind <> '' lets SQLite use the partial index on the
		// subject (it cannot prove it from a bound value).
		where = append(where, "i.subject_kind <> ''", "i.subject_kind = "+arg(f.SubjectKind), "i.subject_id = "+arg(f.SubjectID))
	}
	if f.Status != "" {
		where = append(where, "i.status = "+arg(string(f.Status)))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		where = append(where, `i.search LIKE `+arg("%"+escapeLike(strings.ToLower(q))+"%")+` ESCAPE '\'`)
	}
	cond := " FROM flow_instance i WHERE " + strings.Join(where, " AND ")
	var total int
	if err := s.db.R().QueryRowContext(ctx, "SELECT COUNT(*)"+cond, args...).Scan(&total); err != nil {
		return nil, 0, mapErr(op, err)
	}
	q := "SELECT " + instanceColsI + cond + " ORDER BY i.created_at DESC, i.id DESC LIMIT " + itoa(f.Limit)
	if f.Offset > 0 {
		q += " OFFSET " + itoa(f.Offset)
	}
	rows, err := s.db.R().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, mapErr(op, err)
	}
	defer rows.Close()
	var out []*flow.Instance
	for rows.Next() {
		in, err := scanInstance(rows)
		if err != nil {
			return nil, 0, mapErr(op, err)
		}
		out = append(out, in)
	}
	return out, total, mapErr(op, rows.Err())
}

// UnassignedTasks lists the placeholders of steps nobody can act on.
func (s *FlowStore) UnassignedTasks(ctx context.Context, limit int) ([]*flow.Task, error) {
	return s.tasks(ctx, "SELECT "+taskCols+" FROM flow_task WHERE state = 'unassigned' ORDER BY created_at, id LIMIT "+itoa(limit))
}

func (f *flowTx) AddParty(instanceID, personID int64) error {
	_, err := f.exec("INSERT INTO flow_party (instance_id, person_id) VALUES ($1, $2) ON CONFLICT (instance_id, person_id) DO NOTHING", instanceID, personID)
	return mapErr("store.AddParty", err)
}

func (f *flowTx) AddFile(instanceID int64, sha string) error {
	_, err := f.exec("INSERT INTO flow_file (instance_id, sha256) VALUES ($1, $2) ON CONFLICT (instance_id, sha256) DO NOTHING", instanceID, sha)
	return mapErr("store.AddFile", err)
}

// Events lists an entity's audit events up to until, oldest first.
func (s *FlowStore) Events(ctx context.Context, entity string, id int64, until time.Time) ([]audit.Event, error) {
	rows, err := s.query(ctx, "SELECT "+auditCols+" FROM audit_event WHERE entity = $1 AND entity_id = $2 AND at <= $3 ORDER BY seq",
		entity, strconv.FormatInt(id, 10), TimeText(until))
	if err != nil {
		return nil, mapErr("store.Events", err)
	}
	defer rows.Close()
	var out []audit.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, mapErr("store.Events", err)
		}
		out = append(out, e)
	}
	return out, mapErr("store.Events", rows.Err())
}

// AddAwait records that a step of instanceID waits for awaitedID to end; idempotent.
func (f *flowTx) AddAwait(instanceID int64, step string, awaitedID int64) error {
	_, err := f.exec("INSERT INTO flow_await (instance_id, step_id, awaits_id) VALUES ($1, $2, $3) ON CONFLICT (instance_id, step_id, awaits_id) DO NOTHING",
		instanceID, step, awaitedID)
	return mapErr("store.AddAwait", err)
}

// Awaiting lists the running instances with a step waiting for one of
// awaited (all ended requests still awaited, when awaited is empty).
func (s *FlowStore) Awaiting(ctx context.Context, awaited ...int64) ([]int64, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	// The waits drive the query (EXISTS, not JOIN): they are few, the
	// instances many, and a planner that started from the instances'
	// status scanned them all on every sweep.
	q := `SELECT DISTINCT a.instance_id FROM flow_await a
		WHERE EXISTS (SELECT 1 FROM flow_instance w WHERE w.id = a.instance_id AND w.status = 'running')`
	var args []any
	if len(awaited) == 0 {
		q += ` AND EXISTS (SELECT 1 FROM flow_instance d WHERE d.id = a.awaits_id AND d.status IN ('approved', 'rejected'))`
	} else {
		var ph []string
		for _, id := range awaited {
			args = append(args, id)
			ph = append(ph, "$"+strconv.Itoa(len(args)))
		}
		q += ` AND a.awaits_id IN (` + strings.Join(ph, ", ") + `)`
	}
	rows, err := s.query(ctx, q+` ORDER BY a.instance_id LIMIT 1000`, args...)
	if err != nil {
		return nil, mapErr("store.Awaiting", err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, mapErr("store.Awaiting", err)
		}
		out = append(out, id)
	}
	return out, mapErr("store.Awaiting", rows.Err())
}
