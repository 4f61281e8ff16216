package sdkcheck

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/litsigner/litsigner/lit"
	"github.com/litsigner/litsigner/lit/devnet"
)

// dump is what run.mjs --dump writes.
type dump struct {
	SDKVersion string     `json:"sdkVersion"`
	PKP        devnet.PKP `json:"pkp"`
	Runs       []struct {
		Action     string                   `json:"action"`
		Signatures map[string]lit.Signature `json:"signatures"`
		// NodeReplies are the raw /web/execute replies the SDK used.
		NodeReplies []struct {
			SignedData map[string]lit.Share `json:"signedData"`
		} `json:"nodeReplies"`
	} `json:"runs"`
}

// TestRealSDK runs the seed program with the real Lit JS SDK against a
// devnet on the SDK's "localhost" network (ports 7470-7479, 10 nodes,
// threshold 6), then checks that our share combination equals the SDK's.
func TestRealSDK(t *testing.T) {
	if os.Getenv("LITSIGNER_SDKCHECK") != "1" {
		t.Skip("set LITSIGNER_SDKCHECK=1 (after `npm ci` in lit/devnet/sdkcheck) to run the real Lit JS SDK against the devnet")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("LITSIGNER_SDKCHECK=1 but node is not on PATH")
	}
	if _, err := os.Stat(filepath.Join("node_modules", "@lit-protocol", "lit-node-client", "package.json")); err != nil {
		t.Fatal("LITSIGNER_SDKCHECK=1 but the SDK is not installed: run `npm ci` in lit/devnet/sdkcheck")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	// The SDK's "localhost" network is fixed at ports 7470-7479.
	lockFixedPorts(ctx, t)
	net, err := devnet.Start(ctx, devnet.Config{
		Nodes: 10, Threshold: 6, BasePort: devnet.DefaultBasePort, PKPs: 1,
		ActionsDir: "actions", // run.mjs --ipfs runs actions/seed.js by its CID
	})
	if err != nil {
		t.Fatalf("start the devnet on ports 7470-7479 (is another devnet running?): %v", err)
	}
	defer func() {
		if err := net.Close(); err != nil {
			t.Errorf("close devnet: %v", err)
		}
	}()
	pkp := net.PKPs()[0]

	dir := t.TempDir()
	annFile, dumpFile := filepath.Join(dir, "devnet.json"), filepath.Join(dir, "dump.json")
	ann, err := json.Marshal(devnet.Announcement{Nodes: net.NodeURLs(), Threshold: net.Threshold(), PKPs: net.PKPs()})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(annFile, append(ann, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}

	cmd := exec.CommandContext(ctx, node, "run.mjs", "--announcement", annFile, "--dump", dumpFile, "--ipfs", "--timeout-ms", "150000")
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node run.mjs: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "sdkcheck: OK") {
		t.Fatalf("node run.mjs did not report OK:\n%s", out)
	}
	t.Logf("node run.mjs:\n%s", out)

	raw, err := os.ReadFile(dumpFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dump
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("parse dump: %v", err)
	}
	if d.PKP.EthAddress != pkp.EthAddress || len(d.Runs) != 4 {
		t.Fatalf("dump: pkp %+v, %d runs", d.PKP, len(d.Runs))
	}
	compared, flipped := 0, 0
	for _, run := range d.Runs {
		if len(run.NodeReplies) < net.Threshold() {
			t.Fatalf("%s: %d node replies, want at least %d", run.Action, len(run.NodeReplies), net.Threshold())
		}
		for name, want := range run.Signatures {
			var shares []lit.Share
			for _, reply := range run.NodeReplies {
				if sh, ok := reply.SignedData[name]; ok {
					shares = append(shares, sh)
				}
			}
			sort.Slice(shares, func(i, j int) bool { return shares[i].ShareIndex < shares[j].ShareIndex })
			got, err := lit.CombineECDSAShares(shares)
			if err != nil {
				t.Errorf("%s/%s: our combination failed on the SDK's shares: %v", run.Action, name, err)
				continue
			}
			if !sameSig(got, want) {
				t.Errorf("%s/%s: our combination differs from the SDK's:\n got  %+v\n want %+v", run.Action, name, got, want)
			}
			compared++
			// recid differs from R.y's parity when s was flipped to low-s.
			if y := strings.ToLower(shares[0].LocalY); y != "" {
				odd := strings.IndexByte("13579bdf", y[len(y)-1]) >= 0
				if odd != (want.RecID == 1) {
					flipped++
				}
			}
		}
	}
	t.Logf("compared %d signatures with the SDK's; %d needed the low-s flip", compared, flipped)
	if compared != 8 { // sig1, the personal sign, m0..m4 (the per-run limit of 5), the ipfs sig1
		t.Errorf("compared %d signatures, want 8", compared)
	}
}

// sameSig compares two signatures. r and s are compared as numbers: the
// SDK's combine_signature prints them without leading zeros (63 hex digits
// for an r below 2^252), while lit pads them to 32 bytes; the 65-byte
// signature field is padded by both.
func sameSig(a, b lit.Signature) bool {
	norm := func(s string) string { return strings.ToLower(strings.TrimPrefix(s, "0x")) }
	num := func(s string) string { return strings.TrimLeft(norm(s), "0") }
	return num(a.R) == num(b.R) && num(a.S) == num(b.S) && a.RecID == b.RecID &&
		norm(a.Signature) == norm(b.Signature) && norm(a.PublicKey) == norm(b.PublicKey) &&
		norm(a.DataSigned) == norm(b.DataSigned)
}
