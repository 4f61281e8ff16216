package lit

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/litsigner/litsigner/lit/internal/nodehttp"
)

// signCode is the seed's action.
const signCode = `const go = async () => { const sigShare = await LitActions.signEcdsa({ toSign, publicKey, sigName }); }; go();`

func helloParams(pub string) map[string]any {
	toSign := make([]int, len(helloWorld))
	for i, b := range helloWorld {
		toSign[i] = int(b)
	}
	return map[string]any{"toSign": toSign, "publicKey": pub, "sigName": "sig1"}
}

func newTestClient(t *testing.T, n Network, opts ...ClientOption) *Client {
	t.Helper()
	c, err := NewClient(n, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// checkSig asserts sig is a valid signature of "Hello World" by pub.
func checkSig(t *testing.T, sig Signature, pub string) {
	t.Helper()
	raw, err := hex.DecodeString(strings.TrimPrefix(sig.Signature, "0x"))
	if err != nil || len(raw) != 65 {
		t.Fatalf("signature %q", sig.Signature)
	}
	raw[64] -= 27
	hash := make([]byte, 32)
	copy(hash[32-len(helloWorld):], helloWorld)
	got, err := crypto.Ecrecover(hash, raw)
	if err != nil || hex.EncodeToString(got) != strings.TrimPrefix(pub, "0x") {
		t.Fatalf("signature does not recover to the PKP: %v", err)
	}
}

func TestExecuteJSHappyPath(t *testing.T) {
	n := newTestNet(t, 10, 6)
	c := newTestClient(t, n.network())
	s := newTestSession(t, SessionOptions{})
	info, err := c.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.ServerPublicKey != "key-1" && info.ServerPublicKey != "key-0" || info.NetworkPublicKeySet != "set" || len(info.ConnectedNodes) < 6 {
		t.Fatalf("info %+v", info)
	}
	res, err := c.ExecuteJS(context.Background(), s, ExecuteJSRequest{Code: signCode, JSParams: helloParams(n.pkpHex())})
	if err != nil {
		t.Fatal(err)
	}
	checkSig(t, res.Signatures["sig1"], n.pkpHex())
	if m, ok := res.Response.(map[string]any); !ok || m["ok"] != true {
		t.Fatalf("response %#v", res.Response)
	}
	if res.Logs != "hello from the action\n" {
		t.Fatalf("logs %q", res.Logs)
	}
	// One request id per logical call, the same on every node.
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.requests) != 2 {
		t.Fatalf("%d request ids for 2 calls", len(n.requests))
	}
	for id, nodes := range n.requests {
		if len(id) != len("lit_")+13 || len(nodes) < 6 {
			t.Fatalf("request %s reached %d nodes", id, len(nodes))
		}
	}
}

func TestExecuteJSFaults(t *testing.T) {
	tests := []struct {
		name   string
		faults map[int]testFault
		// signers overrides the signing set.
		signers []int
		check   func(t *testing.T, n *testNet, res *ExecuteJSResult, err error)
	}{
		{
			name:   "4 non-signers malformed",
			faults: map[int]testFault{6: {Malformed: true}, 7: {Malformed: true}, 8: {HTTP500: true}, 9: {Malformed: true}},
			check:  wantSig,
		},
		{
			name:    "signing set answers after non-signers",
			signers: []int{4, 5, 6, 7, 8, 9},
			faults:  map[int]testFault{4: {Latency: 50 * time.Millisecond}, 5: {Latency: 50 * time.Millisecond}, 9: {Latency: 100 * time.Millisecond}},
			check:   wantSig,
		},
		{
			// Not what SDK-compatible nodes do: the shares are combined
			// once every node answered.
			name:    "signing set smaller than the threshold",
			signers: []int{1, 3, 5, 7},
			check:   wantSig,
		},
		{
			// ... or when the call's time is up.
			name:    "signing set smaller than the threshold, a node slow",
			signers: []int{1, 3, 5, 7},
			faults:  map[int]testFault{9: {Latency: time.Minute}},
			check:   wantSig,
		},
		{
			name:   "2 inconsistent non-signers",
			faults: map[int]testFault{8: {OtherData: true}, 9: {OtherData: true}},
			check:  wantSig,
		},
		{
			name:   "5 inconsistent nodes",
			faults: map[int]testFault{5: {OtherData: true}, 6: {OtherData: true}, 7: {OtherData: true}, 8: {OtherData: true}, 9: {OtherData: true}},
			check: func(t *testing.T, n *testNet, res *ExecuteJSResult, err error) {
				var te *ThresholdError
				if !errors.As(err, &te) || !errors.Is(err, ErrInconsistent) || te.Got != 5 {
					t.Fatalf("err = %v", err)
				}
			},
		},
		{
			name:   "wrong share from a signer",
			faults: map[int]testFault{2: {WrongShare: true}},
			check: func(t *testing.T, n *testNet, res *ExecuteJSResult, err error) {
				var se *ShareError
				if !errors.Is(err, ErrBadShares) || !errors.As(err, &se) || se.SigName != "sig1" {
					t.Fatalf("err = %v", err)
				}
			},
		},
		{
			name:   "5 nodes malformed",
			faults: map[int]testFault{0: {Malformed: true}, 1: {Malformed: true}, 2: {Malformed: true}, 3: {Malformed: true}, 4: {Malformed: true}},
			check: func(t *testing.T, n *testNet, res *ExecuteJSResult, err error) {
				var te *ThresholdError
				if !errors.As(err, &te) || !errors.Is(err, ErrBelowThreshold) || !errors.Is(err, ErrBadReply) || te.Got >= 6 || te.Needed != 6 || len(te.Reasons)+te.Got != 10 {
					t.Fatalf("err = %v", err)
				}
			},
		},
		{
			name:   "5 nodes HTTP 500",
			faults: map[int]testFault{0: {HTTP500: true}, 1: {HTTP500: true}, 2: {HTTP500: true}, 3: {HTTP500: true}, 4: {HTTP500: true}},
			check: func(t *testing.T, n *testNet, res *ExecuteJSResult, err error) {
				var ne *NodeError
				if !errors.Is(err, ErrBelowThreshold) || !errors.As(err, &ne) || ne.Status != 500 {
					t.Fatalf("err = %v", err)
				}
			},
		},
		{
			name:   "oversized replies",
			faults: map[int]testFault{0: {Huge: true}, 1: {Huge: true}, 2: {Huge: true}, 3: {Huge: true}, 4: {Huge: true}},
			check: func(t *testing.T, n *testNet, res *ExecuteJSResult, err error) {
				if !errors.Is(err, ErrBelowThreshold) || !errors.Is(err, ErrBadReply) {
					t.Fatalf("err = %v", err)
				}
			},
		},
		{
			name:   "3 slow nodes are not waited for and are cancelled after the straggler grace",
			faults: map[int]testFault{7: {Latency: time.Minute}, 8: {Latency: time.Minute}, 9: {Latency: time.Minute}},
			check: func(t *testing.T, n *testNet, res *ExecuteJSResult, err error) {
				wantSig(t, n, res, err)
				// A slow request may be cancelled before it reaches its
				// node (the goroutines race to the threshold); every one
				// that reached it runs on for the grace, then is cancelled.
				if _, c := n.slowCounts(); c != 0 {
					t.Fatalf("%d slow requests cancelled before the grace ended", c)
				}
				time.Sleep(minStragglerGrace) // the call took no time: the grace is the minimum
				synctest.Wait()
				seen, c := n.slowCounts()
				if c != seen {
					t.Fatalf("%d of %d slow requests cancelled, want all", c, seen)
				}
			},
		},
		{
			// Their connections stay up for the next call (see fanOut).
			name:   "nodes a little slower than the threshold finish in the background",
			faults: map[int]testFault{7: {Latency: minStragglerGrace / 2}, 8: {Latency: minStragglerGrace / 2}, 9: {Latency: minStragglerGrace / 2}},
			check: func(t *testing.T, n *testNet, res *ExecuteJSResult, err error) {
				wantSig(t, n, res, err)
				time.Sleep(maxStragglerGrace)
				synctest.Wait()
				seen, c := n.slowCounts()
				if seen != 3 || c != 0 {
					t.Fatalf("%d of %d slow requests cancelled, want 0 of 3", c, seen)
				}
			},
		},
	}
	for _, tt := range tests {
		// In-memory nodes in a synctest bubble: latencies are exact and
		// free, and the bubble fails on any goroutine the call leaves.
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				n := newMemTestNet(t, 10, 6)
				if tt.signers != nil {
					n.signers = tt.signers
				}
				c := newTestClient(t, n.network())
				c.useHTTP(n.memClient())
				if _, err := c.Connect(context.Background()); err != nil {
					t.Fatal(err)
				}
				for i, f := range tt.faults {
					n.setFault(i, f)
				}
				s := newTestSession(t, SessionOptions{})
				ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
				defer cancel()
				start := time.Now()
				res, err := c.ExecuteJS(ctx, s, ExecuteJSRequest{Code: signCode, JSParams: helloParams(n.pkpHex())})
				// The bubble's clock is exact: no call waits for a node
				// slowed by a minute.
				if took := time.Since(start); took >= time.Minute {
					t.Errorf("the call took %v: it waited for a slow node", took)
				}
				synctest.Wait() // every node call has ended
				tt.check(t, n, res, err)
			})
		})
	}
}

