package sdkcheck

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/litsigner/litsigner/lit/devnet"
	"github.com/litsigner/litsigner/lit/devnet/action"
	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// nagaDump is what naga/run-naga.js --dump writes.
type nagaDump struct {
	PKP       devnet.PKP `json:"pkp"`
	CID       string     `json:"cid"`
	Connected int        `json:"connected"`
	Runs      []struct {
		Name       string                `json:"name"`
		Signatures map[string]sdkNagaSig `json:"signatures"`
		// Combines are the calls into the SDK's wasm combiner: the share
		// strings it got and what it returned.
		Combines []struct {
			SigName  string     `json:"sigName"`
			Shares   []string   `json:"shares"`
			Combined sdkNagaSig `json:"combined"`
		} `json:"combines"`
		Error string `json:"error"`
	} `json:"runs"`
}

// sdkNagaSig is the SDK 8.x signature object.
type sdkNagaSig struct {
	Signature  string `json:"signature"` // 0x r‖s, 64 bytes
	SignedData string `json:"signedData"`
	RecoveryID int    `json:"recoveryId"`
	PublicKey  string `json:"publicKey"`
}

// TestRealSDKNaga runs the real Lit JS SDK 8.3.1 against the Naga devnet on
// the SDK's naga-local ports (nodes 7470-7479, chain 8545), then combines
// the shares the SDK's wasm combined and requires the same signatures.
func TestRealSDKNaga(t *testing.T) {
	if os.Getenv("LITSIGNER_SDKCHECK") != "1" {
		t.Skip("set LITSIGNER_SDKCHECK=1 (after `npm ci` in lit/devnet/sdkcheck/naga) to run the real Lit JS SDK 8.3.1 against the Naga devnet")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("LITSIGNER_SDKCHECK=1 but node is not on PATH")
	}
	if _, err := os.Stat(filepath.Join("naga", "node_modules", "@lit-protocol", "lit-client", "package.json")); err != nil {
		t.Fatal("LITSIGNER_SDKCHECK=1 but the SDK is not installed: run `npm ci` in lit/devnet/sdkcheck/naga")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	lockFixedPorts(ctx, t)

	net, err := devnet.Start(ctx, devnet.Config{
		Protocol: devnet.ProtocolNaga, BasePort: devnet.DefaultBasePort, ChainPort: devnet.DefaultChainPort,
		ActionsDir: "actions", // --ipfs runs actions/seed.js by its CID
	})
	if err != nil {
		t.Fatalf("start the Naga devnet on ports 7470-7479 and 8545 (is another devnet running?): %v", err)
	}
	defer func() {
		if err := net.Close(); err != nil {
			t.Errorf("close devnet: %v", err)
		}
	}()

	dir := t.TempDir()
	annFile, dumpFile := filepath.Join(dir, "devnet.json"), filepath.Join(dir, "dump.json")
	ann, err := json.Marshal(net.Announcement())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(annFile, append(ann, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, node, "run-naga.js", "--announcement", annFile, "--dump", dumpFile,
		"--ipfs", filepath.Join("..", "actions", "seed.js"), "--timeout-ms", "200000")
	cmd.Dir = "naga"
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node run-naga.js: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "sdkcheck: OK") {
		t.Fatalf("node run-naga.js did not report OK:\n%s", out)
	}
	t.Logf("node run-naga.js:\n%s", out)

	raw, err := os.ReadFile(dumpFile)
	if err != nil {
		t.Fatal(err)
	}
	var d nagaDump
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("parse dump: %v", err)
	}
	seed, err := os.ReadFile(filepath.Join("actions", "seed.js"))
	if err != nil {
		t.Fatal(err)
	}
	if cid, _ := action.CIDv0(seed); d.CID != cid {
		t.Errorf("the SDK's ipfs hash of seed.js is %s, ours %s", d.CID, cid)
	}
	if d.PKP.PublicKey != net.PKPs()[0].PublicKey || d.Connected != 10 || len(d.Runs) != 4 {
		t.Fatalf("dump: pkp %+v, %d nodes connected, %d runs", d.PKP, d.Connected, len(d.Runs))
	}
	compared := 0
	for _, run := range d.Runs {
		if len(run.Combines) != len(run.Signatures) {
			t.Errorf("%s: %d wasm combinations for %d signatures", run.Name, len(run.Combines), len(run.Signatures))
		}
		for _, c := range run.Combines {
			if len(c.Shares) != net.Threshold() {
				t.Errorf("%s/%s: the SDK combined %d shares, want %d (the threshold cheapest nodes)", run.Name, c.SigName, len(c.Shares), net.Threshold())
			}
			got, err := combineNagaShares(c.Shares)
			if err != nil {
				t.Errorf("%s/%s: our combination failed on the SDK's shares: %v", run.Name, c.SigName, err)
				continue
			}
			want := run.Signatures[c.SigName]
			wasm := c.Combined
			wasm.PublicKey = got.PublicKey // the wasm's object carries the key as a DER verifyingKey only
			if !sameNagaSig(got, wasm) || !sameNagaSig(got, want) {
				t.Errorf("%s/%s: our combination differs from the SDK's:\n got  %+v\n wasm %+v\n sdk  %+v", run.Name, c.SigName, got, c.Combined, want)
			}
			compared++
		}
	}
	t.Logf("compared %d signatures with the SDK's wasm", compared)
	if compared != 7 { // sig1, m0..m4 (the per-run limit of 5), ipfs sig1
		t.Errorf("compared %d signatures, want 7", compared)
	}
}

