package daemon

import (
	"runtime/debug"
	"sync"
	"time"
)

// idleMemoryDelay is how long the daemon must have had no Lit call in
// flight before it gives its free heap back to the kernel.
const idleMemoryDelay = time.Second

// idleMemory returns the garbage of a burst of calls to the kernel once
// the burst is over. A burst of concurrent executeJs calls leaves tens of
// megabytes of freed heap and goroutine stacks that the Go runtime would
// otherwise keep resident (its background scavenger returns them only
// slowly); a background daemon should not hold them while it waits for the
// next app. One forced collection after each idle period costs a few
// milliseconds; calls that follow each other closely never trigger it,
// and an idle daemon is never woken by it.
type idleMemory struct {
	mu      sync.Mutex
	active  int
	gen     uint64 // counts begins, so a timer armed before a call is stale after it
	timer   *time.Timer
	closed  bool
	delay   time.Duration
	release func() // debug.FreeOSMemory; tests count instead
}

func newIdleMemory() *idleMemory {
	return &idleMemory{delay: idleMemoryDelay, release: debug.FreeOSMemory}
}

// begin marks a call in flight.
func (m *idleMemory) begin() {
	m.mu.Lock()
	m.active++
	m.gen++
	m.mu.Unlock()
}

// touch arms the release as a call that just ended would (a connection
// closed: what it held is garbage now).
func (m *idleMemory) touch() {
	m.begin()
	m.end()
}

// end marks a call finished; the last one arms the release.
func (m *idleMemory) end() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.active--
	if m.active > 0 || m.closed {
		return
	}
	gen := m.gen
	if m.timer != nil {
		m.timer.Stop()
	}
	m.timer = time.AfterFunc(m.delay, func() { m.fire(gen) })
}

// fire releases memory if no call began since the timer was armed.
func (m *idleMemory) fire(gen uint64) {
	m.mu.Lock()
	idle := m.active == 0 && m.gen == gen && !m.closed
	m.mu.Unlock()
	if idle {
		m.release()
	}
}

// close stops a pending release (the daemon is stopping).
func (m *idleMemory) close() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	if m.timer != nil {
		m.timer.Stop()
	}
}
