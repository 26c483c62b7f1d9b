package store

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultTimeout bounds every database call unless Config.Timeout says
// otherwise: long enough for any query LabFlow makes on a healthy
// database, short enough that a request against a frozen or unreachable
// one fails (503) instead of hanging.
const DefaultTimeout = 10 * time.Second

// Timeout returns the bound of every database call (Config.Timeout).
func (db *DB) Timeout() time.Duration { return db.timeout }

func noCancel() {}

// bound returns ctx with the database's deadline, now plus Timeout, unless
// ctx already ends sooner. The caller defers cancel and must have read
// everything it needs (rows consumed, row scanned) before cancel runs.
//
// On SQLite the deadline is SQLite's own: a local call waits only for a
// lock, and busy_timeout (set to Timeout) bounds that wait. A cancellable
// context would instead cost the driver a goroutine per statement, on the
// hot path of every approval; so SQLite calls keep their context as is.
func (db *DB) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if db.dialect == SQLite {
		return ctx, noCancel
	}
	d := time.Now().Add(db.timeout)
	if dl, ok := ctx.Deadline(); ok && !dl.After(d) {
		return ctx, noCancel
	}
	return context.WithDeadline(ctx, d)
}

// bound is db.bound for the read helpers that take a Reader: on the read
// pool the deadline is set here; inside a write the statements already
// run under the batch's deadline (Tx.QueryContext).
func bound(ctx context.Context, r Reader) (context.Context, context.CancelFunc) {
	if c, ok := r.(cachedReader); ok {
		return c.db.bound(ctx)
	}
	return ctx, noCancel
}

// loose gives ctx the database's deadline when it has none, for a query
// whose rows outlive the call that starts it (cachedReader, used directly
// rather than through a read helper that bounds the context itself). The
// context is released by its own timer when the deadline passes; the rows
// are long consumed by then, or the deadline is what ends them.
func (db *DB) loose(ctx context.Context) context.Context {
	if _, ok := ctx.Deadline(); ok || db.dialect == SQLite {
		return ctx
	}
	ctx, cancel := context.WithTimeout(ctx, db.timeout)
	_ = cancel // released by its timer (see above)
	return ctx
}

// writerCtx is a writer's context inside a batch: the writer's values
// (the acting user, the request id) with the batch's deadline and
// cancellation, so that every statement of the batch ends by the batch's
// deadline and no writer's own cancellation interrupts the transaction
// that others share.
type writerCtx struct {
	context.Context                 // the batch
	values          context.Context // the writer's
}

func (c writerCtx) Value(key any) any { return c.values.Value(key) }

// errStalled is the cause of a long walk's cancellation when one of its
// steps made no progress within the timeout.
var errStalled = fmt.Errorf("store: no progress within the timeout: %w", context.DeadlineExceeded)

// progress is the deadline of a walk that may rightly take longer than
// the timeout as a whole (VerifyAudit reads the entire audit trail and
// every sealed record in one snapshot): every thousand rows read
// (advance) push it back by the timeout, so the walk runs as long as it
// keeps making progress, and fails within the timeout of its last step
// when the database stops answering. One goroutine walks.
type progress struct {
	ctx     context.Context
	timer   *time.Timer
	cancel  context.CancelCauseFunc
	timeout time.Duration
	rows    int
}

type progressKey struct{}

func (db *DB) progress(ctx context.Context) *progress {
	ctx, cancel := context.WithCancelCause(ctx)
	p := &progress{cancel: cancel, timeout: db.timeout}
	p.ctx = context.WithValue(ctx, progressKey{}, p)
	p.timer = time.AfterFunc(db.timeout, func() { cancel(errStalled) })
	return p
}

// advance records one row read by the walk of ctx, if ctx is a walk's.
func advance(ctx context.Context) {
	if p, ok := ctx.Value(progressKey{}).(*progress); ok {
		if p.rows++; p.rows%1000 == 0 {
			p.timer.Reset(p.timeout)
		}
	}
}

// stop releases the walk's context.
func (p *progress) stop() {
	p.timer.Stop()
	p.cancel(context.Canceled)
}

// err returns err, marked as past its deadline when the walk stalled (so
// that mapErr makes it KindUnavailable rather than a cancellation).
func (p *progress) err(err error) error {
	if err != nil && errors.Is(context.Cause(p.ctx), errStalled) {
		return fmt.Errorf("%w: %w", errStalled, err)
	}
	return err
}

// batchCtx is a group-commit batch's context: done when the batch's
// deadline passes (Err is then context.DeadlineExceeded, which mapErr
// makes KindUnavailable) or when the batch ends. Unlike a context from
// context.WithTimeout, its deadline can be lifted for a writer that may
// rightly take long (writeUnbounded: a one-time job at start such as
// sealing an upgraded database's records).
type batchCtx struct {
	done chan struct{}

	mu       sync.Mutex
	timer    *time.Timer
	deadline time.Time // zero: none
	err      error
}

func newBatchCtx(timeout time.Duration) *batchCtx {
	c := &batchCtx{done: make(chan struct{}), deadline: time.Now().Add(timeout)}
	c.mu.Lock() // expire reads c.timer under the lock
	c.timer = time.AfterFunc(timeout, c.expire)
	c.mu.Unlock()
	return c
}

// Deadline implements context.Context.
func (c *batchCtx) Deadline() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.deadline, !c.deadline.IsZero()
}

// Done implements context.Context.
func (c *batchCtx) Done() <-chan struct{} { return c.done }

// Err implements context.Context.
func (c *batchCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Value implements context.Context; a batch carries no values (its
// writers' are in writerCtx).
func (c *batchCtx) Value(any) any { return nil }

func (c *batchCtx) expire() { c.end(context.DeadlineExceeded) }

func (c *batchCtx) end(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.err = err
		c.timer.Stop()
		close(c.done)
	}
}

// lift removes the deadline of a batch that has not yet passed it.
func (c *batchCtx) lift() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil && c.timer.Stop() {
		c.deadline = time.Time{}
	}
}

// stop ends the batch's context when the batch is over.
func (c *batchCtx) stop() { c.end(context.Canceled) }
