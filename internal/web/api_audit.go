package web

import (
	"encoding/csv"
	"encoding/json"
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

var auditQuery = []string{"entity", "entity_id", "actor_id", "action", "from", "to", "after", "limit", "order", "format"}

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
func auditFilter(r *http.Request) (store.AuditFilter, error) {
	q := r.URL.Query()
	f := store.AuditFilter{Entity: q.Get("entity"), EntityID: q.Get("entity_id"), Action: q.Get("action"), Desc: q.Get("order") != "asc"}
	var c domain.Checker
	c.Text("entity", f.Entity, false, 50)
	c.Text("entity_id", f.EntityID, false, 50)
	c.Text("action", f.Action, false, 80)
	c.Date("from", q.Get("from"), false)
	c.Date("to", q.Get("to"), false)
	if err := c.Err("web.auditFilter"); err != nil {
		return f, err
	}
	f.From, f.To = q.Get("from"), q.Get("to")
	var err error
	if f.ActorID, err = queryInt(r, "actor_id", 0); err != nil {
		return f, err
	}
	if f.AfterSeq, err = queryInt(r, "after", 0); err != nil {
		return f, err
	}
	limit, err := queryInt(r, "limit", 100)
	if err != nil {
		return f, err
	}
	f.Limit = int(limit)
	return f, nil
}

func (s *Server) apiAudit(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if !canReadAudit(a) {
		return domain.Forbidden("web.audit")
	}
	f, err := auditFilter(r)
	if err != nil {
		return err
	}
	people.ScopeTrail(a, &f)
	switch r.URL.Query().Get("format") {
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

func (s *Server) apiVerify(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	if !canReadAudit(a) {
		return domain.Forbidden("web.verify")
	}
	h, err := s.DB.VerifyAudit(r.Context(), "")
	var p *audit.Problem
	if errors.As(err, &p) {
		writeJSON(w, http.StatusOK, verifyOutput{OK: false, Count: h.Count, Hash: h.Hash, Problem: p.Error()})
		return nil
	}
	var re *store.RecordsError
	if errors.As(err, &re) {
		writeJSON(w, http.StatusOK, verifyOutput{OK: false, Count: h.Count, Hash: h.Hash, Problem: re.Error(), Records: re.Problems})
		return nil
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, verifyOutput{OK: true, Count: h.Count, Hash: h.Hash})
	return nil
}

var _ = json.Marshal
