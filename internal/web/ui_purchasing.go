package web

import (
	"net/http"
	"time"

	"labflow/internal/flow"
)

// The /purchasing page: purchase requests with their stage.

var listStatuses = []flow.Status{flow.StatusRunning, flow.StatusReturned, flow.StatusWithdrawn, flow.StatusApproved, flow.StatusRejected}

// purchaseItem is one purchase request on the purchasing page.
type purchaseItem struct {
	ID                   int64
	Title, InitiatorName string
	Total                any
	Steps                []string
	Status               flow.Status
	CreatedAt            time.Time
}

// uiPurchasing lists the purchase requests the viewer may see, with their
// stage: for purchasing staff (who see them from their first purchasing
// step on) and the deans and the GM (who see all).
func (s *Server) uiPurchasing(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	q.Set("definition", "purchase-request")
	r.URL.RawQuery = q.Encode()
	p := &purchasingPage{Statuses: listStatuses, Status: q.Get("status"), Search: q.Get("q")}
	a, _ := actor(r)
	if d, ok := s.Flow.Definition("purchase-request"); ok {
		p.CanStart = mayStartDef(a, d)
	}
	var vq visibleQuery
	err := decodeQuery(r, &vq)
	var out visibleOut
	if err == nil {
		out, err = s.visible(r.Context(), a, vq)
	}
	if err != nil {
		return s.formError(w, r, err, func(_ map[string]string, msg string) error {
			p.Error = msg
			s.render(w, r, p)
			return nil
		})
	}
	lang := s.lang(r)
	var items []purchaseItem
	for _, it := range out.Items {
		pi := purchaseItem{ID: it.ID, Title: it.Title, InitiatorName: it.InitiatorName, Total: it.Total, Status: it.Status, CreatedAt: it.CreatedAt}
		for _, st := range it.Steps {
			pi.Steps = append(pi.Steps, st.In(lang))
		}
		items = append(items, pi)
	}
	p.Items, p.Total = items, out.Total
	s.render(w, r, p)
	return nil
}

// purchasingPage lists purchase requests with their stage.
type purchasingPage struct {
	Page
	formState
	Statuses       []flow.Status
	Status, Search string
	CanStart       bool
	Items          []purchaseItem
	Total          int
}

func (*purchasingPage) template() string { return "purchasing" }
