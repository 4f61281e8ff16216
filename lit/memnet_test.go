package lit

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// newMemTestNet is newTestNet without sockets: its nodes are reached
// through memTransport, in the caller's goroutines. With no network I/O
// in the way, a test can run in a testing/synctest bubble, where latencies
// and timeouts are exact and cost no wall-clock time.
func newMemTestNet(t testing.TB, nodes, threshold int) *testNet {
	t.Helper()
	n := &testNet{t: t, key: testPKP(t), threshold: threshold, faults: make([]testFault, nodes),
		dealt: map[string]dealtSignature{}, requests: map[string][]string{}}
	for i := 0; i < threshold; i++ {
		n.signers = append(n.signers, i)
	}
	for i := 0; i < nodes; i++ {
		n.urls = append(n.urls, fmt.Sprintf("http://node%d.test", i))
	}
	return n
}

// memClient is an HTTP client whose requests go to n's handlers in memory.
func (n *testNet) memClient() *http.Client { return &http.Client{Transport: memTransport{n}} }

// memTransport serves a request with the node its host names. It returns
// when the handler is done, or with the request context's error as soon as
// the context ends (the handler then sees its request context end too, as
// a server does when the client hangs up).
type memTransport struct{ n *testNet }

func (m memTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	host, ok := strings.CutPrefix(r.URL.Host, "node")
	host, ok2 := strings.CutSuffix(host, ".test")
	i, err := strconv.Atoi(host)
	if !ok || !ok2 || err != nil || i < 0 || i >= len(m.n.urls) {
		return nil, fmt.Errorf("memTransport: no node at %s", r.URL.Host)
	}
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.n.serve(i, rec, r)
	}()
	select {
	case <-done:
		return rec.Result(), nil
	case <-r.Context().Done():
		<-done // the handler sees the same context end
		return nil, r.Context().Err()
	}
}

// useHTTP makes c post to the nodes through h (e.g. memClient) instead of
// its node client.
func (c *Client) useHTTP(h *http.Client) {
	c.http = h
	if c.nodes != nil {
		c.nodes.Close()
		c.nodes = nil
	}
}
