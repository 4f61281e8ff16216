package workpool

import (
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
	"weak"
)

// TestPoolReuse checks that a job goes to a waiting worker
// rather than to a new goroutine, that concurrent jobs each get one, and
// that closing the pool ends the waiting workers while later jobs still
// run.
func TestPoolReuse(t *testing.T) {
	w := New(time.Minute, 8)
	for i := 0; i < 3; i++ {
		runJob(w)
		waitFor(t, func() bool { return w.idleCount() == 1 }, "the worker to be idle again")
	}
	if n := w.started.Load(); n != 1 {
		t.Fatalf("%d workers started for three jobs in a row, want 1", n)
	}
	// Concurrent jobs that block each other run on their own workers: no
	// job waits behind another.
	release := blockJobs(w, 4)
	if n := w.live.Load(); n != 4 {
		t.Fatalf("%d workers for four blocked jobs, want 4", n)
	}
	release()
	waitFor(t, func() bool { return w.idleCount() == 4 }, "four idle workers")
	w.Close()
	waitFor(t, func() bool { return w.live.Load() == 0 }, "workers gone after close")
	runJob(w)
}

// TestPoolIdleBound checks that workers beyond the idle bound
// exit as soon as their job is done.
func TestPoolIdleBound(t *testing.T) {
	w := New(time.Minute, 2)
	defer w.Close()
	blockJobs(w, 5)()
	waitFor(t, func() bool { return w.live.Load() == 2 }, "all but two workers to exit")
	if n := w.idleCount(); n != 2 {
		t.Fatalf("%d idle workers, want 2", n)
	}
}

// TestPoolExitWhenIdle checks that a worker without a job for
// the idle time exits.
func TestPoolExitWhenIdle(t *testing.T) {
	w := New(20*time.Millisecond, 8)
	defer w.Close()
	runJob(w)
	if w.live.Load() != 1 {
		t.Fatal("no worker running after a job")
	}
	waitFor(t, func() bool { return w.live.Load() == 0 }, "the idle worker to exit")
}

// TestPoolIdleTime checks that a worker that gets a job more often than
// its idle time keeps serving them, and that one left idle exits after one
// to two idle times (its timer is armed once per idle time, not per job).
func TestPoolIdleTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const idle = time.Second
		w := New(idle, 8)
		defer w.Close()
		for i := 0; i < 10; i++ {
			if i > 0 {
				time.Sleep(idle / 2)
			}
			runJob(w)
		}
		lastJob := time.Now()
		if n := w.started.Load(); n != 1 {
			t.Fatalf("%d workers started for a job every half idle time, want 1", n)
		}
		for w.live.Load() > 0 {
			time.Sleep(10 * time.Millisecond)
			synctest.Wait()
		}
		if d := time.Since(lastJob); d < idle || d > 2*idle+10*time.Millisecond {
			t.Fatalf("the idle worker exited %v after its last job, want %v to %v", d, idle, 2*idle)
		}
	})
}

// runJob runs an empty job with w.Run and waits until it has run.
func runJob(w *Pool) {
	done := make(chan struct{})
	w.Run(func() { close(done) })
	<-done
}

// blockJobs runs n jobs with w.Run that block until release is called,
// and returns once all n have started: it would hang if a job queued
// behind a blocked one.
func blockJobs(w *Pool, n int) (release func()) {
	var started sync.WaitGroup
	gate := make(chan struct{})
	started.Add(n)
	for i := 0; i < n; i++ {
		w.Run(func() {
			started.Done()
			<-gate
		})
	}
	started.Wait()
	return func() { close(gate) }
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

// TestPoolKeepsNoFinishedJob checks that an idle worker does not keep its
// last job, nor what the job refers to, alive.
func TestPoolKeepsNoFinishedJob(t *testing.T) {
	w := New(time.Minute, 8)
	defer w.Close()
	big := new([1 << 20]byte)
	ref := weak.Make(big)
	done := make(chan struct{})
	w.Run(func() {
		big[0] = 1
		close(done)
	})
	<-done
	waitFor(t, func() bool { return w.idleCount() == 1 }, "the worker to be idle")
	big = nil
	for i := 0; i < 10 && ref.Value() != nil; i++ {
		runtime.GC()
	}
	if ref.Value() != nil {
		t.Fatal("the idle worker keeps its finished job's data alive")
	}
}

// TestDo checks that Do waits for its job, runs it on a kept worker, and
// raises the job's panic in the caller, with its value reachable.
func TestDo(t *testing.T) {
	w := New(time.Minute, 8)
	defer w.Close()
	ran := false
	w.Do(func() { ran = true })
	if !ran {
		t.Fatal("Do returned before its job ran")
	}
	waitFor(t, func() bool { return w.idleCount() == 1 }, "the worker to be idle again")
	w.Do(func() {})
	if n := w.started.Load(); n != 1 {
		t.Fatalf("%d workers started for two Do in a row, want 1", n)
	}
	errBoom := errors.New("boom")
	for _, tt := range []struct {
		name  string
		value any
	}{{"error", errBoom}, {"string", "boom"}} {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				p := recover()
				err, ok := p.(error)
				if !ok || !strings.Contains(err.Error(), "boom") || !strings.Contains(err.Error(), "workpool_test.go") {
					t.Fatalf("recovered %v, want the job's panic with its stack", p)
				}
				if tt.value == errBoom && !errors.Is(err, errBoom) {
					t.Fatalf("recovered %v does not wrap the job's error", err)
				}
			}()
			w.Do(func() { panic(tt.value) })
			t.Fatal("Do returned after its job panicked")
		})
	}
	// The worker that panicked recovered: the pool still runs jobs.
	w.Do(func() {})
}
