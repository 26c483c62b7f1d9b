package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"labflow/internal/domain"
)

// Standing proxies (出差/休假代理, issue 8 §4): person_proxy rows, sealed.

const proxyCols = `x.id, x.person_id, p.name, x.proxy_id, q.name, x.starts_at, x.ends_at, x.definitions, x.status, x.reason,
	x.created_by, x.created_at, x.approver_id, COALESCE(a.name, ''), x.decided_by, x.decided_at, x.decision_reason, x.updated_at`

const proxyFrom = ` FROM person_proxy x JOIN person p ON p.id = x.person_id JOIN person q ON q.id = x.proxy_id
	LEFT JOIN person a ON a.id = x.approver_id`

func scanProxy(s scanner) (domain.Proxy, error) {
	var x domain.Proxy
	var defs, status string
	err := s.Scan(&x.ID, &x.PersonID, &x.PersonName, &x.ProxyID, &x.ProxyName, timeCol{&x.Start}, timeCol{&x.End}, &defs, &status,
		&x.Reason, &x.CreatedBy, timeCol{&x.CreatedAt}, &x.ApproverID, &x.ApproverName, &x.DecidedBy, timeCol{&x.DecidedAt},
		&x.DecisionReason, timeCol{&x.UpdatedAt})
	x.Status = domain.ProxyStatus(status)
	x.Definitions = []string{}
	if defs != "" {
		x.Definitions = strings.Split(defs, ",")
	}
	return x, err
}

// ProxyFilter selects standing proxies. Zero fields do not filter.
type ProxyFilter struct {
	PersonID int64 // the absent person
	// Involving: the absent person, the proxy or the approver.
	Involving int64
	Status    domain.ProxyStatus
	// EndsAfter keeps those still running or to come at that moment.
	EndsAfter time.Time
	Limit     int  // default 200, at most 1000
	All       bool // no limit (the service's cache of those in effect)
}

// Proxies lists standing proxies matching f, newest first.
func Proxies(ctx context.Context, r Reader, f ProxyFilter) ([]domain.Proxy, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + itoa(len(args))
	}
	if f.PersonID != 0 {
		where = append(where, "x.person_id = "+arg(f.PersonID))
	}
	if f.Involving != 0 {
		n := arg(f.Involving)
		where = append(where, "(x.person_id = "+n+" OR x.proxy_id = "+n+" OR x.approver_id = "+n+")")
	}
	if f.Status != "" {
		where = append(where, "x.status = "+arg(string(f.Status)))
	}
	if !f.EndsAfter.IsZero() {
		where = append(where, "x.ends_at > "+arg(TimeText(f.EndsAfter)))
	}
	q := "SELECT " + proxyCols + proxyFrom
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	q += " ORDER BY x.id DESC"
	if !f.All {
		q += " LIMIT " + itoa(limit)
	}
	rows, err := r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, mapErr("store.Proxies", err)
	}
	defer rows.Close()
	var out []domain.Proxy
	for rows.Next() {
		x, err := scanProxy(rows)
		if err != nil {
			return nil, mapErr("store.Proxies", err)
		}
		out = append(out, x)
	}
	return out, mapErr("store.Proxies", rows.Err())
}

// ProxyByID reads one standing proxy; a missing one is KindNotFound.
func ProxyByID(ctx context.Context, r Reader, id int64) (domain.Proxy, error) {
	ctx, cancel := bound(ctx, r)
	defer cancel()
	x, err := scanProxy(r.QueryRowContext(ctx, "SELECT "+proxyCols+proxyFrom+" WHERE x.id = $1", id))
	if err != nil {
		return x, notFound("store.ProxyByID", "entity.proxy", err)
	}
	return x, nil
}

// InsertProxy stores a standing proxy and returns its id.
func (t *Tx) InsertProxy(x domain.Proxy) (int64, error) {
	now := TimeText(t.now)
	var id int64
	err := t.QueryRowContext(t.ctx, `INSERT INTO person_proxy (person_id, proxy_id, starts_at, ends_at, definitions, status, reason,
		created_by, created_at, approver_id, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $9) RETURNING id`,
		x.PersonID, x.ProxyID, TimeText(x.Start), TimeText(x.End), strings.Join(x.Definitions, ","), string(x.Status), x.Reason,
		x.CreatedBy, now, x.ApproverID).Scan(&id)
	if err != nil {
		return 0, mapErr("store.InsertProxy", err)
	}
	t.touch("person_proxy", id)
	return id, nil
}

// DecideProxy moves a standing proxy from status from to status to, by
// by, with a reason, and (when end is not zero) a new end. It returns a
// KindConflict error when the proxy is no longer in status from.
func (t *Tx) DecideProxy(id int64, from, to domain.ProxyStatus, by int64, reason string, end time.Time) error {
	now := TimeText(t.now)
	q := `UPDATE person_proxy SET status = $1, decided_by = $2, decided_at = $3, decision_reason = $4, updated_at = $3`
	args := []any{string(to), by, now, reason}
	if !end.IsZero() {
		q += ", ends_at = $7"
	}
	q += " WHERE id = $5 AND status = $6"
	args = append(args, id, string(from))
	if !end.IsZero() {
		args = append(args, TimeText(end))
	}
	res, err := t.Exec(q, args...)
	if err != nil {
		return mapErr("store.DecideProxy", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return domain.Conflict("store.DecideProxy", "error.conflict")
	}
	t.touch("person_proxy", id)
	return nil
}

// NotifyInApp queues an in-app notification (the process engine's outbox)
// that is not about a process instance, e.g. a standing proxy to approve.
func (t *Tx) NotifyInApp(recipientID int64, kind string, args map[string]any) error {
	b, err := json.Marshal(args)
	if err != nil {
		return mapErr("store.NotifyInApp", err)
	}
	t.insertLater(outboxRows, "inapp", recipientID, kind, int64(0), int64(0), string(b), TimeText(t.now))
	return nil
}
