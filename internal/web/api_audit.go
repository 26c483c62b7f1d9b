package web

import (
	"encoding/csv"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"labflow/internal/audit"
	"labflow/internal/domain"
	"labflow/internal/people"
	"labflow/internal/store"
)

// auditQuery is what the audit trail's API and page read.
type auditQuery struct {
	Entity   string `json:"-" query:"entity"`
	EntityID string `json:"-" query:"entity_id"`
	ActorID  int64  `json:"-" query:"actor_id"`
	Action   string `json:"-" query:"action"`
	// From and To bound the time, inclusive: a date (YYYY-MM-DD, the whole
	// day in UTC) or an RFC 3339 time.
	From   string `json:"-" query:"from"`
	To     string `json:"-" query:"to"`
	After  int64  `json:"-" query:"after"`
	Limit  int64  `json:"-" query:"limit" default:"100"`
	Order  string `json:"-" query:"order" enum:"desc,asc"`
	Format string `json:"-" query:"format" enum:"json,csv"`
}

type auditOut struct {
	Seq       int64          `json:"seq"`
	At        time.Time      `json:"at"`
	ActorID   int64          `json:"actor_id"`
	ActorName string         `json:"actor_name"`
	Action    string         `json:"action"`
	Entity    string         `json:"entity"`
	EntityID  string         `json:"entity_id"`
	Changes   []audit.Change `json:"changes"`
	Reason    string         `json:"reason"`
	Hash      string         `json:"hash"`
	PrevHash  string         `json:"prev_hash"`
}

func auditOutputs(evs []audit.Event) []auditOut {
	out := make([]auditOut, 0, len(evs))
	for _, e := range evs {
		cs, _ := e.DecodeChanges()
		if cs == nil {
			cs = []audit.Change{}
		}
		out = append(out, auditOut{Seq: e.Seq, At: e.At, ActorID: e.ActorID, ActorName: e.ActorName, Action: e.Action,
			Entity: e.Entity, EntityID: e.EntityID, Changes: cs, Reason: e.Reason, Hash: e.Hash, PrevHash: e.PrevHash})
	}
	return out
}

func storeAuditFilter(entity, id string) store.AuditFilter {
	return store.AuditFilter{Entity: entity, EntityID: id, Limit: 1000, Desc: true}
}

// canReadAudit: the administrator reviews the trail (Annex 11 §9), and so
// do the deans and the GM, who oversee every record (PRJ-12).
func canReadAudit(a domain.Actor) bool {
	return a.IsAdmin() || a.Has(domain.RoleGM) || a.Has(domain.RoleBusinessDean) || a.Has(domain.RoleAdminDean)
}

// auditFilter reads the trail's filter from the query, naming bad parameters.
func auditFilter(r *http.Request) (store.AuditFilter, auditQuery, error) {
	var q auditQuery
	if err := decodeQuery(r, &q); err != nil {
		return store.AuditFilter{}, q, err
	}
	f := store.AuditFilter{Entity: q.Entity, EntityID: q.EntityID, Action: q.Action, Desc: q.Order != "asc",
		ActorID: q.ActorID, AfterSeq: q.After, Limit: int(min(q.Limit, 1<<20))}
	var c domain.Checker
	c.Text("entity", f.Entity, false, 50)
	c.Text("entity_id", f.EntityID, false, 50)
	c.Text("action", f.Action, false, 80)
	f.From = auditBound(&c, "from", q.From)
	f.To = auditBound(&c, "to", q.To)
	if err := c.Err("web.auditFilter"); err != nil {
		return f, q, err
	}
	return f, q, nil
}

// auditBound reads a bound of the trail's time filter: a date (YYYY-MM-DD,
// the whole UTC day) or an RFC 3339 time, which it writes as the trail
// stores times so that the two compare.
func auditBound(c *domain.Checker, field, v string) string {
	if v == "" {
		return ""
	}
	if _, err := time.Parse(time.DateOnly, v); err == nil {
		return v
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		c.Add(field, "field.bad_date")
		return ""
	}
	return t.UTC().Format(audit.TimeFormat)
}

// apiAudit answers JSON or, with format=csv, a CSV file (so it is not a
// typed handler; its query is documented from auditQuery).
func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if !canReadAudit(a) {
		return domain.Forbidden("web.audit")
	}
	f, q, err := auditFilter(r)
	if err != nil {
		return err
	}
	people.ScopeTrail(a, &f)
	switch q.Format {
	case "csv":
		if f.Limit == 100 {
			f.Limit = 10000
		}
		evs, err := s.DB.FindAudit(r.Context(), f)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="labflow-audit.csv"`)
		writeAuditCSV(w, evs)
		return nil
	case "", "json":
		evs, err := s.DB.FindAudit(r.Context(), f)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, auditOutputs(evs))
		return nil
	default:
		return fieldErr(domain.KindInvalid, "web.audit", "error.invalid", "format", "field.bad_choice")
	}
}

// writeAuditCSV writes events as CSV with a UTF-8 BOM so that spreadsheet
// programs show Chinese names correctly.
func writeAuditCSV(w http.ResponseWriter, evs []audit.Event) {
	w.Write([]byte("\xef\xbb\xbf"))
	cw := csv.NewWriter(w)
	cw.Write([]string{"seq", "at_utc", "actor_id", "actor_name", "action", "entity", "entity_id", "changes", "reason", "hash", "prev_hash"})
	for _, e := range evs {
		cw.Write([]string{strconv.FormatInt(e.Seq, 10), e.At.Format(audit.TimeFormat), strconv.FormatInt(e.ActorID, 10), csvSafe(e.ActorName),
			e.Action, e.Entity, csvSafe(e.EntityID), csvSafe(e.Changes), csvSafe(e.Reason), e.Hash, e.PrevHash})
	}
	cw.Flush()
}

// csvSafe defuses spreadsheet formula injection: a cell that starts with
// = + - @, a tab or a carriage return is prefixed with an apostrophe (as
// the R13 role export does).
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

type verifyOutput struct {
	OK      bool   `json:"ok"`
	Count   int64  `json:"count"`
	Hash    string `json:"hash"`
	Problem string `json:"problem,omitempty"`
	// Records lists each record that is not what its trail says.
	Records []store.RecordProblem `json:"records,omitempty"`
}

func (s *Server) apiVerify(c *call, _ none) (verifyOutput, error) {
	if !canReadAudit(c.Actor) {
		return verifyOutput{}, domain.Forbidden("web.verify")
	}
	h, err := s.DB.VerifyAudit(c.Context(), "")
	var p *audit.Problem
	if errors.As(err, &p) {
		return verifyOutput{OK: false, Count: h.Count, Hash: h.Hash, Problem: p.Error()}, nil
	}
	var re *store.RecordsError
	if errors.As(err, &re) {
		return verifyOutput{OK: false, Count: h.Count, Hash: h.Hash, Problem: re.Error(), Records: re.Problems}, nil
	}
	if err != nil {
		return verifyOutput{}, err
	}
	return verifyOutput{OK: true, Count: h.Count, Hash: h.Hash}, nil
}
