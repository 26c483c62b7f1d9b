package web

import (
	"encoding/csv"
	"net/http"
	"strconv"
	"strings"

	"labflow/internal/i18n"
)

// exportMax bounds one CSV export of requests.
const exportMax = 20000

// apiExportInstances writes the requests the caller may see — the same
// rule and filters as GET /api/v1/instances — as CSV, one row each, with
// the outcome a request ended with by its label (issue 8: outcomes are
// shown in exports) and, for one still running, the steps it is at.
func (s *Server) apiExportInstances(w http.ResponseWriter, r *http.Request) error {
	a, _ := actor(r)
	var q visibleQuery
	if err := decodeQuery(r, &q); err != nil {
		return err
	}
	lang := s.lang(r)
	head := []string{"id", "process", "title", "initiator", "status", "outcome", "current_steps", "created_at", "updated_at"}
	cols := make([]string, len(head))
	for i, h := range head {
		cols[i] = i18n.T(lang, "export.instances."+h, nil)
	}
	q.Limit = 500
	var rows [][]string
	for q.Offset = 0; q.Offset < exportMax; q.Offset += q.Limit {
		page, err := s.visible(r.Context(), a, q)
		if err != nil {
			return err
		}
		for _, it := range page.Items {
			steps := make([]string, len(it.Steps))
			for i, st := range it.Steps {
				steps[i] = st.In(lang)
			}
			rows = append(rows, []string{strconv.FormatInt(it.ID, 10), it.Definition.In(lang), it.Title, it.InitiatorName,
				i18n.T(lang, "flowui.status."+string(it.Status), nil), it.OutcomeLabel.In(lang), strings.Join(steps, "、"),
				fmtTimeLayout(it.CreatedAt, s.TimeZone, "2006-01-02 15:04"), fmtTimeLayout(it.UpdatedAt, s.TimeZone, "2006-01-02 15:04")})
		}
		if len(page.Items) < int(q.Limit) {
			break
		}
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="labflow-requests.csv"`)
	// A byte-order mark, so that Excel reads the Chinese text as UTF-8.
	if _, err := w.Write([]byte("\ufeff")); err != nil {
		return nil // the client went away
	}
	cw := csv.NewWriter(w)
	cw.Write(cols)
	cw.WriteAll(rows)
	return nil
}
