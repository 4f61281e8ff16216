package devnet

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/litsigner/litsigner/lit"
	"github.com/litsigner/litsigner/lit/devnet/action"
)

// executeAll sends one logical request (one X-Request-Id) to every node
// with that node's session signature.
func executeAll(t *testing.T, n *Network, s *lit.Session, code string, params map[string]any, reqID string) []executeReply {
	t.Helper()
	var out []executeReply
	for _, u := range n.NodeURLs() {
		status, body := post(t, u+"/web/execute", codeBody(sessionSig(t, s, u, "*"), code, params), reqID)
		if status != http.StatusOK {
			t.Fatalf("%s: status %d: %s", u, status, body)
		}
		out = append(out, decodeReply(t, body))
	}
	return out
}

func TestExecuteHappyPath(t *testing.T) {
	n := startNet(t, Config{Seed: "happy"})
	s := newSession(t, lit.Capability{})
	replies := executeAll(t, n, s, signHello, helloParams(n), "lit_happy1")
	for i, r := range replies {
		if !r.Success || r.Response != `{"ok":true}` || !strings.Contains(r.Logs, "signed sig1") || r.DecryptedData == nil {
			t.Fatalf("node %d reply %+v", i, r)
		}
		sh := r.SignedData["sig1"]
		if sh.SigType != "ECDSA" || sh.SigName != "sig1" || sh.ShareIndex != i+1 ||
			sh.PublicKey != n.PKPs()[0].PublicKey || sh.DataSigned != hex.EncodeToString([]byte("Hello World")) ||
			len(sh.LocalX) != 64 || len(sh.LocalY) != 64 {
			t.Fatalf("node %d share %+v", i, sh)
		}
	}
	shares := toShares(replies, "sig1")
	if got := len(nonEmpty(shares)); got != n.Threshold() {
		t.Fatalf("%d non-empty shares, want exactly %d", got, n.Threshold())
	}
	sig, err := lit.CombineECDSAShares(shares)
	if err != nil {
		t.Fatalf("combine: %v", err)
	}
	if sig.PublicKey != n.PKPs()[0].PublicKey {
		t.Fatalf("signature for %s", sig.PublicKey)
	}
}

func TestThresholdShares(t *testing.T) {
	n := startNet(t, Config{Nodes: 5, Threshold: 3, Seed: "threshold"})
	s := newSession(t, lit.Capability{})
	for k := range 4 {
		reqID := fmt.Sprintf("lit_t%d", k)
		good := nonEmpty(toShares(executeAll(t, n, s, signHello, helloParams(n), reqID), "sig1"))
		if len(good) != 3 {
			t.Fatalf("%s: %d non-empty shares, want 3", reqID, len(good))
		}
		if _, err := lit.CombineECDSAShares(good); err != nil {
			t.Fatalf("%s: t shares: %v", reqID, err)
		}
		for drop := range good {
			fewer := slices.Delete(slices.Clone(good), drop, drop+1)
			if _, err := lit.CombineECDSAShares(fewer); !errors.Is(err, lit.ErrBadShares) {
				t.Fatalf("%s: t-1 shares combined: %v", reqID, err)
			}
		}
	}
}

func TestSigningSetVariesAndSkipsDeadNodes(t *testing.T) {
	n := startNet(t, Config{Nodes: 6, Threshold: 3, Seed: "sets", Faults: map[int]Fault{1: {HTTP500: true}, 4: {Malformed: true}}})
	s := newSession(t, lit.Capability{})
	seen := map[string]bool{}
	for k := range 8 {
		reqID := fmt.Sprintf("lit_set%d", k)
		var shares []lit.Share
		for i, u := range n.NodeURLs() {
			status, body := post(t, u+"/web/execute", codeBody(sessionSig(t, s, u, "*"), signHello, helloParams(n)), reqID)
			if i == 1 || i == 4 {
				continue
			}
			if status != http.StatusOK {
				t.Fatalf("node %d: %d %s", i, status, body)
			}
			shares = append(shares, toShares([]executeReply{decodeReply(t, body)}, "sig1")...)
		}
		var members []string
		for _, sh := range nonEmpty(shares) {
			members = append(members, fmt.Sprint(sh.ShareIndex))
		}
		if len(members) != 3 {
			t.Fatalf("%s: signing set %v", reqID, members)
		}
		seen[strings.Join(members, ",")] = true
		if _, err := lit.CombineECDSAShares(shares); err != nil {
			t.Fatalf("%s: %v", reqID, err)
		}
	}
	if len(seen) < 2 {
		t.Fatalf("every request used the same signing set %v", seen)
	}
}