// TestCloseCancelsStragglers: Close does not wait out the grace a call's
// unfinished requests got; it cancels them and waits for them to end.
func TestCloseCancelsStragglers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newMemTestNet(t, 10, 6)
		c := newTestClient(t, n.network())
		c.useHTTP(n.memClient())
		if _, err := c.Connect(context.Background()); err != nil {
			t.Fatal(err)
		}
		n.setFault(8, testFault{Latency: time.Minute})
		n.setFault(9, testFault{Latency: time.Minute})
		res, err := c.ExecuteJS(context.Background(), newTestSession(t, SessionOptions{}), ExecuteJSRequest{Code: signCode, JSParams: helloParams(n.pkpHex())})
		wantSig(t, n, res, err)
		start := time.Now()
		c.Close()
		if took := time.Since(start); took != 0 {
			t.Errorf("Close took %v, want no wait for the grace", took)
		}
		seen, cancelled := n.slowCounts()
		if seen != 2 || cancelled != 2 {
			t.Fatalf("after Close, %d of %d slow requests cancelled, want 2 of 2", cancelled, seen)
		}
	})
}

func wantSig(t *testing.T, n *testNet, res *ExecuteJSResult, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	checkSig(t, res.Signatures["sig1"], n.pkpHex())
}

func TestExecuteJSActionError(t *testing.T) {
	n := newTestNet(t, 10, 6)
	c := newTestClient(t, n.network())
	s := newTestSession(t, SessionOptions{})
	_, err := c.ExecuteJS(context.Background(), s, ExecuteJSRequest{Code: `throw new Error("boom")`})
	var ae *ActionError
	if !errors.As(err, &ae) || ae.Message != "Error: boom" || ae.Code != "NodeJsExecutionError" || ae.Node == "" {
		t.Fatalf("err = %v", err)
	}
}

