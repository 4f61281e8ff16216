package lit

import (
	"sync"
	"testing"
	"time"
)

// TestRequestWorkersReuse checks that a job goes to a waiting worker
// rather than to a new goroutine, that concurrent jobs each get one, and
// that closing the pool ends the waiting workers while later jobs still
// run.
func TestRequestWorkersReuse(t *testing.T) {
	w := newRequestWorkers(workerIdle, 8)
	for i := 0; i < 3; i++ {
		done := make(chan struct{})
		w.run(func() { close(done) })
		<-done
		waitFor(t, func() bool { return w.idleCount() == 1 }, "the worker to be idle again")
	}
	if n := w.started.Load(); n != 1 {
		t.Fatalf("%d workers started for three jobs in a row, want 1", n)
	}
	// Concurrent jobs that block each other run on their own workers: no
	// job waits behind another.
	var started sync.WaitGroup
	release := make(chan struct{})
	started.Add(4)
	for i := 0; i < 4; i++ {
		w.run(func() {
			started.Done()
			<-release
		})
	}
	started.Wait() // would hang if a job queued behind a blocked one
	if n := w.live.Load(); n != 4 {
		t.Fatalf("%d workers for four blocked jobs, want 4", n)
	}
	close(release)
	waitFor(t, func() bool { return w.idleCount() == 4 }, "four idle workers")
	w.close()
	waitFor(t, func() bool { return w.live.Load() == 0 }, "workers gone after close")
	done := make(chan struct{})
	w.run(func() { close(done) })
	<-done
}

// TestRequestWorkersIdleBound checks that workers beyond the idle bound
// exit as soon as their job is done.
func TestRequestWorkersIdleBound(t *testing.T) {
	w := newRequestWorkers(workerIdle, 2)
	defer w.close()
	var started sync.WaitGroup
	release := make(chan struct{})
	started.Add(5)
	for i := 0; i < 5; i++ {
		w.run(func() {
			started.Done()
			<-release
		})
	}
	started.Wait()
	close(release)
	waitFor(t, func() bool { return w.live.Load() == 2 }, "all but two workers to exit")
	if n := w.idleCount(); n != 2 {
		t.Fatalf("%d idle workers, want 2", n)
	}
}

// TestRequestWorkersExitWhenIdle checks that a worker without a job for
// the idle time exits.
func TestRequestWorkersExitWhenIdle(t *testing.T) {
	w := newRequestWorkers(20*time.Millisecond, 8)
	defer w.close()
	done := make(chan struct{})
	w.run(func() { close(done) })
	<-done
	if w.live.Load() != 1 {
		t.Fatal("no worker running after a job")
	}
	waitFor(t, func() bool { return w.live.Load() == 0 }, "the idle worker to exit")
}

// waitFor polls cond for up to 10 s.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