func TestExecuteIPFSAction(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hello.js"), []byte(signHello), 0o600); err != nil {
		t.Fatal(err)
	}
	cid, err := action.CIDv0([]byte(signHello))
	if err != nil {
		t.Fatal(err)
	}
	otherCID, err := action.CIDv0([]byte("// another action"))
	if err != nil {
		t.Fatal(err)
	}
	n := startNet(t, Config{Nodes: 3, Threshold: 2, ActionsDir: dir})
	// The announcement tells which ipfsId runs which file.
	if got, want := n.Announcement().Actions, []ServedAction{{File: "hello.js", IPFSID: cid}}; !reflect.DeepEqual(got, want) {
		t.Errorf("announced actions %+v, want %+v", got, want)
	}
	u := n.NodeURLs()[0]
	ipfsBody := func(sig lit.AuthSig, id string) map[string]any {
		return map[string]any{"authSig": sig, "ipfsId": id, "jsParams": helloParams(n)}
	}
	specific := newSession(t, lit.Capability{IPFSIDs: []string{cid}})
	other := newSession(t, lit.Capability{IPFSIDs: []string{otherCID}})
	wildcard := newSession(t, lit.Capability{})
	tests := []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"specific grant by ipfsId", ipfsBody(sessionSig(t, specific, u, cid), cid), 200, ""},
		{"wildcard grant by ipfsId", ipfsBody(sessionSig(t, wildcard, u, cid), cid), 200, ""},
		{"specific grant, same code inline", codeBody(sessionSig(t, specific, u, cid), signHello, helloParams(n)), 200, ""},
		{"grant for another action", ipfsBody(sessionSig(t, other, u, otherCID), cid), 401, CodeInvalidAuthSig},
		{"inline code not granted", codeBody(sessionSig(t, other, u, otherCID), signHello, helloParams(n)), 401, CodeInvalidAuthSig},
		{"unknown ipfsId", ipfsBody(sessionSig(t, wildcard, u, otherCID), otherCID), 404, CodeActionNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(t, u+"/web/execute", tc.body, "lit_ipfs")
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			if tc.code != "" {
				if e := decodeError(t, body); e.ErrorCode != tc.code || e.Status != tc.status {
					t.Fatalf("error %+v", e)
				}
			}
		})
	}
}

func TestActionFailures(t *testing.T) {
	n := startNet(t, Config{Nodes: 1, Threshold: 1, ActionTimeout: 300 * time.Millisecond, ActionMemory: 8 << 20})
	s := newSession(t, lit.Capability{})
	u := n.NodeURLs()[0]
	tests := []struct {
		name, code, kind, errCode, message string
	}{
		{"throws", `throw new Error("boom")`, KindExecution, CodeJSExecutionError, "Error: boom"},
		{"rejects", `(async () => { throw new TypeError("bad thing") })()`, KindExecution, CodeJSExecutionError, "TypeError: bad thing"},
		{"never ends", `while (true) {}`, KindTimeout, CodeJSTimeout, "ran out of time"},
		{"unknown pkp", `LitActions.signEcdsa({toSign: [1,2,3], publicKey: "04" + "11".repeat(64), sigName: "s"})`,
			KindExecution, CodeJSExecutionError, "not a PKP of this devnet"},
		{"message too long", `LitActions.signEcdsa({toSign: new Array(33).fill(1), publicKey, sigName: "s"})`,
			KindExecution, CodeJSExecutionError, "32"},
		{"memory bomb", `let a = []; const mb = 'x'.repeat(1000).repeat(1000); for (let i = 0; ; i++) { a.push(mb + i) }`,
			KindMemoryLimit, CodeJSMemoryLimit, "action exceeded its memory limit of 8 MiB"},
		{"huge message", `throw new Error("x".repeat(600000))`, KindExecution, CodeJSExecutionError, "… [clipped 583623 bytes]"},
		{"too many signatures", `(async () => { for (let i = 0; i < 6; i++) await LitActions.signEcdsa({toSign: [1], publicKey, sigName: "s" + i}); })()`,
			KindExecution, CodeJSExecutionError, "You may not sign more than 5 times"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := post(t, u+"/web/execute", codeBody(sessionSig(t, s, u, "*"), tc.code, helloParams(n)), "lit_fail")
			if status != http.StatusBadRequest {
				t.Fatalf("status %d: %s", status, body)
			}
			e := decodeError(t, body)
			if e.ErrorKind != tc.kind || e.ErrorCode != tc.errCode || !strings.Contains(e.Message, tc.message) || e.CorrelationID != "lit_fail" {
				t.Fatalf("error %+v", e)
			}
		})
	}
}
