package action

import (
	"sync"
	"time"
)

// The VM of a run executes on its own goroutine (see Run). A new goroutine
// starts with a small stack that goja's deep call chains grow, by copying,
// several times per run (a twentieth of a run's CPU). So a goroutine that
// finished a run waits a while for the next one, keeping its grown stack,
// up to maxIdleWorkers of them. They share nothing else: each run builds
// its own VM.
const (
	maxIdleWorkers = 16
	workerIdleTime = 10 * time.Second
)

// workers holds the idle goroutines.
var workers struct {
	sync.Mutex
	idle []*worker
}

// worker is one goroutine; jobs hands it its next job.
type worker struct {
	jobs chan func()
}

// goRun runs job on an idle worker, or on a new goroutine.
func goRun(job func()) {
	workers.Lock()
	if n := len(workers.idle); n > 0 {
		w := workers.idle[n-1]
		workers.idle = workers.idle[:n-1]
		workers.Unlock()
		w.jobs <- job // buffered: never blocks
		return
	}
	workers.Unlock()
	w := &worker{jobs: make(chan func(), 1)}
	go w.loop(job)
}

func (w *worker) loop(job func()) {
	timer := time.NewTimer(workerIdleTime)
	defer timer.Stop()
	for {
		job()
		job = nil
		if !w.park() {
			return
		}
		timer.Reset(workerIdleTime)
		select {
		case job = <-w.jobs:
		case <-timer.C:
			if !w.unpark() {
				job = <-w.jobs // taken just now: its job is on the way
			} else {
				return
			}
		}
	}
}

// park lists w as idle, unless enough workers are.
func (w *worker) park() bool {
	workers.Lock()
	defer workers.Unlock()
	if len(workers.idle) >= maxIdleWorkers {
		return false
	}
	workers.idle = append(workers.idle, w)
	return true
}

// unpark removes w from the idle list; false if goRun took it already.
func (w *worker) unpark() bool {
	workers.Lock()
	defer workers.Unlock()
	for i, x := range workers.idle {
		if x == w {
			workers.idle = append(workers.idle[:i], workers.idle[i+1:]...)
			return true
		}
	}
	return false
}
