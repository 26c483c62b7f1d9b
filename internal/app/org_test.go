package app_test

import (
	"bytes"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"labflow/internal/app"
	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/people"
	"labflow/internal/store/storetest"
)

// bidEval is an institute's definition naming a role and a committee the
// administrator defined.
const bidEval = `key: bid-eval
title: {zh: 评标, en: Bid evaluation}
subject: form
initiators: [purchasing]
form:
  - {key: title, label: {zh: 标题, en: Title}, type: text}
steps:
  - id: office
    title: {zh: 办公室主任审核, en: Office head review}
    assignee: {role: office_head}
  - id: evaluate
    title: {zh: 招标委员会评标, en: Tender committee}
    assignee: {committee: tender}
    mode: all
  - id: chair
    title: {zh: 技术委员会主任, en: Technical Committee}
    assignee: {committee: true}
    mode: any
`

// Ensure the server's registry knows the roles and committees of its
// database: an institute's definition naming them loads and runs (the
// committee's members act; committee: true is still the Technical
// Committee); one naming a committee that does not exist stops the start,
// naming file and field; a role nobody holds is logged at start (issue 8 §4).
func TestREL4_DefinitionNamesRolesAndCommitteesOfTheDatabase(t *testing.T) {
	for _, d := range storetest.Backends() {
		t.Run(string(d), func(t *testing.T) {
			cfg := storetest.Config(t, d)
			w := openDemo(t, cfg.DSN)
			dir := w.a.Config.DataDir // a second server on the same database
			admin := w.actor("admin")
			defs := t.TempDir()
			if err := os.WriteFile(filepath.Join(defs, "bid-eval.yaml"), []byte(bidEval), 0o644); err != nil {
				t.Fatal(err)
			}
			// Before the role and committee exist, the definition does not load.
			_, err := app.Open(bg, app.Config{DataDir: dir, DSN: w.a.Config.DSN, Definitions: defs})
			var le *flow.LoadError
			if !errors.As(err, &le) || !strings.Contains(err.Error(), `steps[0].assignee.role: unknown role "office_head"`) {
				t.Fatalf("a definition naming an unknown role: %v", err)
			}
			if _, err := w.a.People.CreateRole(bg, admin, people.RoleInput{Key: "office_head", NameZH: "办公室主任", NameEN: "Office head"}); err != nil {
				t.Fatal(err)
			}
			_, err = app.Open(bg, app.Config{DataDir: dir, DSN: w.a.Config.DSN, Definitions: defs})
			if err == nil || !strings.Contains(err.Error(), `steps[1].assignee.committee: unknown committee "tender"`) {
				t.Fatalf("a definition naming an unknown committee: %v", err)
			}
			if _, err := w.a.People.CreateCommittee(bg, admin, people.CommitteeInput{Key: "tender", NameZH: "招标委员会", NameEN: "Tender committee"}); err != nil {
				t.Fatal(err)
			}
			for _, u := range []string{"liangqian", "hanmei"} {
				if err := w.a.People.AddMember(bg, admin, "tender", w.id(u), "组建"); err != nil {
					t.Fatal(err)
				}
			}
			// Now it loads; the role nobody holds and the chairless committee are logged.
			var log bytes.Buffer
			b, err := app.Open(bg, app.Config{DataDir: dir, DSN: w.a.Config.DSN, Definitions: defs,
				Log: slog.New(slog.NewJSONHandler(&log, nil))})
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			for _, want := range []string{`"msg":"organisation: role unheld","key":"office_head"`, `"definitions":"bid-eval"`,
				`"msg":"organisation: committee no chair","key":"tender"`} {
				if !strings.Contains(log.String(), want) {
					t.Fatalf("start log lacks %s:\n%s", want, log.String())
				}
			}
			wb := &walker{t: t, a: b}
			if err := b.People.GrantRole(bg, admin, wb.id("zhengkai"), domain.Grant{Role: "office_head"}, "兼任"); err != nil {
				t.Fatal(err)
			}
			in := wb.start("gaoyuan", "bid-eval", map[string]any{"title": "三家投标"})
			wb.expect(in.ID, "office", "zhengkai")
			wb.complete("zhengkai", in.ID, "office", nil)
			wb.expect(in.ID, "evaluate", "liangqian", "hanmei")
			wb.complete("liangqian", in.ID, "evaluate", nil)
			wb.complete("hanmei", in.ID, "evaluate", nil)
			wb.expect(in.ID, "chair", "wangjianguo", "lihua", "chenzhiqiang", "liuyang", "sunli")
			// The role and the committee are now named: they cannot be retired.
			b.People.UseDefinitions(nil, b.Flow.Naming, nil)
			wantErrKey(t, b.People.SetCommitteeActive(bg, admin, "tender", false, "撤销"), domain.KindConflict, "org.committee_named")
			if _, err := b.DB.VerifyAudit(bg, ""); err != nil {
				t.Fatalf("verify: %v", err)
			}
		})
	}
}
