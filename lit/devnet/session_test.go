package devnet

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/litsigner/litsigner/lit"
)

func TestSessionRefusals(t *testing.T) {
	clock := &testClock{}
	n := startNet(t, Config{Nodes: 2, Threshold: 1, Now: clock.Now})
	s := newSession(t, lit.Capability{})
	u0, u1 := n.NodeURLs()[0], n.NodeURLs()[1]
	tamper := func(sig lit.AuthSig, f func(*lit.AuthSig)) lit.AuthSig { f(&sig); return sig }
	tests := []struct {
		name  string
		url   string
		sig   lit.AuthSig
		shift time.Duration
		want  string
	}{
		{"expired", u0, sessionSig(t, s, u0, "*"), 10 * time.Minute, "expired"},
		{"not yet valid", u0, sessionSig(t, s, u0, "*"), -10 * time.Minute, "not yet valid"},
		{"wrong node", u1, sessionSig(t, s, u0, "*"), 0, "nodeAddress is not this node"},
		{"tampered message", u0, tamper(sessionSig(t, s, u0, "*"), func(a *lit.AuthSig) {
			a.SignedMessage = strings.Replace(a.SignedMessage, `"issuedAt":"`, `"issuedAt": "`, 1)
		}), 0, "does not verify"},
		{"tampered signature", u0, tamper(sessionSig(t, s, u0, "*"), func(a *lit.AuthSig) {
			// Flip one bit: a fixed replacement byte would equal the
			// original in 1 of 256 runs.
			b, err := hex.DecodeString(a.Sig)
			if err != nil || len(b) == 0 {
				t.Fatalf("session signature %q: %v", a.Sig, err)
			}
			b[0] ^= 0x01
			a.Sig = hex.EncodeToString(b)
		}), 0, "does not verify"},
		{"wallet signature instead of session signature", u0, s.AuthSig(), 0, "malformed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clock.Shift(tc.shift)
			defer clock.Shift(0)
			status, body := post(t, tc.url+"/web/execute", codeBody(tc.sig, signHello, helloParams(n)), "lit_sess")
			if status != http.StatusUnauthorized {
				t.Fatalf("status %d: %s", status, body)
			}
			e := decodeError(t, body)
			if e.ErrorKind != KindUnauthorized || e.ErrorCode != CodeInvalidAuthSig || !strings.Contains(e.Message, tc.want) {
				t.Fatalf("error %+v, want message with %q", e, tc.want)
			}
		})
	}
}

// sdkFixture is a request captured from the real JS SDK 2.2.63.
type sdkFixture struct {
	Headers map[string]string `json:"headers"`
	Body    map[string]any    `json:"body"`
}

func loadFixture(t *testing.T) sdkFixture {
	t.Helper()
	raw, err := os.ReadFile("testdata/execute-request-node7471.json")
	if err != nil {
		t.Fatal(err)
	}
	var f sdkFixture
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestSDKFixture replays the SDK's request to node 7471. The node URL set
// is injected, so the test listens on random ports.
func TestSDKFixture(t *testing.T) {
	inWindow := time.Date(2026, 11, 24, 0, 19, 0, 0, time.UTC)
	clock := func() time.Time { return inWindow }
	n := startNet(t, Config{
		Nodes: 2, Threshold: 2, Now: clock, Seed: "fixture",
		AdvertiseURLs: [][]string{{"http://localhost:7470"}, {"http://localhost:7471"}},
	})
	fx := loadFixture(t)
	// jsParams are not signed: point the action at this devnet's PKP.
	fx.Body["jsParams"].(map[string]any)["publicKey"] = n.PKPs()[0].PublicKey
	reqID := fx.Headers["x-request-id"]

	status, body := post(t, n.NodeURLs()[1]+"/web/execute", fx.Body, reqID)
	if status != http.StatusOK {
		t.Fatalf("node 7471 refused the SDK request: %d %s", status, body)
	}
	r := decodeReply(t, body)
	if sh := r.SignedData["sig1"]; !r.Success || sh.SignatureShare == "" || sh.DataSigned != "48656c6c6f20576f726c64" {
		t.Fatalf("reply %s", body)
	}

	status, body = post(t, n.NodeURLs()[0]+"/web/execute", fx.Body, reqID)
	if e := decodeError(t, body); status != 401 || !strings.Contains(e.Message, "nodeAddress is not this node") {
		t.Fatalf("node 7470 accepted a signature for 7471: %d %s", status, body)
	}

	real := startNet(t, Config{Nodes: 2, Threshold: 2, AdvertiseURLs: [][]string{nil, {"http://localhost:7471"}}})
	status, body = post(t, real.NodeURLs()[1]+"/web/execute", fx.Body, reqID)
	if e := decodeError(t, body); status != 401 || !strings.Contains(e.Message, "expired") {
		t.Fatalf("expired SDK request: %d %s", status, body)
	}

	authSig := fx.Body["authSig"].(map[string]any)
	msg := authSig["signedMessage"].(string)
	for i := 0; i < len(msg); i += 29 {
		b := []byte(msg)
		b[i] ^= 0x01
		authSig["signedMessage"] = string(b)
		status, body := post(t, n.NodeURLs()[1]+"/web/execute", fx.Body, reqID)
		if status != http.StatusUnauthorized {
			t.Fatalf("byte %d changed: status %d %s", i, status, body)
		}
	}
}
