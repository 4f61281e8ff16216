package devnet

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/litsigner/litsigner/lit"
	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// benchActions are the actions the node benchmark runs: the seed action
// (one signature share) and one that signs nothing, so that the node's own
// cost around the action run shows.
var benchActions = []struct{ name, code string }{
	{"action=sign", signHello},
	{"action=noop", `LitActions.setResponse({ response: "ok" });`},
}

// BenchmarkNodeExecute sends one prepared execute request straight to one
// node's handler (no network): the node's whole request path (body read,
// parse, session check, action run, signature share, reply encoding, and on
// Naga the E2EE both ways), as the devnet pays it for each node of a call.
// Iteration i goes to node i mod 10 with X-Request-Id i/10, so that one
// request id reaches every node once, as one client call does; ns/op is per
// node request. Besides
// ns/op (wall clock, noisy on a shared machine) it reports cpu-ns/op: the
// process's CPU time per request, GC and the action's goroutine included.
func BenchmarkNodeExecute(b *testing.B) {
	for _, a := range benchActions {
		b.Run("proto=v2/"+a.name, func(b *testing.B) { benchV2Node(b, a.code) })
		b.Run("proto=naga/"+a.name, func(b *testing.B) { benchNagaNode(b, a.code) })
	}
}

func startBenchNet(b *testing.B, cfg Config) *Network {
	b.Helper()
	cfg.Seed = "bench"
	n, err := Start(context.Background(), cfg)
	if err != nil {
		b.Fatalf("Start: %v", err)
	}
	b.Cleanup(func() { _ = n.Close() })
	return n
}

// serveNode runs body through node nd's handler and fails on a non-200.
func serveNode(b *testing.B, nd *node, path string, body []byte, reqID string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-Id", reqID)
	rec := httptest.NewRecorder()
	nd.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
	}
	return rec
}

func benchV2Node(b *testing.B, code string) {
	n := startBenchNet(b, Config{})
	key, err := lit.NewSessionKey()
	if err != nil {
		b.Fatal(err)
	}
	s, err := lit.NewSession(context.Background(), key, newWalletSigner(b), lit.SessionOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Wipe)
	bodies := make([][]byte, len(n.nodes))
	for i, url := range n.NodeURLs() {
		sig, err := s.SignForNode(url, []lit.ResourceAbilityRequest{lit.LitActionRequest("*")}, time.Now())
		if err != nil {
			b.Fatal(err)
		}
		if bodies[i], err = json.Marshal(codeBody(sig, code, helloParams(n))); err != nil {
			b.Fatal(err)
		}
		serveNode(b, n.nodes[i], "/web/execute", bodies[i], "warm") // fills the verify cache
	}
	timeRequests(b, func(i int) {
		node := i % len(n.nodes)
		serveNode(b, n.nodes[node], "/web/execute", bodies[node], "bench-"+strconv.Itoa(i/len(n.nodes)))
	})
}

// timeRequests runs serve b.N times and reports the process CPU time per
// request.
func timeRequests(b *testing.B, serve func(i int)) {
	b.ReportAllocs()
	b.ResetTimer()
	start := processCPU(b)
	for i := range b.N {
		serve(i)
	}
	b.ReportMetric(float64(processCPU(b)-start)/float64(b.N), "cpu-ns/op")
}

// processCPU is the CPU time (user and system) the process has used.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchNagaNode(b *testing.B, code string) {
	n := startBenchNet(b, Config{Protocol: ProtocolNaga})
	s := newNagaSession(b, time.Now())
	nodes := make([]int, len(n.nodes))
	for i := range nodes {
		nodes[i] = i
	}
	bodies := make([][]byte, len(n.nodes))
	for i, nd := range n.nodes {
		plain, err := nagaRequest(b, n, s, i, code, helloParams(n), nodes).Marshal()
		if err != nil {
			b.Fatal(err)
		}
		kp, err := nagawire.GenerateKeyPair(rand.Reader)
		if err != nil {
			b.Fatal(err)
		}
		var random [16]byte
		_, _ = rand.Read(random[:])
		epoch := n.Epoch()
		env := nagawire.Envelope{Version: nagawire.EnvelopeVersion,
			Payload: nagawire.Seal(kp, nd.naga.identity.Public, plain, random, time.Now()), Epoch: &epoch}
		if bodies[i], err = json.Marshal(env); err != nil {
			b.Fatal(err)
		}
		rec := serveNode(b, nd, nagawire.ExecutePath, bodies[i], "warm")
		// The reply must open and say ok, or the benchmark measures an error path.
		var got nagawire.Envelope
		if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
			b.Fatal(err)
		}
		opened, _, err := nagawire.Open(kp, got.Payload)
		if err != nil {
			b.Fatal(err)
		}
		var res nagawire.Result
		if err := json.Unmarshal(opened, &res); err != nil || !res.OK {
			b.Fatalf("reply %s: %v", opened, err)
		}
	}
	timeRequests(b, func(i int) {
		node := i % len(n.nodes)
		serveNode(b, n.nodes[node], nagawire.ExecutePath, bodies[node], "bench-"+strconv.Itoa(i/len(n.nodes)))
	})
}
