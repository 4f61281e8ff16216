//go:build linux

package timerslack

import (
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// threadSlack is the calling thread's timer slack.
func threadSlack(t *testing.T) time.Duration {
	t.Helper()
	ns, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err != nil {
		t.Fatalf("PR_GET_TIMERSLACK: %v", err)
	}
	return time.Duration(ns)
}

// TestThreadsHaveSlack checks that the constructor ran before the runtime
// made its threads: every thread has Slack.
func TestThreadsHaveSlack(t *testing.T) {
	if !cgoBuild {
		t.Skip("built without cgo: no constructor")
	}
	want := Slack
	if !Set() {
		// Started with a chosen slack (or prctl failed): the threads
		// have what the process was started with.
		runtime.LockOSThread()
		want = threadSlack(t)
		runtime.UnlockOSThread()
		if want == kernelDefault {
			t.Fatal("the constructor kept the kernel's default slack")
		}
		t.Logf("started with a slack of %v: kept", want)
	}
	// Threads the runtime makes now, for goroutines locked to them.
	got := make(chan time.Duration)
	for range 4 {
		go func() {
			runtime.LockOSThread() // never unlocked: the thread exits with the goroutine
			ns, _ := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
			got <- time.Duration(ns)
		}()
	}
	for range 4 {
		if s := <-got; s != want {
			t.Fatalf("a thread's slack is %v, want %v", s, want)
		}
	}
	// Every thread, the runtime's monitor thread included, where /proc
	// lets this process read its other threads' slack (root can).
	tasks, err := filepath.Glob("/proc/self/task/*")
	if err != nil {
		t.Fatal(err)
	}
	read := 0
	for _, task := range tasks {
		raw, err := os.ReadFile("/proc/" + filepath.Base(task) + "/timerslack_ns")
		if err != nil {
			continue // another thread's, without the right to read it
		}
		ns, err := strconv.ParseInt(strings.TrimSpace(string(raw)), 10, 64)
		if err != nil {
			t.Fatalf("%s: %q", task, raw)
		}
		if time.Duration(ns) != want {
			t.Fatalf("thread %s has slack %v, want %v", filepath.Base(task), time.Duration(ns), want)
		}
		read++
	}
	t.Logf("%d of %d threads read from /proc", read, len(tasks))
}
