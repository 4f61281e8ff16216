package devnet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/litsigner/litsigner/lit"
)

// childArg makes this test binary the devnet child (see TestMain).
const childArg = "__devnet-child"

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == childArg {
		if err := RunChild(context.Background(), os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func startProcess(t *testing.T, cfg Config, limit int64) *Process {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := StartProcess(context.Background(), ProcessOptions{Command: []string{exe, childArg}, Config: cfg, MemoryLimit: limit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// tryPost is post without t.Fatal: the node may die under it.
func tryPost(url string, body any) (int, []byte, error) {
	raw, err := json.Marshal(body)
	if err != nil {
		return 0, nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(raw))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp.StatusCode, out, err
}

// waitHandshake polls node URL u until it answers a handshake (bounded).
func waitHandshake(t *testing.T, u string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		status, _, err := tryPost(u+"/web/handshake", map[string]any{"clientPublicKey": "test"})
		if err == nil && status == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not answer: %d %v", u, status, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestProcessServesAndRestarts(t *testing.T) {
	p := startProcess(t, Config{Nodes: 2, Threshold: 2, Seed: "process"}, 0)
	urls, pkps := p.NodeURLs(), p.PKPs()
	if len(urls) != 2 || p.Threshold() != 2 || len(pkps) != 1 {
		t.Fatalf("announced %v, threshold %d, pkps %v", urls, p.Threshold(), pkps)
	}
	for _, u := range urls {
		waitHandshake(t, u)
	}
	pid := p.PID()
	if err := p.WaitUp(context.Background()); err != nil {
		t.Fatalf("WaitUp with a child running: %v", err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Once the death is seen, WaitUp waits for the next child, which
	// then answers at once.
	for p.PID() == pid {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := p.WaitUp(ctx); err != nil {
		t.Fatalf("WaitUp after the child died: %v", err)
	}
	for _, u := range urls {
		if status, body, err := tryPost(u+"/web/handshake", map[string]any{}); err != nil || status != http.StatusOK {
			t.Fatalf("%s right after WaitUp: %d %s %v", u, status, body, err)
		}
	}
	if p.Restarts() != 1 || p.PID() == pid || p.PID() == 0 {
		t.Fatalf("restarts %d, pid %d (was %d)", p.Restarts(), p.PID(), pid)
	}
	if got := p.PKPs(); got[0].PublicKey != pkps[0].PublicKey {
		t.Errorf("PKP changed across the restart")
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tryPost(urls[0]+"/web/handshake", map[string]any{}); err == nil {
		t.Error("a node still answers after Close")
	}
	if err := p.WaitUp(context.Background()); !errors.Is(err, ErrProcessClosed) {
		t.Errorf("WaitUp after Close: %v, want ErrProcessClosed", err)
	}
}

func TestProcessBadConfig(t *testing.T) {
	for _, opts := range []ProcessOptions{
		{},
		{Command: []string{"x"}, Config: Config{Now: time.Now}},
		{Command: []string{"x"}, Config: Config{Faults: map[int]Fault{5: {Down: true}}, Nodes: 2}},
		{Command: []string{"x"}, Config: Config{Nodes: -1}},
		{Command: []string{"x"}, MemoryLimit: 1 << 20},
	} {
		if _, err := StartProcess(context.Background(), opts); err == nil {
			t.Errorf("%+v: no error", opts)
		}
	}
	if _, err := StartProcess(context.Background(), ProcessOptions{Command: []string{"/nonexistent/devnet"}}); err == nil {
		t.Error("a missing binary started")
	}
}

// startBombProcess starts a ten-node devnet child at the default data cap
// for memory-bomb tests, and a session for it; it skips under the race
// detector (whose memory is not the program's) and in -short runs.
func startBombProcess(t *testing.T, seed string, actionTimeout time.Duration) (*Process, *lit.Session) {
	t.Helper()
	if raceEnabled {
		t.Skip("the race detector's memory is not the program's")
	}
	if testing.Short() {
		t.Skip("runs memory bombs in a child process")
	}
	p := startProcess(t, Config{Nodes: 10, Seed: seed, ActionTimeout: actionTimeout}, DefaultProcessMemory)
	return p, newSession(t, lit.Capability{})
}

// TestProcessTenMemoryBombs sends memory bombs to all ten nodes of a devnet
// process at once: the child stays under its data cap (it is stopped by
// the action limits, or dies and comes back), the parent's memory does not
// move, and the network serves again afterwards.
func TestProcessTenMemoryBombs(t *testing.T) {
	p, s := startBombProcess(t, "bombs", 3*time.Second)
	for _, bomb := range []string{
		`let a = []; while (true) { a.push('x'.repeat(1e6)); }`,
		`let s = 'x'; while (true) { s += s; }`,
		`let o = {}; while (true) { o = {a: o, b: [1, 2, 3], c: 'y'}; }`,
		`let o = []; for (let i = 0; i < 40; i++) { o = [o, o]; } JSON.stringify(o);`,
	} {
		var wg sync.WaitGroup
		for _, u := range p.NodeURLs() {
			wg.Go(func() {
				status, body, err := tryPost(u+"/web/execute", codeBody(sessionSig(t, s, u, "*"), bomb, nil))
				if err == nil && status == http.StatusOK {
					t.Errorf("%s: a memory bomb succeeded: %s", u, body)
				}
			})
		}
		wg.Wait()
		for _, u := range p.NodeURLs() {
			waitHandshake(t, u)
		}
		peak := p.PeakRSS()
		t.Logf("bomb %.40q: child peak RSS %d MiB, restarts so far %d", bomb, peak>>20, p.Restarts())
		if peak >= 1<<30 {
			t.Errorf("child peak RSS %d MiB, want under 1024 MiB", peak>>20)
		}
	}
	self, err := ProcPeakRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("parent (test process) peak RSS %d MiB", self>>20)
	// The network still signs.
	u := p.NodeURLs()[0]
	status, body, err := tryPost(u+"/web/execute", codeBody(sessionSig(t, s, u, "*"), `LitActions.setResponse({response: "alive"})`, nil))
	if err != nil || status != http.StatusOK || !bytes.Contains(body, []byte("alive")) {
		t.Fatalf("after the bombs: %d %s %v", status, body, err)
	}
}

// TestRunProcessCommand runs the devnet command with its nodes in a child
// process, faults included.
func TestRunProcessCommand(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- RunProcessCommand(ctx, []string{"--port", "0", "--nodes", "3", "--threshold", "2", "--seed", "proc", "--down", "2"},
			[]string{exe, childArg}, outW, io.Discard)
		outW.Close()
	}()
	var a Announcement
	if err := json.NewDecoder(outR).Decode(&a); err != nil {
		t.Fatalf("announcement: %v (%v)", err, <-done)
	}
	if len(a.Nodes) != 3 || a.Threshold != 2 {
		t.Fatalf("announcement %+v", a)
	}
	waitHandshake(t, a.Nodes[0])
	if _, _, err := tryPost(a.Nodes[2]+"/web/handshake", map[string]any{}); err == nil {
		t.Error("node 2 (--down 2) answered")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("RunProcessCommand did not return after cancel")
	}
	if _, _, err := tryPost(a.Nodes[0]+"/web/handshake", map[string]any{}); err == nil {
		t.Error("node 0 still answers after the command returned")
	}
}

// TestProcessNagaRestart: a Naga devnet process comes back with the same
// node and chain ports after it dies.
func TestProcessNagaRestart(t *testing.T) {
	p := startProcess(t, Config{Protocol: ProtocolNaga, Nodes: 3, Seed: "naga-process"}, 0)
	a := p.Announcement()
	if a.Protocol != ProtocolNaga || a.Chain == nil || a.Chain.RPCURL == "" {
		t.Fatalf("announcement %+v", a)
	}
	chainID := func() error {
		status, body, err := tryPost(a.Chain.RPCURL, map[string]any{"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []any{}})
		if err == nil && (status != http.StatusOK || !bytes.Contains(body, []byte(`"result"`))) {
			err = fmt.Errorf("eth_chainId: %d %s", status, body)
		}
		return err
	}
	if err := chainID(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(p.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for p.Restarts() < 1 || p.PID() == 0 || chainID() != nil {
		if time.Now().After(deadline) {
			t.Fatalf("no restart with the chain back: restarts %d, %v", p.Restarts(), chainID())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if b := p.Announcement(); b.Chain.RPCURL != a.Chain.RPCURL || !slices.Equal(b.Nodes, a.Nodes) {
		t.Fatalf("after the restart: %+v, was %+v", b, a)
	}
}

// TestProcessArrayBombsBackToBack sends memory bombs built on
// Array.prototype.fill to all ten nodes at once, batch after batch: the
// action limits must stop every run without the child reaching its data
// cap. Unguarded, one fill over a sparse array allocated 150 bytes per
// element inside one native call, and the child died in the first batch
// ("fatal error: runtime: out of memory").
func TestProcessArrayBombsBackToBack(t *testing.T) {
	p, s := startBombProcess(t, "array-bombs", 5*time.Second)
	bombs := []string{
		`new Array(1e7).fill(0);`,
		`let a = []; for (;;) a.push(new Array(1e6).fill(1));`,
		`let a = []; for (;;) a.push(new Array(1e6).fill(1));`,
		`let a = []; for (;;) a.push(new Array(1e6).fill(1));`,
	}
	for round, bomb := range bombs {
		var wg sync.WaitGroup
		for _, u := range p.NodeURLs() {
			wg.Go(func() {
				status, body, err := tryPost(u+"/web/execute", codeBody(sessionSig(t, s, u, "*"), bomb, nil))
				switch {
				case err != nil:
					t.Errorf("round %d: %s: %v", round, u, err)
				case status == http.StatusOK:
					t.Errorf("round %d: %s: a memory bomb succeeded: %s", round, u, body)
				case !bytes.Contains(body, []byte("memory limit")):
					t.Errorf("round %d: %s: not stopped by a memory limit: %d %s", round, u, status, body)
				}
			})
		}
		wg.Wait()
		if n := p.Restarts(); n != 0 {
			t.Fatalf("round %d: the child died %d times (peak RSS %d MiB)", round, n, p.PeakRSS()>>20)
		}
	}
	t.Logf("child peak RSS %d MiB", p.PeakRSS()>>20)
}

// TestProcessPortInUse: a node port another program holds makes the start
// fail with the child's reason (the address in use), not a bare exit
// status; and Start in this process returns the error (it used to stop
// the servers of nodes it had not made yet, and panicked).
func TestProcessPortInUse(t *testing.T) {
	var ports []int
	var held net.Listener
	for i := range 3 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
		if i == 1 {
			held = l
			continue
		}
		_ = l.Close()
	}
	defer held.Close()
	cfg := Config{Nodes: 3, Threshold: 2, Ports: ports}
	n, err := Start(context.Background(), cfg)
	if err == nil {
		_ = n.Close()
		t.Fatal("Start: no error with node 1's port in use")
	}
	if !strings.Contains(err.Error(), "start node 1") || !strings.Contains(err.Error(), strconv.Itoa(ports[1])) {
		t.Fatalf("Start: %v; want node 1 and its port named", err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p, err := StartProcess(context.Background(), ProcessOptions{Command: []string{exe, childArg}, Config: cfg})
	if err == nil {
		_ = p.Close()
		t.Fatal("StartProcess: no error with node 1's port in use")
	}
	if !strings.Contains(err.Error(), "devnet child: devnet: start node 1") || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("StartProcess: %v; want the child's reason", err)
	}
}

// TestRunChildErrors: every error RunChild returns begins with
// childErrorMark, once (the parent reports the line that holds it).
func TestRunChildErrors(t *testing.T) {
	for _, tt := range []struct{ stdin, want string }{
		{"", "devnet child: read configuration: EOF"},
		{"not json\n", "devnet child: configuration: "},
		{"{}\n", "devnet child: no memory limit given"},
	} {
		err := RunChild(context.Background(), strings.NewReader(tt.stdin), io.Discard)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Count(err.Error(), childErrorMark) != 1 {
			t.Errorf("stdin %q: %v; want it to begin %q, the mark once", tt.stdin, err, tt.want)
		}
	}
}
