package action

import (
	"sync"
	"sync/atomic"
	"testing"
)

// TestGoRun checks that every job runs, also when more run at once than
// workers may wait idle, and that the idle list stays bounded.
func TestGoRun(t *testing.T) {
	for _, n := range []int{1, maxIdleWorkers, 4 * maxIdleWorkers} {
		var ran atomic.Int64
		var wg sync.WaitGroup
		release := make(chan struct{})
		for range n {
			wg.Add(1)
			goRun(func() {
				defer wg.Done()
				<-release
				ran.Add(1)
			})
		}
		close(release)
		wg.Wait()
		if got := ran.Load(); got != int64(n) {
			t.Errorf("%d jobs: %d ran", n, got)
		}
		workers.Lock()
		idle := len(workers.idle)
		workers.Unlock()
		if idle > maxIdleWorkers {
			t.Errorf("%d idle workers, limit %d", idle, maxIdleWorkers)
		}
	}
}
