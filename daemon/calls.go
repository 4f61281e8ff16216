package daemon

import "sync/atomic"

// callGate is what every API call passes through (see handle): it is
// audited, and once the daemon stops, calls that arrive are refused with
// errShuttingDown (4301). The calls in flight are cancelled, and their
// answers written before their connections close, by ipc.Server.Shutdown.
type callGate struct {
	audit   *auditor
	stopped atomic.Bool
}

// newCallGate returns an open gate whose calls are audited by audit.
func newCallGate(audit *auditor) *callGate {
	return &callGate{audit: audit}
}

// enter admits one call, or refuses it once the gate is stopped.
func (g *callGate) enter() error {
	if g.stopped.Load() {
		return errShuttingDown
	}
	return nil
}

// stop refuses the calls that arrive from now on.
func (g *callGate) stop() { g.stopped.Store(true) }
