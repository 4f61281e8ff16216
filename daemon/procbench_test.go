package daemon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/ipc"
	"github.com/litsigner/litsigner/lit"
	"github.com/litsigner/litsigner/lit/devnet"
)

// soakCalls is the number of calls after which the daemon's resident
// memory is reported.
const soakCalls = 10000

// BenchmarkCPUPerCall is the issue-11 benchmark: the seed action through
// the whole stack, litsignerd and the 10-node devnet (`litsigner devnet`)
// each in its own process (both built at the start), so that the client's
// and the devnet's CPU can be told apart. For each protocol (v2: all 10
// nodes asked, threshold 6; Naga: naga-local, 6 nodes chosen) and for 1, 8
// and 64 concurrent socket clients it reports:
//
//   - client-ms/call: CPU time of the litsignerd process per call (its
//     device is a Speculos-protocol emulator in this process);
//   - devnet-ms/call: CPU time of the devnet's process tree per call;
//   - bench-ms/call: CPU time of this process per call (the socket
//     clients, go-ethereum's rpc.Client, and the emulated device), which
//     shares the two cores with the other two: calls/s at 64 clients is
//     about 2 cores / (client + devnet + bench);
//   - calls/s, p50-ms, p99-ms.
//
// It also reports litsignerd's startup to READY=1 (sd_notify), its resident
// memory when idle, right after soakCalls calls (busy-rss-MB) and two
// seconds later (rss-MB, with its anonymous and file-backed parts), when
// the daemon has given the burst's garbage back. CPU times are the kernel's per-process CPU time
// (/proc/PID/stat), so they hold on a busy machine; wall-clock figures do
// not. Run it as
//
//	go test -run '^$' -bench CPUPerCall -benchtime 400x ./daemon/
func BenchmarkCPUPerCall(b *testing.B) {
	bins := buildBinaries(b)
	b.Run("proto=v2", func(b *testing.B) { benchDaemonProcess(b, bins, devnet.ProtocolV2) })
	b.Run("proto=naga", func(b *testing.B) { benchDaemonProcess(b, bins, devnet.ProtocolNaga) })
}

// binaries are the built commands.
type binaries struct{ litsigner, litsignerd string }

// buildBinaries builds litsigner and litsignerd into a temporary
// directory removed at cleanup.
func buildBinaries(b *testing.B) binaries {
	b.Helper()
	dir := b.TempDir()
	// LITSIGNER_BENCH_SRC builds the processes from another checkout
	// (e.g. the previous commit's worktree) for before/after figures.
	cmd := exec.Command("go", "build", "-o", dir+"/", "./cmd/litsigner", "./cmd/litsignerd")
	cmd.Dir = ".."
	if src := os.Getenv("LITSIGNER_BENCH_SRC"); src != "" {
		cmd.Dir = src
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	bins := binaries{litsigner: filepath.Join(dir, "litsigner"), litsignerd: filepath.Join(dir, "litsignerd")}
	if err := asInstalled(bins.litsignerd); err != nil {
		b.Fatal(err)
	}
	return bins
}

// asInstalled puts binary in the page cache the way an installed daemon's
// binary is after a boot: it drops the file's cached pages, then runs it
// once (--version), which reads in what a start touches, by the faults of
// a process mapping it. The measured start then finds those pages cached.
//
// Without this, the figures would be those of a binary fresh from the Go
// linker, which writes its output through a shared mapping: on this
// machine's kernel (6.18, ext4) a process started from such a file maps
// all of it at its first touch, and litsignerd's file-backed resident
// memory was 24.7 MB instead of 16.4 MB.
func asInstalled(binary string) error {
	f, err := os.Open(binary)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil { // only clean pages can be dropped
		return fmt.Errorf("sync %s: %w", binary, err)
	}
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		return fmt.Errorf("drop %s from the page cache: %w", binary, err)
	}
	if out, err := exec.Command(binary, "--version").CombinedOutput(); err != nil {
		return fmt.Errorf("%s --version: %w (%s)", binary, err, out)
	}
	return nil
}

// child is a started process stopped at cleanup.
type child struct {
	cmd    *exec.Cmd
	stderr bytes.Buffer
}

func startChild(b *testing.B, name string, args []string, env []string) *child {
	b.Helper()
	c := &child{cmd: exec.Command(name, args...)}
	c.cmd.Env = append(os.Environ(), env...)
	c.cmd.Stderr = &c.stderr
	return c
}

func (c *child) stop(b *testing.B) {
	if c.cmd.Process == nil {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-done
		b.Errorf("%s did not stop on SIGTERM", c.cmd.Path)
	}
}

