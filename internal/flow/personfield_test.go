package flow_test

import (
	"context"
	"testing"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// Ensure a person field must name an existing, active person holding the
// field's role, at start and at resubmission (the engine checks what form
// validation cannot).
func TestPersonFieldMustHoldRole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		d := def("pick", flow.Step{ID: "ok", Title: text("ok"), Assignee: role(domain.RoleBusinessDean)})
		d.Form[3].Role = string(domain.RoleGM) // "approver" must be the GM
		v := newEnv(t, db, d)
		ctx := context.Background()
		for _, tc := range []struct {
			who  int64
			want string
		}{{bob, "flow.field.not_role_holder"}, {999, "flow.field.bad_person"}, {sam, "flow.field.bad_person"}} {
			_, err := v.e.Start(ctx, v.actor(alice), "pick", map[string]any{"title": "t", "approver": tc.who}, "")
			if m, ok := domain.FieldError(err, "approver"); !ok || m.Key != tc.want {
				t.Fatalf("approver %d: err=%v, want approver=%s", tc.who, err, tc.want)
			}
		}
		if _, err := v.e.Start(ctx, v.actor(alice), "pick", map[string]any{"title": "t", "approver": gina}, ""); err != nil {
			t.Fatalf("the GM as approver: %v", err)
		}
	})
}
