// Package blob is the content-addressed file store: every file is kept once,
// under the hex SHA-256 of its bytes, in a folder of the data directory
// (DESIGN §4). Records reference files by that hash.
package blob

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
)

// Store keeps blobs under Dir/ab/cdef… (two-level fan-out).
type Store struct {
	Dir string
}

// New returns a store rooted at dir, creating it.
func New(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("blob: %w", err)
	}
	return &Store{Dir: dir}, nil
}

// ErrTooLarge is returned by Put when the content exceeds the limit.
var ErrTooLarge = errors.New("blob: content exceeds the size limit")

// ErrBadHash is returned for a hash that is not 64 lowercase hex digits.
var ErrBadHash = errors.New("blob: not a SHA-256 hex digest")

// Info describes a stored blob.
type Info struct {
	SHA256      string
	Size        int64
	ContentType string // sniffed from the first 512 bytes, never taken from the client
	New         bool   // false when identical content was already stored
}

// Put stores r's bytes (at most limit) and returns their hash. The bytes are
// written to a temporary file, hashed on the way, fsynced, then renamed into
// place, so a crash never leaves a partial blob under a valid name.
func (s *Store) Put(r io.Reader, limit int64) (Info, error) {
	tmp, err := os.CreateTemp(s.Dir, ".upload-*")
	if err != nil {
		return Info{}, fmt.Errorf("blob: %w", err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	defer tmp.Close()
	h := sha256.New()
	var head [512]byte
	n, err := io.ReadFull(r, head[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return Info{}, fmt.Errorf("blob: read: %w", err)
	}
	ctype := http.DetectContentType(head[:n])
	rest := io.LimitReader(r, limit-int64(n)+1)
	w := io.MultiWriter(tmp, h)
	if _, err := w.Write(head[:n]); err != nil {
		return Info{}, fmt.Errorf("blob: write: %w", err)
	}
	m, err := io.Copy(w, rest)
	if err != nil {
		return Info{}, fmt.Errorf("blob: write: %w", err)
	}
	size := int64(n) + m
	if size > limit {
		return Info{}, ErrTooLarge
	}
	if err := tmp.Sync(); err != nil {
		return Info{}, fmt.Errorf("blob: sync: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	dst := s.path(sum)
	info := Info{SHA256: sum, Size: size, ContentType: ctype}
	if _, err := os.Stat(dst); err == nil {
		return info, nil // stored once
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return Info{}, fmt.Errorf("blob: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return Info{}, fmt.Errorf("blob: %w", err)
	}
	if err := os.Rename(tmp.Name(), dst); err != nil {
		return Info{}, fmt.Errorf("blob: %w", err)
	}
	info.New = true
	return info, nil
}

// Open returns the blob's bytes. The hash is checked to be a hex digest, so
// no caller-supplied text ever becomes part of a path.
func (s *Store) Open(sum string) (*os.File, error) {
	if !ValidHash(sum) {
		return nil, ErrBadHash
	}
	return os.Open(s.path(sum))
}

// Verify rereads the blob and reports whether its bytes still hash to sum.
func (s *Store) Verify(sum string) (bool, error) {
	f, err := s.Open(sum)
	if err != nil {
		return false, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return false, err
	}
	return hex.EncodeToString(h.Sum(nil)) == sum, nil
}

func (s *Store) path(sum string) string { return filepath.Join(s.Dir, sum[:2], sum[2:]) }

// ValidHash reports whether s is 64 lowercase hex digits.
func ValidHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
