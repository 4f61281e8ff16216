package lit_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/litsigner/litsigner/lit"
	"github.com/litsigner/litsigner/lit/attest"
	"github.com/litsigner/litsigner/lit/devnet"
)

// startAttestedDevnet starts a Naga devnet with cfg (attestation as cfg
// says) and a naga-local client that requires attestation, trusts the
// devnet's roots file and caches VCEKs in a temporary directory. prep
// runs on the client before anything is contacted.
func startAttestedDevnet(t *testing.T, cfg devnet.Config, prep func(*lit.Client)) (*devnet.Network, *lit.Client) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg.Protocol, cfg.BasePort, cfg.ChainPort = devnet.ProtocolNaga, 0, 0
	n, err := devnet.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	net, err := lit.NagaNetwork("naga-local")
	if err != nil {
		t.Fatal(err)
	}
	net.ChainRPCURL = n.ChainURL()
	net.Staking, net.PriceFeed = n.Contracts().Staking, n.Contracts().PriceFeed
	net.CallTimeout, net.ReissueAfter = 20*time.Second, 15*time.Second
	net.RequiresAttestation = true
	net.AttestationRoots = n.AttestationRoots()
	if net.AttestationRoots == "" {
		// A devnet that does not attest: trust some other test chain.
		auth, err := attest.NewTestAuthority()
		if err != nil {
			t.Fatal(err)
		}
		net.AttestationRoots = t.TempDir() + "/roots.pem"
		if err := auth.WriteRoots(net.AttestationRoots); err != nil {
			t.Fatal(err)
		}
	}
	c, err := lit.NewClient(net, lit.WithAttestationCache(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	if prep != nil {
		prep(c)
	}
	return n, c
}

// attestedSession signs a session on c's network with a fresh wallet.
func attestedSession(t *testing.T, c *lit.Client) *lit.Session {
	t.Helper()
	ctx := context.Background()
	nonce, err := c.SessionNonce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wk, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	key, err := lit.NewSessionKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := lit.NewSession(ctx, key, walletSigner{wk}, lit.SessionOptions{Nonce: nonce})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Wipe)
	return s
}

func nodeStatusOf(t *testing.T, c *lit.Client, url string) lit.NodeStatus {
	t.Helper()
	for _, ns := range c.NodeStatus() {
		if ns.URL == url {
			return ns
		}
	}
	t.Fatalf("no status for %s in %+v", url, c.NodeStatus())
	return lit.NodeStatus{}
}

func TestNagaAttestationGood(t *testing.T) {
	n, c := startAttestedDevnet(t, devnet.Config{Nodes: 5, Attestation: true, Seed: "attest-good"}, nil)
	if _, err := os.Stat(n.AttestationRoots()); err != nil {
		t.Fatalf("roots file: %v", err)
	}
	e := &nagaEnv{net: n, client: c, session: attestedSession(t, c), pkp: n.PKPs()[0].PublicKey}
	res, err := c.ExecuteJS(context.Background(), e.session, e.request())
	if err != nil {
		t.Fatal(err)
	}
	verifyNagaSig(t, res.Signatures["sig1"], e.pkp)
	for _, ns := range c.NodeStatus() {
		if ns.Attestation != lit.AttestationVerified || ns.State == lit.NodeDown {
			t.Errorf("node %s: %+v", ns.URL, ns)
		}
	}
	roots := n.AttestationRoots()
	_ = n.Close()
	if _, err := os.Stat(roots); !os.IsNotExist(err) {
		t.Errorf("roots file after Close: %v", err)
	}
}

