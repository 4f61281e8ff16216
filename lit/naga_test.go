package lit

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/litsigner/litsigner/lit/attest"
)

func nagaReq(n *nagaTestNet) ExecuteJSRequest {
	return ExecuteJSRequest{Code: signCode, JSParams: helloParams(n.pkpHex())}
}

func TestNagaHappyPath(t *testing.T) {
	n := newNagaTestNet(t, 10)
	c, s := newNagaTestClient(t, n, n.network())
	if !strings.Contains(s.SIWEMessage(), "\nNonce: 0xfeedbeef00112233\n") {
		t.Fatalf("the SIWE nonce is not the nodes' blockhash:\n%s", s.SIWEMessage())
	}
	res, err := c.ExecuteJS(context.Background(), s, nagaReq(n))
	if err != nil {
		t.Fatal(err)
	}
	checkSig(t, res.Signatures["sig1"], n.pkpHex())
	if res.Logs != "hello from the action\n" || res.Response.(map[string]any)["ok"] != true {
		t.Fatalf("result %+v", res)
	}
	// threshold max(3, floor(2*10/3)) = 6: only the six cheapest nodes ran it.
	for i := range n.urls {
		if got, want := n.executesAt(i), map[bool]int{true: 1, false: 0}[i < 6]; got != want {
			t.Errorf("node %d got %d executes, want %d", i, got, want)
		}
	}
	st := c.Status()
	if st.Protocol != ProtocolNaga || st.Epoch != 7 || st.Threshold != 6 || !st.Connected || st.Reissues != 0 || len(st.Nodes) != 10 {
		t.Fatalf("status %+v", st)
	}
	for i, ns := range st.Nodes {
		if ns.Price == nil || ns.Price.Int64() != n.prices[i] || ns.URL != n.urls[i] || ns.State != NodeUp {
			t.Fatalf("node %d: %+v", i, ns)
		}
	}
	if info := c.Info(); info.Epoch != 7 || info.LatestBlockhash != "0xfeedbeef00112233" || len(info.ConnectedNodes) != 10 {
		t.Fatalf("info %+v", info)
	}
}

