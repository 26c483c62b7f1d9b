package people_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"labflow/internal/domain"
	"labflow/internal/people"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// Ensure a valid CSV (with BOM, department by code or name, role and rank
// labels) creates everyone in one go with one person.create event each.
func TestImport_CSV(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		csv := "\uFEFFusername,name,email,phone,department,hired_on,roles,rank,rank_since\n" +
			"liuyang,刘洋,liuyang@example.com,+86 138 0000 0001,synthesis,2018-03-01,director;committee,senior_a,2020-01-01\n" +
			"\n" +
			"linna,林娜,,,分析部,2022-07-01,分析员,研究员B,2022-07-01\n" +
			"songjia,宋佳,,,Analytical,2020-05-06,analyst,,\n"
		res, err := f.svc.Import(ctx, f.admin, "People.CSV", strings.NewReader(csv))
		if err != nil {
			t.Fatalf("import: %v (%+v)", err, res.Errors)
		}
		if res.Created != 3 {
			t.Fatalf("created=%d", res.Created)
		}
		p, err := f.svc.PersonByUsername(ctx, "linna")
		if err != nil || p.DepartmentID != f.ana.ID || p.Rank != domain.RankResearchB ||
			len(p.Grants) != 1 || p.Grants[0] != (domain.Grant{Role: domain.RoleAnalyst, DepartmentID: f.ana.ID}) {
			t.Fatalf("linna=%+v %v", p, err)
		}
		d, err := f.svc.DirectorOf(ctx, f.syn.ID)
		if err != nil || d.Username != "liuyang" || d.Rank != domain.RankSeniorA {
			t.Fatalf("director=%+v %v", d, err)
		}
		evs := events(t, db, "person", p.ID)
		if len(evs) != 1 || evs[0].Action != "person.create" || evs[0].ActorID != f.admin.ID {
			t.Fatalf("events=%+v", evs)
		}
	})
}

// Ensure every bad row is reported with the row number the user sees and
// nothing is created when any row is bad.
func TestImport_RowErrors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		f.person(t, "sunli", "孙丽", f.ana.ID, domain.Grant{Role: domain.RoleDirector, DepartmentID: f.ana.ID})
		csv := "username,name,email,department,hired_on,roles,rank,rank_since\n" + // row 1
			"good1,好人,,synthesis,2020-01-01,researcher,,\n" + // 2: fine
			"admin,重名,,,,,,\n" + // 3: taken in the database
			"good1,又一个,,,,,,\n" + // 4: repeats row 2
			"bad email,坏,x@,synthesis,2020-13-01,researcher,,\n" + // 5: username, email, hired_on
			"nodept,无部门,,nowhere,,,,\n" + // 6: unknown department
			"badrole,坏角色,,synthesis,,researcher;emperor,,\n" + // 7: unknown role
			"dir2,第二总监,,analytical,,director,,\n" + // 8: analytical has a director
			"mixed,混合,,,,sysadmin;gm,,\n" + // 9: R12
			"ranky,职级,,synthesis,2021-01-01,researcher,senior_b,2020-01-01\n" + // 10: rank before hire
			"\"O'Brien\"\"; DROP TABLE person;--\",x,,,,,,\n" // 11: bad username, stored nowhere
		res, err := f.svc.Import(ctx, f.admin, "people.csv", strings.NewReader(csv))
		wantKind(t, err, domain.KindInvalid, "people.import_rejected")
		if res.Created != 0 {
			t.Fatalf("created=%d", res.Created)
		}
		got := map[string]string{}
		for _, e := range res.Errors {
			got[fmt.Sprintf("%d/%s", e.Row, e.Field)] = e.Msg.Key
		}
		want := map[string]string{
			"3/username":    "field.taken",
			"4/username":    "people.import_duplicate",
			"5/username":    "field.bad_username",
			"5/email":       "field.bad_email",
			"5/hired_on":    "field.bad_date",
			"6/department":  "people.department_unknown",
			"7/roles":       "field.bad_choice",
			"8/roles":       "people.director_taken",
			"9/roles":       "people.r12_business_with_admin",
			"10/rank_since": "people.rank_before_hire",
			"11/username":   "field.bad_username",
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("error %s = %q, want %q", k, got[k], v)
			}
		}
		for k := range got {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected error %s = %s", k, got[k])
			}
		}
		if _, total, _ := f.svc.People(ctx, people.PersonFilter{IncludeInactive: true}); total != 2 {
			t.Fatalf("people after rejected import=%d, want 2", total)
		}

		// Structural problems are reported against the header row.
		res, err = f.svc.Import(ctx, f.admin, "p.csv", strings.NewReader("login,name,shoe size\nx,y,42\n"))
		wantKind(t, err, domain.KindInvalid, "people.import_rejected")
		if len(res.Errors) != 3 || res.Errors[0].Row != 1 {
			t.Fatalf("header errors=%+v", res.Errors)
		}
		_, err = f.svc.Import(ctx, f.admin, "p.txt", strings.NewReader("username,name\n"))
		wantKind(t, err, domain.KindInvalid, "people.import_bad_type")
		res, err = f.svc.Import(ctx, f.admin, "p.csv", strings.NewReader("username,name\n"))
		wantKind(t, err, domain.KindInvalid, "people.import_rejected")
		if len(res.Errors) != 1 || res.Errors[0].Msg.Key != "people.import_empty" {
			t.Fatalf("empty errors=%+v", res.Errors)
		}
		_, err = f.svc.Import(ctx, f.admin, "p.xlsx", strings.NewReader("not a zip"))
		wantKind(t, err, domain.KindInvalid, "people.import_bad_file")
	})
}

