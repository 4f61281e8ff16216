package daemon

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/ipc"
	"github.com/litsigner/litsigner/lit"
	"github.com/litsigner/litsigner/lit/devnet"
)

// chaosStats counts how the calls of TestChaos ended.
type chaosStats struct {
	mu       sync.Mutex
	calls    int
	ok       int
	codes    map[int]int // typed errors by JSON-RPC code
	abandons int         // calls whose client hung up on purpose
	untyped  []string    // anything else: failures of the test
	execs    int         // finished lit_executeJs calls: phases count these
	stopped  bool
	changed  *sync.Cond // broadcast on every finished call and on stop
	progress chan struct{}
}

func newChaosStats() *chaosStats {
	s := &chaosStats{codes: map[int]int{}, progress: make(chan struct{}, 1)}
	s.changed = sync.NewCond(&s.mu)
	return s
}

// nextExec waits until a lit_executeJs call other than the last one seen
// has finished (or the run stopped), and returns the new count. The fast
// workers pace themselves on it, so they cannot flood the daemon.
func (s *chaosStats) nextExec(last int) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.execs == last && !s.stopped {
		s.changed.Wait()
	}
	return s.execs, !s.stopped
}

func (s *chaosStats) stop() {
	s.mu.Lock()
	s.stopped = true
	s.changed.Broadcast()
	s.mu.Unlock()
}

// record classifies one finished call: a result, an error with a code from
// the README's table (rpcapi.ErrorCodes), or an untyped failure.
func (s *chaosStats) record(what string, err error) {
	s.mu.Lock()
	s.calls++
	if what == "lit_executeJs" {
		s.execs++
	}
	s.changed.Broadcast()
	var ie *ipc.Error
	switch {
	case err == nil:
		s.ok++
	case errors.As(err, &ie) && documentedCode(ie.Code):
		s.codes[ie.Code]++
	default:
		if len(s.untyped) < 10 {
			s.untyped = append(s.untyped, fmt.Sprintf("%s: %v", what, err))
		}
		s.codes[0]++
	}
	s.mu.Unlock()
	select {
	case s.progress <- struct{}{}:
	default:
	}
}

func (s *chaosStats) abandoned() {
	s.mu.Lock()
	s.abandons++
	s.mu.Unlock()
}

// documentedCode reports whether code is in the README's table and is one a
// caller may see (CodeInternal is a bug; CodeCancelled never reaches the
// caller that went away).
func documentedCode(code int) bool {
	if code == rpcapi.CodeInternal || code == rpcapi.CodeCancelled {
		return false
	}
	return slices.ContainsFunc(rpcapi.ErrorCodes, func(c rpcapi.ErrorCodeInfo) bool { return c.Code == code })
}

// snapshot returns (finished lit_executeJs calls, successes, count of code).
func (s *chaosStats) snapshot(code int) (int, int, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.execs, s.ok, s.codes[code]
}

func (s *chaosStats) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "calls %d (lit_executeJs %d), results %d, hang-ups %d", s.calls, s.execs, s.ok, s.abandons)
	codes := make([]int, 0, len(s.codes))
	for c := range s.codes {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		if c == 0 {
			fmt.Fprintf(&b, ", untyped %d", s.codes[c])
			continue
		}
		fmt.Fprintf(&b, ", %d %s %d", c, rpcapi.Kind(c), s.codes[c])
	}
	return b.String()
}

// waitUntil blocks until cond holds after some call ended, or fails the
// test at the deadline (a bound against hangs, not a timing assertion).
func (s *chaosStats) waitUntil(t *testing.T, deadline time.Time, what string, cond func() bool) {
	t.Helper()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	for !cond() {
		select {
		case <-s.progress:
		case <-timer.C:
			t.Fatalf("chaos: %s not reached before the deadline (%s)", what, s)
		}
	}
}

// residentBytes is this process's resident set size (VmRSS).
func residentBytes(t *testing.T) int64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS %q: %v", rest, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/self/status")
	return 0
}

