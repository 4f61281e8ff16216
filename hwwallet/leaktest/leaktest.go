// Package leaktest checks that tests leave no goroutine behind: Check for
// one test, Main for a whole package's run (from TestMain). Tests that use
// Check must not run in parallel with others in the same package.
//
// It is test support for every package of the module (hwwallet, lit, ipc,
// daemon), not part of hwwallet's API. It lives here, and not in an
// internal package, because the fixed top-level layout has no module-wide
// internal/ directory, and hwwallet/internal or lit/internal is invisible
// to the other trees. It imports only the standard library, so it adds no
// dependency to any package whose tests use it.
package leaktest

import (
	"fmt"
	"os"
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

// Main runs m and, if every test passed, fails the run when goroutines are
// left over once every test has cleaned up (those that are ending get
// settle to finish). Before counting it calls shutdown, which stops what
// the package keeps running on purpose across tests (a package-level
// worker pool). Use it as a package's TestMain:
//
//	func TestMain(m *testing.M) { leaktest.Main(m, 3*time.Second) }
func Main(m *testing.M, settle time.Duration, shutdown ...func()) {
	before := Running()
	code := m.Run()
	if code == 0 {
		for _, f := range shutdown {
			f()
		}
		deadline := time.Now().Add(settle)
		for Running() > before && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := Running(); n > before {
			fmt.Fprintf(os.Stderr, "leaktest: %d goroutines left after every test ended:\n%s\n", n-before, Dump())
			code = 1
		}
	}
	os.Exit(code)
}
