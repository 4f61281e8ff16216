package action

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// rssBound is what ten concurrent memory bombs may make the process
// resident at most.
const rssBound = 1 << 30

// bombChildEnv names the bomb a re-executed test binary runs ten times at
// once (TestMemoryBombChild), so that its peak RSS is its own.
const bombChildEnv = "LITSIGNER_ACTION_BOMB"

// TestTenMemoryBombsRSS runs each bomb in ten concurrent runs with the
// default limits, in a fresh process, and checks that the process's peak
// resident memory (VmHWM) stays under 1 GiB and that every run ended with
// a memory limit error. Bombs that grow inside one VM instruction or
// built-in call (string doubling, a deep JSON.stringify) are not bounded
// in-process; see memory.go.
func TestTenMemoryBombsRSS(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's memory is not the program's")
	}
	if testing.Short() {
		t.Skip("runs a child process per bomb")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range bombs {
		if !b.boundedInProcess {
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			cmd := exec.Command(exe, "-test.run=^TestMemoryBombChild$", "-test.v")
			cmd.Env = append(os.Environ(), bombChildEnv+"="+strconv.Itoa(i))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("child: %v\n%s", err, out)
			}
			hwm, ok := parseField(string(out), "peak-rss-bytes")
			if !ok {
				t.Fatalf("no peak RSS in the child's output:\n%s", out)
			}
			t.Logf("10 × %q: peak RSS %d MiB", b.name, hwm>>20)
			if hwm >= rssBound {
				t.Errorf("peak RSS %d MiB, want under %d MiB", hwm>>20, rssBound>>20)
			}
		})
	}
}

// TestMemoryBombChild is the child of TestTenMemoryBombsRSS.
func TestMemoryBombChild(t *testing.T) {
	v := os.Getenv(bombChildEnv)
	if v == "" {
		t.Skip("run by TestTenMemoryBombsRSS")
	}
	i, err := strconv.Atoi(v)
	if err != nil || i < 0 || i >= len(bombs) {
		t.Fatalf("bad %s=%q", bombChildEnv, v)
	}
	var wg sync.WaitGroup
	errs := make([]error, 10)
	for n := range errs {
		wg.Go(func() {
			_, errs[n] = Run(context.Background(), bombs[i].src, nil, nil, Limits{Timeout: time.Minute})
		})
	}
	wg.Wait()
	for n, err := range errs {
		if !errors.Is(err, ErrMemoryLimit) {
			t.Errorf("run %d: err = %v, want a memory limit error", n, err)
		}
	}
	hwm, err := peakRSS()
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("peak-rss-bytes=%d\n", hwm)
}

// peakRSS reads VmHWM, the process's peak resident set, from
// /proc/self/status.
func peakRSS() (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("VmHWM %q: %w", rest, err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no VmHWM in /proc/self/status")
}

// parseField finds "name=<int>" in out.
func parseField(out, name string) (int64, bool) {
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), name+"="); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
