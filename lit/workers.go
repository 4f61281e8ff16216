package lit

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Bounds of the idle request workers: how long one waits for another job
// before it exits, and how many may wait. A call keeps ten workers busy;
// 32 idle ones serve a few concurrent calls, and after a burst of many
// (64 clients: 640 workers) the rest exit at once instead of holding their
// stacks (5 MB) for the idle time.
const (
	workerIdle     = 5 * time.Second
	maxIdleWorkers = 32
)

// requestWorkers runs a client's node requests on goroutines kept between
// calls. A request runs deep in net/http; on a fresh goroutine, which
// starts with a small stack, that stack was grown (copied) again for every
// request, ten requests a call: about a tenth of litsignerd's CPU per call
// in a profile. A kept worker grows its stack once (and again only after
// the GC shrank it while it waited).
//
// A job goes to the worker that became idle last (its stack and caches are
// the warmest), or to a new worker; nothing queues behind a busy worker.
// Workers exit after their idle time without a job, when maxIdle others
// are idle already, and once the pool is closed (a busy one when its job
// is done, as a goroutine per job would).
type requestWorkers struct {
	timeout time.Duration // how long a worker waits for a job
	maxIdle int

	mu     sync.Mutex
	idle   []*requestWorker // waiting for a job, most recent last
	closed bool

	// started and live count the workers started and still running.
	started, live atomic.Int64
}

// requestWorker is one worker's mailbox: run hands it one job (nil: exit).
type requestWorker struct{ jobs chan func() }

// newRequestWorkers returns a pool whose workers exit after timeout
// without a job, or when maxIdle others are idle.
func newRequestWorkers(timeout time.Duration, maxIdle int) *requestWorkers {
	return &requestWorkers{timeout: timeout, maxIdle: maxIdle}
}

// run runs job on an idle worker, else on a new one (after close, on a
// plain goroutine).
func (w *requestWorkers) run(job func()) {
	w.mu.Lock()
	if n := len(w.idle); n > 0 {
		wk := w.idle[n-1]
		w.idle[n-1] = nil
		w.idle = w.idle[:n-1]
		w.mu.Unlock()
		wk.jobs <- job // buffered: never blocks
		return
	}
	closed := w.closed
	w.mu.Unlock()
	if closed {
		go job()
		return
	}
	w.started.Add(1)
	w.live.Add(1)
	go w.work(job)
}

// work runs job, then the jobs it is handed, until it has been idle for
// w.timeout, finds w.maxIdle workers idle, or the pool is closed.
func (w *requestWorkers) work(job func()) {
	defer w.live.Add(-1)
	wk := &requestWorker{jobs: make(chan func(), 1)}
	timer := time.NewTimer(w.timeout)
	defer timer.Stop()
	for job != nil {
		job()
		w.mu.Lock()
		if w.closed || len(w.idle) >= w.maxIdle {
			w.mu.Unlock()
			return
		}
		w.idle = append(w.idle, wk)
		w.mu.Unlock()
		timer.Reset(w.timeout)
		select {
		case job = <-wk.jobs:
			continue
		case <-timer.C:
		}
		// Idle too long: leave, unless run took this worker meanwhile
		// (its job is then in the mailbox, or about to be).
		w.mu.Lock()
		if i := slices.Index(w.idle, wk); i >= 0 {
			w.idle = slices.Delete(w.idle, i, i+1)
			w.mu.Unlock()
			return
		}
		w.mu.Unlock()
		job = <-wk.jobs
	}
}

// close stops the idle workers; a busy one exits when its job is done.
// Later jobs run on plain goroutines.
func (w *requestWorkers) close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for _, wk := range w.idle {
		wk.jobs <- nil
	}
	w.idle = nil
}

// idleCount is the number of idle workers.
func (w *requestWorkers) idleCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.idle)
}
