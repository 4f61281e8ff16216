// Package leaktest checks that a test leaves no goroutine behind. Tests that
// use it must not run in parallel with others in the same package.
package leaktest

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// Check records the number of goroutines now and returns a function, to be
// deferred, that fails t if more are still running two seconds after the
// test body ended (goroutines that are ending get that long to finish).
func Check(t testing.TB) func() {
	t.Helper()
	base := Running()
	return func() {
		t.Helper()
		deadline := time.Now().Add(2 * time.Second)
		for {
			n := Running()
			if n <= base {
				return
			}
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<20)
				buf = buf[:runtime.Stack(buf, true)]
				t.Errorf("leaktest: %d goroutines still running, %d before the test:\n%s", n, base, interesting(string(buf)))
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// Running returns the number of goroutines, not counting os/signal's
// loop: the fuzzing engine starts it (signal.NotifyContext, in the
// coordinator and in every worker) and it runs until the process exits.
func Running() int {
	buf := make([]byte, 64<<10)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.HasPrefix(g, "goroutine ") && !strings.Contains(g, "\nos/signal.signal_recv(") {
			count++
		}
	}
	return count
}

// Dump returns the stacks of all goroutines but the testing framework's.
func Dump() string {
	buf := make([]byte, 1<<20)
	return interesting(string(buf[:runtime.Stack(buf, true)]))
}

// interesting drops the testing framework's own goroutines from a dump.
func interesting(dump string) string {
	var keep []string
	for _, g := range strings.Split(dump, "\n\n") {
		if strings.Contains(g, "testing.(*T).Run") || strings.Contains(g, "testing.tRunner") && !strings.Contains(g, "_test.go") {
			continue
		}
		keep = append(keep, g)
	}
	return strings.Join(keep, "\n\n")
}
