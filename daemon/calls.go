package daemon

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// replyGrace is how long stop waits, after the last cancelled call
// returned, before the connections close: go-ethereum writes each reply
// right after its handler returns, and the caller should read the 4301
// error rather than EOF.
const replyGrace = 100 * time.Millisecond

// callGate is what every API call passes through (see handle): it is
// audited, and on stop the blocking calls in flight are cancelled with
// errShuttingDown and waited for while their connections are still open,
// so that their callers get the 4301 error; calls that arrive later are
// refused with it.
type callGate struct {
	audit    *auditor
	stopping context.Context
	cancel   context.CancelCauseFunc

	mu      sync.Mutex
	stopped bool
	calls   sync.WaitGroup
	running int
}

// newCallGate returns an open gate whose calls are audited by audit.
func newCallGate(audit *auditor) *callGate {
	ctx, cancel := context.WithCancelCause(context.Background())
	return &callGate{audit: audit, stopping: ctx, cancel: cancel}
}

// enter admits one call; leave must follow. After stop it refuses.
func (g *callGate) enter() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.stopped {
		return errShuttingDown
	}
	g.calls.Add(1)
	g.running++
	return nil
}

func (g *callGate) leave() {
	g.mu.Lock()
	g.running--
	g.mu.Unlock()
	g.calls.Done()
}

// withStop returns ctx, cancelled with errShuttingDown when the gate stops.
func (g *callGate) withStop(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	unhook := context.AfterFunc(g.stopping, func() { cancel(context.Cause(g.stopping)) })
	return ctx, func() { unhook(); cancel(nil) }
}

// stop refuses new calls, cancels those in flight and waits until they
// have returned (and, if there were any, replyGrace for their replies), or
// until ctx is done.
func (g *callGate) stop(ctx context.Context) error {
	g.mu.Lock()
	g.stopped = true
	inFlight := g.running > 0
	g.mu.Unlock()
	g.cancel(errShuttingDown)
	done := make(chan struct{})
	go func() {
		g.calls.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
		return fmt.Errorf("calls still running: %w", ctx.Err())
	}
	if inFlight {
		select {
		case <-time.After(replyGrace):
		case <-ctx.Done():
		}
	}
	return nil
}
