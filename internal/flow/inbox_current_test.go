package flow_test

import (
	"testing"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// Ensure every inbox list says where each request stands — its open step,
// who has it, when it is due — and carries the form its list title is
// made from, so that a requester's 我发起的 tells requests apart (issue 9
// item 3).
func TestInbox_ListsSayWhereEachRequestStands(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		d := def("current", stepA("dean", role(domain.RoleBusinessDean)), stepA("gm", role(domain.RoleGM)))
		d.Steps[0].SLA = &flow.SLA{Due: "24h"}
		v := newEnv(t, db, d)
		in := v.start("current", map[string]any{"title": "balance", "amount": "3"})
		for _, box := range []flow.Box{flow.BoxStarted, flow.BoxTodo} {
			who := alice
			if box == flow.BoxTodo {
				who = bob
			}
			items, _, err := v.e.Inbox(ctx, v.actor(who), box, flow.InboxFilter{})
			if err != nil || len(items) != 1 {
				t.Fatalf("%s: %v %v", box, items, err)
			}
			it := items[0]
			if len(it.Current) != 1 || it.Current[0].StepID != "dean" || it.Current[0].Title.ZH != "dean" ||
				len(it.Current[0].Assignees) != 1 || it.Current[0].Assignees[0] != "N-bob" || it.Current[0].DueAt.IsZero() {
				t.Fatalf("%s: current %+v", box, it.Current)
			}
			if it.Form["title"] != "balance" {
				t.Fatalf("%s: form %v", box, it.Form)
			}
		}
		v.approve(bob, in.ID)
		items, _, _ := v.e.Inbox(ctx, v.actor(alice), flow.BoxStarted, flow.InboxFilter{})
		if c := items[0].Current; len(c) != 1 || c[0].StepID != "gm" || c[0].Assignees[0] != "N-gina" {
			t.Fatalf("after the dean: %+v", c)
		}
		v.approve(gina, in.ID)
		items, _, _ = v.e.Inbox(ctx, v.actor(alice), flow.BoxStarted, flow.InboxFilter{})
		if len(items[0].Current) != 0 {
			t.Fatalf("an ended request stands nowhere: %+v", items[0].Current)
		}
	})
}
