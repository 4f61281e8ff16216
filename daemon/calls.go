package daemon

import (
	"context"
	"fmt"
	"sync"
)

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
	return nil
}

func (g *callGate) leave() {
	g.calls.Done()
}

// withStop returns ctx, cancelled with errShuttingDown when the gate stops.
func (g *callGate) withStop(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	unhook := context.AfterFunc(g.stopping, func() { cancel(context.Cause(g.stopping)) })
	return ctx, func() { unhook(); cancel(nil) }
}

// stop refuses new calls, cancels those in flight and waits until they
// have returned, or until ctx is done. Their answers (4301) are written
// after they return: ipc.Server.Shutdown waits for those before it closes
// the connections.
func (g *callGate) stop(ctx context.Context) error {
	g.mu.Lock()
	g.stopped = true
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
	return nil
}