func TestExecuteJSSessionRefused(t *testing.T) {
	n := newTestNet(t, 10, 6)
	// The client's clock is an hour behind: its session signatures are
	// already expired for the nodes.
	past := func() time.Time { return time.Now().Add(-time.Hour) }
	c := newTestClient(t, n.network(), WithClock(past))
	s := newTestSession(t, SessionOptions{Now: past})
	_, err := c.ExecuteJS(context.Background(), s, ExecuteJSRequest{Code: signCode, JSParams: helloParams(n.pkpHex())})
	var ne *NodeError
	if !errors.Is(err, ErrBelowThreshold) || !errors.As(err, &ne) || ne.Status != 401 || !strings.Contains(ne.Message, "expired") {
		t.Fatalf("err = %v", err)
	}
	// A session past its expiration is refused before anything is sent.
	later := func() time.Time { return time.Now().Add(25 * time.Hour) }
	c2 := newTestClient(t, n.network(), WithClock(later))
	s2 := newTestSession(t, SessionOptions{})
	if _, err := c2.ExecuteJS(context.Background(), s2, ExecuteJSRequest{Code: signCode}); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("expired: %v", err)
	}
	// A wiped session cannot be used.
	s.Wipe()
	if _, err := c.ExecuteJS(context.Background(), s, ExecuteJSRequest{Code: signCode}); !errors.Is(err, ErrSessionWiped) {
		t.Fatalf("wiped: %v", err)
	}
}

