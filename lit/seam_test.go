package lit

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestErrorTextCarriesLitOnce(t *testing.T) {
	n := newTestNet(t, 4, 3)
	for i := 0; i < 4; i++ {
		n.setFault(i, testFault{HTTP500: true})
	}
	c := newTestClient(t, n.network())
	s := newTestSession(t, SessionOptions{})
	_, err := c.ExecuteJS(context.Background(), s, ExecuteJSRequest{Code: signCode})
	if err == nil || strings.Count(err.Error(), "lit:") != 1 || !strings.HasPrefix(err.Error(), "lit: executeJs: connect: handshake: ") {
		t.Fatalf("err = %v", err)
	}
	if !errors.Is(err, ErrBelowThreshold) {
		t.Fatalf("err = %v", err)
	}
	_, err = c.ExecuteJS(context.Background(), s, ExecuteJSRequest{})
	if err == nil || strings.Count(err.Error(), "lit:") != 1 {
		t.Fatalf("invalid params: %v", err)
	}
}

func TestConcurrentFirstCallsShareOneHandshake(t *testing.T) {
	n := newTestNet(t, 4, 3)
	c := newTestClient(t, n.network())
	s := newTestSession(t, SessionOptions{})
	req := ExecuteJSRequest{Code: signCode, JSParams: helloParams(n.pkpHex())}
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := c.ExecuteJS(context.Background(), s, req)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	n.mu.Lock()
	hs := 0
	for _, urls := range n.requests {
		if len(urls) > 0 {
			hs++
		}
	}
	n.mu.Unlock()
	// One request id per handshake fan-out plus one per execute.
	if hs != 1+5 {
		t.Fatalf("%d request ids, want 1 handshake + 5 executes", hs)
	}
}

func TestLazyConnectStaysWithinCallTimeout(t *testing.T) {
	n := newTestNet(t, 3, 3)
	for i := 0; i < 3; i++ {
		n.setFault(i, testFault{Latency: time.Minute})
	}
	net := n.network()
	net.CallTimeout = 300 * time.Millisecond
	c := newTestClient(t, net)
	s := newTestSession(t, SessionOptions{})
	start := time.Now()
	_, err := c.ExecuteJS(context.Background(), s, ExecuteJSRequest{Code: signCode})
	// The handshake's wait is part of the call's budget: the call must
	// not take the handshake's timeout and then its own.
	if el := time.Since(start); el >= 2*net.CallTimeout {
		t.Fatalf("call took %v with CallTimeout %v", el, net.CallTimeout)
	}
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v", err)
	}
}

func TestNodeStatusHonest(t *testing.T) {
	n := newTestNet(t, 4, 3)
	n.setFault(3, testFault{HTTP500: true})
	c := newTestClient(t, n.network())
	for _, st := range c.NodeStatus() {
		if st.State != NodeUnknown || st.Up || st.LastError != "" {
			t.Fatalf("before any call: %+v", st)
		}
	}
	if got := c.Status(); got.Protocol != ProtocolV2 || got.Connected || got.Threshold != 3 {
		t.Fatalf("status %+v", got)
	}
	if _, err := c.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The handshake returns at the threshold: a node it did not wait for
	// may still be unknown, but none is down without a reason.
	up := 0
	for _, st := range c.NodeStatus() {
		if st.State == NodeUp {
			up++
		}
		if st.State == NodeDown && st.LastError == "" {
			t.Fatalf("down without a reason: %+v", st)
		}
	}
	if up < 3 {
		t.Fatalf("after connect: %+v", c.NodeStatus())
	}
	s := newTestSession(t, SessionOptions{})
	n.setFault(0, testFault{Latency: time.Minute})
	net := n.network()
	net.NodeTimeout = 100 * time.Millisecond
	c2 := newTestClient(t, net)
	_, _ = c2.ExecuteJS(context.Background(), s, ExecuteJSRequest{Code: signCode, JSParams: helloParams(n.pkpHex())})
	var down *NodeStatus
	for _, st := range c2.NodeStatus() {
		if st.URL == n.urls[0] {
			down = &st
		}
	}
	if down == nil || down.State != NodeDown || down.Up || !strings.Contains(down.LastError, "timeout") {
		t.Fatalf("slow node %+v", down)
	}
}

func TestActionErrorLeadsWithTheActionsMessage(t *testing.T) {
	n := newTestNet(t, 4, 3)
	// One node is down: the three that ran the action all report it.
	n.setFault(3, testFault{HTTP500: true})
	c := newTestClient(t, n.network())
	c.st = &netState{threshold: 3}
	s := newTestSession(t, SessionOptions{})
	_, err := c.ExecuteJS(context.Background(), s, ExecuteJSRequest{Code: `throw new Error("boom")`})
	var ae *ActionError
	if !errors.As(err, &ae) || err.Error() != "Lit Action failed: Error: boom" {
		t.Fatalf("err = %v", err)
	}
	if len(ae.Nodes) < 1 || ae.Node != ae.Nodes[0] || ae.Code != "NodeJsExecutionError" {
		t.Fatalf("nodes %v node %q", ae.Nodes, ae.Node)
	}
	// The failing node's detail stays available.
	var ne *NodeError
	found := false
	for _, r := range ae.Reasons {
		if r.Node == n.urls[3] && (errors.As(r.Err, &ne) && ne.Status == 500 || errors.Is(r.Err, errNoReply)) {
			found = true
		}
	}
	if !found || len(ae.Nodes)+len(ae.Reasons) != 4 {
		t.Fatalf("reasons %v", ae.Reasons)
	}
}

func TestMostCommonIsDeterministic(t *testing.T) {
	for range 20 {
		if v, n := mostCommon([]string{"b", "a", "c", "a", "b"}); v != "a" || n != 2 {
			t.Fatalf("%q %d", v, n)
		}
	}
	te := &ThresholdError{Reasons: []NodeReason{
		{Node: "n1", Err: &NodeError{Status: 500, Message: "x"}},
		{Node: "n2", Err: &NodeError{Status: 401, Message: "y"}},
	}}
	for range 20 {
		var ne *NodeError
		if !errors.As(te, &ne) || ne.Status != 401 {
			t.Fatalf("common reason %v", ne)
		}
	}
}

func TestSessionNonceOption(t *testing.T) {
	s := newTestSession(t, SessionOptions{Nonce: "0xabcdef0123456789"})
	if !strings.Contains(s.SIWEMessage(), "\nNonce: 0xabcdef0123456789\n") {
		t.Fatalf("SIWE %s", s.SIWEMessage())
	}
	key, _ := NewSessionKey()
	if _, err := NewSession(context.Background(), key, newKeySigner(t), SessionOptions{Nonce: "short"}); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("short nonce: %v", err)
	}
	c := newTestClient(t, newTestNet(t, 3, 2).network())
	if v, err := c.SessionNonce(context.Background()); err != nil || len(v) < 8 {
		t.Fatalf("v2 nonce %q %v", v, err)
	}
}
