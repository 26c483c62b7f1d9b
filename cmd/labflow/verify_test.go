package main

import (
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Ensure verify opens the database read-only: an archived copy in a
// read-only folder verifies, and neither its bytes nor its modification
// time change, nor does any -wal, -shm or -journal file appear — even when
// the test runs as root, for whom the permissions stop nothing
// (COMPLIANCE, "Integrity before breadth" item 10).
func TestFaults_VerifyReadOnlyCopy(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	mustOK(t, cmd(t, "", "migrate", "--data", src))
	for _, u := range []string{"anna", "bert"} {
		mustOK(t, cmd(t, "a-good-password\n", "user", "add", u, "--name", u, "--password-stdin", "--data", src))
	}
	if _, err := os.Stat(filepath.Join(src, "labflow.db-wal")); err == nil {
		t.Fatal("a -wal file outlived the last connection: the .db alone is not the whole database")
	}
	for _, how := range []string{"copy", "vacuum"} {
		t.Run(how, func(t *testing.T) {
			archive := filepath.Join(t.TempDir(), "archive")
			if err := os.Mkdir(archive, 0o755); err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(archive, "labflow.db")
			if how == "copy" { // the file as the server left it (WAL mode)
				data, err := os.ReadFile(filepath.Join(src, "labflow.db"))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, data, 0o644); err != nil {
					t.Fatal(err)
				}
			} else { // VACUUM INTO: a self-contained copy (rollback journal)
				raw, err := sql.Open("sqlite", "file:"+filepath.Join(src, "labflow.db")+"?mode=ro")
				if err != nil {
					t.Fatal(err)
				}
				_, err = raw.Exec("VACUUM INTO '" + file + "'")
				raw.Close()
				if err != nil {
					t.Fatal(err)
				}
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			old := time.Now().Add(-48 * time.Hour).Truncate(time.Second)
			if err := os.Chtimes(file, old, old); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(file, 0o444); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(archive, 0o555); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				os.Chmod(archive, 0o755)
				os.Chmod(file, 0o644)
			})

			r := mustOK(t, cmd(t, "", "verify", "--data", archive))
			if !strings.HasPrefix(r.stdout, "OK: 2 events") {
				t.Errorf("verify: %q", r.stdout)
			}
			after, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(after, data) {
				t.Error("verify changed the database file")
			}
			if st, err := os.Stat(file); err != nil || !st.ModTime().Equal(old) {
				t.Errorf("modification time %v, want %v (%v)", st.ModTime(), old, err)
			}
			entries, err := os.ReadDir(archive)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if e.Name() != "labflow.db" {
					t.Errorf("verify left %s beside the database", e.Name())
				}
			}
		})
	}
	// A folder without a database is an error, and stays empty.
	empty := t.TempDir()
	if r := cmd(t, "", "verify", "--data", empty); r.err == nil {
		t.Errorf("verify of an empty folder: %q", r.stdout)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("verify of an empty folder created %v", entries)
	}
}
