package daemon

import (
	"sync/atomic"
	"testing"
	"time"
)

// TestIdleMemoryReleasesAfterTheLastCall: the release follows the end of
// the last call in flight, once.
func TestIdleMemoryReleasesAfterTheLastCall(t *testing.T) {
	released := make(chan struct{}, 4)
	m := &idleMemory{delay: time.Millisecond, release: func() { released <- struct{}{} }}
	defer m.close()
	m.begin()
	m.begin()
	m.end() // one call still in flight: nothing armed
	if m.timer != nil {
		t.Fatal("a release was armed while a call was in flight")
	}
	m.end()
	select {
	case <-released:
	case <-time.After(10 * time.Second):
		t.Fatal("no release after the last call ended")
	}
}

// TestIdleMemoryStaleTimer: a timer armed before a call began must not
// release memory, whether that call is still running or has ended (its own
// end arms a new timer); close cancels everything.
func TestIdleMemoryStaleTimer(t *testing.T) {
	var n atomic.Int32
	tests := []struct {
		name  string
		steps func(m *idleMemory, armedGen uint64)
		want  int32
	}{
		{"idle since armed", func(m *idleMemory, g uint64) { m.fire(g) }, 1},
		{"call running", func(m *idleMemory, g uint64) { m.begin(); m.fire(g) }, 0},
		{"call began and ended", func(m *idleMemory, g uint64) { m.begin(); m.end(); m.fire(g) }, 0},
		{"closed", func(m *idleMemory, g uint64) { m.close(); m.fire(g) }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n.Store(0)
			// An hour: the timer never fires by itself during the test.
			m := &idleMemory{delay: time.Hour, release: func() { n.Add(1) }}
			defer m.close()
			m.begin()
			m.end()
			tt.steps(m, m.gen)
			if got := n.Load(); got != tt.want {
				t.Errorf("%d releases, want %d", got, tt.want)
			}
		})
	}
}

// TestIdleMemoryTouch: a closed connection arms the release like the end
// of a call, but not while a call is in flight.
func TestIdleMemoryTouch(t *testing.T) {
	released := make(chan struct{}, 4)
	m := &idleMemory{delay: time.Millisecond, release: func() { released <- struct{}{} }}
	defer m.close()
	m.begin()
	m.touch()
	if m.timer != nil {
		t.Fatal("a release was armed while a call was in flight")
	}
	m.end()
	<-released
	m.touch()
	select {
	case <-released:
	case <-time.After(10 * time.Second):
		t.Fatal("no release after a touch while idle")
	}
}
