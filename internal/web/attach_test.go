package web_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"labflow/internal/domain"
)

// Ensure a client-supplied attachment name cannot reach the file system:
// the stored name is the last element only, the download's
// Content-Disposition has no slash, dotted URL paths find nothing, and the
// blob store writes only under its own folder.
func TestAttach_PathTraversal(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	content := []byte("root:x:0:0:root:/root:/bin/sh\n")
	sum := sha256.Sum256(content)
	var ids []int64
	for _, tc := range []struct{ name, want string }{
		{"../../etc/passwd", "passwd"},
		{`..\..\windows\win.ini`, "win.ini"},
		{"/etc/shadow", "shadow"},
		{"..", "file"},
		{"a/../../b\"; filename=evil.sh", "b; filename=evil.sh"},
	} {
		ct, body := multipartBody(t, tc.name, content)
		r := e.do(t, nil, "POST", "/api/v1/attachments", body, map[string]string{"Content-Type": ct, "Authorization": "Bearer " + e.token(t, "zhangwei")})
		if r.status != http.StatusCreated {
			t.Fatalf("upload %q: %d %s", tc.name, r.status, r.body)
		}
		var a domain.Attachment
		r.json(t, &a)
		if a.Name != tc.want {
			t.Errorf("upload %q stored as %q, want %q", tc.name, a.Name, tc.want)
		}
		if a.SHA256 != hex.EncodeToString(sum[:]) {
			t.Errorf("hash %s", a.SHA256)
		}
		ids = append(ids, a.ID)
		d := e.as(t, "zhangwei", "GET", idPath("/api/v1/attachments/%d/content", a.ID), nil)
		if d.status != 200 || d.body != string(content) {
			t.Fatalf("download: %d", d.status)
		}
		cd := d.header.Get("Content-Disposition")
		_, params, err := mime.ParseMediaType(cd)
		if err != nil || strings.ContainsAny(params["filename"], `/\`) || strings.Contains(cd, "/") || params["filename"] != tc.want {
			t.Errorf("Content-Disposition %q (filename %q, err %v)", cd, params["filename"], err)
		}
		if d.header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("download without nosniff")
		}
	}
	// Identical bytes are stored once, inside the blob folder; nothing was
	// written outside the data directory's blobs.
	dataDir := e.app.Config.DataDir
	var files []string
	filepath.WalkDir(filepath.Dir(dataDir), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	blobs := 0
	for _, f := range files {
		rel, _ := filepath.Rel(dataDir, f)
		switch {
		case strings.HasPrefix(rel, ".."):
			t.Errorf("file outside the data dir: %s", f)
		case strings.HasPrefix(rel, "blobs"+string(filepath.Separator)):
			if b, _ := os.ReadFile(f); string(b) == string(content) {
				blobs++
			}
		case strings.HasPrefix(rel, "labflow.db"):
		default:
			t.Errorf("unexpected file %s", rel)
		}
		if base := filepath.Base(f); base == "passwd" || base == "shadow" || base == "win.ini" {
			t.Errorf("a file took the client's name: %s", f)
		}
	}
	if blobs != 1 {
		t.Errorf("%d blobs hold the content, want 1 (deduplicated)", blobs)
	}

	tok := map[string]string{"Authorization": "Bearer " + e.token(t, "zhangwei")}
	for _, p := range []string{
		"/api/v1/attachments/../../etc/passwd",
		"/api/v1/attachments/%2e%2e/%2e%2e/etc/passwd",
		"/api/v1/attachments/%2e%2e%2f%2e%2e%2fetc%2fpasswd/content",
		"/api/v1/attachments/1%2f..%2f..%2fpasswd/content",
		"/api/v1/attachments/..%5c..%5cpasswd/content",
		"/api/v1/attachments/passwd/content",
		"/api/v1/attachments/999999/content",
		"/attachments/..%2f..%2fetc%2fpasswd",
	} {
		c := e.client(t)
		c.CheckRedirect = nil // follow the mux's clean-path redirect
		r := e.do(t, c, "GET", p, nil, tok)
		if r.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, r.status)
		}
		if strings.Contains(r.body, "root:x:0") {
			t.Errorf("GET %s served file content", p)
		}
	}
}

// Ensure an upload over the limit is refused with 413, and an empty one with 422.
func TestAttach_Limits(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	tok := "Bearer " + e.token(t, "zhangwei")
	ct, body := multipartBody(t, "empty.txt", nil)
	r := e.do(t, nil, "POST", "/api/v1/attachments", body, map[string]string{"Content-Type": ct, "Authorization": tok})
	if r.status != 422 || !hasField(r.problem(t), "file", "") {
		t.Errorf("empty upload: %d %s", r.status, r.body)
	}
	r = e.do(t, nil, "POST", "/api/v1/attachments", "not multipart", map[string]string{"Content-Type": "text/plain", "Authorization": tok})
	if r.status != 422 || !hasField(r.problem(t), "file", "field.required") {
		t.Errorf("non-multipart upload: %d %s", r.status, r.body)
	}
	ct, body = multipartBody(t, "big.bin", make([]byte, e.app.Attach.Limit()+1))
	r = e.do(t, nil, "POST", "/api/v1/attachments", body, map[string]string{"Content-Type": ct, "Authorization": tok})
	if r.status != http.StatusRequestEntityTooLarge || !hasField(r.problem(t), "file", "") {
		t.Errorf("oversize upload: %d %.300s", r.status, r.body)
	}
	if r := e.do(t, nil, "POST", "/api/v1/attachments", body, map[string]string{"Content-Type": ct}); r.status != 401 {
		t.Errorf("anonymous upload: %d", r.status)
	}
}

// Ensure a file referenced by its SHA-256 (as process forms and comments do)
// downloads by hash, and a malformed or unknown hash is a plain 404.
func TestAttach_DownloadByHash(t *testing.T) {
	e := newEnv(t)
	tok := "Bearer " + e.token(t, "admin")
	ct, body := multipartBody(t, "谱图.pdf", []byte("%PDF-1.4 spectrum"))
	r := e.do(t, nil, "POST", "/api/v1/attachments", body, map[string]string{"Content-Type": ct, "Authorization": tok})
	if r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	var att struct{ SHA256 string }
	r.json(t, &att)
	r = e.do(t, nil, "GET", "/api/v1/files/"+att.SHA256, nil, map[string]string{"Authorization": tok})
	if r.status != http.StatusOK || r.body != "%PDF-1.4 spectrum" {
		t.Fatalf("by hash: %d %q", r.status, r.body)
	}
	for _, h := range []string{"..%2F..%2Fetc%2Fpasswd", strings.Repeat("0", 64), "ABC"} {
		r = e.do(t, nil, "GET", "/api/v1/files/"+h, nil, map[string]string{"Authorization": tok})
		if r.status != http.StatusNotFound {
			t.Fatalf("%s: status %d, want 404", h, r.status)
		}
	}
}
