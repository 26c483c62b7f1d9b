package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"labflow/internal/app"
	"labflow/internal/domain"
	"labflow/internal/people"
)

// Ensure `labflow definitions lint` checks the roles and committees a
// definition names against the database's when it can read one, and the
// built-in ones otherwise, and says which (issue 8 §4).
func TestCLI_DefinitionsLintUsesTheDatabasesRoles(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		file := filepath.Join(t.TempDir(), "office.yaml")
		os.WriteFile(file, []byte("key: office\ntitle: {zh: 办公, en: Office}\nsubject: form\nform: []\nsteps:\n"+
			"  - id: a\n    title: {zh: a, en: a}\n    assignee: {role: office_head}\n"+
			"  - id: b\n    title: {zh: b, en: b}\n    assignee: {committee: tender}\n"), 0o644)
		// No database to read: the built-in names only, said on the first line.
		r := cmd(t, "", "definitions", "lint", "--data", t.TempDir(), file)
		if r.code() != 1 || !strings.HasPrefix(r.stdout, "roles and committees: built-in only") ||
			!strings.Contains(r.stdout, `steps[0].assignee.role: unknown role "office_head"`) ||
			!strings.Contains(r.stdout, `steps[1].assignee.committee: unknown committee "tender"`) {
			t.Fatalf("lint without a database: exit %d\n%s%s", r.code(), r.stdout, r.stderr)
		}
		a, err := app.Open(context.Background(), b.cfg)
		if err != nil {
			t.Fatal(err)
		}
		admin := domain.Actor{ID: 0, Username: "system", Name: "system", Via: "system"}
		_, err1 := a.People.CreateRole(context.Background(), admin, people.RoleInput{Key: "office_head", NameZH: "办公室主任", NameEN: "Office head"})
		_, err2 := a.People.CreateCommittee(context.Background(), admin, people.CommitteeInput{Key: "tender", NameZH: "招标委员会", NameEN: "Tender"})
		a.Close()
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		r = mustOK(t, cmd(t, "", append(append([]string{"definitions", "lint"}, b.flags...), file)...))
		if !strings.HasPrefix(r.stdout, "roles and committees: from the database") || !strings.Contains(r.stdout, "office.yaml: ok") {
			t.Fatalf("lint with the database: %s", r.stdout)
		}
	})
}
