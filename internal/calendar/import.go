package calendar

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/csv"
	"errors"
	"io"
	"path/filepath"
	"strings"

	"labflow/internal/domain"
	"labflow/internal/store"
)

// Import limits.
const (
	maxImportBytes = 1 << 20
	maxImportRows  = 2000
)

// RowError is one problem in an imported file: the row as the user sees
// it (the header is row 1, or the first line that is not a comment), the
// column and the message.
type RowError struct {
	Row   int        `json:"row"`
	Field string     `json:"field"`
	Msg   domain.Msg `json:"message"`
}

// ImportResult reports how many days an import added, or why it added none.
type ImportResult struct {
	Created int        `json:"created"`
	Errors  []RowError `json:"errors,omitempty"`
}

// importColumns maps accepted header names (English and Chinese) to fields.
var importColumns = map[string]string{
	"date": "day", "day": "day", "日期": "day",
	"kind": "kind", "类型": "kind",
	"name_zh": "name_zh", "name": "name_zh", "名称": "name_zh",
	"name_en": "name_en", "英文名称": "name_en",
}

// Import adds the days of a CSV file whose header names the columns date,
// kind (holiday or workday; 放假 or 上班), name_zh and optionally name_en
// (lines starting with # are comments). Every row is checked first — the
// values, the weekday of an adjusted working day, a date given twice or
// already in the calendar — and if any is bad nothing is added and the
// result names every row's problems (KindInvalid,
// calendar.import_rejected). Otherwise all days are added in one write,
// each with its audit event. Only the administrator may import.
func (s *Service) Import(ctx context.Context, actor domain.Actor, filename string, r io.Reader) (ImportResult, error) {
	const op = "calendar.Import"
	var res ImportResult
	if !mayEdit(actor) {
		return res, domain.Forbidden(op)
	}
	if ext := strings.ToLower(filepath.Ext(filename)); ext != ".csv" && ext != ".txt" {
		return res, &domain.Error{Kind: domain.KindInvalid, Op: op, Key: "calendar.import_bad_type",
			Fields: map[string]domain.Msg{"file": {Key: "calendar.import_bad_type"}}}
	}
	data, err := io.ReadAll(io.LimitReader(r, maxImportBytes+1))
	if err != nil {
		return res, domain.Wrap(op, err)
	}
	if len(data) > maxImportBytes {
		return res, domain.E(domain.KindTooLarge, op, "error.too_large")
	}
	ins, errs, err := s.parse(ctx, data)
	if err != nil {
		return res, &domain.Error{Kind: domain.KindInvalid, Op: op, Key: "calendar.import_bad_file", Err: err,
			Fields: map[string]domain.Msg{"file": {Key: "calendar.import_bad_file"}}}
	}
	if len(errs) > 0 {
		res.Errors = errs
		return res, domain.E(domain.KindInvalid, op, "calendar.import_rejected", "count", len(errs))
	}
	if err := s.write(ctx, actor, ins, ""); err != nil {
		if store.IsUnique(err) {
			return res, dayTaken(op)
		}
		return res, domain.Wrap(op, err)
	}
	res.Created = len(ins)
	return res, s.Refresh(ctx)
}

// write adds days in one write, each with its audit event.
func (s *Service) write(ctx context.Context, actor domain.Actor, ins []DayInput, reason string) error {
	return s.db.Write(ctx, func(tx *store.Tx) error {
		for _, in := range ins {
			if _, err := insert(tx, actor, in, reason); err != nil {
				return err
			}
		}
		return nil
	})
}