// TestExecuteJSTimeout runs on synctest's clock over in-memory nodes: a
// call ends exactly at its context's deadline, or at the network's
// per-node timeout, with ErrTimeout.
func TestExecuteJSTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n := newMemTestNet(t, 4, 3)
		for i := 0; i < 4; i++ {
			n.setFault(i, testFault{Latency: time.Minute})
		}
		net := n.network()
		c := newTestClient(t, net)
		c.useHTTP(n.memClient())
		s := newTestSession(t, SessionOptions{})
		c.st = &netState{threshold: 3} // skip the handshake: every node is slow
		const callTimeout = 200 * time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		start := time.Now()
		_, err := c.ExecuteJS(ctx, s, ExecuteJSRequest{Code: signCode})
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) || !errors.Is(err, ErrBelowThreshold) {
			t.Fatalf("err = %v", err)
		}
		if took := time.Since(start); took != callTimeout {
			t.Fatalf("the call ended after %v, want its deadline %v", took, callTimeout)
		}
		// Per-node timeout: nodes time out individually.
		const nodeTimeout = 100 * time.Millisecond
		net.NodeTimeout = nodeTimeout
		c2 := newTestClient(t, net)
		c2.useHTTP(n.memClient())
		c2.st = &netState{threshold: 3}
		start = time.Now()
		_, err = c2.ExecuteJS(context.Background(), s, ExecuteJSRequest{Code: signCode})
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, ErrBelowThreshold) {
			t.Fatalf("per-node: err = %v", err)
		}
		if took := time.Since(start); took != nodeTimeout {
			t.Fatalf("the call ended after %v, want the node timeout %v", took, nodeTimeout)
		}
		timedOut := 0
		for _, st := range c2.NodeStatus() {
			if !st.Up && strings.Contains(st.LastError, "timeout") {
				timedOut++
			}
		}
		if timedOut < 2 { // the call stops once 3 of 4 cannot be reached
			t.Fatalf("status %+v", c2.NodeStatus())
		}
		synctest.Wait()
		seen, cancelled := n.slowCounts()
		if seen != 8 || cancelled != 8 {
			t.Fatalf("%d of %d slow executes cancelled, want 8 of 8", cancelled, seen)
		}
	})
}

func TestExecuteJSInvalidParams(t *testing.T) {
	n := newTestNet(t, 3, 2)
	c := newTestClient(t, n.network(), WithMaxCodeSize(100))
	s := newTestSession(t, SessionOptions{})
	tests := []struct {
		name string
		req  ExecuteJSRequest
	}{
		{"nothing", ExecuteJSRequest{}},
		{"both", ExecuteJSRequest{Code: "x", IPFSID: "QmYQ9nqo3srTPdEEpv3MwZ5dyZr4gq8vy5DH7MXkaeXLQs"}},
		{"bad cid", ExecuteJSRequest{IPFSID: "QmNope"}},
		{"too big", ExecuteJSRequest{Code: strings.Repeat("x", 101)}},
		{"not UTF-8", ExecuteJSRequest{Code: "\xff"}},
		{"params not JSON", ExecuteJSRequest{Code: "x", JSParams: map[string]any{"f": func() {}}}},
		{"JSON params an array", ExecuteJSRequest{Code: "x", JSParamsJSON: json.RawMessage(`[1]`)}},
		{"JSON params a string", ExecuteJSRequest{Code: "x", JSParamsJSON: json.RawMessage(`"{}"`)}},
		{"JSON params cut short", ExecuteJSRequest{Code: "x", JSParamsJSON: json.RawMessage(`{"a":`)}},
		{"JSON params with more after", ExecuteJSRequest{Code: "x", JSParamsJSON: json.RawMessage(`{} {}`)}},
		{"JSON params empty", ExecuteJSRequest{Code: "x", JSParamsJSON: json.RawMessage(` `)}},
		{"params both ways", ExecuteJSRequest{Code: "x", JSParams: map[string]any{}, JSParamsJSON: json.RawMessage(`{}`)}},
		{"number out of range", ExecuteJSRequest{Code: "x", JSParamsJSON: json.RawMessage(`{"a":1e999}`)}},
		{"read-only global", ExecuteJSRequest{Code: "x", JSParamsJSON: json.RawMessage(`{"undefined":1}`)}},
		{"read-only global as a value", ExecuteJSRequest{Code: "x", JSParams: map[string]any{"NaN": 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := c.ExecuteJS(context.Background(), s, tt.req); !errors.Is(err, ErrInvalidParams) {
				t.Fatalf("err = %v", err)
			}
		})
	}
	if _, err := c.ExecuteJS(context.Background(), nil, ExecuteJSRequest{Code: "x"}); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("nil session: %v", err)
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.requests) != 0 {
		t.Fatalf("invalid requests reached the nodes")
	}
}

