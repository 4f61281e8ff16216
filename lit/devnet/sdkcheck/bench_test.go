package sdkcheck

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/litsigner/litsigner/lit/devnet"
)

// BenchmarkRealSDK is the real SDK 2.2.63's side of the issue-11
// benchmark (daemon's BenchmarkCPUPerCall is litsignerd's): the seed action
// through `node run.mjs --bench` against a 10-node devnet (threshold 6) on
// the SDK's fixed ports, with 1, 8 and 64 calls in flight. It reports the
// SDK process's CPU per call (measured by node itself over the timed calls
// only), the devnet's (this process's CPU meanwhile: it runs nothing else),
// calls/s and p50/p99. It needs LITSIGNER_SDKCHECK=1 and `npm ci` here:
//
//	LITSIGNER_SDKCHECK=1 go test -run '^$' -bench RealSDK -benchtime 300x ./lit/devnet/sdkcheck/
func BenchmarkRealSDK(b *testing.B) {
	benchRealSDK(b, devnet.Config{Nodes: 10, Threshold: 6, BasePort: devnet.DefaultBasePort, PKPs: 1}, ".", "run.mjs")
}

// BenchmarkRealSDKNaga is BenchmarkRealSDK for the real SDK 8.3.1 on the
// Naga devnet (naga-local: 10 nodes, threshold 6, its chain on 8545): the
// seed action under one session through `node run-naga.js --bench`, with 1,
// 8 and 64 calls in flight. The SDK sends each call to the threshold's
// cheapest nodes, as litsignerd does. It needs LITSIGNER_SDKCHECK=1 and
// `npm ci` in naga/ (the 300 calls at each level take about six minutes):
//
//	LITSIGNER_SDKCHECK=1 go test -run '^$' -bench RealSDKNaga -benchtime 300x -timeout 40m ./lit/devnet/sdkcheck/
func BenchmarkRealSDKNaga(b *testing.B) {
	benchRealSDK(b, devnet.Config{Protocol: devnet.ProtocolNaga, BasePort: devnet.DefaultBasePort, ChainPort: devnet.DefaultChainPort}, "naga", "run-naga.js")
}

// benchRealSDK starts the devnet cfg describes on the SDK's fixed ports and
// runs benchSDKCalls with script (in dir) on its announcement.
func benchRealSDK(b *testing.B, cfg devnet.Config, dir, script string) {
	if os.Getenv("LITSIGNER_SDKCHECK") != "1" {
		b.Skipf("set LITSIGNER_SDKCHECK=1 (after `npm ci` in %s) to run the real Lit JS SDK", filepath.Join("lit/devnet/sdkcheck", dir))
	}
	node, err := exec.LookPath("node")
	if err != nil {
		b.Fatal("LITSIGNER_SDKCHECK=1 but node is not on PATH")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@lit-protocol")); err != nil {
		b.Fatalf("LITSIGNER_SDKCHECK=1 but the SDK is not installed: run `npm ci` in %s", filepath.Join("lit/devnet/sdkcheck", dir))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Minute)
	defer cancel()
	lockFixedPorts(ctx, b)
	net, err := devnet.Start(ctx, cfg)
	if err != nil {
		b.Fatalf("start the devnet on its fixed ports (7470-7479, and 8545 for Naga): %v", err)
	}
	defer func() {
		if err := net.Close(); err != nil {
			b.Errorf("close devnet: %v", err)
		}
	}()
	ann, err := json.Marshal(net.Announcement())
	if err != nil {
		b.Fatal(err)
	}
	annFile := filepath.Join(b.TempDir(), "devnet.json")
	if err := os.WriteFile(annFile, append(ann, '\n'), 0o600); err != nil {
		b.Fatal(err)
	}
	benchSDKCalls(ctx, b, node, dir, []string{script, "--announcement", annFile})
}

// benchSDKCalls runs node with args (in dir) and --bench, --concurrency
// and --timeout-ms for 1, 8 and 64 calls in flight, each a sub-benchmark,
// and reports the script's "sdkbench:" line with the devnet's CPU (this
// process's) per call.
func benchSDKCalls(ctx context.Context, b *testing.B, node, dir string, args []string) {
	for _, clients := range []int{1, 8, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			calls := max(b.N, clients)
			cmd := exec.CommandContext(ctx, node, append(slices.Clone(args),
				"--bench", strconv.Itoa(calls), "--concurrency", strconv.Itoa(clients), "--timeout-ms", "900000")...)
			cmd.Dir = dir
			cmd.WaitDelay = 5 * time.Second
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.StdoutPipe()
			if err != nil {
				b.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				b.Fatal(err)
			}
			// The devnet's CPU is read around the whole node run, which
			// also holds the handshake, the session signatures and the 5
			// warm-up calls (counted as calls below): a few per cent of a
			// few hundred calls.
			d0 := selfCPU(b)
			var res sdkBench
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if rest, ok := strings.CutPrefix(sc.Text(), "sdkbench: "); ok {
					if err := json.Unmarshal([]byte(rest), &res); err != nil {
						b.Fatalf("sdkbench line %q: %v", rest, err)
					}
				}
			}
			d1 := selfCPU(b)
			if err := cmd.Wait(); err != nil {
				b.Fatalf("node %s --bench: %v\n%s", args[0], err, stderr.String())
			}
			if res.Calls != calls {
				b.Fatalf("node reported %d calls, want %d (stderr: %s)", res.Calls, calls, stderr.String())
			}
			n := float64(res.Calls)
			b.ReportMetric(float64(res.CPUMicros)/1000/n, "client-ms/call")
			b.ReportMetric(float64((d1-d0).Microseconds())/1000/(n+5), "devnet-ms/call")
			b.ReportMetric(n/(res.ElapsedMs/1000), "calls/s")
			b.ReportMetric(res.P50Ms, "p50-ms")
			b.ReportMetric(res.P99Ms, "p99-ms")
		})
	}
}

// sdkBench is the line run.mjs --bench prints.
type sdkBench struct {
	Calls     int     `json:"calls"`
	CPUMicros int64   `json:"cpuUs"`
	ElapsedMs float64 `json:"elapsedMs"`
	P50Ms     float64 `json:"p50Ms"`
	P99Ms     float64 `json:"p99Ms"`
}

// selfCPU is this process's user+system CPU time.
func selfCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
