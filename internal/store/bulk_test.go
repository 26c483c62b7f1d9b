package store_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"labflow/internal/audit"
	"labflow/internal/flow"
	"labflow/internal/store"
	"labflow/internal/store/storetest"
)

// Timeline entries, notifications and (on SQLite) tasks are queued during a write and inserted
// with the batch's other rows just before the commit. Many writers share a
// batch; those whose function fails must leave none of their queued rows
// behind, and every writer that succeeded must find all of its rows, in
// the order it queued them.
func TestQueuedRowsFollowTheirWriter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fs := db.Flow()
		errFail := errors.New("this writer fails")
		const writers = 200
		var wg sync.WaitGroup
		errs := make([]error, writers)
		taskIDs := make([]int64, writers)
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				inst := int64(1000 + i)
				errs[i] = fs.Write(ctx, func(tx flow.Tx) error {
					for _, step := range []string{"first", "second"} {
						if err := tx.InsertAction(&flow.ActionRecord{InstanceID: inst, StepID: step, ActorID: 1, ActorName: "a", Action: "approve", At: tx.Now()}); err != nil {
							return err
						}
					}
					id, err := tx.InsertTask(&flow.Task{InstanceID: inst, StepID: "first", Round: 1, AssigneeID: inst, AssigneeName: "n",
						State: flow.TaskOpen, Kind: flow.TaskSlot, DefinitionKey: "k", InitiatorID: 1, CreatedAt: tx.Now(), Version: 1})
					if err != nil {
						return err
					}
					taskIDs[i] = id
					if err := tx.InsertNotification(&flow.Notification{RecipientID: inst, Kind: "task", InstanceID: inst, TaskID: id}); err != nil {
						return err
					}
					if err := tx.Audit(audit.Entry{ActorName: "a", Action: "test.bulk", Entity: "instance", EntityID: "x"}); err != nil {
						return err
					}
					if i%3 == 0 {
						return errFail
					}
					return nil
				})
			}()
		}
		wg.Wait()
		if ws := db.WriteStats(); ws.Commits >= ws.Writes {
			t.Logf("no two writers shared a batch (%d commits, %d writes); the test proves less", ws.Commits, ws.Writes)
		}
		ok := 0
		for i, err := range errs {
			inst := int64(1000 + i)
			acts, aerr := fs.Actions(ctx, inst)
			if aerr != nil {
				t.Fatal(aerr)
			}
			notes, nerr := fs.Notifications(ctx, inst, false, 10)
			if nerr != nil {
				t.Fatal(nerr)
			}
			tasks, terr := fs.Tasks(ctx, inst)
			if terr != nil {
				t.Fatal(terr)
			}
			if i%3 == 0 {
				if len(tasks) != 0 {
					t.Fatalf("failed writer %d left a task", i)
				}
				if !errors.Is(err, errFail) {
					t.Fatalf("writer %d: err %v, want its own error", i, err)
				}
				if len(acts) != 0 || len(notes) != 0 {
					t.Fatalf("failed writer %d left %d timeline entries and %d notifications", i, len(acts), len(notes))
				}
				continue
			}
			if err != nil {
				t.Fatalf("writer %d: %v", i, err)
			}
			ok++
			if len(acts) != 2 || acts[0].StepID != "first" || acts[1].StepID != "second" || len(notes) != 1 {
				t.Fatalf("writer %d: timeline %+v, %d notifications; want first, second and 1", i, acts, len(notes))
			}
			// The id the writer was given is its task's, and the
			// notification points at it.
			if len(tasks) != 1 || tasks[0].ID != taskIDs[i] || tasks[0].AssigneeID != inst || notes[0].TaskID != taskIDs[i] {
				t.Fatalf("writer %d: tasks %+v for id %d, notification task %d", i, tasks, taskIDs[i], notes[0].TaskID)
			}
		}
		h, err := db.VerifyAudit(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		var events int64
		if err := db.R().QueryRowContext(ctx, "SELECT COUNT(*) FROM audit_event WHERE action = 'test.bulk'").Scan(&events); err != nil {
			t.Fatal(err)
		}
		if events != int64(ok) || h.Count < events {
			t.Fatalf("%d audit events for %d successful writers (head %d)", events, ok, h.Count)
		}
	})
}
