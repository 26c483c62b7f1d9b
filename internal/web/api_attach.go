package web

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"os"
	"strconv"

	"labflow/internal/domain"
)

type attachmentOut = domain.Attachment

// formFile returns the "file" part of a multipart request, streaming (the
// body is limited to limit plus a little for the other fields).
func formFile(w http.ResponseWriter, r *http.Request, limit int64) (io.ReadCloser, string, error) {
	const op = "web.formFile"
	r.Body = http.MaxBytesReader(w, r.Body, limit+64<<10)
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", fieldErr(domain.KindInvalid, op, "error.invalid", "file", "field.required")
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil, "", fieldErr(domain.KindInvalid, op, "error.invalid", "file", "field.required")
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, "", fieldErr(domain.KindTooLarge, op, "error.too_large", "file", "field.body_too_large")
		}
		if err != nil {
			return nil, "", fieldErr(domain.KindInvalid, op, "error.invalid", "file", "field.bad_type")
		}
		if p.FormName() == "file" {
			return p, p.FileName(), nil
		}
		p.Close()
	}
}

// uploadQuery names what an upload belongs to.
type uploadQuery struct {
	Entity   string `json:"-" query:"entity"`
	EntityID string `json:"-" query:"entity_id"`
}

// apiUpload streams a multipart file (not a typed handler: the body is
// not JSON).
func (s *Server) apiUpload(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	var q uploadQuery
	if err := decodeQuery(r, &q); err != nil {
		return err
	}
	f, name, err := formFile(w, r, s.Attach.Limit())
	if err != nil {
		return err
	}
	defer f.Close()
	att, err := s.Attach.Upload(r.Context(), a, name, f, q.Entity, q.EntityID)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return fieldErr(domain.KindTooLarge, "web.upload", "error.too_large", "file", "field.body_too_large")
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, att)
	return nil
}

func (s *Server) apiAttachment(c *call, _ none) (attachmentOut, error) {
	id, err := c.PathID("id", "entity.attachment")
	if err != nil {
		return attachmentOut{}, err
	}
	return s.Attach.Get(c.Context(), c.Actor, id)
}

func (s *Server) apiDownload(w http.ResponseWriter, r *http.Request) error {
	ac, _ := actor(r)
	id, err := pathID(r, "id", "entity.attachment")
	if err != nil {
		return err
	}
	a, f, err := s.Attach.Open(r.Context(), ac, id)
	if err != nil {
		return err
	}
	return serveAttachment(w, a, f)
}

// apiDownloadByHash serves a file by its SHA-256, as process forms and
// comments reference files.
func (s *Server) apiDownloadByHash(w http.ResponseWriter, r *http.Request) error {
	ac, _ := actor(r)
	a, f, err := s.Attach.OpenByHash(r.Context(), ac, r.PathValue("sha256"))
	if err != nil {
		return err
	}
	return serveAttachment(w, a, f)
}

func serveAttachment(w http.ResponseWriter, a domain.Attachment, f *os.File) error {
	defer f.Close()
	// The stored, sniffed type is served with nosniff, and anything that a
	// browser would render (HTML, SVG) is sent as an attachment.
	w.Header().Set("Content-Type", a.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Name}))
	w.Header().Set("Content-Length", strconv.FormatInt(a.Size, 10))
	w.Header().Set("X-Content-SHA256", a.SHA256)
	io.Copy(w, f)
	return nil
}

var _ multipart.Part
