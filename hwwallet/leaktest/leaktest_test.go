package leaktest

import (
	"os"
	"os/signal"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeTB records failures instead of failing the real test.
type fakeTB struct {
	testing.TB
	mu     sync.Mutex
	errors []string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Errorf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errors = append(f.errors, format)
}

func TestCheckSeesALeftoverGoroutine(t *testing.T) {
	stop := make(chan struct{})
	ended := &fakeTB{TB: t}
	waitEnded := Check(ended) // counts from before the goroutine starts
	ft := &fakeTB{TB: t}
	check := Check(ft)
	go func() { <-stop }()
	check()
	if len(ft.errors) != 1 || !strings.Contains(ft.errors[0], "goroutines still running") {
		t.Fatalf("Check reported %q, want one leak", ft.errors)
	}
	// End the goroutine, and wait for it, so later tests start clean.
	close(stop)
	waitEnded()
	if len(ended.errors) != 0 {
		t.Fatalf("the test's own goroutine did not end: %q", ended.errors)
	}
}

func TestCheckPassesWhenGoroutinesEnd(t *testing.T) {
	ft := &fakeTB{TB: t}
	check := Check(ft)
	done := make(chan struct{})
	go func() { close(done) }()
	<-done
	check()
	if len(ft.errors) != 0 {
		t.Fatalf("Check reported %q", ft.errors)
	}
}

// TestSignalLoopNotCounted: os/signal's loop (started by the fuzzing
// engine, alive until exit) is not a leak.
func TestSignalLoopNotCounted(t *testing.T) {
	before := Running()
	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt)
	defer signal.Stop(c)
	// The loop is counted only while it starts, until it waits in
	// signal_recv. (Fewer than before is fine: a goroutine of an earlier
	// test may still have been on its way out when before was read.)
	deadline := time.Now().Add(5 * time.Second)
	for Running() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines after signal.Notify, %d before:\n%s", Running(), before, Dump())
		}
		time.Sleep(time.Millisecond)
	}
}