// startDevnetProcess runs `litsigner devnet` on free ports and returns its
// announcement.
func startDevnetProcess(b *testing.B, bins binaries, protocol string) (*child, devnet.Announcement) {
	b.Helper()
	args := []string{"devnet", "--port", "0", "--protocol", protocol, "--seed", "bench"}
	if protocol == devnet.ProtocolNaga {
		args = append(args, "--chain-port", "0")
	}
	c := startChild(b, bins.litsigner, args, nil)
	out, err := c.cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.stop(b) })
	line := make(chan []byte, 1)
	go func() {
		l, _ := bufio.NewReader(out).ReadBytes('\n')
		line <- l
		_, _ = bufio.NewReader(out).WriteTo(discard{}) // keep the pipe drained
	}()
	var ann devnet.Announcement
	select {
	case l := <-line:
		if err := json.Unmarshal(l, &ann); err != nil {
			b.Fatalf("devnet announcement %q: %v (stderr: %s)", l, err, c.stderr.String())
		}
	case <-time.After(time.Minute):
		b.Fatalf("devnet did not announce itself within a minute (stderr: %s)", c.stderr.String())
	}
	return c, ann
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// procCPU is the CPU time the process and its descendants have used
// (utime+stime of all their threads, in clock ticks of 10 ms: a run of a
// few hundred calls makes the rounding negligible). `litsigner devnet`
// runs the nodes in a child process it supervises.
func procCPU(b *testing.B, pid int) time.Duration {
	b.Helper()
	dirs, err := os.ReadDir("/proc")
	if err != nil {
		b.Fatal(err)
	}
	type proc struct{ ppid, ticks int64 }
	procs := map[int64]proc{}
	for _, d := range dirs {
		id, err := strconv.ParseInt(d.Name(), 10, 64)
		if err != nil {
			continue
		}
		raw, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue // gone meanwhile
		}
		// Fields after the parenthesised command name: ppid is field 4,
		// utime 14 and stime 15.
		s := string(raw)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		ppid, err0 := strconv.ParseInt(f[1], 10, 64)
		utime, err1 := strconv.ParseInt(f[11], 10, 64)
		stime, err2 := strconv.ParseInt(f[12], 10, 64)
		if err0 != nil || err1 != nil || err2 != nil {
			b.Fatalf("/proc/%d/stat: %q", id, raw)
		}
		procs[id] = proc{ppid: ppid, ticks: utime + stime}
	}
	inTree := func(id int64) bool {
		for i := 0; i < 64 && id > 1; i++ {
			if id == int64(pid) {
				return true
			}
			id = procs[id].ppid
		}
		return false
	}
	var ticks int64
	for id, p := range procs {
		if inTree(id) {
			ticks += p.ticks
		}
	}
	if _, ok := procs[int64(pid)]; !ok {
		b.Fatalf("process %d is gone", pid)
	}
	return time.Duration(ticks) * (time.Second / clockTicks)
}

// clockTicks is USER_HZ, 100 on Linux.
const clockTicks = 100

// procRSS is the process's resident memory in MB.
func procRSS(b *testing.B, pid int) float64 { return procStatusMB(b, pid, "VmRSS:") }

