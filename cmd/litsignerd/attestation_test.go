package main

import (
	"strings"
	"testing"

	"github.com/litsigner/litsigner/daemon/rpcapi"
)

// TestDaemonProcessNagaAttestation is the end-to-end check with the
// built binaries: litsignerd --network naga-local --require-attestation
// --attestation-roots FILE signs the seed action against `litsigner devnet
// --protocol naga --attestation`, and fails naming attestation when more
// than n − threshold nodes send bad reports.
func TestDaemonProcessNagaAttestation(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	ann := startDevnetCommand(t, "--protocol", "naga", "--port", "0", "--chain-port", "0", "--nodes", "4", "--attestation")
	if ann.AttestationRoots == "" {
		t.Fatal("no attestationRoots in the announcement")
	}
	sock, _, _ := startDaemonArgs(t, "--network", "naga-local", "--device", "emulator:ledger", "--rpc-url", ann.Chain.RPCURL,
		"--require-attestation", "--attestation-roots", ann.AttestationRoots)
	execNagaSeed(t, sock, rpcapi.PKPInfo{PublicKey: ann.PKPs[0].PublicKey, EthAddress: ann.PKPs[0].EthAddress})
	if out, code := cliRun(t, sock, "status"); code != 0 || strings.Count(out, ", attested") < 3 {
		t.Fatalf("status (exit %d) does not show 3 attested nodes:\n%s", code, out)
	}

	// 4 nodes: the handshake needs 3 attested; 2 bad leave 2.
	bad := startDevnetCommand(t, "--protocol", "naga", "--port", "0", "--chain-port", "0", "--nodes", "4", "--attestation-bad", "1,2")
	sock, _, _ = startDaemonArgs(t, "--network", "naga-local", "--device", "emulator:ledger", "--rpc-url", bad.Chain.RPCURL,
		"--require-attestation", "--attestation-roots", bad.AttestationRoots)
	_, stderr, code := cliRunAll(t, sock, "exec", "../../daemon/testdata/sign-hello.js", "--param", "publicKey="+bad.PKPs[0].PublicKey)
	if code == 0 || !strings.Contains(stderr, "too few nodes passed attestation") || !strings.Contains(stderr, "attestation: wrong challenge") ||
		!strings.Contains(stderr, "attestation: wrong external address") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}
