package flow

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"strconv"
	"sync"
	"time"

	"labflow/internal/domain"
)

// Timers and jobs are stored, and run with leases so that several LabFlow
// servers on one database run each exactly once: a server claims due
// timers for a while (its owner id and lease_until; on PostgreSQL with
// FOR UPDATE SKIP LOCKED, so that servers claim different ones), fires
// them, and marks each fired in the same transaction as its effect — a
// conditional update, so that a timer whose lease ran out while its server
// stalled, and which another server took over, takes effect once. A server
// that stops mid-batch leaves its claims to expire; another then takes
// them over.

// DefaultLease is how long a server holds the timers and jobs it claimed
// before another may take them over.
const DefaultLease = time.Minute

// claimBatch is how many timers or jobs a server claims at once.
const claimBatch = 256

// DefaultWorkers is how many timers or jobs one server runs at once (their
// transitions share group commits).
const DefaultWorkers = 64

// TimerStore is the storage of leased timers; internal/store implements it.
type TimerStore interface {
	// ClaimTimers leases to owner, until until, up to limit unfired timers
	// due at or before now whose lease (if any) has expired, oldest first.
	ClaimTimers(ctx context.Context, owner string, now, until time.Time, limit int) ([]Timer, error)
}

// newOwner names this engine as the holder of leases: host, process and a
// random part (several engines may run in one process, as in tests).
func newOwner() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return host + ":" + strconv.Itoa(os.Getpid()) + ":" + hex.EncodeToString(b[:])
}

// Owner returns the name under which this engine holds leases.
func (e *Engine) Owner() string {
	e.leaseOnce.Do(e.initLease)
	return e.owner
}

func (e *Engine) initLease() {
	if e.owner == "" {
		e.owner = newOwner()
	}
	if e.lease <= 0 {
		e.lease = DefaultLease
	}
	if e.workers <= 0 {
		e.workers = DefaultWorkers
	}
}

// SetLease sets how long this engine's claims on timers and jobs last
// (DefaultLease) and how many it runs at once (DefaultWorkers); zero
// keeps the default. Call it before the engine runs timers.
func (e *Engine) SetLease(lease time.Duration, workers int) {
	e.leaseOnce.Do(e.initLease)
	if lease > 0 {
		e.lease = lease
	}
	if workers > 0 {
		e.workers = workers
	}
}

// RunTimers claims the timers due at now and fires each once: reminders
// and overdue notices, escalation levels (an extra task for the level's
// role or the assignee's director), definition-level deadlines, and the
// wake-up of wait steps. Timers are stored, so a restart loses none; a
// timer another server holds is left to it, and one whose holder stopped
// is taken over when its lease expires. It returns how many fired.
func (e *Engine) RunTimers(ctx context.Context, now time.Time) (int, error) {
	ts, ok := e.st.(TimerStore)
	if !ok {
		return 0, domain.Wrap("flow.RunTimers", errString("the store keeps no leased timers"))
	}
	e.leaseOnce.Do(e.initLease)
	n := 0
	for {
		timers, err := ts.ClaimTimers(ctx, e.owner, now, now.Add(e.lease), claimBatch)
		if err != nil {
			return n, err
		}
		k, err := e.FireClaimed(ctx, timers)
		n += k
		if err != nil || len(timers) < claimBatch {
			return n, err
		}
	}
}

// FireClaimed fires timers this engine claimed, several at once, and
// returns how many took effect (a timer with nothing left to do, or fired
// meanwhile by another server, does not count). On an error the others
// still fire; the failed one stays claimed until its lease expires and is
// then tried again.
func (e *Engine) FireClaimed(ctx context.Context, timers []Timer) (int, error) {
	e.leaseOnce.Do(e.initLease)
	return runAll(ctx, e.workers, len(timers), func(i int) (bool, error) { return e.fire(ctx, timers[i]) })
}

// runAll runs f for 0..n-1 on up to workers goroutines and counts the
// trues; the first error is returned after all have run.
func runAll(ctx context.Context, workers, n int, f func(i int) (bool, error)) (int, error) {
	if workers > n {
		workers = n
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	next, count := 0, 0
	var first error
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n || ctx.Err() != nil {
					return
				}
				ok, err := f(i)
				mu.Lock()
				if ok {
					count++
				}
				if err != nil && first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return count, first
}

var errFired = errors.New("flow: timer already fired")

func (e *Engine) fire(ctx context.Context, tm Timer) (bool, error) {
	for attempt := 0; attempt < 8; attempt++ {
		var w *work
		var err error
		if tm.TaskID != 0 {
			// The instance with its live tasks in one read.
			w, err = e.loadForTask(ctx, domain.System, tm.TaskID, false)
		} else {
			w, err = e.load(ctx, domain.System, tm.InstanceID)
		}
		if err != nil && !domain.IsKind(err, domain.KindNotFound) {
			return false, err
		}
		acted := false
		if w != nil && w.inst.Status == StatusRunning {
			switch {
			case tm.Kind == TimerWake:
				acted, err = w.wake(tm)
			case tm.Ref != "":
				acted, err = w.fireDeadline(tm)
			default:
				acted, err = w.fireTask(tm)
			}
			if err != nil {
				return false, err
			}
		}
		if !acted {
			// Nothing to do any more: just mark it fired.
			err := e.st.Write(ctx, func(tx Tx) error {
				_, err := tx.FireTimer(tm.ID, tx.Now())
				return err
			})
			return false, err
		}
		w.fire = tm.ID
		err = e.commit(ctx, w)
		if errors.Is(err, errStale) {
			continue
		}
		if errors.Is(err, errFired) {
			return false, nil
		}
		return err == nil, err
	}
	return false, domain.Conflict("flow.RunTimers", "error.conflict")
}

// inStep reports whether person already holds a live task of the step
// round or approved it (the same person never fills two slots).
func (w *work) inStep(step string, round int, person int64) bool {
	for _, t := range w.tasks {
		if t.StepID == step && t.Round == round && live(t) && t.AssigneeID == person {
			return true
		}
	}
	if i := w.activeIndex(step, round); i >= 0 {
		for _, id := range w.inst.State.Active[i].Approved {
			if id == person {
				return true
			}
		}
	}
	return false
}