// procStatusMB reads a kB field of /proc/PID/status in MB.
func procStatusMB(b *testing.B, pid int, field string) float64 {
	b.Helper()
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, l := range strings.Split(string(raw), "\n") {
		if rest, ok := strings.CutPrefix(l, field); ok {
			kb, err := strconv.ParseFloat(strings.Fields(rest)[0], 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb / 1024
		}
	}
	b.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// load runs n calls spread over workers and returns each call's latency
// and the wall time.
func load(n, workers int, call func(worker int) error) ([]time.Duration, time.Duration, error) {
	var next atomic.Int64
	lat := make([][]time.Duration, workers)
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(n) {
				t0 := time.Now()
				if err := call(w); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
				lat[w] = append(lat[w], time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if err := failed.Load(); err != nil {
		return nil, 0, *err
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	return all, elapsed, nil
}

// selfCPU is this process's CPU time (user and system, all threads; its
// children are procCPU's).
func selfCPU(b *testing.B) time.Duration {
	b.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measured runs b.N calls with clients workers and reports the figures;
// clientCPU reads the client process's CPU time.
func measured(b *testing.B, clients int, devnetPID int, clientCPU func() time.Duration, call func(worker int) error) {
	b.Helper()
	c0, d0, s0 := clientCPU(), procCPU(b, devnetPID), selfCPU(b)
	b.ResetTimer()
	all, elapsed, err := load(b.N, clients, call)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	c1, d1, s1 := clientCPU(), procCPU(b, devnetPID), selfCPU(b)
	n := float64(len(all))
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(c1-c0)/n, "client-ms/call")
	b.ReportMetric(ms(d1-d0)/n, "devnet-ms/call")
	b.ReportMetric(ms(s1-s0)/n, "bench-ms/call")
	b.ReportMetric(n/elapsed.Seconds(), "calls/s")
	b.ReportMetric(ms(all[len(all)/2]), "p50-ms")
	b.ReportMetric(ms(all[(len(all)*99)/100]), "p99-ms")
}

// benchDaemonProcess measures litsignerd (a child process) against a
// devnet process speaking protocol.
func benchDaemonProcess(b *testing.B, bins binaries, protocol string) {
	dn, ann := startDevnetProcess(b, bins, protocol)
	dir := shortTempDir(b)
	sock := filepath.Join(dir, "rpc.sock")
	notify := filepath.Join(dir, "notify")
	ready, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: notify, Net: "unixgram"})
	if err != nil {
		b.Fatal(err)
	}
	defer ready.Close()
	device := startNetworkEmulator(b, "speculos", emulator.NewBehaviour())
	args := []string{
		"--device", device, "--socket", sock, "--notifications=false", "--log-level", "error", "--allow-unlocked-memory",
	}
	switch protocol {
	case devnet.ProtocolNaga:
		if ann.Chain == nil {
			b.Fatal("Naga devnet announced no chain")
		}
		args = append(args, "--network", "naga-local", "--rpc-url", ann.Chain.RPCURL,
			"--staking-address", ann.Chain.Contracts.Staking, "--price-feed-address", ann.Chain.Contracts.PriceFeed,
			"--ledger-address", ann.Chain.Contracts.Ledger)
	default:
		args = append(args, "--network", "custom", "--node-urls", strings.Join(ann.Nodes, ","), "--threshold", strconv.Itoa(ann.Threshold))
	}
	d := startChild(b, bins.litsignerd, args, []string{"NOTIFY_SOCKET=" + notify, "XDG_CONFIG_HOME=" + dir, "XDG_RUNTIME_DIR=" + dir})
	t0 := time.Now()
	if err := d.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { d.stop(b) })
	if err := waitReady(ready); err != nil {
		b.Fatalf("litsignerd: %v (stderr: %s)", err, d.stderr.String())
	}
	startup := time.Since(t0)
	time.Sleep(200 * time.Millisecond) // let the runtime settle before reading idle memory
	idle := procRSS(b, d.cmd.Process.Pid)
	idleAnon := procStatusMB(b, d.cmd.Process.Pid, "RssAnon:")

	conns := make([]*ipc.Client, 64)
	for i := range conns {
		conns[i] = dial(b, sock)
	}
	params := rpcapi.ExecuteJsParams{Code: readSeed(b), JSParams: helloParams(ann.PKPs[0].PublicKey)}
	calls := 0
	call := func(w int) error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var r lit.ExecuteJSResult
		if err := conns[w].Call(ctx, &r, "lit_executeJs", params); err != nil {
			return err
		}
		if r.Signatures["sig1"].Signature == "" {
			return errors.New("no signature sig1")
		}
		return nil
	}
	if err := call(0); err != nil { // approves the session
		b.Fatalf("first call: %v (daemon stderr: %s)", err, d.stderr.String())
	}
	calls++
	daemonCPU := func() time.Duration { return procCPU(b, d.cmd.Process.Pid) }
	for _, clients := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			measured(b, clients, dn.cmd.Process.Pid, daemonCPU, call)
			calls += b.N
		})
	}
	// The soak and the readings happen once, outside b.Run, which may
	// call its function more than once.
	if rest := soakCalls - calls; rest > 0 {
		if _, _, err := load(rest, 64, call); err != nil {
			b.Fatal(err)
		}
	}
	// Right after the last call, then once litsignerd has been idle long
	// enough to give the burst's garbage back (idleMemory).
	busy := procRSS(b, d.cmd.Process.Pid)
	time.Sleep(idleMemoryDelay + time.Second)
	rss := procRSS(b, d.cmd.Process.Pid)
	anon := procStatusMB(b, d.cmd.Process.Pid, "RssAnon:")
	file := procStatusMB(b, d.cmd.Process.Pid, "RssFile:")
	b.Run(fmt.Sprintf("memory-after-%d-calls", soakCalls), func(b *testing.B) {
		b.ReportMetric(float64(startup.Microseconds())/1000, "startup-ms")
		b.ReportMetric(idle, "idle-rss-MB")
		b.ReportMetric(idleAnon, "idle-anon-MB")
		b.ReportMetric(busy, "busy-rss-MB")
		b.ReportMetric(rss, "rss-MB")
		b.ReportMetric(anon, "anon-MB")
		b.ReportMetric(file, "file-MB")
	})
}

// waitReady waits (bounded) for READY=1 on the notify socket.
func waitReady(c *net.UnixConn) error {
	if err := c.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
		return err
	}
	buf := make([]byte, 4096)
	for {
		n, err := c.Read(buf)
		if err != nil {
			return fmt.Errorf("no READY=1 within 30 s: %w", err)
		}
		for _, l := range strings.Split(string(buf[:n]), "\n") {
			if l == "READY=1" {
				return nil
			}
		}
	}
}
