package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"labflow/internal/domain"
	"labflow/internal/i18n"
)

// The audit trail in people's words (issue 9 item 5): the pages that show
// a trail — the audit page, a person's, a department's, a role's and a
// committee's history — name actions, records and fields in the reader's
// language, people and departments by name, roles and ranks by their
// names; the JSON and CSV exports keep the stored keys.

// auditRow is one audit event as a page shows it.
type auditRow struct {
	Seq       int64
	At        time.Time
	ActorName string
	// Action is the action in words; Key the stored action (shown on hover).
	Action, Key string
	// Entity names the kind of record and the record ("人员 张伟").
	Entity  string
	Changes []auditChangeRow
	Reason  string
}

// auditChangeRow is one changed value: its field's label, old and new.
type auditChangeRow struct {
	Field, Old, New string
}

// auditRows puts events in the words of r's reader.
func (s *Server) auditRows(r *http.Request, evs []auditOut) []auditRow {
	rd := s.reader(r)
	out := make([]auditRow, 0, len(evs))
	for _, e := range evs {
		row := auditRow{Seq: e.Seq, At: e.At, ActorName: e.ActorName, Key: e.Action, Reason: e.Reason,
			Action: rd.words("audit.act."+e.Action, e.Action), Entity: rd.entity(e.Entity, e.EntityID)}
		for _, c := range e.Changes {
			row.Changes = append(row.Changes, auditChangeRow{Field: rd.field(c.Field),
				Old: rd.auditValue(c.Field, c.Old), New: rd.auditValue(c.Field, c.New)})
		}
		out = append(out, row)
	}
	return out
}

// field names a changed field in words; a numbered one (question.2) by
// its name and number.
func (rd *reader) field(f string) string {
	if base, n, ok := strings.Cut(f, "."); ok && !i18n.Has(rd.lang, "audit.field."+f) {
		if _, err := strconv.Atoi(n); err == nil {
			return rd.words("audit.field."+base, base) + " " + n
		}
	}
	return rd.words("audit.field."+f, f)
}

// words is the catalog's text for key in the reader's language, or
// fallback when it has none.
func (rd *reader) words(key, fallback string) string { return textOr(rd.lang, key, fallback) }

// textOr is the catalog's text for key in lang, or fallback when it has none.
func textOr(lang, key, fallback string) string {
	if i18n.Has(lang, key) {
		return i18n.T(lang, key, nil)
	}
	return fallback
}

// entity names a record: its kind in words and, for people and
// departments, the name, for projects the code; others by number.
func (rd *reader) entity(kind, id string) string {
	name := rd.words("audit.entity."+kind, kind)
	n, err := strconv.ParseInt(id, 10, 64)
	switch {
	case id == "":
		return name
	case err != nil:
		return name + " " + id
	case kind == "person":
		return name + " " + rd.person(n)
	case kind == "department":
		return name + " " + rd.dept(n)
	case kind == "project":
		return name + " " + rd.project(n)
	}
	return name + " #" + id
}

// auditValue shows a stored value: people and departments by name, roles
// and ranks by their names, true/false as yes/no.
func (rd *reader) auditValue(field string, v any) string {
	if v == nil {
		return ""
	}
	switch x := v.(type) {
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, rd.auditValue(field, e))
		}
		return strings.Join(parts, "、")
	case bool:
		return rd.words("common."+strconv.FormatBool(x), strconv.FormatBool(x))
	}
	s := valueText(v)
	switch field {
	case "department_id", "department":
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n != 0 {
			return rd.dept(n)
		}
	case "person_id", "assignee_id", "proxy_id", "owner_id", "director_id", "verified_by", "writer_id":
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && n != 0 {
			return rd.person(n)
		}
	case "role", "roles":
		role, dept, _ := strings.Cut(s, "@")
		name := rd.s.pages.roleNameIn(rd.lang, domain.Role(role))
		if d, err := strconv.ParseInt(dept, 10, 64); err == nil && d != 0 {
			name += " · " + rd.dept(d)
		}
		return name
	case "rank":
		return rd.words("people.rank."+s, s)
	case "active":
		return rd.words("common."+s, s)
	}
	return s
}
