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
	base := runtime.NumGoroutine()
	return func() {
		t.Helper()
		deadline := time.Now().Add(2 * time.Second)
		for {
			n := runtime.NumGoroutine()
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
