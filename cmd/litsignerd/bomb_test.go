package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/litsigner/litsigner/daemon/cli"
	"github.com/litsigner/litsigner/lit/devnet"
)

// children returns the process ids of pid's children.
func children(pid int) []int {
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	var out []int
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(s); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

// rssWatch samples the peak resident set of a process and its children
// until stopped.
type rssWatch struct {
	mu       sync.Mutex
	self     int64
	children int64 // largest peak of any one child seen
	stop     chan struct{}
	done     chan struct{}
}

func watchRSS(pid int) *rssWatch {
	w := &rssWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			w.sample(pid)
			select {
			case <-w.stop:
				w.sample(pid)
				return
			case <-t.C:
			}
		}
	}()
	return w
}

func (w *rssWatch) sample(pid int) {
	self, _ := devnet.ProcPeakRSS(pid)
	var child int64
	for _, c := range children(pid) {
		if n, err := devnet.ProcPeakRSS(c); err == nil {
			child = max(child, n)
		}
	}
	w.mu.Lock()
	w.self, w.children = max(w.self, self), max(w.children, child)
	w.mu.Unlock()
}

func (w *rssWatch) end() (self, child int64) {
	close(w.stop)
	<-w.done
	return w.self, w.children
}

// TestDaemonDevMemoryBombs runs memory bombs on the ten nodes of
// litsignerd --dev at once: the devnet runs in a child process, so the
// daemon's own memory does not move, the daemon together with its child
// stays under 1 GiB resident, each call fails with an error, the daemon
// answers status during and after, and signs afterwards.
func TestDaemonDevMemoryBombs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's memory is not the program's")
	}
	if testing.Short() {
		t.Skip("runs memory bombs")
	}
	dir, sock, _, d := startDevDaemon(t)
	pid := d.cmd.Process.Pid
	if len(children(pid)) != 1 {
		t.Fatalf("litsignerd --dev has children %v, want one devnet process", children(pid))
	}
	w := watchRSS(pid)
	for i, bomb := range []string{
		`let a = []; while (true) { a.push('x'.repeat(1e6)); }`,
		`let s = 'x'; while (true) { s += s; }`,
		`let a = []; while (true) { a.push(new Uint8Array(1e6).fill(1)); }`,
		`new ArrayBuffer(2 ** 40);`,
	} {
		signs(t, sock) // the devnet is up (again)
		file := filepath.Join(dir, "bomb"+strconv.Itoa(i)+".js")
		if err := os.WriteFile(file, []byte(bomb), 0o600); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		cmd := exec.CommandContext(ctx, filepath.Join(binDir, "litsigner"), "exec", file, "--timeout", "60s")
		cmd.Env = append(os.Environ(), cli.SocketEnv+"="+sock)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			cancel()
			t.Fatal(err)
		}
		// The daemon answers while its devnet is being bombed.
		if _, code := cliRun(t, sock, "status"); code != 0 {
			t.Errorf("bomb %d: status exit %d during the bomb", i, code)
		}
		err := cmd.Wait()
		cancel()
		if err == nil {
			t.Fatalf("bomb %d: exec succeeded", i)
		}
		t.Logf("bomb %d: %s", i, lastLine(stderr.String()))
	}
	self, child := w.end()
	t.Logf("peak RSS: litsignerd %d MiB, largest devnet child %d MiB", self>>20, child>>20)
	if self+child >= 1<<30 {
		t.Errorf("litsignerd %d MiB + devnet %d MiB resident, want under 1024 MiB", self>>20, child>>20)
	}
	if self >= 128<<20 {
		t.Errorf("litsignerd itself reached %d MiB: the bombs reached the daemon's process", self>>20)
	}
	if !strings.Contains(d.logs.String(), "memory limit") && !strings.Contains(d.logs.String(), "devnet process died") {
		t.Log("neither a memory limit error nor a devnet restart was logged")
	}
	// Afterwards the network signs again (once a crashed devnet is back).
	signs(t, sock)
}

// signs fails t unless the seed action signs within 30 s: a devnet process
// that died is restarted in the background.
func signs(t *testing.T, sock string) {
	t.Helper()
	seed, err := filepath.Abs("../../daemon/testdata/sign-hello.js")
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, code := cliRun(t, sock, "exec", seed, "--param", "toSign=0x48656c6c6f", "--param", "sigName=sig1", "--json")
		if code == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the network does not sign: exit %d", code)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	line := s[strings.LastIndexByte(s, '\n')+1:]
	if len(line) > 300 {
		line = line[:300] + "…"
	}
	return line
}
