package daemon

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/ipc"
	"github.com/litsigner/litsigner/lit"
	"github.com/litsigner/litsigner/lit/attest"
	"github.com/litsigner/litsigner/lit/devnet"
)

// startAttestedNaga starts `litsigner devnet --protocol naga --attestation`
// in-process on free ports (bad nodes spoil their reports) and litsignerd
// --network naga-local --require-attestation --attestation-roots FILE
// against it, with the emulated Ledger.
func startAttestedNaga(t *testing.T, dc devnet.Config) (*devnet.Network, *ipc.Client) {
	t.Helper()
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the VCEK cache
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	dc.Protocol, dc.BasePort, dc.ChainPort, dc.Attestation = devnet.ProtocolNaga, 0, 0, true
	n, err := devnet.Start(ctx, dc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	cfg := devConfig(t)
	cfg.Dev = false
	cfg.Network, cfg.RPCURL, cfg.Device = NetworkNagaLocal, n.ChainURL(), "emulator:ledger"
	cfg.RequireAttestation, cfg.AttestationRoots = true, n.AttestationRoots()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	td := startDaemon(t, cfg, Options{})
	return n, dial(t, td.sock)
}

// TestNagaAttestationEndToEnd: litsignerd verifies every node's attestation
// against the devnet's test roots; the seed action signs when enough nodes
// attest, the status names each refused node's reason, and with too few
// attested nodes the call fails with an error naming attestation.
func TestNagaAttestationEndToEnd(t *testing.T) {
	t.Run("all attested", func(t *testing.T) {
		n, c := startAttestedNaga(t, devnet.Config{Nodes: 5, Seed: "attested"})
		pkp := rpcapi.PKPInfo{PublicKey: n.PKPs()[0].PublicKey, EthAddress: n.PKPs()[0].EthAddress}
		var res rpcapi.ExecuteResult
		if err := call(t, c, &res, "lit_executeJs", rpcapi.ExecuteJsParams{Code: readSeed(t), JSParams: helloParams(pkp.PublicKey)}); err != nil {
			t.Fatal(err)
		}
		checkNagaHello(t, res, pkp)
		ns, raw := rawStatus(t, c)
		for _, node := range ns.Nodes {
			if node.Attestation != lit.AttestationVerified {
				t.Fatalf("node %s not verified: %s", node.URL, raw)
			}
		}
	})
	t.Run("a few bad nodes", func(t *testing.T) {
		// 10 nodes: the handshake needs 6 attested; 3 fail. The client
		// keeps the validator set's threshold (6) and signs with 6 of the 7
		// attested nodes.
		n, c := startAttestedNaga(t, devnet.Config{Nodes: 10, AttestationBad: []int{2, 3, 7}, Seed: "attested-some-bad"})
		pkp := rpcapi.PKPInfo{PublicKey: n.PKPs()[0].PublicKey, EthAddress: n.PKPs()[0].EthAddress}
		var res rpcapi.ExecuteResult
		if err := call(t, c, &res, "lit_executeJs", rpcapi.ExecuteJsParams{Code: readSeed(t), JSParams: helloParams(pkp.PublicKey)}); err != nil {
			t.Fatal(err)
		}
		checkNagaHello(t, res, pkp)
		ns, raw := rawStatus(t, c)
		want := map[string]error{n.NodeURLs()[2]: attest.ErrAttestationChallenge, n.NodeURLs()[3]: attest.ErrAttestationAddress,
			n.NodeURLs()[7]: attest.ErrAttestationSignature}
		for _, node := range ns.Nodes {
			reason, bad := want[node.URL]
			switch {
			case bad && (node.State != lit.NodeDown || !strings.HasPrefix(node.Attestation, "refused: "+reason.Error())):
				t.Errorf("bad node %s: %+v", node.URL, node)
			case !bad && node.Attestation != lit.AttestationVerified:
				t.Errorf("node %s: %+v", node.URL, node)
			}
		}
		if t.Failed() {
			t.Log(raw)
		}
	})
	t.Run("too many bad nodes", func(t *testing.T) {
		// 5 of 10 fail: 5 attested, 6 needed.
		n, c := startAttestedNaga(t, devnet.Config{Nodes: 10, AttestationBad: []int{0, 1, 4, 5, 9}})
		err := call(t, c, nil, "lit_executeJs", rpcapi.ExecuteJsParams{Code: readSeed(t), JSParams: helloParams(n.PKPs()[0].PublicKey)})
		var ie *ipc.Error
		if !errors.As(err, &ie) || ie.Code != rpcapi.CodeBelowThreshold || !strings.Contains(ie.Message, "too few nodes passed attestation") ||
			!strings.Contains(ie.Message, "attestation: wrong challenge") {
			t.Fatalf("got %v, want a below-threshold error naming attestation", err)
		}
	})
}

// TestNagaDevAttestation: --dev --network naga-local --require-attestation
// runs an attesting devnet and trusts its test roots; attestationRoots is
// then refused, since the devnet makes its own.
func TestNagaDevAttestation(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	cfg := nagaDevConfig(t)
	cfg.RequireAttestation = true
	td := startDaemon(t, cfg, Options{DevNodes: 4})
	c := dial(t, td.sock)
	pkp := networkPKP(t, td)
	var res rpcapi.ExecuteResult
	if err := call(t, c, &res, "lit_executeJs", rpcapi.ExecuteJsParams{Code: readSeed(t), JSParams: helloParams(pkp.PublicKey)}); err != nil {
		t.Fatal(err)
	}
	checkNagaHello(t, res, pkp)
	ns, raw := rawStatus(t, c)
	verified := 0
	for _, node := range ns.Nodes {
		if node.Attestation == lit.AttestationVerified {
			verified++
		}
	}
	if verified < ns.Threshold {
		t.Fatalf("%d nodes verified: %s", verified, raw)
	}

	cfg.AttestationRoots = "/some/roots.pem"
	var ce *ConfigError
	if err := cfg.Validate(); !errors.As(err, &ce) || ce.Key != "attestationRoots" || !strings.Contains(err.Error(), "--dev") {
		t.Fatalf("--dev with attestationRoots: %v", err)
	}
}
