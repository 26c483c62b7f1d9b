package store

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"labflow/internal/domain"
)

// WriteFunc is a caller's part of a write transaction.
type WriteFunc func(tx *Tx) error

type writeReq struct {
	ctx    context.Context
	fn     WriteFunc
	done   chan error
	queued time.Time
	// unbounded lifts the batch's deadline (writeUnbounded).
	unbounded bool
	state     atomic.Int32 // reqPending, then reqTaken by a batch or reqAbandoned by the caller
}

// The states of a write request: a batch takes it to run its function
// unless its caller abandoned it first (gone before its turn).
const (
	reqPending int32 = iota
	reqTaken
	reqAbandoned
)

// take reports whether the batch may run r's function: r is now taken
// (or was, by an earlier run of the same batch), not abandoned.
func (r *writeReq) take() bool {
	return r.state.CompareAndSwap(reqPending, reqTaken) || r.state.Load() == reqTaken
}

// batcher is the group-commit loop: it takes every write request waiting
// when the previous commit finished, runs each in its own savepoint of one
// transaction, and commits once.
type batcher struct {
	db      *DB
	max     int
	reqs    chan *writeReq
	quit    chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	stopped bool
	commits atomic.Uint64
	writes  atomic.Uint64
}

// WriteStats counts the group commit's work: how many write functions
// committed and in how many transactions (their ratio is the batch size).
type WriteStats struct {
	Commits uint64 `json:"commits"`
	Writes  uint64 `json:"writes"`
	Queued  int    `json:"queued"` // writes waiting now for a batch to take them
}

// WriteStats returns the counters since Open.
func (db *DB) WriteStats() WriteStats {
	if db.w == nil { // read-only
		return WriteStats{}
	}
	return WriteStats{Commits: db.w.commits.Load(), Writes: db.w.writes.Load(), Queued: len(db.w.reqs)}
}

func newBatcher(db *DB, max, loops int) *batcher {
	b := &batcher{db: db, max: max, reqs: make(chan *writeReq, 4096), quit: make(chan struct{})}
	for range loops {
		b.wg.Add(1)
		go b.loop()
	}
	return b
}

func (b *batcher) stop() {
	b.mu.Lock()
	if b.stopped {
		b.mu.Unlock()
		return
	}
	b.stopped = true
	b.mu.Unlock()
	close(b.quit)
	b.wg.Wait()
}

type inWriteKey struct{}

var errNestedWrite = errors.New("store: Write called from inside a write function (use the Tx it was given)")

// ErrClosed is returned by Write after Close.
var ErrClosed = domain.E(domain.KindInternal, "store.Write", "error.unavailable")

// errReadOnly is returned by Write on a database opened with OpenReadOnly.
var errReadOnly = errors.New("store: the database was opened read-only")

// errLate is the cause of the error a writer gets when it waited longer
// than the timeout for a batch to take it (the database is too slow or
// unreachable): it is refused rather than run late.
var errLate = fmt.Errorf("store: write waited too long for a batch: %w", context.DeadlineExceeded)

// Write runs fn in a write transaction together with its audit events and
// returns once that transaction is durably committed, or fn's error (in
// which case nothing fn wrote remains). fn may run on another goroutine and
// must not block on anything but the database.
func (db *DB) Write(ctx context.Context, fn WriteFunc) error {
	return db.enqueue(ctx, fn, false)
}

// writeUnbounded is Write for a one-time job at start that may rightly
// take longer than the timeout (sealing every record of an upgraded
// database): its batch has no deadline, as a migration has none.
func (db *DB) writeUnbounded(ctx context.Context, fn WriteFunc) error {
	return db.enqueue(ctx, fn, true)
}

