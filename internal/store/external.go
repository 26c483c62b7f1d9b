package store

import (
	"context"
	"encoding/json"
	"time"

	"labflow/internal/flow"
)

// External links (flow/external.go): one row per link issued for a step
// that a person outside the institute completes. The token is never
// stored, only its SHA-256; every row is sealed by the audit event of the
// change that wrote it.

// externalLinkCols are a link's columns, in the order they are sealed.
const externalLinkCols = "id, instance_id, step_id, round, task_id, token_hash, name, contact, state, created_at, created_by, created_by_name, " +
	"expires_at, closed_at, closed_by, closed_by_name, submitted_name, ip, user_agent, submitted"

func scanExternalLink(s scanner) (flow.ExternalLink, error) {
	var l flow.ExternalLink
	err := s.Scan(&l.ID, &l.InstanceID, &l.StepID, &l.Round, &l.TaskID, &l.TokenHash, &l.Name, &l.Contact, &l.State,
		timeCol{&l.CreatedAt}, &l.CreatedBy, &l.CreatedByName, timeCol{&l.ExpiresAt}, timeCol{&l.ClosedAt}, &l.ClosedBy, &l.ClosedByName,
		&l.SubmittedName, &l.IP, &l.UserAgent, &l.ValuesText)
	if err != nil {
		return l, err
	}
	if l.ValuesText != "" {
		if err := flow.DecodeJSON([]byte(l.ValuesText), &l.Values); err != nil {
			return l, err
		}
	}
	return l, nil
}

// ExternalLinkByHash returns the link whose token has this SHA-256 (hex).
func (s *FlowStore) ExternalLinkByHash(ctx context.Context, hash string) (*flow.ExternalLink, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	l, err := scanExternalLink(s.queryRow(ctx, "SELECT "+externalLinkCols+" FROM flow_external_link WHERE token_hash = $1", hash))
	if err != nil {
		return nil, notFoundFlow("store.ExternalLinkByHash", "entity.external_link", err)
	}
	return &l, nil
}

// ExternalLinks returns an instance's links, oldest first.
func (s *FlowStore) ExternalLinks(ctx context.Context, instanceID int64) ([]flow.ExternalLink, error) {
	return s.externalLinks(ctx, "SELECT "+externalLinkCols+" FROM flow_external_link WHERE instance_id = $1 ORDER BY id", instanceID)
}

// DueExternalLinks returns open links that expire at or before now, soonest first.
func (s *FlowStore) DueExternalLinks(ctx context.Context, now time.Time, limit int) ([]flow.ExternalLink, error) {
	return s.externalLinks(ctx, "SELECT "+externalLinkCols+" FROM flow_external_link WHERE state = 'open' AND expires_at <= $1 ORDER BY expires_at, id LIMIT $2",
		TimeText(now), limit)
}

func (s *FlowStore) externalLinks(ctx context.Context, q string, args ...any) ([]flow.ExternalLink, error) {
	ctx, cancel := s.db.bound(ctx)
	defer cancel()
	rows, err := s.query(ctx, q, args...)
	if err != nil {
		return nil, mapErr("store.ExternalLinks", err)
	}
	defer rows.Close()
	var out []flow.ExternalLink
	for rows.Next() {
		l, err := scanExternalLink(rows)
		if err != nil {
			return nil, mapErr("store.ExternalLinks", err)
		}
		out = append(out, l)
	}
	return out, mapErr("store.ExternalLinks", rows.Err())
}

var (
	_ flow.ExternalStore = (*FlowStore)(nil)
	_ flow.ExternalTx    = (*flowTx)(nil)
)

// InsertExternalLink stores a new link and seals it.
func (f *flowTx) InsertExternalLink(l *flow.ExternalLink) error {
	err := f.tx.tx.QueryRowContext(f.tx.ctx, `INSERT INTO flow_external_link (instance_id, step_id, round, task_id, token_hash, name, contact,
		state, created_at, created_by, created_by_name, expires_at, closed_at, closed_by, closed_by_name, submitted_name, ip, user_agent, submitted)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19) RETURNING id`,
		l.InstanceID, l.StepID, l.Round, l.TaskID, l.TokenHash, l.Name, l.Contact, l.State, TimeText(l.CreatedAt), l.CreatedBy, l.CreatedByName,
		TimeText(l.ExpiresAt), TimeText(l.ClosedAt), l.ClosedBy, l.ClosedByName, l.SubmittedName, l.IP, l.UserAgent, l.ValuesText).Scan(&l.ID)
	if err != nil {
		return mapErr("store.InsertExternalLink", err)
	}
	f.sealExternalLink(l)
	return nil
}

// UpdateExternalLink writes a link's state, closing and submission where
// its stored state is oldState.
func (f *flowTx) UpdateExternalLink(l *flow.ExternalLink, oldState string) error {
	res, err := f.tx.tx.ExecContext(f.tx.ctx, `UPDATE flow_external_link SET state = $1, closed_at = $2, closed_by = $3, closed_by_name = $4,
		submitted_name = $5, ip = $6, user_agent = $7, submitted = $8 WHERE id = $9 AND state = $10`,
		l.State, TimeText(l.ClosedAt), l.ClosedBy, l.ClosedByName, l.SubmittedName, l.IP, l.UserAgent, l.ValuesText, l.ID, oldState)
	if err := oneRow("store.UpdateExternalLink", res, err); err != nil {
		return err
	}
	f.sealExternalLink(l)
	return nil
}

// CloseExternalLinks closes the open links of a placeholder task whose
// step moved on; each is read back and sealed with the writer's event.
func (f *flowTx) CloseExternalLinks(taskID int64, at time.Time) error {
	rows, err := f.tx.tx.QueryContext(f.tx.ctx, `UPDATE flow_external_link SET state = 'closed', closed_at = $1
		WHERE task_id = $2 AND state = 'open' RETURNING id`, TimeText(at), taskID)
	if err != nil {
		return mapErr("store.CloseExternalLinks", err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return mapErr("store.CloseExternalLinks", err)
		}
		ids = append(ids, id)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return mapErr("store.CloseExternalLinks", err)
	}
	for _, id := range ids {
		f.tx.touch("flow_external_link", id)
	}
	return nil
}

// sealExternalLink records the digest of a link row as written.
func (f *flowTx) sealExternalLink(l *flow.ExternalLink) {
	f.tx.seal("flow_external_link", l.ID, l.ID, l.InstanceID, l.StepID, int64(l.Round), l.TaskID, l.TokenHash, l.Name, l.Contact, l.State,
		TimeText(l.CreatedAt), l.CreatedBy, l.CreatedByName, TimeText(l.ExpiresAt), TimeText(l.ClosedAt), l.ClosedBy, l.ClosedByName,
		l.SubmittedName, l.IP, l.UserAgent, l.ValuesText)
}

// externalEntryText is the stored text of an action's external entry
// ("" for an action of a person of the institute).
func externalEntryText(e *flow.ExternalEntry) (string, error) {
	if e == nil {
		return "", nil
	}
	b, err := json.Marshal(e)
	return string(b), err
}

// readExternalEntry reads an action's external entry back.
func readExternalEntry(s string) (*flow.ExternalEntry, error) {
	if s == "" {
		return nil, nil
	}
	e := &flow.ExternalEntry{}
	if err := flow.DecodeJSON([]byte(s), e); err != nil {
		return nil, err
	}
	return e, nil
}