func TestConnect(t *testing.T) {
	n := newTestNet(t, 10, 6)
	for i := 0; i < 4; i++ {
		n.setFault(i, testFault{HandshakeERR: true})
	}
	c := newTestClient(t, n.network())
	info, err := c.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(info.ConnectedNodes) != 6 || info.ServerPublicKey == "ERR" {
		t.Fatalf("info %+v", info)
	}
	n.setFault(4, testFault{HTTP500: true})
	_, err = newTestClient(t, n.network()).Connect(context.Background())
	var te *ThresholdError
	if !errors.As(err, &te) || te.Got >= 6 || len(te.Reasons)+te.Got != 10 {
		t.Fatalf("err = %v", err)
	}
}

func TestNewClientValidates(t *testing.T) {
	bad := []Network{
		{},
		{NodeURLs: []string{"ftp://x"}},
		{NodeURLs: []string{"http://x/path"}},
		{NodeURLs: []string{"http://x", "http://x/"}},
		{NodeURLs: []string{"http://x"}, Threshold: 2},
		{NodeURLs: []string{"http://x"}, Threshold: -1},
	}
	for _, n := range bad {
		if _, err := NewClient(n); !errors.Is(err, ErrInvalidParams) {
			t.Errorf("%+v: %v", n, err)
		}
	}
	c, err := NewClient(LocalhostNetwork())
	if err != nil {
		t.Fatal(err)
	}
	n := c.Network()
	if len(n.NodeURLs) != 10 || n.NodeURLs[9] != "http://localhost:7479" || n.Threshold != 6 || n.NodeTimeout == 0 || n.CallTimeout == 0 {
		t.Fatalf("%+v", n)
	}
	if st := c.NodeStatus(); len(st) != 10 || st[0].URL != "http://localhost:7470" || st[0].Up {
		t.Fatalf("%+v", st)
	}
}

// TestReadReply: a node's reply is read whole up to the limit, whether or
// not its length is announced; a longer one is ErrBadReply.
func TestReadReply(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		announce bool
		limit    int64
		tooBig   bool
	}{
		{"announced", "0123456789", true, 16, false},
		{"announced, at the limit", "0123456789", true, 10, false},
		{"unannounced, at the limit", "0123456789", false, 10, false},
		{"empty", "", true, 16, false},
		{"announced, too big", "0123456789", true, 9, true},
		{"unannounced, too big", "0123456789", false, 9, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{Body: io.NopCloser(strings.NewReader(tt.body)), ContentLength: -1}
			if tt.announce {
				resp.ContentLength = int64(len(tt.body))
			}
			got, err := readReply(resp, tt.limit)
			if tt.tooBig {
				if !errors.Is(err, ErrBadReply) {
					t.Fatalf("err %v, want ErrBadReply", err)
				}
				return
			}
			if err != nil || string(got) != tt.body {
				t.Fatalf("got %q, %v; want %q", got, err, tt.body)
			}
		})
	}
}