// Ensure the first sheet of an XLSX workbook imports, with Chinese headers
// and row numbers as Excel shows them.
func TestImport_XLSX(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		build := func(rows [][]any) *bytes.Buffer {
			x := excelize.NewFile()
			defer x.Close()
			sheet := x.GetSheetName(0)
			for i, r := range rows {
				cell, _ := excelize.CoordinatesToCellName(1, i+1)
				if err := x.SetSheetRow(sheet, cell, &r); err != nil {
					t.Fatal(err)
				}
			}
			x.NewSheet("Ignored")
			var buf bytes.Buffer
			if err := x.Write(&buf); err != nil {
				t.Fatal(err)
			}
			return &buf
		}
		header := []any{"用户名", "姓名", "部门", "入职日期", "角色", "职级", "职级起始"}
		bad := build([][]any{header,
			{"mayue", "马悦", "合成部", "2022-02-14", "研究员", "assistant_a", "2024-02-14"},
			{"", "", "", "", "", "", ""},
			{"mayue", "马悦二", "合成部", "", "researcher", "", ""},
		})
		res, err := f.svc.Import(ctx, f.admin, "名单.xlsx", bad)
		wantKind(t, err, domain.KindInvalid, "people.import_rejected")
		if len(res.Errors) != 1 || res.Errors[0].Row != 4 || res.Errors[0].Field != "username" {
			t.Fatalf("errors=%+v", res.Errors)
		}
		good := build([][]any{header,
			{"mayue", "马悦", "合成部", "2022-02-14", "研究员", "assistant_a", "2024-02-14"},
			{"huanglei", "黄磊", "synthesis", "2021-09-01", "researcher;committee", "高级研究员B", "2022-09-01"},
		})
		res, err = f.svc.Import(ctx, f.admin, "名单.xlsx", good)
		if err != nil || res.Created != 2 {
			t.Fatalf("import=%+v %v", res, err)
		}
		p, err := f.svc.PersonByUsername(ctx, "huanglei")
		if err != nil || p.Rank != domain.RankSeniorB || len(p.Grants) != 2 || p.HiredOn != "2021-09-01" {
			t.Fatalf("huanglei=%+v %v", p, err)
		}
	})
}