// halfClosedCall is one call the way ethers v5 makes it: a new connection,
// the request, shutdown(SHUT_WR), then the reply until the server closes.
func halfClosedCall(ctx context.Context, sock, method string) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if _, err := fmt.Fprintf(conn, `{"jsonrpc":"2.0","id":1,"method":%q}`, method); err != nil {
		return err
	}
	if err := conn.(*net.UnixConn).CloseWrite(); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("half-closed call: read reply: %w", err)
	}
	var r struct {
		Result json.RawMessage `json:"result"`
		Error  *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(line, &r); err != nil {
		return fmt.Errorf("half-closed call: reply %q: %w", line, err)
	}
	if r.Error != nil {
		return &ipc.Error{Code: r.Error.Code, Message: r.Error.Message}
	}
	if len(r.Result) == 0 {
		return fmt.Errorf("half-closed call: reply %q has no result", line)
	}
	return nil
}

// TestChaos runs many concurrent calls through the daemon's socket while the
// devnet's nodes go down and come back, answer malformed replies, HTTP 500
// or wrong shares, the network drops below threshold, and the emulated
// Ledger is unplugged during an approval and then rejects the next one.
// Every call must end with a result or an error whose code is in the
// README's table; afterwards the daemon still answers, no goroutine
// outlives it, and resident memory stayed bounded. It prints the counts.
// Phases advance on finished calls, not on time.
func TestChaos(t *testing.T) {
	const (
		workers  = 16
		perPhase = 2 * workers // finished lit_executeJs calls per phase
	)
	// No goroutine outlives the daemon: checked after every cleanup (this
	// one runs last), once the daemon stopped and the clients closed.
	goroutinesBefore := runtime.NumGoroutine()
	t.Cleanup(func() {
		leakDeadline := time.Now().Add(10 * time.Second)
		for runtime.NumGoroutine() > goroutinesBefore && time.Now().Before(leakDeadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > goroutinesBefore {
			buf := make([]byte, 1<<20)
			t.Errorf("%d goroutines still running after the daemon stopped (%d before):\n%s", n-goroutinesBefore, goroutinesBefore, buf[:runtime.Stack(buf, true)])
		} else {
			t.Logf("goroutines: %d before the daemon, %d after it stopped", goroutinesBefore, n)
		}
	})
	deadline := time.Now().Add(8 * time.Minute)

	td := startDaemon(t, devConfig(t), Options{DevNodes: 6}) // threshold 4
	nw, dev := td.inProcessDevnet(), td.devBehaviour()
	pkp := networkPKP(t, td)
	params := rpcapi.ExecuteJsParams{Code: readSeed(t), JSParams: helloParams(pkp.PublicKey)}
	rssStart := residentBytes(t)
	rssPeak := rssStart
	sampleRSS := func() {
		rssPeak = max(rssPeak, residentBytes(t))
	}

	stats := newChaosStats()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var clients []*ipc.Client
	for i := range workers {
		var c *ipc.Client
		if i%6 != 4 && i%6 != 5 {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			var err error
			c, err = ipc.Dial(ctx, td.sock)
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			clients = append(clients, c)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			seen := 0
			for n := 0; ; n++ {
				if i%6 >= 3 { // the fast kinds wait for lit_executeJs progress
					var running bool
					if seen, running = stats.nextExec(seen); !running {
						return
					}
				}
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				switch i % 6 {
				case 3: // status, network and device listing
					method := []string{"lit_sessionStatus", "lit_networkStatus", "wallet_devices"}[n%3]
					var res json.RawMessage
					stats.record(method, c.Call(ctx, &res, method))
				case 4: // ethers v5 style: half-closed connections
					method := []string{"lit_sessionStatus", "eth_chainId"}[n%2]
					stats.record("half-closed "+method, halfClosedCall(ctx, td.sock, method))
				case 5: // a client that sends lit_executeJs and hangs up
					stats.abandoned()
					hangUp(ctx, td.sock, params, n%2 == 1)
				default:
					var res lit.ExecuteJSResult
					err := c.Call(ctx, &res, "lit_executeJs", params)
					if err == nil && res.Signatures["sig1"].Signature == "" {
						err = errMissingSig
					}
					stats.record("lit_executeJs", err)
				}
				cancel()
			}
		}()
	}
	stopWorkers := func() {
		if stop != nil {
			close(stop)
			stats.stop()
			wg.Wait()
			stop = nil
		}
	}
	defer stopWorkers()

	// phase applies faults, waits for perPhase more finished lit_executeJs
	// calls (and until want holds), then clears the faults.
	phase := func(name string, faults map[int]devnet.Fault, want func() bool) {
		t.Helper()
		for i, f := range faults {
			if err := nw.SetFault(i, f); err != nil {
				t.Fatal(err)
			}
		}
		start, _, _ := stats.snapshot(0)
		stats.waitUntil(t, deadline, name, func() bool {
			n, _, _ := stats.snapshot(0)
			return n >= start+perPhase && (want == nil || want())
		})
		if err := nw.ClearFaults(); err != nil {
			t.Fatal(err)
		}
		sampleRSS()
		t.Logf("after %s: %s", name, stats)
	}
	successes := func(more int) func() bool {
		_, ok0, _ := stats.snapshot(0)
		return func() bool { _, ok, _ := stats.snapshot(0); return ok >= ok0+more }
	}
	codeSeen := func(code int) func() bool {
		_, _, c0 := stats.snapshot(code)
		return func() bool { _, _, c := stats.snapshot(code); return c > c0 }
	}

	phase("healthy start", nil, successes(5))
	phase("two nodes down", map[int]devnet.Fault{0: {Down: true}, 1: {Down: true}}, nil)
	phase("nodes back", nil, successes(5))
	phase("malformed replies and HTTP 500", map[int]devnet.Fault{2: {Malformed: true}, 3: {HTTP500: true}}, nil)
	phase("below threshold", map[int]devnet.Fault{0: {Down: true}, 1: {Malformed: true}, 2: {HTTP500: true}}, codeSeen(rpcapi.CodeBelowThreshold))
	phase("wrong share and a slow node", map[int]devnet.Fault{4: {WrongShare: true}, 5: {Latency: 50 * time.Millisecond}}, nil)

	// The device: cut the cable during the next approval, then reject the
	// approval after it. Revoking the session forces a new approval.
	unplugged, rejected := codeSeen(rpcapi.CodeDeviceGone), codeSeen(rpcapi.CodeUserRejected)
	dev.SetAction(emulator.Reject)
	dev.UnplugAfterReports(6) // inside the SIGN_PERSONAL_MESSAGE exchange, as TestUnplugThroughSocket
	var revoked bool
	if err := call(t, clients[0], &revoked, "lit_revokeSession"); err != nil {
		t.Fatal(err)
	}
	phase("device unplugged during an approval, then a rejection", nil, func() bool { return unplugged() && rejected() })
	dev.SetAction(emulator.Approve)
	phase("device approves again", nil, successes(5))

	stopWorkers()
	t.Logf("chaos totals: %s", stats)
	stats.mu.Lock()
	if len(stats.untyped) > 0 {
		t.Errorf("%d calls ended without a documented error code, e.g.:\n%s", stats.codes[0], strings.Join(stats.untyped, "\n"))
	}
	stats.mu.Unlock()

	// The daemon still answers, with a verified signature.
	c := dial(t, td.sock)
	var res lit.ExecuteJSResult
	if err := call(t, c, &res, "lit_executeJs", params); err != nil {
		t.Fatalf("after the chaos: %v", err)
	}
	checkHello(t, &res, pkp)
	var st rpcapi.SessionStatus
	if err := call(t, c, &st, "lit_sessionStatus"); err != nil || st.State != "active" {
		t.Fatalf("after the chaos: session %+v, %v", st, err)
	}
	sampleRSS()

	// Resident memory: the whole test process (daemon, devnet, emulator).
	limit := int64(512 << 20)
	if raceDetector {
		limit = 2 << 30 // the race detector's shadow memory
	}
	t.Logf("resident memory: %d MiB at start, %d MiB peak (limit %d MiB)", rssStart>>20, rssPeak>>20, limit>>20)
	if rssPeak > limit {
		t.Errorf("resident memory peaked at %d MiB, above %d MiB", rssPeak>>20, limit>>20)
	}

	for _, c := range clients {
		c.Close()
	}
}

// hangUp sends lit_executeJs on a new connection and goes away before the
// reply, at once or after a half-close: the daemon must cancel the call and
// keep no trace of it.
func hangUp(ctx context.Context, sock string, params rpcapi.ExecuteJsParams, halfCloseFirst bool) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", sock)
	if err != nil {
		return
	}
	defer conn.Close()
	req, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "lit_executeJs", "params": []any{params}})
	if err != nil {
		return
	}
	conn.Write(req)
	if halfCloseFirst {
		conn.(*net.UnixConn).CloseWrite()
	}
}
