package flow_test

import (
	"slices"
	"testing"
	"time"

	"labflow/internal/flow"
	"labflow/internal/hr"
	"labflow/internal/projects"
)

// Ensure the start form leaves out the optional fields that later steps
// fill (PUR-3: purchasing enters the supplier and the contract), but keeps
// required ones even when a later step may edit them (the line items).
func TestStartFields_PurchaseRequest(t *testing.T) {
	reg := flow.NewRegistry()
	hr.Register(reg, nil, time.Now) // the promotion definition names its guard
	projects.RegisterNames(reg)     // node-plan governs a plan revision
	defs, err := flow.Load(reg, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range defs {
		if d.Key != "purchase-request" {
			continue
		}
		got := d.StartFields()
		for _, k := range []string{"reason", "items", "category", "acceptance"} {
			if !slices.Contains(got, k) {
				t.Errorf("start fields %v lack %s", got, k)
			}
		}
		for _, k := range []string{"supplier", "contract_files", "acceptance_report"} {
			if slices.Contains(got, k) {
				t.Errorf("start fields %v include %s, which a later step fills", got, k)
			}
		}
		return
	}
	t.Fatal("purchase-request not loaded")
}
