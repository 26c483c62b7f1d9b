package blob_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"labflow/internal/blob"
)

// Ensure identical content is stored once under its hash and reads back.
func TestPutDeduplicates(t *testing.T) {
	s, err := blob.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Put(strings.NewReader("%PDF-1.4 chromatogram"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Put(strings.NewReader("%PDF-1.4 chromatogram"), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if a.SHA256 != b.SHA256 || !a.New || b.New {
		t.Fatalf("a=%+v b=%+v, want same hash, second not new", a, b)
	}
	if a.ContentType != "application/pdf" {
		t.Fatalf("content type %q, want sniffed application/pdf", a.ContentType)
	}
	f, err := s.Open(a.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, _ := io.ReadAll(f)
	if string(got) != "%PDF-1.4 chromatogram" {
		t.Fatalf("got %q", got)
	}
	if ok, err := s.Verify(a.SHA256); !ok || err != nil {
		t.Fatalf("verify=%v %v", ok, err)
	}
}

// Ensure the size limit is enforced and nothing is kept.
func TestPutTooLarge(t *testing.T) {
	s, _ := blob.New(t.TempDir())
	_, err := s.Put(bytes.NewReader(make([]byte, 2000)), 1000)
	if !errors.Is(err, blob.ErrTooLarge) {
		t.Fatalf("err=%v, want ErrTooLarge", err)
	}
}

// Ensure a path-traversal "hash" is refused before touching the file system.
func TestOpenRejectsTraversal(t *testing.T) {
	s, _ := blob.New(t.TempDir())
	for _, h := range []string{"../../etc/passwd", strings.Repeat("a", 63) + "/", strings.Repeat("A", 64)} {
		if _, err := s.Open(h); !errors.Is(err, blob.ErrBadHash) {
			t.Fatalf("%q: err=%v, want ErrBadHash", h, err)
		}
	}
}
