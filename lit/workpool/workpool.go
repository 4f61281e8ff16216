// Package workpool runs jobs on goroutines kept between them.
//
// A job that runs deep (net/http's client, a goja VM) on a fresh goroutine,
// which starts with a small stack, grows that stack (copying it) every
// time; a kept goroutine grows it once, and again only after the GC shrank
// it while it waited.
package workpool

import (
	"fmt"
	"runtime/debug"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Pool runs jobs on kept goroutines (workers). It is safe for concurrent
// use.
//
// A job goes to the worker that became idle last (its stack and caches are
// the warmest), or to a new worker; nothing queues behind a busy worker.
// Workers exit after their idle time without a job, when maxIdle others
// are idle already, and once the pool is closed (a busy one when its job
// is done, as a goroutine per job would).
type Pool struct {
	timeout time.Duration // how long a worker waits for a job
	maxIdle int

	mu     sync.Mutex
	idle   []*worker // waiting for a job, most recent last
	closed bool

	// started and live count the workers started and still running (for
	// tests).
	started, live atomic.Int64
}

// worker is one worker's mailbox: Run hands it one job (nil: exit).
type worker struct{ jobs chan func() }

// New returns a pool whose workers exit after timeout without a job, or
// when maxIdle others are idle.
func New(timeout time.Duration, maxIdle int) *Pool {
	return &Pool{timeout: timeout, maxIdle: maxIdle}
}

// Run runs job on an idle worker, else on a new one (after Close, on a
// plain goroutine).
func (w *Pool) Run(job func()) {
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

// Do runs job on a worker, as Run does, and returns when it is done. A
// panic in job is raised again in the caller's goroutine (where a recover,
// such as an RPC server's, expects it), with the worker's stack in its
// value. It suits a caller on a fresh goroutine whose deep work would grow
// that goroutine's stack by copying it, every time.
func (w *Pool) Do(job func()) {
	done := make(chan *jobPanic, 1)
	w.Run(func() {
		defer func() {
			if p := recover(); p != nil {
				done <- &jobPanic{value: p, stack: debug.Stack()}
				return
			}
			done <- nil
		}()
		job()
	})
	if p := <-done; p != nil {
		panic(p)
	}
}

// jobPanic is a panic of a job run by Do.
type jobPanic struct {
	value any
	stack []byte
}

func (p *jobPanic) Error() string {
	return fmt.Sprintf("%v\n\nworker goroutine:\n%s", p.value, p.stack)
}

// Unwrap returns the panic's value if it is an error.
func (p *jobPanic) Unwrap() error {
	err, _ := p.value.(error)
	return err
}

// work runs job, then the jobs it is handed, until it has been idle for
// a whole w.timeout (so between one and two timeouts after its last job),
// finds w.maxIdle workers idle, or the pool is closed. Its timer is armed
// once per timeout, not once per job: resetting it after every job was a
// timer-heap update for each of a call's dozen jobs.
func (w *Pool) work(job func()) {
	defer w.live.Add(-1)
	wk := &worker{jobs: make(chan func(), 1)}
	timer := time.NewTimer(w.timeout)
	defer timer.Stop()
	for job != nil {
		job()
		// A waiting worker holds no finished job: what the job refers to
		// (a request, a whole VM) becomes garbage when the job ends, as
		// it would with a goroutine per job.
		job = nil
		w.mu.Lock()
		if w.closed || len(w.idle) >= w.maxIdle {
			w.mu.Unlock()
			return
		}
		w.idle = append(w.idle, wk)
		w.mu.Unlock()
		job = w.wait(wk, timer)
	}
}

// wait waits, idle, for wk's next job; it returns nil once wk has waited a
// whole w.timeout (the timer's period) and left the idle list. A timer
// that fires after a job ran in its period is armed again.
func (w *Pool) wait(wk *worker, timer *time.Timer) func() {
	for fresh := true; ; fresh = false {
		select {
		case job := <-wk.jobs:
			return job
		case <-timer.C:
		}
		timer.Reset(w.timeout)
		if fresh {
			continue // a job ran in the period that ended
		}
		// Idle too long: leave, unless Run took this worker meanwhile
		// (its job is then in the mailbox, or about to be).
		w.mu.Lock()
		if i := slices.Index(w.idle, wk); i >= 0 {
			w.idle = slices.Delete(w.idle, i, i+1)
			w.mu.Unlock()
			return nil
		}
		w.mu.Unlock()
		return <-wk.jobs
	}
}

// Close stops the idle workers; a busy one exits when its job is done.
// Later jobs run on plain goroutines.
func (w *Pool) Close() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	for _, wk := range w.idle {
		wk.jobs <- nil
	}
	w.idle = nil
}

// idleCount is the number of idle workers.
func (w *Pool) idleCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.idle)
}