// parse reads and checks the rows of a calendar file.
func (s *Service) parse(ctx context.Context, data []byte) ([]DayInput, []RowError, error) {
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.Comment = '#'
	var rows [][]string
	var lines []int
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		line, _ := cr.FieldPos(0)
		rows, lines = append(rows, rec), append(lines, line)
	}
	var errs []RowError
	rowErr := func(row int, field, key string, kv ...any) {
		m := domain.E(domain.KindInvalid, "", key, kv...)
		errs = append(errs, RowError{Row: row, Field: field, Msg: domain.Msg{Key: key, Args: m.Args}})
	}
	h := 0
	for h < len(rows) && blank(rows[h]) {
		h++
	}
	if h == len(rows) {
		rowErr(1, "", "calendar.import_empty")
		return nil, errs, nil
	}
	col := map[string]int{}
	for i, name := range rows[h] {
		name = strings.ToLower(strings.TrimSpace(name))
		if name == "" {
			continue
		}
		c, ok := importColumns[name]
		if !ok {
			rowErr(lines[h], name, "calendar.import_unknown_column", "column", name)
			continue
		}
		col[c] = i
	}
	for _, req := range []string{"day", "kind", "name_zh"} {
		if _, ok := col[req]; !ok {
			rowErr(lines[h], req, "calendar.import_missing_column", "column", req)
		}
	}
	if len(errs) > 0 {
		return nil, errs, nil
	}
	if len(rows)-h-1 > maxImportRows {
		rowErr(lines[h], "", "calendar.import_too_many", "max", maxImportRows)
		return nil, errs, nil
	}
	inForce, err := store.CalendarDays(ctx, s.db.R(), "", "", false)
	if err != nil {
		return nil, nil, err
	}
	taken := map[string]bool{}
	for _, d := range inForce {
		taken[d.Day] = true
	}
	seen := map[string]int{}
	var out []DayInput
	for i := h + 1; i < len(rows); i++ {
		rec := rows[i]
		if blank(rec) {
			continue
		}
		get := func(k string) string {
			if j, ok := col[k]; ok && j < len(rec) {
				return rec[j]
			}
			return ""
		}
		in := DayInput{Day: get("day"), Kind: get("kind"), NameZH: get("name_zh"), NameEN: get("name_en")}
		in.normalize()
		var c domain.Checker
		in.check(&c)
		if err, ok := c.Err("").(*domain.Error); ok && err != nil {
			for _, f := range []string{"day", "kind", "name_zh", "name_en"} {
				if m, ok := err.Fields[f]; ok {
					errs = append(errs, RowError{Row: lines[i], Field: f, Msg: m})
				}
			}
			continue
		}
		switch {
		case seen[in.Day] != 0:
			rowErr(lines[i], "day", "calendar.import_duplicate", "row", seen[in.Day])
		case taken[in.Day]:
			rowErr(lines[i], "day", "calendar.day_taken")
		}
		seen[in.Day] = lines[i]
		out = append(out, in)
	}
	return out, errs, nil
}

func blank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// shipped is the official calendar of mainland China for 2026 (国务院办公厅
// 关于2026年部分节假日安排的通知, 4 November 2025): its holidays and
// adjusted working days.
//
//go:embed cn-2026.csv
var shipped []byte

// LoadShipped loads the calendar shipped with LabFlow into the database,
// once: a database that has it (or had it, and the administrator changed
// it since) is left as it is. Days already in the calendar are kept. The
// system is the actor of its audit events.
func (s *Service) LoadShipped(ctx context.Context) error {
	const op = "calendar.LoadShipped"
	_, done, err := store.CalendarState(ctx, s.db.R())
	if err != nil || done {
		return err
	}
	ins, errs, err := s.parse(ctx, shipped)
	if err != nil {
		return domain.Wrap(op, err)
	}
	for _, e := range errs {
		if e.Msg.Key != "calendar.day_taken" { // a day in the calendar already is kept as it is
			return domain.Wrap(op, errors.New("the shipped calendar does not validate: "+e.Field+" "+e.Msg.Key))
		}
	}
	skip := map[string]bool{}
	inForce, err := store.CalendarDays(ctx, s.db.R(), "", "", false)
	if err != nil {
		return err
	}
	for _, d := range inForce {
		skip[d.Day] = true
	}
	var add []DayInput
	for _, in := range ins {
		if !skip[in.Day] {
			add = append(add, in)
		}
	}
	err = s.db.Write(ctx, func(tx *store.Tx) error {
		first, err := tx.MarkCalendarShipped()
		if err != nil || !first {
			return err // another server loaded it
		}
		for _, in := range add {
			if _, err := insert(tx, domain.System, in, "国务院办公厅关于2026年部分节假日安排的通知"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return domain.Wrap(op, err)
	}
	return s.Refresh(ctx)
}