// TestPostReplyTooBig: a node's reply over the client's limit is
// ErrBadReply (a fault of the node, not of the transport), through the
// node client and through an http.Client alike.
func TestPostReplyTooBig(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = w.Write(bytes.Repeat([]byte("x"), 2048))
	}))
	defer srv.Close()
	for _, transport := range []string{"node client", "net/http"} {
		t.Run(transport, func(t *testing.T) {
			c, err := NewClient(Network{NodeURLs: []string{srv.URL}, Threshold: 1, NodeTimeout: 10 * time.Second, CallTimeout: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if transport == "net/http" {
				c.useHTTP(srv.Client())
			}
			c.maxReply = 1024
			call := &nodeCall{url: srv.URL, path: "/web/execute", body: [][]byte{[]byte("{}")}}
			res := c.post(context.Background(), call, c.newRequestHead(nil, "req-1"))
			if !errors.Is(res.err, ErrBadReply) || errors.Is(res.err, ErrTimeout) {
				t.Fatalf("err %v, want ErrBadReply", res.err)
			}
		})
	}
}

// TestRequestHeadRendered: the node client's request head is the whole
// header (the call's own fields, the common ones and the request id)
// rendered as nodehttp.RenderHeader renders it, made from a header map
// rendered once; an invalid header is an error for every request.
func TestRequestHeadRendered(t *testing.T) {
	c, err := NewClient(Network{NodeURLs: []string{"http://127.0.0.1:1"}, Threshold: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	naga := (&protoNaga{}).header("naga-dev")
	for _, tt := range []struct {
		name  string
		extra http.Header
		bad   bool
	}{
		{name: "none", extra: nil},
		{name: "v2", extra: v2Header},
		{name: "naga", extra: naga},
		{name: "own agent", extra: http.Header{"User-Agent": {"x"}, "Zz-Last": {"after X-Request-Id"}}},
		{name: "set by the client", extra: http.Header{"Content-Length": {"1"}}, bad: true},
		{name: "invalid name", extra: http.Header{"Bad Name": {"1"}}, bad: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, id := range []string{"lit_0123456789abc", "lit_fedcba9876543"} {
				got := c.newRequestHead(tt.extra, id)
				want, wantErr := nodehttp.RenderHeader(requestHeader(tt.extra, id))
				if tt.bad {
					if got.err == nil || wantErr == nil {
						t.Fatalf("err %v (RenderHeader: %v), want an error", got.err, wantErr)
					}
					continue
				}
				if got.err != nil || wantErr != nil {
					t.Fatalf("err %v (RenderHeader: %v)", got.err, wantErr)
				}
				if !sameLines(got.raw, want) {
					t.Fatalf("head\n%s\nwant the lines of\n%s", got.raw, want)
				}
				if !bytes.HasSuffix(got.raw, []byte("X-Request-Id: "+id+"\r\n")) {
					t.Fatalf("head\n%s\ndoes not end with the request id", got.raw)
				}
			}
		})
	}
	// Each map is rendered once; more maps than the bound push the oldest out.
	n := len(c.rendered)
	c.newRequestHead(v2Header, "lit_1")
	if len(c.rendered) != n {
		t.Fatalf("v2Header rendered again: %d entries, had %d", len(c.rendered), n)
	}
	for i := 0; i < 2*maxRenderedHeaders; i++ {
		c.newRequestHead(http.Header{"X-N": {strconv.Itoa(i)}}, "lit_1")
	}
	if len(c.rendered) != maxRenderedHeaders {
		t.Fatalf("%d rendered headers kept, want the bound %d", len(c.rendered), maxRenderedHeaders)
	}
}

// sameLines reports whether a and b hold the same CRLF-terminated lines,
// in any order (the order of header fields carries no meaning).
func sameLines(a, b []byte) bool {
	la, lb := strings.SplitAfter(string(a), "\r\n"), strings.SplitAfter(string(b), "\r\n")
	slices.Sort(la)
	slices.Sort(lb)
	return slices.Equal(la, lb)
}

// TestLitErrNamesTheOperationOnce: a threshold error of the operation
// already names it; the wrapper does not repeat it.
func TestLitErrNamesTheOperationOnce(t *testing.T) {
	err := litErr("executeJs", &ThresholdError{Op: "executeJs", Needed: 6, Got: 4})
	if got, want := err.Error(), "lit: executeJs: 4 of 6 needed nodes answered"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got, want := litErr("executeJs", errors.New("connect: refused")).Error(), "lit: executeJs: connect: refused"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
