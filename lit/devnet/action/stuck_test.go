package action

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestAbandonedRun checks what happens to a run stuck in a built-in call
// past its deadline (a backtracking regexp, which runs
// testRegexpMatchTimeout): its memory account is closed when Run gives up
// on it (a stuck run counted as running and kept later runs from the
// shared budget), and the stuck handler hears of it after stuckGrace.
func TestAbandonedRun(t *testing.T) {
	oldAbandon, oldStuck := abandonGrace, stuckGrace
	abandonGrace, stuckGrace = 10*time.Millisecond, 50*time.Millisecond
	defer func() { abandonGrace, stuckGrace = oldAbandon, oldStuck }()
	called := make(chan time.Duration, 1)
	SetStuckHandler(func(d time.Duration) { called <- d })
	defer SetStuckHandler(nil)

	_, err := Run(context.Background(), `/^(x+x+)+y(?=z)/.test("x".repeat(60))`, nil, nil, Limits{Timeout: 10 * time.Millisecond})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	watchdog.mu.Lock()
	busy := 0
	for m := range watchdog.meters {
		if m.busy.Load() > 0 {
			busy++
		}
	}
	watchdog.mu.Unlock()
	if busy != 0 {
		t.Errorf("%d runs still registered as running after Run returned", busy)
	}
	select {
	case d := <-called:
		if d != stuckGrace {
			t.Errorf("stuck handler got %v, want %v", d, stuckGrace)
		}
	case <-time.After(testRegexpMatchTimeout):
		t.Error("stuck handler not called")
	}
}

// TestFinishedRunNotStuck checks that a run that stops within stuckGrace
// after it was abandoned is not reported.
func TestFinishedRunNotStuck(t *testing.T) {
	oldAbandon, oldStuck := abandonGrace, stuckGrace
	abandonGrace, stuckGrace = 10*time.Millisecond, 4*testRegexpMatchTimeout
	defer func() { abandonGrace, stuckGrace = oldAbandon, oldStuck }()
	called := make(chan time.Duration, 1)
	SetStuckHandler(func(d time.Duration) { called <- d })
	defer SetStuckHandler(nil)

	if _, err := Run(context.Background(), `/^(x+x+)+y(?=z)/.test("x".repeat(60))`, nil, nil, Limits{Timeout: 10 * time.Millisecond}); !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	select {
	case <-called:
		t.Error("stuck handler called for a run that ended")
	case <-time.After(stuckGrace + 100*time.Millisecond):
	}
}
