// Package attach is the attachments service: it stores uploaded files in the
// content-addressed blob store and records their metadata (uploader, time,
// original name, size, hash) with an audit event.
package attach

import (
	"context"
	"errors"
	"io"
	"os"
	"path"
	"strings"
	"unicode/utf8"

	"labflow/internal/blob"
	"labflow/internal/domain"
	"labflow/internal/store"
)

// MaxSize is the default upload limit (64 MiB: chromatograms, spectra, scans).
const MaxSize = 64 << 20

// Service uploads and serves attachments. A file is served only to the
// person who uploaded it and to someone who may see a record that holds it
// (Viewer); to anyone else it does not exist.
type Service struct {
	db     *store.DB
	blobs  *blob.Store
	limit  int64
	viewer Viewer
}

// Viewer says whether actor may see a record that references a file (the
// process engine: some instance holding it is one actor may see).
type Viewer interface {
	MaySeeFile(ctx context.Context, actor domain.Actor, sha string) (bool, error)
}

// SetViewer names who answers for the records that reference files; until
// it is set, only uploaders read their files.
func (s *Service) SetViewer(v Viewer) { s.viewer = v }

// MayRead reports whether actor may read the file with this SHA-256: they
// uploaded it, or they may see a record that holds it. Forms and comments
// may reference only such files (MayAttach), so that nobody can gain a
// file by naming its hash in a request of their own.
func (s *Service) MayRead(ctx context.Context, actor domain.Actor, sha string) (bool, error) {
	if actor.ID <= 0 || !blob.ValidHash(sha) {
		return false, nil
	}
	ok, err := s.db.UploadedBy(ctx, sha, actor.ID)
	if err != nil || ok || s.viewer == nil {
		return ok, err
	}
	return s.viewer.MaySeeFile(ctx, actor, sha)
}

// MayAttach reports whether actor may reference the file in a record: the
// same rule as MayRead.
func (s *Service) MayAttach(ctx context.Context, actor domain.Actor, sha string) (bool, error) {
	return s.MayRead(ctx, actor, sha)
}

// readable returns a NotFound error unless actor may read a.
func (s *Service) readable(ctx context.Context, actor domain.Actor, a domain.Attachment, op string) error {
	ok, err := s.MayRead(ctx, actor, a.SHA256)
	if err != nil {
		return err
	}
	if !ok {
		return domain.NotFound(op, "entity.attachment")
	}
	return nil
}

// New returns the service; limit ≤ 0 means MaxSize.
func New(db *store.DB, blobs *blob.Store, limit int64) *Service {
	if limit <= 0 {
		limit = MaxSize
	}
	return &Service{db: db, blobs: blobs, limit: limit}
}

// Limit returns the upload size limit in bytes.
func (s *Service) Limit() int64 { return s.limit }

// CleanName reduces a client-supplied file name to its last path element,
// without separators, control characters or leading dots, so that it can be
// shown and offered for download but never used as a path.
func CleanName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = path.Base(path.Clean("/" + name))
	var b strings.Builder
	for _, r := range name {
		if r < 0x20 || r == 0x7f || r == '/' || r == '"' {
			continue
		}
		b.WriteRune(r)
	}
	out := strings.TrimLeft(strings.TrimSpace(b.String()), ".")
	for utf8.RuneCountInString(out) > 200 {
		_, size := utf8.DecodeLastRuneInString(out)
		out = out[:len(out)-size]
	}
	if out == "" {
		out = "file"
	}
	return out
}

// Upload stores r's bytes and records an attachment named name, optionally
// linked to an entity. Identical bytes are stored once.
func (s *Service) Upload(ctx context.Context, actor domain.Actor, name string, r io.Reader, entity, entityID string) (domain.Attachment, error) {
	const op = "attach.Upload"
	if actor.ID == 0 && actor.Via != "system" {
		return domain.Attachment{}, domain.E(domain.KindUnauthenticated, op, "error.unauthenticated")
	}
	var c domain.Checker
	c.Text("entity", entity, false, 50)
	c.Text("entity_id", entityID, false, 50)
	if err := c.Err(op); err != nil {
		return domain.Attachment{}, err
	}
	info, err := s.blobs.Put(r, s.limit)
	if errors.Is(err, blob.ErrTooLarge) {
		e := domain.E(domain.KindTooLarge, op, "error.too_large")
		e.Fields = map[string]domain.Msg{"file": {Key: "field.file_too_large", Args: map[string]any{"max_mb": s.limit >> 20}}}
		return domain.Attachment{}, e
	}
	if err != nil {
		return domain.Attachment{}, domain.Wrap(op, err)
	}
	if info.Size == 0 {
		e := domain.E(domain.KindInvalid, op, "error.invalid")
		e.Fields = map[string]domain.Msg{"file": {Key: "field.file_empty"}}
		return domain.Attachment{}, e
	}
	a := domain.Attachment{SHA256: info.SHA256, Size: info.Size, ContentType: info.ContentType,
		Name: CleanName(name), Entity: entity, EntityID: entityID}
	err = s.db.Write(ctx, func(tx *store.Tx) error { return tx.CreateAttachment(actor, &a) })
	return a, err
}

// Get returns an attachment's metadata, if actor may read it.
func (s *Service) Get(ctx context.Context, actor domain.Actor, id int64) (domain.Attachment, error) {
	a, err := s.db.FindAttachment(ctx, id)
	if err != nil {
		return a, err
	}
	return a, s.readable(ctx, actor, a, "attach.Get")
}

// OpenByHash returns the metadata of the first upload of the content with
// this SHA-256, and its bytes, if actor may read it.
func (s *Service) OpenByHash(ctx context.Context, actor domain.Actor, sha string) (domain.Attachment, *os.File, error) {
	if !blob.ValidHash(sha) {
		return domain.Attachment{}, nil, domain.NotFound("attach.OpenByHash", "entity.attachment")
	}
	a, err := s.db.FindAttachmentByHash(ctx, sha)
	if err != nil {
		return a, nil, err
	}
	if err := s.readable(ctx, actor, a, "attach.OpenByHash"); err != nil {
		return a, nil, err
	}
	return s.open(a)
}

// Describe returns the metadata (name, size, type) of the first upload of
// the content with this SHA-256, if actor may read it: pages name files by
// their names, not their hashes.
func (s *Service) Describe(ctx context.Context, actor domain.Actor, sha string) (domain.Attachment, error) {
	if !blob.ValidHash(sha) {
		return domain.Attachment{}, domain.NotFound("attach.Describe", "entity.attachment")
	}
	a, err := s.db.FindAttachmentByHash(ctx, sha)
	if err != nil {
		return a, err
	}
	return a, s.readable(ctx, actor, a, "attach.Describe")
}

// Open returns the attachment's metadata and bytes, if actor may read it.
func (s *Service) Open(ctx context.Context, actor domain.Actor, id int64) (domain.Attachment, *os.File, error) {
	a, err := s.Get(ctx, actor, id)
	if err != nil {
		return a, nil, err
	}
	return s.open(a)
}

func (s *Service) open(a domain.Attachment) (domain.Attachment, *os.File, error) {
	f, err := s.blobs.Open(a.SHA256)
	if err != nil {
		return a, nil, domain.Wrap("attach.Open", err)
	}
	return a, f, nil
}
