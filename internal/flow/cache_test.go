package flow_test

import (
	"context"
	"sync/atomic"
	"testing"

	"labflow/internal/domain"
	"labflow/internal/flow"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// countingStore counts the reads of an instance for an action on a task.
type countingStore struct {
	*store.FlowStore
	reads atomic.Int64
}

func (c *countingStore) InstanceOfTaskLive(ctx context.Context, taskID int64) (*flow.Instance, []*flow.Task, error) {
	c.reads.Add(1)
	return c.FlowStore.InstanceOfTaskLive(ctx, taskID)
}

func cacheDef() *flow.Definition {
	return def("cache", stepA("one", role(domain.RoleBusinessDean)), stepA("two", role(domain.RoleGM)))
}

// The next action on an instance this engine just changed starts from what
// it committed, without reading the instance back.
func TestActStartsFromWhatWasCommitted(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	cs := &countingStore{FlowStore: db.Flow()}
	v := newEnv(t, db)
	e, err := flow.New(cs, flow.NewRegistry(), v.dir, fakeAuth{}, []*flow.Definition{cacheDef()})
	if err != nil {
		t.Fatal(err)
	}
	in, err := e.Start(ctx, v.actor(alice), "cache", map[string]any{"title": "t"}, "")
	if err != nil {
		t.Fatal(err)
	}
	in, err = e.Act(ctx, v.actor(bob), in.Tasks[0].ID, flow.ActInput{Action: flow.ActApprove, Comment: "ok"})
	if err != nil {
		t.Fatal(err)
	}
	in, err = e.Act(ctx, v.actor(gina), in.Tasks[0].ID, flow.ActInput{Action: flow.ActApprove})
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, in, flow.StatusApproved)
	if n := cs.reads.Load(); n != 0 {
		t.Fatalf("%d reads for two approvals following this engine's own commits, want 0", n)
	}
	if in.Version != 3 || in.Form["title"] != "t" {
		t.Fatalf("version %d, form %v; want 3 and the submitted title", in.Version, in.Form)
	}
}

// Another process (here a second engine over the same database) changes an
// instance that the first engine holds in its cache: the first engine's
// next action must neither overwrite that change nor act on a task that is
// closed by now.
func TestActOnInstanceChangedElsewhere(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a := newEnv(t, db, cacheDef())
		b := newEnv(t, db, cacheDef())

		// b comments (a new version); a's approval must build on it.
		in := a.start("cache", map[string]any{"title": "x"})
		task := in.Tasks[0].ID
		if _, err := b.e.Act(ctx, b.actor(bob), task, flow.ActInput{Action: flow.ActComment, Comment: "from elsewhere"}); err != nil {
			t.Fatal(err)
		}
		out, err := a.e.Act(ctx, a.actor(bob), task, flow.ActInput{Action: flow.ActApprove})
		if err != nil {
			t.Fatal(err)
		}
		if out.Version != 3 {
			t.Fatalf("version %d after start, comment and approval, want 3", out.Version)
		}
		iv := b.view(alice, in.ID)
		var acts []string
		for _, x := range iv.Timeline {
			acts = append(acts, x.Action)
		}
		if len(acts) != 3 || acts[1] != "comment" || acts[2] != "approve" {
			t.Fatalf("timeline %v, want start, comment, approve", acts)
		}

		// b transfers the task away; a must not approve the closed task.
		in = a.start("cache", map[string]any{"title": "y"})
		task = in.Tasks[0].ID
		if _, err := b.e.Act(ctx, b.actor(bob), task, flow.ActInput{Action: flow.ActTransfer, PersonID: carol}); err != nil {
			t.Fatal(err)
		}
		_, err = a.e.Act(ctx, a.actor(bob), task, flow.ActInput{Action: flow.ActApprove})
		wantKind(t, err, domain.KindConflict)
		if !b.hasTodo(carol, in.ID) || b.status(in.ID) != flow.StatusRunning {
			t.Fatal("the transferred task is gone or the instance moved on")
		}
	})
}