func TestNagaAttestationExcludesBadNodes(t *testing.T) {
	// 10 nodes: the handshake needs 6, so 4 may fail. The client keeps the
	// whole validator set's threshold (6), which the devnet's nodes require
	// of every signing set, and signs with 6 of the 7 attested nodes.
	bad := []int{2, 3, 7}
	n, c := startAttestedDevnet(t, devnet.Config{Nodes: 10, Attestation: true, AttestationBad: bad, Seed: "attest-some-bad"}, nil)
	e := &nagaEnv{net: n, client: c, session: attestedSession(t, c), pkp: n.PKPs()[0].PublicKey}
	for range 3 {
		res, err := c.ExecuteJS(context.Background(), e.session, e.request())
		if err != nil {
			t.Fatal(err)
		}
		verifyNagaSig(t, res.Signatures["sig1"], e.pkp)
	}
	info := c.Info()
	if len(info.ConnectedNodes) != 7 {
		t.Fatalf("connected %v", info.ConnectedNodes)
	}
	want := map[int]error{2: attest.ErrAttestationChallenge, 3: attest.ErrAttestationAddress, 7: attest.ErrAttestationSignature}
	urls := n.NodeURLs()
	for i, u := range urls {
		ns := nodeStatusOf(t, c, u)
		reason, isBad := want[i]
		switch {
		case isBad:
			if ns.State != lit.NodeDown || !strings.HasPrefix(ns.Attestation, "refused: "+reason.Error()) ||
				!strings.Contains(ns.LastError, "attestation: "+reason.Error()) {
				t.Errorf("bad node %d: %+v", i, ns)
			}
			for _, cu := range info.ConnectedNodes {
				if cu == u {
					t.Errorf("bad node %d is connected", i)
				}
			}
		default:
			if ns.Attestation != lit.AttestationVerified {
				t.Errorf("node %d: %+v", i, ns)
			}
		}
	}
}

func TestNagaAttestationBelowThreshold(t *testing.T) {
	cases := []struct {
		name   string
		cfg    devnet.Config
		reason error
	}{
		// 5 of 10 nodes fail: 5 attested, 6 needed.
		{"too many bad", devnet.Config{Nodes: 10, Attestation: true, AttestationBad: []int{0, 3, 6, 1, 4}}, nil},
		{"no attestation sent", devnet.Config{Nodes: 4}, attest.ErrAttestationMissing},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, c := startAttestedDevnet(t, tc.cfg, nil)
			_, err := c.Connect(context.Background())
			var refused *attest.Error
			if !errors.Is(err, lit.ErrAttestation) || !errors.Is(err, lit.ErrBelowThreshold) || !errors.As(err, &refused) ||
				!strings.Contains(err.Error(), "attestation") {
				t.Fatalf("err = %v", err)
			}
			if tc.reason != nil && !errors.Is(err, tc.reason) {
				t.Fatalf("err = %v, want reason %v", err, tc.reason)
			}
			if c.Info() != nil {
				t.Fatal("connected")
			}
		})
	}
}

// A VCEK that is not in the roots comes from the KDS (here a loopback
// one), is cached, and is then read from the cache; when it cannot be had
// the error says so.
func TestNagaAttestationVCEKFetch(t *testing.T) {
	n, c := startAttestedDevnet(t, devnet.Config{Nodes: 3, Attestation: true}, lit.DropAttestationVCEKs)
	roots, err := attest.LoadRoots(n.AttestationRoots())
	if err != nil {
		t.Fatal(err)
	}
	var served atomic.Int32
	kds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		_, _ = w.Write(roots.VCEKs[0].Raw)
	}))
	defer kds.Close()
	lit.SetAttestationKDS(c, kds.URL)
	if _, err := c.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	if served.Load() == 0 {
		t.Fatal("the KDS was not asked")
	}
	// Again: every VCEK is now in the cache, the KDS is not asked.
	before := served.Load()
	if _, err := c.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := served.Load(); got != before {
		t.Fatalf("KDS asked %d more times", got-before)
	}

	// A client with an empty cache and a KDS that has nothing.
	_, c2 := startAttestedDevnet(t, devnet.Config{Nodes: 3, Attestation: true}, lit.DropAttestationVCEKs)
	none := httptest.NewServer(http.NotFoundHandler())
	defer none.Close()
	lit.SetAttestationKDS(c2, none.URL)
	_, err = c2.Connect(context.Background())
	if !errors.Is(err, lit.ErrAttestation) || !errors.Is(err, attest.ErrAttestationFetch) || !strings.Contains(err.Error(), "VCEK certificate unavailable") {
		t.Fatalf("err = %v", err)
	}
}