func (db *DB) enqueue(ctx context.Context, fn WriteFunc, unbounded bool) error {
	if ctx.Value(inWriteKey{}) != nil {
		// A write function that calls Write would wait for itself forever.
		return domain.Wrap("store.Write", errNestedWrite)
	}
	if db.readOnly {
		return domain.Wrap("store.Write", errReadOnly)
	}
	req := &writeReq{ctx: ctx, fn: fn, done: make(chan error, 1), queued: time.Now(), unbounded: unbounded}
	select {
	case db.w.reqs <- req:
	default:
		// The queue is full: wait for room, but not beyond the timeout.
		late := time.NewTimer(db.timeout)
		defer late.Stop()
		select {
		case db.w.reqs <- req:
		case <-db.w.quit:
			return ErrClosed
		case <-ctx.Done():
			return ctx.Err()
		case <-late.C:
			return mapErr("store.Write", errLate)
		}
	}
	// Once queued the request will run or be refused; wait for the outcome
	// so that the caller never reports failure for work that committed. A
	// caller that goes away before a batch has started its function
	// abandons it instead (its client left while the database was slow).
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		if req.state.CompareAndSwap(reqPending, reqAbandoned) {
			return ctx.Err()
		}
		return <-req.done
	}
}

func (b *batcher) loop() {
	defer b.wg.Done()
	batch := make([]*writeReq, 0, b.max)
	for {
		select {
		case r := <-b.reqs:
			batch = append(batch[:0], r)
		case <-b.quit:
			b.drainClosed()
			return
		}
	fill:
		for len(batch) < b.max {
			select {
			case r := <-b.reqs:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		b.run(batch)
	}
}

func (b *batcher) drainClosed() {
	for {
		select {
		case r := <-b.reqs:
			r.done <- ErrClosed
		default:
			return
		}
	}
}

// done is a finished batch: each writer's outcome.
type done struct {
	batch  []*writeReq
	errs   []error
	afters [][]func()
	err    error // transaction-level error
}

func (b *batcher) run(batch []*writeReq) {
	errs := make([]error, len(batch), b.max)
	afters := make([][]func(), len(batch), b.max)
	start := time.Now()
	err := b.runTx(&batch, &errs, &afters, true)
	for try := 1; err != nil && isBusy(err) && try <= 5 && time.Since(start) < b.db.timeout; try++ {
		// Another process held the database beyond busy_timeout, or (on
		// PostgreSQL) two concurrent batches deadlocked and this one was
		// chosen to abort: run the whole batch again, within the timeout.
		time.Sleep(time.Duration(try) * 10 * time.Millisecond)
		err = b.runTx(&batch, &errs, &afters, false)
	}
	b.ack(&done{batch: batch, errs: errs, afters: afters, err: err})
}

// ack tells each writer of a batch its outcome and runs the after-commit
// hooks of those that succeeded. A writer whose work failed because the
// database could not answer or store (its own statement, or the batch's
// BEGIN, flush or COMMIT) is told so as KindUnavailable, whatever wrapped
// the driver's error. It also keeps StorageFull: set when a writer failed
// for lack of space, cleared when a batch commits without such a failure.
func (b *batcher) ack(d *done) {
	full, committed := false, false
	for i := range d.batch {
		e := d.errs[i]
		if e == nil && d.err != nil {
			e = mapErr("store.Write", d.err)
		} else if e != nil {
			e = upgradeFault("store.Write", e)
		}
		if e == nil {
			committed = true
		} else if IsStorageFull(e) {
			full = true
		}
		d.errs[i] = e
	}
	if full {
		b.db.full.Store(true)
	} else if committed {
		b.db.full.Store(false)
	}
	for i, r := range d.batch {
		e := d.errs[i]
		if e == nil {
			for _, f := range d.afters[i] {
				f()
			}
		}
		r.done <- e
	}
}

// runTx runs the batch in one transaction. It returns a transaction-level
// error (begin or commit failed); per-request errors go to errs.
//
// With absorb, requests that arrived while the batch ran join it before
// the commit (up to max). Writers come back for their next step while a
// batch runs; without this they would wait for the commit and form the next
// batch, so that with C writers a batch stayed near C/2 and every commit's
// fixed cost (its page writes and fsync) was shared by half of them.
//
// The whole transaction, from BEGIN to COMMIT, has one deadline (the
// database's Timeout): past it every statement fails, and so does the
// batch, for every writer in it; the loop then takes the next batch.
func (b *batcher) runTx(pbatch *[]*writeReq, perrs *[]error, pafters *[][]func(), absorb bool) error {
	bctx := newBatchCtx(b.db.timeout)
	defer bctx.stop()
	ctx := context.Context(bctx)
	if b.db.dialect == SQLite {
		// SQLite's wait for the write lock is bounded by busy_timeout
		// (the timeout); a cancellable context would cost the driver a
		// goroutine per statement (deadline.go).
		ctx = context.Background()
	}
	sqlTx, err := b.db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	t := &Tx{tx: sqlTx, db: b.db, batch: ctx}
	// A batch that wrote to a table a person is read from moves the people
	// generation and mark when it ends, committed or not (a failed commit
	// may have reached the disk), before its writers hear the outcome (ack).
	defer func() {
		if t.peopleWrite {
			b.db.peopleGen.Add(1)
			b.db.movePeopleMark()
		}
	}()
	batch, errs, afters := *pbatch, *perrs, *pafters
	defer func() { *pbatch, *perrs, *pafters = batch, errs, afters }()
	single := len(batch) == 1
	// On PostgreSQL every statement is a round trip: the RELEASE of one
	// writer's savepoint and the SAVEPOINT of the next go together.
	pg := b.db.dialect == Postgres
	open := false // a savepoint is open
	ok := 0
	for i := 0; ; i++ {
		if i == len(batch) {
			if !absorb {
				break
			}
		more:
			for len(batch) < b.max {
				select {
				case r := <-b.reqs:
					batch, errs, afters = append(batch, r), append(errs, nil), append(afters, nil)
				default:
					break more
				}
			}
			if i == len(batch) {
				break
			}
		}
		r := batch[i]
		errs[i], afters[i] = nil, nil
		if err := r.ctx.Err(); err != nil {
			errs[i] = err
			continue
		}
		if !r.take() {
			errs[i] = context.Canceled
			continue
		}
		if time.Since(r.queued) > b.db.timeout {
			errs[i] = errLate
			continue
		}
		// A lone writer needs no savepoint: if it fails, the transaction
		// rolls back (and nothing joins it).
		savepoint := !single || i > 0
		if savepoint {
			var err error
			if open && pg {
				_, err = t.tx.ExecContext(ctx, qRelease+"; "+qSavepoint)
			} else {
				if open {
					_, err = t.exec(ctx, qRelease)
				}
				if err == nil {
					_, err = t.exec(ctx, qSavepoint)
				}
			}
			if err != nil {
				sqlTx.Rollback()
				return err
			}
			open = true
		}
		if r.unbounded {
			bctx.lift()
		}
		saved := t.mark()
		// The function's statements do not watch the caller's cancellation:
		// once started it runs to its outcome, which the caller waits for
		// anyway; an interrupted statement would only undo it (and on
		// PostgreSQL a cancelled query can break the whole batch's
		// transaction). They watch the batch's deadline instead.
		t.ctx, t.now, t.after = writerCtx{Context: ctx, values: context.WithValue(r.ctx, inWriteKey{}, true)}, b.db.Now(), nil
		ferr := call(r.fn, t)
		if ferr == nil {
			// The records the writer changed are sealed into its last
			// audit event; a change without an audit event fails here.
			ferr = t.sealShare(saved)
		}
		if ferr != nil {
			if pg && isBusy(ferr) {
				// A deadlock between concurrent batches (40P01): the
				// whole batch runs again (run), not just this writer.
				sqlTx.Rollback()
				return ferr
			}
			errs[i] = ferr
			if !savepoint {
				sqlTx.Rollback()
				return nil
			}
			if _, err := t.exec(ctx, qRollbackTo); err != nil {
				sqlTx.Rollback()
				return err
			}
			t.rollbackTo(saved)
		} else {
			afters[i] = t.after
			ok++
		}
	}
	if open && !pg {
		if _, err := t.exec(ctx, qRelease); err != nil {
			sqlTx.Rollback()
			return err
		}
	}
	if ok == 0 {
		return sqlTx.Rollback()
	}
	if err := t.flushBulk(); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := t.flushAudit(); err != nil {
		sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return err
	}
	b.commits.Add(1)
	b.writes.Add(uint64(ok))
	return nil
}

// call runs fn, turning a panic into an internal error so that one bad
// caller cannot take the write loop down.
func call(fn WriteFunc, t *Tx) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = domain.Wrap("store.Write", fmt.Errorf("panic: %v\n%s", p, debug.Stack()))
		}
	}()
	return fn(t)
}