func TestNagaSlowNodeIsReissuedAndAvoided(t *testing.T) {
	n := newNagaTestNet(t, 10)
	n.setFault(2, nagaFault{Latency: time.Minute})
	var logs bytes.Buffer
	net := n.network()
	net.ReissueAfter = 2 * time.Second // the slow node answers after a minute
	c, err := NewClient(net, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	nonce, err := c.SessionNonce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s := newTestSession(t, SessionOptions{Nonce: nonce})
	res, err := c.ExecuteJS(context.Background(), s, nagaReq(n))
	if err != nil {
		t.Fatal(err)
	}
	checkSig(t, res.Signatures["sig1"], n.pkpHex())
	st := c.Status()
	if st.Reissues != 1 || !strings.Contains(st.LastReissue, n.urls[2]) || !st.Nodes[2].Slow || !strings.Contains(st.Nodes[2].LastError, "re-issued") {
		t.Fatalf("status %+v", st)
	}
	if !strings.Contains(logs.String(), "re-issued") || !strings.Contains(logs.String(), n.urls[2]) {
		t.Fatalf("log:\n%s", logs.String())
	}
	// The next call avoids the slow node: no second request reaches it.
	if _, err := c.ExecuteJS(context.Background(), s, nagaReq(n)); err != nil {
		t.Fatal(err)
	}
	if got := n.executesAt(2); got != 1 {
		t.Fatalf("slow node got %d executes", got)
	}
	if c.Status().Reissues != 1 {
		t.Fatalf("second call re-issued: %+v", c.Status())
	}
}

func TestNagaFailingNodesAreReplaced(t *testing.T) {
	tests := []struct {
		name  string
		fault nagaFault
	}{
		{"HTTP 500", nagaFault{HTTP500: true}},
		{"reply sealed by another key", nagaFault{WrongKey: true}},
		{"reply not an envelope", nagaFault{Garbage: true}},
		{"node price above maxPrice", nagaFault{PaymentPrice: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNagaTestNet(t, 10)
			n.setFault(0, tt.fault)
			c, s := newNagaTestClient(t, n, n.network())
			res, err := c.ExecuteJS(context.Background(), s, nagaReq(n))
			if err != nil {
				t.Fatal(err)
			}
			checkSig(t, res.Signatures["sig1"], n.pkpHex())
			st := c.Status()
			if st.Reissues != 1 || !strings.Contains(st.LastReissue, n.urls[0]) || st.Nodes[0].LastError == "" {
				t.Fatalf("status %+v", st)
			}
			if n.executesAt(6) != 1 {
				t.Fatalf("the seventh cheapest node did not replace the failed one")
			}
		})
	}
}

func TestNagaErrors(t *testing.T) {
	tests := []struct {
		name   string
		faults func(n *nagaTestNet)
		net    func(net *Network)
		req    func(n *nagaTestNet) ExecuteJSRequest
		check  func(t *testing.T, n *nagaTestNet, err error)
	}{
		{name: "action error", req: func(*nagaTestNet) ExecuteJSRequest { return ExecuteJSRequest{Code: `throw new Error("boom")`} },
			check: func(t *testing.T, n *nagaTestNet, err error) {
				var ae *ActionError
				if !errors.As(err, &ae) || err.Error() != "Lit Action failed: Error: boom" || ae.Code != "NodeJsExecutionError" {
					t.Fatalf("err = %v", err)
				}
				if n.executesAt(6) != 0 {
					t.Fatal("an action error was re-issued")
				}
			}},
		{name: "no balance", faults: func(n *nagaTestNet) {
			for i := range n.urls {
				n.setFault(i, nagaFault{NoBalance: true})
			}
		}, check: func(t *testing.T, n *nagaTestNet, err error) {
			var pe *PaymentError
			if !errors.Is(err, ErrNoPaymentBalance) || !errors.As(err, &pe) || !strings.Contains(err.Error(), "deposit") ||
				strings.Count(err.Error(), "lit:") != 1 {
				t.Fatalf("err = %v", err)
			}
			if n.executesAt(6) != 0 {
				t.Fatal("a balance refusal was re-issued")
			}
		}},
		{name: "every node above maxPrice", faults: func(n *nagaTestNet) {
			for i := range n.urls {
				n.setFault(i, nagaFault{PaymentPrice: true})
			}
		}, check: func(t *testing.T, n *nagaTestNet, err error) {
			var pe *PaymentError
			if !errors.Is(err, ErrPriceTooHigh) || !errors.As(err, &pe) || pe.Hint == "" {
				t.Fatalf("err = %v", err)
			}
		}},
		{name: "budget below the prices", net: func(net *Network) { net.MaxPrice = bigInt(5000) },
			check: func(t *testing.T, n *nagaTestNet, err error) {
				var pe *PaymentError
				if !errors.Is(err, ErrPriceTooHigh) || !errors.As(err, &pe) || !strings.Contains(pe.Detail, "7500") {
					t.Fatalf("err = %v", err)
				}
				if n.executesAt(0) != 0 {
					t.Fatal("a call over budget was sent")
				}
			}},
		{name: "wrong shares everywhere", faults: func(n *nagaTestNet) {
			for i := range n.urls {
				n.setFault(i, nagaFault{WrongShare: true})
			}
		}, check: func(t *testing.T, n *nagaTestNet, err error) {
			if !errors.Is(err, ErrBadShares) {
				t.Fatalf("err = %v", err)
			}
		}},
		{name: "too many nodes fail", faults: func(n *nagaTestNet) {
			for i := 0; i < 5; i++ {
				n.setFault(i, nagaFault{HTTP500: true})
			}
		}, check: func(t *testing.T, n *nagaTestNet, err error) {
			var te *ThresholdError
			var ne *NodeError
			if !errors.Is(err, ErrBelowThreshold) || !errors.As(err, &te) || !errors.As(err, &ne) || ne.Status != 500 {
				t.Fatalf("err = %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := newNagaTestNet(t, 10)
			net := n.network()
			if tt.net != nil {
				tt.net(&net)
			}
			c, s := newNagaTestClient(t, n, net)
			if tt.faults != nil {
				tt.faults(n)
			}
			req := nagaReq(n)
			if tt.req != nil {
				req = tt.req(n)
			}
			_, err := c.ExecuteJS(context.Background(), s, req)
			if err == nil {
				t.Fatal("no error")
			}
			tt.check(t, n, err)
		})
	}
}

func TestNagaEpochChangeReconnects(t *testing.T) {
	n := newNagaTestNet(t, 4)
	c, s := newNagaTestClient(t, n, n.network())
	n.mu.Lock()
	n.epoch = 8
	reads := n.chainRead
	n.mu.Unlock()
	res, err := c.ExecuteJS(context.Background(), s, nagaReq(n))
	if err != nil {
		t.Fatal(err)
	}
	checkSig(t, res.Signatures["sig1"], n.pkpHex())
	n.mu.Lock()
	defer n.mu.Unlock()
	if c.Status().Epoch != 8 || n.chainRead <= reads {
		t.Fatalf("epoch %d, chain reads %d -> %d", c.Status().Epoch, reads, n.chainRead)
	}
}

func TestNagaHandshake(t *testing.T) {
	n := newNagaTestNet(t, 5)
	n.setFault(4, nagaFault{HandshakeBad: true})
	c, err := NewClient(n.network())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	info, err := c.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// 4 good of 5: threshold max(3, floor(8/3)) = 3.
	if len(info.ConnectedNodes) != 4 || info.Threshold != 3 || info.Epoch != 7 {
		t.Fatalf("info %+v", info)
	}
	if st := c.NodeStatus(); !strings.Contains(st[4].LastError, "nodeIdentityKey") {
		t.Fatalf("status %+v", st[4])
	}
	for i := 0; i < 3; i++ {
		n.setFault(i, nagaFault{HandshakeBad: true})
	}
	_, err = c.Connect(context.Background())
	var te *ThresholdError
	if !errors.As(err, &te) || !errors.Is(err, ErrBadReply) || strings.Count(err.Error(), "lit:") != 1 {
		t.Fatalf("err = %v", err)
	}
	// The earlier state stays usable.
	if c.Info() == nil {
		t.Fatal("a failed refresh dropped the state")
	}
}

func TestNagaChainUnreachable(t *testing.T) {
	n := newNagaTestNet(t, 3)
	net := n.network()
	n.chain.Close()
	c, err := NewClient(net)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Connect(context.Background()); !errors.Is(err, ErrChain) {
		t.Fatalf("err = %v", err)
	}
	net.Staking = testPriceFeed // a contract that answers nothing useful
	n2 := newNagaTestNet(t, 3)
	net.ChainRPCURL = n2.chain.URL
	c2, _ := NewClient(net)
	defer c2.Close()
	if _, err := c2.Connect(context.Background()); !errors.Is(err, ErrChain) {
		t.Fatalf("wrong contract: err = %v", err)
	}
}

func TestNagaNetworks(t *testing.T) {
	for _, name := range []string{"naga-test", "naga-staging", "naga"} {
		net, err := NagaNetwork(name)
		if err != nil {
			t.Fatal(err)
		}
		if !net.RequiresAttestation {
			t.Errorf("%s: attestation not required", name)
		}
		// They start (nothing is contacted before the first call), with
		// attestation on.
		c, err := NewClient(net, WithAttestationCache(t.TempDir()))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p := c.proto.(*protoNaga); p.attest == nil || p.attest.Roots != nil || p.attest.Cache == nil {
			t.Errorf("%s: attestation options %+v", name, p.attest)
		}
		c.Close()
	}
	for _, name := range []string{"naga-dev", "naga-local"} {
		net, err := NagaNetwork(name)
		if err != nil {
			t.Fatal(err)
		}
		c, err := NewClient(net)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c.Close()
	}
	local, _ := NagaNetwork("naga-local")
	if local.ChainID != 31337 || local.NodeScheme != "http" || local.ChainRPCURL != "http://127.0.0.1:8545" {
		t.Fatalf("naga-local %+v", local)
	}
	dev, _ := NagaNetwork("naga-dev")
	if dev.ChainID != 175188 || dev.NodeScheme != "https" {
		t.Fatalf("naga-dev %+v", dev)
	}
	if _, err := NagaNetwork("datil"); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("datil: %v", err)
	}
	bad := []func(*Network){
		func(n *Network) { n.ChainRPCURL = "" },
		func(n *Network) { n.NodeURLs = []string{"http://x"} },
		func(n *Network) { n.Threshold = 3 },
		func(n *Network) { n.Staking = [20]byte{} },
		func(n *Network) { n.NodeScheme = "ftp" },
		func(n *Network) { n.MaxPrice = bigInt(0) },
		func(n *Network) { n.ReissueAfter = -1 },
		func(n *Network) { n.Protocol = "datil" },
	}
	for i, mod := range bad {
		net := local
		mod(&net)
		if _, err := NewClient(net); !errors.Is(err, ErrInvalidParams) {
			t.Errorf("case %d: %v", i, err)
		}
	}
}

func TestNagaPaymentDelegationGoesFirst(t *testing.T) {
	n := newNagaTestNet(t, 3)
	c, err := NewClient(n.network())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	nonce, err := c.SessionNonce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	del := AuthSig{Sig: "0x01", DerivedVia: WalletSigDerivedVia, SignedMessage: "delegation", Address: "0x0000000000000000000000000000000000000001"}
	s := newTestSession(t, SessionOptions{Nonce: nonce, PaymentDelegations: []AuthSig{del}})
	st, err := c.state(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	p, err := c.proto.plan(c, st, s, LitActionRequest("*"), nagaReq(n), nil, nil, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	msgs := n.openPlan(t, p)
	for _, m := range msgs {
		if len(m.Capabilities) != 2 || AuthSig(m.Capabilities[0]) != del || m.WalletCapability().SignedMessage != s.SIWEMessage() {
			t.Fatalf("capabilities %+v", m.Capabilities)
		}
	}
	// The nodes accept it: the wallet's capability is the last.
	res, err := c.ExecuteJS(context.Background(), s, nagaReq(n))
	if err != nil {
		t.Fatal(err)
	}
	checkSig(t, res.Signatures["sig1"], n.pkpHex())
}

func TestNagaReissueStaysWithinBudget(t *testing.T) {
	n := newNagaTestNet(t, 10)
	net := n.network()
	// The six cheapest cost 1000+…+1500 = 7500: room for one set only.
	net.MaxPrice = bigInt(10000)
	c, s := newNagaTestClient(t, n, net)
	n.setFault(0, nagaFault{HTTP500: true})
	_, err := c.ExecuteJS(context.Background(), s, nagaReq(n))
	var ne *NodeError
	if !errors.Is(err, ErrBelowThreshold) || !errors.As(err, &ne) || ne.Status != 500 {
		t.Fatalf("err = %v", err)
	}
	if n.executesAt(6) != 0 || c.Status().Reissues != 0 {
		t.Fatalf("re-issued beyond the budget: %+v", c.Status())
	}
}

func TestNagaConcurrentFirstCallsShareOneConnect(t *testing.T) {
	n := newNagaTestNet(t, 4)
	c, err := NewClient(n.network())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := newTestSession(t, SessionOptions{Nonce: "0xfeedbeef00112233"})
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			_, err := c.ExecuteJS(context.Background(), s, nagaReq(n))
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.chainRead != 2 { // one getActiveUnkickedValidatorStructsAndCounts, one getNodesForRequest
		t.Fatalf("%d chain reads for 4 concurrent first calls", n.chainRead)
	}
}

// TestNagaWrongShareIsLocated: one node sends a wrong share. Additive
// shares cannot say which node of the set it was, so the client re-issues
// on sets that leave out the most suspect nodes until one combines; the
// culprit stays suspect and later calls leave it out.
func TestNagaWrongShareIsLocated(t *testing.T) {
	n := newNagaTestNet(t, 10)
	n.setFault(1, nagaFault{WrongShare: true})
	c, s := newNagaTestClient(t, n, n.network())
	res, err := c.ExecuteJS(context.Background(), s, nagaReq(n))
	if err != nil {
		t.Fatal(err)
	}
	checkSig(t, res.Signatures["sig1"], n.pkpHex())
	st := c.Status()
	if st.Reissues == 0 || st.Nodes[1].BadShares == 0 {
		t.Fatalf("status %+v", st)
	}
	before := n.executesAt(1)
	for range 3 {
		if _, err := c.ExecuteJS(context.Background(), s, nagaReq(n)); err != nil {
			t.Fatal(err)
		}
	}
	if n.executesAt(1) != before {
		t.Fatalf("the node with wrong shares was asked again")
	}
}

func TestNagaAttestationRootsRefused(t *testing.T) {
	auth, err := attest.NewTestAuthority()
	if err != nil {
		t.Fatal(err)
	}
	roots := filepath.Join(t.TempDir(), "roots.pem")
	if err := auth.WriteRoots(roots); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		network string
		require bool
		roots   string
		want    string // "" = accepted
	}{
		{"naga-dev", true, roots, `AttestationRoots replaces AMD's roots for tests and is accepted on naga-local only`},
		{"naga-test", true, roots, "accepted on naga-local only"},
		{"naga-staging", true, roots, "accepted on naga-local only"},
		{"naga", true, roots, "accepted on naga-local only"},
		{"naga-local", false, roots, "RequiresAttestation is not set"},
		{"naga-local", true, roots + ".missing", "attestation roots"},
		{"naga-local", true, "", ""},
		{"naga-local", true, roots, ""},
		{"localhost", true, "", "Naga networks only"},
	}
	for _, tc := range cases {
		net, err := NagaNetwork(tc.network)
		if tc.network == "localhost" {
			net, err = LocalhostNetwork(), nil
		}
		if err != nil {
			t.Fatal(err)
		}
		net.RequiresAttestation, net.AttestationRoots = tc.require, tc.roots
		c, err := NewClient(net, WithAttestationCache(t.TempDir()))
		if tc.want != "" {
			if !errors.Is(err, ErrInvalidParams) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%s %q: err = %v, want %q", tc.network, tc.roots, err, tc.want)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %q: %v", tc.network, tc.roots, err)
			continue
		}
		p := c.proto.(*protoNaga)
		if p.attest == nil || (p.attest.Roots != nil) != (tc.roots != "") {
			t.Errorf("%s %q: options %+v", tc.network, tc.roots, p.attest)
		}
		c.Close()
	}
}
