package people

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"

	"labflow/internal/domain"
	"labflow/internal/i18n"
	"labflow/internal/store"
)

// Import limits.
const (
	maxImportBytes = 10 << 20
	maxImportRows  = 5000
)

// ImportRowError is one problem in an imported file: the row as the user
// sees it (the header is row 1), the column and the message.
type ImportRowError struct {
	Row   int
	Field string
	Msg   domain.Msg
}

// ImportResult reports how many people an import created, or why it created none.
type ImportResult struct {
	Created int
	Errors  []ImportRowError
}

// importColumns maps accepted header names (English ids and Chinese labels) to columns.
var importColumns = map[string]string{
	"username": "username", "用户名": "username",
	"name": "name", "姓名": "name",
	"email": "email", "邮箱": "email", "电子邮箱": "email",
	"phone": "phone", "电话": "phone",
	"department": "department", "部门": "department",
	"hired_on": "hired_on", "入职日期": "hired_on",
	"roles": "roles", "角色": "roles",
	"rank": "rank", "职级": "rank",
	"rank_since": "rank_since", "职级起始": "rank_since", "职级起始日期": "rank_since",
}

// fieldColumn maps a validation field to the file's column.
var fieldColumn = map[string]string{"department_id": "department"}

// Import creates people from a .csv or .xlsx file (first sheet) whose
// header row names the columns username, name, email, phone, department
// (code or Chinese or English name), hired_on, roles (e.g.
// "researcher;committee"; scoped roles take the person's department), rank
// and rank_since. Every row is validated first; if any is bad nothing is
// created, and the result lists every row's errors with a KindInvalid error
// (people.import_rejected). Otherwise all rows are created in one write,
// with one person.create event each. Only the administrator may import.
func (s *Service) Import(ctx context.Context, actor domain.Actor, filename string, r io.Reader) (ImportResult, error) {
	const op = "people.Import"
	var res ImportResult
	if !mayAdminister(actor) {
		return res, domain.Forbidden(op)
	}
	data, err := io.ReadAll(io.LimitReader(r, maxImportBytes+1))
	if err != nil {
		return res, domain.Wrap(op, err)
	}
	if len(data) > maxImportBytes {
		return res, domain.E(domain.KindTooLarge, op, "error.too_large")
	}
	var rows [][]string
	var lines []int // the user-visible row number of each record
	switch strings.ToLower(filepath.Ext(filename)) {
	case ".csv":
		rows, lines, err = readCSV(data)
	case ".xlsx":
		rows, lines, err = readXLSX(data)
	default:
		return res, domain.E(domain.KindInvalid, op, "people.import_bad_type")
	}
	if err != nil {
		return res, &domain.Error{Kind: domain.KindInvalid, Op: op, Key: "people.import_bad_file", Err: err}
	}
	ins, errs, err := s.parseImport(ctx, rows, lines)
	if err != nil {
		return res, domain.Wrap(op, err)
	}
	if len(errs) > 0 {
		res.Errors = errs
		return res, domain.E(domain.KindInvalid, op, "people.import_rejected", "count", len(errs))
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		for _, in := range ins {
			if _, err := createPerson(tx, op, actor, in); err != nil {
				return err
			}
		}
		return nil
	})
	if store.IsUnique(err) {
		return res, usernameTaken(op)
	}
	if err != nil {
		return res, domain.Wrap(op, err)
	}
	res.Created = len(ins)
	return res, nil
}

func readCSV(data []byte) ([][]string, []int, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	var rows [][]string
	var lines []int
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, lines, nil
		}
		if err != nil {
			return nil, nil, err
		}
		line, _ := cr.FieldPos(0)
		rows, lines = append(rows, rec), append(lines, line)
	}
}

