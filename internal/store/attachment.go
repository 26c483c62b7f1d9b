package store

import (
	"context"
	"strconv"

	"labflow/internal/audit"
	"labflow/internal/domain"
)

// CreateAttachment records an uploaded file's metadata with its audit event.
func (t *Tx) CreateAttachment(actor domain.Actor, a *domain.Attachment) error {
	a.UploadedAt = t.now
	a.UploadedBy = actor.ID
	err := t.tx.QueryRowContext(t.ctx, `INSERT INTO attachment (sha256, size, content_type, name, uploaded_by, uploaded_at, entity, entity_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		a.SHA256, a.Size, a.ContentType, a.Name, a.UploadedBy, TimeText(a.UploadedAt), a.Entity, a.EntityID).Scan(&a.ID)
	if err != nil {
		return mapErr("store.CreateAttachment", err)
	}
	t.touch("attachment", a.ID)
	return t.Audit(audit.Entry{
		ActorID: actor.ID, ActorName: actor.Name, Action: "attachment.upload", Entity: "attachment",
		EntityID: strconv.FormatInt(a.ID, 10),
		Changes: []audit.Change{{Field: "name", New: a.Name}, {Field: "sha256", New: a.SHA256}, {Field: "size", New: a.Size},
			{Field: "content_type", New: a.ContentType}, {Field: "entity", New: a.Entity}, {Field: "entity_id", New: a.EntityID}},
	})
}

const attachmentCols = "id, sha256, size, content_type, name, uploaded_by, uploaded_at, entity, entity_id"

func scanAttachment(s scanner) (domain.Attachment, error) {
	var a domain.Attachment
	err := s.Scan(&a.ID, &a.SHA256, &a.Size, &a.ContentType, &a.Name, &a.UploadedBy, timeCol{&a.UploadedAt}, &a.Entity, &a.EntityID)
	return a, err
}

// FindAttachment returns one attachment's metadata.
func (db *DB) FindAttachment(ctx context.Context, id int64) (domain.Attachment, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	a, err := scanAttachment(db.R().QueryRowContext(ctx, "SELECT "+attachmentCols+" FROM attachment WHERE id = $1", id))
	if err != nil {
		err = mapErr("store.FindAttachment", err)
		if domain.IsKind(err, domain.KindNotFound) {
			return a, domain.NotFound("store.FindAttachment", "entity.attachment")
		}
	}
	return a, err
}

// FindAttachments lists the attachments of an entity, oldest first.
func (db *DB) FindAttachments(ctx context.Context, entity, entityID string) ([]domain.Attachment, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	rows, err := db.R().QueryContext(ctx, "SELECT "+attachmentCols+" FROM attachment WHERE entity = $1 AND entity_id = $2 ORDER BY id", entity, entityID)
	if err != nil {
		return nil, mapErr("store.FindAttachments", err)
	}
	defer rows.Close()
	var out []domain.Attachment
	for rows.Next() {
		a, err := scanAttachment(rows)
		if err != nil {
			return nil, mapErr("store.FindAttachments", err)
		}
		out = append(out, a)
	}
	return out, mapErr("store.FindAttachments", rows.Err())
}

// FindAttachmentByHash returns the first attachment record of the given
// content (records reference files by SHA-256; the same bytes may have been
// uploaded under several names).
func (db *DB) FindAttachmentByHash(ctx context.Context, sha string) (domain.Attachment, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	a, err := scanAttachment(db.R().QueryRowContext(ctx, "SELECT "+attachmentCols+" FROM attachment WHERE sha256 = $1 ORDER BY id LIMIT 1", sha))
	if err != nil {
		err = mapErr("store.FindAttachmentByHash", err)
		if domain.IsKind(err, domain.KindNotFound) {
			return a, domain.NotFound("store.FindAttachmentByHash", "entity.attachment")
		}
	}
	return a, err
}

// UploadedBy reports whether person uploaded content with this SHA-256.
func (db *DB) UploadedBy(ctx context.Context, sha string, personID int64) (bool, error) {
	ctx, cancel := db.bound(ctx)
	defer cancel()
	var n int
	err := db.R().QueryRowContext(ctx, "SELECT COUNT(*) FROM attachment WHERE sha256 = $1 AND uploaded_by = $2", sha, personID).Scan(&n)
	return n > 0, mapErr("store.UploadedBy", err)
}
