package action

import (
	"sync"
	"time"
)

// DefaultStuckGrace is how long a run Run abandoned (see abandonGrace) may
// go on before the stuck handler is called (SetStuckHandler).
const DefaultStuckGrace = 10 * time.Second

// stuckGrace is DefaultStuckGrace; tests shorten it.
var stuckGrace = DefaultStuckGrace

var (
	stuckMu      sync.Mutex
	stuckHandler func(time.Duration)
)

// SetStuckHandler sets the function called, on a goroutine of its own,
// when a run that Run abandoned at its deadline is still inside its
// built-in call DefaultStuckGrace later: a call goja cannot interrupt that
// the guards did not bound either, which goes on using CPU and memory until
// the process ends. It gets how long the run has been stuck since it was
// abandoned. A process that only runs the devnet (the supervised child of
// litsigner devnet and litsignerd --dev) exits from it, so that its
// supervisor starts a fresh one; nil (the default) only lets the run go on.
func SetStuckHandler(f func(stuckFor time.Duration)) {
	stuckMu.Lock()
	defer stuckMu.Unlock()
	stuckHandler = f
}

// watchStuck calls the stuck handler set now unless done, the abandoned
// run's result channel, receives within stuckGrace.
func watchStuck(done <-chan error) {
	grace := stuckGrace
	stuckMu.Lock()
	f := stuckHandler
	stuckMu.Unlock()
	if f == nil {
		return
	}
	go func() {
		t := time.NewTimer(grace)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
			f(grace)
		}
	}()
}
