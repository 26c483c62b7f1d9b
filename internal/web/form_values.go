package web

import (
	"net/http"
	"strconv"
	"strings"

	"labflow/internal/flow"
)

// A process form rendered for reading: labels, option labels, names of
// people and departments, tables.

type valueView struct {
	Label, Text string
	Files       []string
	Table       *tableView
}

type tableView struct {
	Head []string
	Rows [][]string
}

func (s *Server) personName(r *http.Request, cache map[int64]string, id int64) string {
	if id == 0 {
		return ""
	}
	if n, ok := cache[id]; ok {
		return n
	}
	n := "#" + strconv.FormatInt(id, 10)
	if p, err := s.People.Person(r.Context(), id); err == nil {
		n = p.Name
	}
	cache[id] = n
	return n
}

// formValues renders an instance's form for reading.
func (s *Server) formValues(r *http.Request, d *flow.Definition, form map[string]any, names map[int64]string) []valueView {
	lang := s.lang(r)
	deptNames, _, _ := s.deptNames(r)
	var cell func(f flow.Field, v any) string
	cell = func(f flow.Field, v any) string {
		switch f.Type {
		case flow.FieldSelect, flow.FieldMultiSelect:
			var out []string
			for _, x := range valueList(v) {
				l := x
				for _, o := range f.Options {
					if o.Value == x {
						l = o.Label.In(lang)
					}
				}
				out = append(out, l)
			}
			return strings.Join(out, "、")
		case flow.FieldPerson:
			if id, err := strconv.ParseInt(valueText(v), 10, 64); err == nil {
				return s.personName(r, names, id)
			}
		case flow.FieldDepartment:
			if id, err := strconv.ParseInt(valueText(v), 10, 64); err == nil {
				return deptNames[id]
			}
		case flow.FieldReference:
			if id, err := strconv.ParseInt(valueText(v), 10, 64); err == nil {
				return s.Flow.ReferenceLabel(r.Context(), f.Ref, id)
			}
		}
		return valueText(v)
	}
	var out []valueView
	for _, f := range d.Form {
		v, ok := form[f.Key]
		if !ok {
			continue
		}
		vv := valueView{Label: f.Label.In(lang)}
		switch f.Type {
		case flow.FieldTable:
			tv := &tableView{}
			for _, c := range f.Columns {
				tv.Head = append(tv.Head, c.Label.In(lang))
			}
			for _, row := range rowsOf(v) {
				var cells []string
				for _, c := range f.Columns {
					cells = append(cells, cell(c, row[c.Key]))
				}
				tv.Rows = append(tv.Rows, cells)
			}
			vv.Table = tv
		case flow.FieldFiles:
			vv.Files = valueList(v)
		default:
			vv.Text = cell(f, v)
		}
		out = append(out, vv)
	}
	return out
}

func fieldOf(d *flow.Definition, key string) *flow.Field {
	for i := range d.Form {
		if d.Form[i].Key == key {
			return &d.Form[i]
		}
	}
	return nil
}

// valueSummary renders one rendered value in a line.
func valueSummary(vs []valueView) string {
	if len(vs) == 0 {
		return "—"
	}
	v := vs[0]
	switch {
	case v.Table != nil:
		var rows []string
		for _, r := range v.Table.Rows {
			var cells []string
			for _, c := range r {
				if c != "" {
					cells = append(cells, c)
				}
			}
			rows = append(rows, strings.Join(cells, " / "))
		}
		return strings.Join(rows, "；")
	case v.Files != nil:
		return strings.Join(v.Files, ", ")
	}
	return v.Text
}
