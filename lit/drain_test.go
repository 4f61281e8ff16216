package lit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestFanOutDrainsLateRequests: once a call has what it needs, the
// requests still running are not cancelled (a cancelled HTTP/1.1 request
// closes its keep-alive connection): the late node's reply is read, and
// the node is recorded as up.
func TestFanOutDrainsLateRequests(t *testing.T) {
	old := drainGrace
	drainGrace = time.Hour // only Close or the reply ends the drain here
	t.Cleanup(func() { drainGrace = old })
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("{}")) }))
	defer fast.Close()
	release := make(chan struct{})
	late := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
			w.Write([]byte("{}"))
		case <-r.Context().Done():
		}
	}))
	defer late.Close()
	c, err := NewClient(Network{Name: "custom", NodeURLs: []string{fast.URL, late.URL}, Threshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	calls := []*nodeCall{{url: fast.URL, path: "/"}, {url: late.URL, path: "/"}}
	c.fanOut(ctx, "req", calls, func(r nodeResult) bool { return r.err == nil })
	cancel() // the caller's context ends with the call, as the daemon's does
	close(release)
	if !waitUntil(func() bool {
		for _, n := range c.NodeStatus() {
			if n.URL == late.URL {
				return n.State == NodeUp
			}
		}
		return false
	}) {
		t.Fatal("the late request was cancelled instead of drained")
	}
}

// waitUntil polls cond for up to 10 s.
func waitUntil(cond func() bool) bool {
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return false
}
