package daemon

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/ipc"
	"github.com/litsigner/litsigner/lit"
	"github.com/litsigner/litsigner/lit/devnet"
)

// leasesInUse is how many calls hold the live session.
func leasesInUse(s *sessionManager) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.live == nil {
		return 0
	}
	return s.live.refs
}

// waitFor is the package's one bounded wait: it polls cond until it holds,
// and fails the test (instead of hanging until go test's timeout) after
// 10 s. Prefer an explicit signal (a channel, a hook) where the code has one.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func setLatency(t *testing.T, n *devnet.Network, d time.Duration) {
	t.Helper()
	for i := range n.NodeURLs() {
		if err := n.SetFault(i, devnet.Fault{Latency: d}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestStopDuringCallWipesKey: stopping while a call runs cancels it (the
// caller reads 4301), Run returns nil within the stop bound, and the key
// memory is zero when released.
func TestStopDuringCallWipesKey(t *testing.T) {
	td := startDaemon(t, devConfig(t), Options{DevNodes: 3})
	wl := &wipeLog{freed: make(chan struct{}, 4)}
	td.sessions.beforeRelease = wl.hook
	pkp := networkPKP(t, td)
	c := dial(t, td.sock)
	params := rpcapi.ExecuteJsParams{Code: readSeed(t), JSParams: helloParams(pkp.PublicKey)}
	var res lit.ExecuteJSResult
	if err := call(t, c, &res, "lit_executeJs", params); err != nil {
		t.Fatal(err)
	}
	setLatency(t, td.inProcessDevnet(), 30*time.Second)
	errc := make(chan error, 1)
	go func() { errc <- call(t, c, &res, "lit_executeJs", params) }()
	waitFor(t, "the call to hold the session", func() bool { return leasesInUse(td.sessions) == 1 })

	start := time.Now()
	if err := td.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	if d := time.Since(start); d > DefaultStopTimeout+2*time.Second {
		t.Fatalf("stop took %v", d)
	}
	if err := <-errc; err == nil {
		t.Fatal("the in-flight call succeeded")
	} else if code := codeOf(err); code != rpcapi.CodeShuttingDown {
		// Not EOF: the caller is told why its call ended.
		t.Fatalf("in-flight call: %v, want code %d (shutting_down)", err, rpcapi.CodeShuttingDown)
	}
	wl.waitFreed(t)
}

// countingProxy forwards to one devnet node and counts requests whose
// client (the daemon's lit client) hung up before the node answered.
type countingProxy struct {
	target    *url.URL
	started   atomic.Int32
	cancelled atomic.Int32
}

func (p *countingProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.started.Add(1)
	out := r.Clone(r.Context())
	out.URL.Scheme, out.URL.Host, out.Host, out.RequestURI = p.target.Scheme, p.target.Host, p.target.Host, ""
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		if r.Context().Err() != nil {
			p.cancelled.Add(1)
		}
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// TestClientDisconnectCancelsNodeRequests: a client that hangs up mid-call
// makes the daemon cancel its requests to every node.
func TestClientDisconnectCancelsNodeRequests(t *testing.T) {
	const nodes = 3
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var lns []net.Listener
	var urls []string
	adv := make([][]string, nodes)
	for i := 0; i < nodes; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		urls = append(urls, "http://"+ln.Addr().String())
		adv[i] = []string{urls[i]}
	}
	n, err := devnet.Start(ctx, devnet.Config{Nodes: nodes, Seed: devSeed, AdvertiseURLs: adv})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	proxies := make([]*countingProxy, nodes)
	for i, ln := range lns {
		u, _ := url.Parse(n.NodeURLs()[i])
		proxies[i] = &countingProxy{target: u}
		srv := &http.Server{Handler: proxies[i]}
		go func() { _ = srv.Serve(ln) }()
		defer srv.Close()
	}
	emu, err := emulator.NewLedger(emulator.SpeculosMnemonic, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer emu.Close()

	cfg := devConfig(t)
	cfg.Dev = false
	cfg.Network = "custom"
	cfg.NodeURLs = urls
	cfg.Device = "emulator:ledger"
	td := startDaemon(t, cfg, Options{Wallets: devWallets{emu: emu}})

	params := rpcapi.ExecuteJsParams{Code: readSeed(t), JSParams: helloParams(n.PKPs()[0].PublicKey)}
	var res lit.ExecuteJSResult
	if err := call(t, dial(t, td.sock), &res, "lit_executeJs", params); err != nil {
		t.Fatal(err)
	}
	sum := func(f func(*countingProxy) int32) (s int32) {
		for _, p := range proxies {
			s += f(p)
		}
		return s
	}
	before := sum(func(p *countingProxy) int32 { return p.started.Load() })
	setLatency(t, n, 30*time.Second)

	c, err := ipc.Dial(ctx, td.sock)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() { errc <- c.Call(ctx, &res, "lit_executeJs", params) }()
	waitFor(t, "the call to reach every node", func() bool {
		return sum(func(p *countingProxy) int32 { return p.started.Load() }) == before+nodes
	})
	hangup := time.Now()
	c.Close()
	<-errc
	waitFor(t, "every node request to be cancelled", func() bool {
		return sum(func(p *countingProxy) int32 { return p.cancelled.Load() }) == nodes
	})
	if d := time.Since(hangup); d > 5*time.Second {
		t.Fatalf("node requests cancelled %v after the hang-up", d)
	}
	waitFor(t, "the call to release the session", func() bool { return leasesInUse(td.sessions) == 0 })
	if st := td.sessions.Status(); st.Calls != 2 || st.CallErrors != 1 {
		t.Fatalf("status %+v", st)
	}
}