func readXLSX(data []byte) ([][]string, []int, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, nil, errors.New("no sheet")
	}
	rows, err := f.GetRows(sheets[0])
	if err != nil {
		return nil, nil, err
	}
	lines := make([]int, len(rows))
	for i := range rows {
		lines[i] = i + 1
	}
	return rows, lines, nil
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// parseImport turns the file's records into validated inputs, or lists
// every problem found.
func (s *Service) parseImport(ctx context.Context, rows [][]string, lines []int) ([]PersonInput, []ImportRowError, error) {
	var errs []ImportRowError
	rowErr := func(row int, field, key string, kv ...any) {
		m := domain.E(domain.KindInvalid, "", key, kv...)
		errs = append(errs, ImportRowError{Row: row, Field: field, Msg: domain.Msg{Key: key, Args: m.Args}})
	}
	// Find the header: the first non-blank record.
	h := 0
	for h < len(rows) && blank(rows[h]) {
		h++
	}
	if h == len(rows) {
		rowErr(1, "", "people.import_empty")
		return nil, errs, nil
	}
	col := map[string]int{}
	for i, name := range rows[h] {
		name = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\uFEFF")))
		if name == "" {
			continue
		}
		c, ok := importColumns[name]
		if !ok {
			rowErr(lines[h], name, "people.import_unknown_column", "column", name)
			continue
		}
		col[c] = i
	}
	for _, req := range []string{"username", "name"} {
		if _, ok := col[req]; !ok {
			rowErr(lines[h], req, "people.import_missing_column", "column", req)
		}
	}
	if len(errs) > 0 {
		return nil, errs, nil
	}
	data := rows[h+1:]
	dataLines := lines[h+1:]
	var n int
	for _, rec := range data {
		if !blank(rec) {
			n++
		}
	}
	if n == 0 {
		rowErr(lines[h], "", "people.import_empty")
		return nil, errs, nil
	}
	if n > maxImportRows {
		rowErr(lines[h], "", "people.import_too_many", "max", maxImportRows)
		return nil, errs, nil
	}

	r := s.db.R()
	depts, err := store.FindDepartments(ctx, r, true)
	if err != nil {
		return nil, nil, err
	}
	cat, err := loadCatalog(ctx, r)
	if err != nil {
		return nil, nil, err
	}
	seen := map[string]int{}        // username -> row
	seats := map[domain.Grant]int{} // director / chair grants claimed in this file -> row
	var ins []PersonInput
	for i, rec := range data {
		if blank(rec) {
			continue
		}
		row := dataLines[i]
		get := func(c string) string {
			if j, ok := col[c]; ok && j < len(rec) {
				return strings.TrimSpace(rec[j])
			}
			return ""
		}
		in := PersonInput{Username: get("username"), Name: get("name"), Email: get("email"), Phone: get("phone"),
			HiredOn: get("hired_on"), RankSince: get("rank_since")}
		before := len(errs)
		if v := get("department"); v != "" {
			if d, ok := findDepartment(depts, v); ok {
				in.DepartmentID = d.ID
			} else {
				rowErr(row, "department", "people.department_unknown")
			}
		}
		for _, v := range splitList(get("roles")) {
			role, ok := parseRole(cat, v)
			if !ok {
				rowErr(row, "roles", "field.bad_choice")
				continue
			}
			in.Roles = append(in.Roles, domain.Grant{Role: role})
		}
		if v := get("rank"); v != "" {
			rk, ok := parseRank(v)
			if !ok {
				rowErr(row, "rank", "field.bad_choice")
			}
			in.Rank = rk
		}
		in.normalize(cat)
		var c domain.Checker
		if err := in.check(ctx, r, cat, &c); err != nil {
			return nil, nil, err
		}
		if err := c.Err(""); err != nil {
			var de *domain.Error
			errors.As(err, &de)
			fields := make([]string, 0, len(de.Fields))
			for f := range de.Fields {
				fields = append(fields, f)
			}
			sort.Strings(fields)
			for _, f := range fields {
				name := f
				if c, ok := fieldColumn[f]; ok {
					name = c
				}
				if in.Rank == "" && f == "rank" || slices.ContainsFunc(errs[before:], func(e ImportRowError) bool { return e.Field == name }) {
					continue // already reported from parsing
				}
				errs = append(errs, ImportRowError{Row: row, Field: name, Msg: de.Fields[f]})
			}
		}
		if in.Username != "" && !c.Has("username") {
			if first, dup := seen[in.Username]; dup {
				rowErr(row, "username", "people.import_duplicate", "row", first)
			} else {
				seen[in.Username] = row
				taken, err := store.UsernameTaken(ctx, r, in.Username)
				if err != nil {
					return nil, nil, err
				}
				if taken {
					rowErr(row, "username", "field.taken")
				}
			}
		}
		if !c.Has("roles") {
			roles := withImplied(in.Roles)
			if err := checkSeparation("", nil, roles); err != nil {
				rowErr(row, "roles", err.(*domain.Error).Key)
			}
			for _, g := range roles {
				if g.Role != domain.RoleDirector && g.Role != domain.RoleCommitteeChair {
					continue
				}
				if first, ok := seats[g]; ok {
					rowErr(row, "roles", "people.import_seat_repeated", "row", first, "role", roleMsg(g.Role))
					continue
				}
				seats[g] = row
				if err := checkUnique(ctx, r, "", 0, g); err != nil {
					de := err.(*domain.Error)
					if de.Kind != domain.KindConflict {
						return nil, nil, err
					}
					rowErr(row, "roles", de.Key, "name", de.Args["name"])
				}
			}
		}
		ins = append(ins, in)
	}
	return ins, errs, nil
}

func findDepartment(ds []domain.Department, v string) (domain.Department, bool) {
	for _, d := range ds {
		if strings.EqualFold(d.Code, v) || d.NameZH == v || strings.EqualFold(d.NameEN, v) {
			return d, true
		}
	}
	return domain.Department{}, false
}

func splitList(v string) []string {
	f := strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(";；,，、|", r) })
	out := f[:0]
	for _, s := range f {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// parseRole accepts a role key or its Chinese or English name, built-in
// or defined by the administrator.
func parseRole(cat roleCatalog, v string) (domain.Role, bool) {
	for _, r := range domain.Roles {
		if strings.EqualFold(v, string(r)) || labelIs(v, "people.role."+string(r)) {
			return r, true
		}
	}
	norm := func(s string) string { return strings.ToLower(strings.ReplaceAll(s, " ", "")) }
	for _, d := range cat {
		if strings.EqualFold(v, string(d.Key)) || norm(v) == norm(d.NameZH) || norm(v) == norm(d.NameEN) {
			return d.Key, true
		}
	}
	return "", false
}

// parseRank accepts a rank id or its Chinese or English label.
func parseRank(v string) (domain.Rank, bool) {
	for _, r := range domain.Ranks {
		if strings.EqualFold(v, string(r)) || labelIs(v, "people.rank."+string(r)) {
			return r, true
		}
	}
	return "", false
}

func labelIs(v, key string) bool {
	for _, l := range i18n.Langs {
		if strings.EqualFold(strings.ReplaceAll(v, " ", ""), strings.ReplaceAll(i18n.T(l, key, nil), " ", "")) {
			return true
		}
	}
	return false
}
