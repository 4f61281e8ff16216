package lit

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"
)

// recordingTransport passes requests on without the caller's cancellation
// (so that every node of a call answers) and keeps each host's last body.
type recordingTransport struct {
	mu     sync.Mutex
	bodies map[string][]byte
}

func (t *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r.Clone(context.WithoutCancel(r.Context())))
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.bodies[r.URL.Host] = body
	t.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// cpuTime is the process's user+system CPU time.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkExecuteJSClient measures the v2 client side of executeJs: ten
// loopback nodes answer every call with the replies they gave to one real
// call (recorded once), so the nodes' own work is the least an HTTP
// server does. cpu-us/op is the process's CPU time per call (client plus
// the canned servers' HTTP handling).
func BenchmarkExecuteJSClient(b *testing.B) {
	n := newTestNet(b, 10, 6)
	n.signers = []int{0, 1, 3, 4, 6, 8}
	rec := &recordingTransport{bodies: map[string][]byte{}}
	c0, err := NewClient(n.network())
	if err != nil {
		b.Fatal(err)
	}
	defer c0.Close()
	c0.useHTTP(&http.Client{Transport: rec})
	c0.st = &netState{threshold: 6}
	s := newTestSession(b, SessionOptions{})
	req := ExecuteJSRequest{Code: signCode, JSParams: helloParams(n.pkpHex())}
	if _, err := c0.ExecuteJS(context.Background(), s, req); err != nil {
		b.Fatal(err)
	}
	// Canned nodes: the recorded reply, after reading the request as a
	// node does.
	var urls []string
	for _, srv := range n.servers {
		body := rec.bodies[srv.Listener.Addr().String()]
		if body == nil {
			b.Fatalf("no reply recorded for %s", srv.URL)
		}
		canned := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		}))
		defer canned.Close()
		urls = append(urls, canned.URL)
	}
	c, err := NewClient(Network{Name: "canned", Protocol: ProtocolV2, NodeURLs: urls, Threshold: 6})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	c.st = &netState{threshold: 6}
	if _, err := c.ExecuteJS(context.Background(), s, req); err != nil {
		b.Fatal(err)
	}
	for _, par := range []int{1, 32} {
		b.Run(fmt.Sprintf("callers=%d", par*runtime.GOMAXPROCS(0)), func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(par)
			b.ResetTimer()
			start := cpuTime(b)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := c.ExecuteJS(context.Background(), s, req); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64((cpuTime(b)-start).Microseconds())/float64(b.N), "cpu-us/op")
		})
	}
}
