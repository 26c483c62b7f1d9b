package app_test

import (
	"database/sql"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"labflow/internal/app"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// Ensure a database made before records were sealed (by LabFlow as it was
// released before this change: testdata/labflow-before-sealing.db, with a
// purchase request signed by its director and a rejected seal request)
// opens, is sealed once by a baseline, verifies, and keeps its signatures
// valid; and that an edit made after the upgrade is caught (COMPLIANCE
// R1–R3, R9; the migration test of issue 7).
func TestR2_VerifyDatabaseMadeBeforeSealing(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, "testdata/labflow-before-sealing.db", filepath.Join(dir, "labflow.db"))
	a, err := app.Open(bg, app.Config{DataDir: dir})
	if err != nil {
		t.Fatalf("open the old database: %v", err)
	}
	w := &walker{t: t, a: a}
	if _, err := a.DB.VerifyAudit(bg, ""); err != nil {
		t.Fatalf("verify after the upgrade: %v", err)
	}
	v := w.view("wangjianguo", 1)
	if len(v.Signatures) != 1 || !v.Signatures[0].Valid {
		t.Fatalf("the director's signature made before the upgrade: %+v", v.Signatures)
	}
	// Exact numbers: the stored money value reads back as written.
	if got := v.Instance.Form["total"]; got != "246913578024693.50" {
		t.Fatalf("total = %v", got)
	}
	a.Close()

	// A second start does not seal again.
	a, err = app.Open(bg, app.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	evs, err := a.DB.FindAudit(bg, store.AuditFilter{Action: "integrity.baseline", Limit: 100})
	if err != nil || len(evs) == 0 {
		t.Fatalf("baseline events: %d %v", len(evs), err)
	}
	n := len(evs)
	a.Close()
	a, err = app.Open(bg, app.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if evs, _ := a.DB.FindAudit(bg, store.AuditFilter{Action: "integrity.baseline", Limit: 100}); len(evs) != n {
		t.Fatalf("baseline ran again: %d events, want %d", len(evs), n)
	}
	// An edit behind the trail's back after the upgrade is caught.
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "labflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE flow_instance SET form = replace(form, '乙腈', '丙酮') WHERE id = 1`); err != nil {
		t.Fatal(err)
	}
	_, err = a.DB.VerifyAudit(bg, "")
	var re *store.RecordsError
	if !errors.As(err, &re) || len(re.Problems) != 1 || re.Problems[0].Kind != "instance" || re.Problems[0].ID != 1 {
		t.Fatalf("verify after editing instance 1: %v", err)
	}
}

// Ensure verify names every kind of record edited directly in the
// database (instances, tasks, signatures, people, roles, departments, rank
// entries, definition versions, attachments), one inserted without its
// trail and one deleted (COMPLIANCE R1–R3; issue 7 item 7).
func TestR3_VerifyCatchesRecordsEditedBehindTheTrail(t *testing.T) {
	for _, d := range storetest.Backends() {
		t.Run(string(d), func(t *testing.T) {
			cfg := storetest.Config(t, d)
			w := openDemo(t, cfg.DSN)
			in := w.start("wangfang", "purchase-request", purchaseForm("requester_confirms", "4", "260.50"))
			w.sign("chenzhiqiang", in.ID, "director_approve", "approve", nil)
			w.upload("wangfang", "spec.pdf", "a specification")
			db := editsNamedByVerify(t, w, cfg, []recordEdit{
				{"instance", "UPDATE flow_instance SET status = 'approved' WHERE id = (SELECT MAX(id) FROM flow_instance)"},
				{"task", "UPDATE flow_task SET assignee_id = assignee_id + 1 WHERE id = (SELECT MAX(id) FROM flow_task)"},
				{"signature", "UPDATE flow_signature SET signer_name = '王建国' WHERE id = (SELECT MAX(id) FROM flow_signature)"},
				{"person", "UPDATE person SET name = '王建国' WHERE username = 'zhangwei'"},
				{"role", "UPDATE role_grant SET role = 'gm' WHERE id = (SELECT MAX(id) FROM role_grant)"},
				{"department", "UPDATE department SET name_zh = '合成一部' WHERE code = 'synthesis'"},
				{"rank", "UPDATE rank_history SET since = '2000-01-01' WHERE id = (SELECT MIN(id) FROM rank_history)"},
				{"definition", "UPDATE flow_definition SET body = replace(body, 'gm', 'purchasing') WHERE id = (SELECT MIN(id) FROM flow_definition WHERE body LIKE '%gm%')"},
				{"attachment", "UPDATE attachment SET name = 'other.pdf' WHERE id = (SELECT MAX(id) FROM attachment)"},
			})
			if _, err := db.Exec("INSERT INTO department (code, name_zh, name_en, active, created_at, updated_at) VALUES ('ghost', '幽灵部', 'Ghost', 1, '', '')"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec("DELETE FROM flow_signature"); err != nil {
				t.Fatal(err)
			}
			_, err := w.a.DB.VerifyAudit(bg, "")
			if err == nil || !strings.Contains(err.Error(), "department") || !strings.Contains(err.Error(), "not in the trail") || !strings.Contains(err.Error(), "removed") {
				t.Fatalf("verify after an insert and a delete behind the trail: %v", err)
			}
		})
	}
}

// rawDB opens a second connection to the app's database, as someone with
// direct database access would.
func rawDB(t *testing.T, a *app.App, cfg store.Config) *sql.DB {
	t.Helper()
	driver, dsn := "pgx", cfg.DSN
	if dsn == "" {
		driver, dsn = "sqlite", "file:"+filepath.Join(a.Config.DataDir, "labflow.db")
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// recordEdit is an edit made directly in the database, behind the trail,
// and the kind of record verify must name for it.
type recordEdit struct{ kind, q string }

// editsNamedByVerify checks that verify passes on w's demo, then makes
// each edit (each must change a row) and checks verify names a record of
// its kind as edited (COMPLIANCE R1–R3). It returns the connection it
// edited through.
func editsNamedByVerify(t *testing.T, w *walker, cfg store.Config, edits []recordEdit) *sql.DB {
	t.Helper()
	if _, err := w.a.DB.VerifyAudit(bg, ""); err != nil {
		t.Fatalf("verify before any edit: %v", err)
	}
	db := rawDB(t, w.a, cfg)
	for _, e := range edits {
		res, err := db.Exec(e.q)
		if err != nil {
			t.Fatalf("%s: %v", e.kind, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			t.Fatalf("%s: the demo has no such record", e.kind)
		}
		_, err = w.a.DB.VerifyAudit(bg, "")
		var re *store.RecordsError
		if !errors.As(err, &re) {
			t.Fatalf("verify after editing a %s: %v", e.kind, err)
		}
		found := false
		for _, p := range re.Problems {
			found = found || p.Kind == e.kind && p.Reason == "edited"
		}
		if !found {
			t.Fatalf("verify after editing a %s: %v", e.kind, re)
		}
	}
	return db
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}