// combineNagaShares is the Naga combination: parse each share, require one
// R and one digest, s = Σ s_i mod n, low-s, verify against the public key,
// recovery id from R.y and the flip.
func combineNagaShares(shares []string) (sdkNagaSig, error) {
	n := crypto.S256().Params().N
	sum := new(big.Int)
	var first nagawire.EcdsaShare
	for i, s := range shares {
		sh, err := nagawire.ParseEcdsaShare(s)
		if err != nil {
			return sdkNagaSig{}, err
		}
		if sh.Result != "success" {
			return sdkNagaSig{}, fmt.Errorf("share %d: result %q", i, sh.Result)
		}
		if i == 0 {
			first = sh
		} else if !bytes.Equal(sh.BigR, first.BigR) || sh.Digest != first.Digest || !bytes.Equal(sh.PublicKey, first.PublicKey) {
			return sdkNagaSig{}, fmt.Errorf("share %d: another R, digest or key", i)
		}
		sum.Add(sum, sh.S)
	}
	if len(shares) < 2 {
		return sdkNagaSig{}, errors.New("fewer than 2 shares")
	}
	sum.Mod(sum, n)
	R, err := crypto.DecompressPubkey(first.BigR)
	if err != nil {
		return sdkNagaSig{}, err
	}
	//lint:ignore SA1019 the reference combination needs R's affine coordinates
	r := new(big.Int).Mod(R.X, n)
	//lint:ignore SA1019 the recovery id is the parity of R.y
	recID := int(R.Y.Bit(0))
	if sum.Cmp(new(big.Int).Rsh(n, 1)) > 0 {
		sum.Sub(n, sum)
		recID ^= 1
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	sum.FillBytes(sig[32:])
	if !crypto.VerifySignature(first.PublicKey, first.Digest[:], sig) {
		return sdkNagaSig{}, errors.New("the combined signature does not verify")
	}
	return sdkNagaSig{
		Signature: "0x" + hex.EncodeToString(sig), SignedData: "0x" + hex.EncodeToString(first.Digest[:]),
		RecoveryID: recID, PublicKey: "0x" + hex.EncodeToString(first.PublicKey),
	}, nil
}

func sameNagaSig(a, b sdkNagaSig) bool {
	norm := func(s string) string { return strings.ToLower(strings.TrimPrefix(s, "0x")) }
	return norm(a.Signature) == norm(b.Signature) && norm(a.SignedData) == norm(b.SignedData) &&
		a.RecoveryID == b.RecoveryID && norm(a.PublicKey) == norm(b.PublicKey)
}
