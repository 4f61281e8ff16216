package lit_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/litsigner/litsigner/lit"
	"github.com/litsigner/litsigner/lit/devnet"
)

// seedAction is the seed program's Lit Action.
const seedAction = `const go = async () => { const sigShare = await LitActions.signEcdsa({ toSign, publicKey, sigName }); }; go();`

// walletSigner is a software EIP-191 signer standing in for a hardware wallet.
type walletSigner struct{ key *ecdsa.PrivateKey }

func (w walletSigner) Address() common.Address { return crypto.PubkeyToAddress(w.key.PublicKey) }

func (w walletSigner) SignPersonalMessage(_ context.Context, msg []byte) ([]byte, error) {
	sig, err := crypto.Sign(accounts.TextHash(msg), w.key)
	if err != nil {
		return nil, err
	}
	sig[64] += 27
	return sig, nil
}

type devnetEnv struct {
	net     *devnet.Network
	client  *lit.Client
	session *lit.Session
	pkp     string
}

func startDevnet(t testing.TB, cfg devnet.Config) *devnetEnv {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cfg.BasePort = 0
	n, err := devnet.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	c, err := lit.NewClient(lit.Network{NodeURLs: n.NodeURLs(), Threshold: n.Threshold(), CallTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	wk, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	key, err := lit.NewSessionKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := lit.NewSession(ctx, key, walletSigner{wk}, lit.SessionOptions{Domain: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Wipe)
	return &devnetEnv{net: n, client: c, session: s, pkp: n.PKPs()[0].PublicKey}
}

func (e *devnetEnv) helloRequest() lit.ExecuteJSRequest {
	toSign := []int{72, 101, 108, 108, 111, 32, 87, 111, 114, 108, 100}
	return lit.ExecuteJSRequest{Code: seedAction, JSParams: map[string]any{"toSign": toSign, "publicKey": e.pkp, "sigName": "sig1"}}
}

func (e *devnetEnv) checkHello(t testing.TB, res *lit.ExecuteJSResult) {
	t.Helper()
	sig, ok := res.Signatures["sig1"]
	if !ok {
		t.Fatalf("no sig1 in %+v", res)
	}
	raw, err := hex.DecodeString(strings.TrimPrefix(sig.Signature, "0x"))
	if err != nil || len(raw) != 65 {
		t.Fatalf("signature %q", sig.Signature)
	}
	raw[64] -= 27
	hash := make([]byte, 32)
	copy(hash[32-11:], "Hello World")
	pub, err := crypto.Ecrecover(hash, raw)
	if err != nil || hex.EncodeToString(pub) != strings.TrimPrefix(strings.ToLower(e.pkp), "0x") {
		t.Fatalf("signature does not recover to the PKP %s: %v", e.pkp, err)
	}
}

func TestDevnetExecuteJS(t *testing.T) {
	e := startDevnet(t, devnet.Config{})
	if _, err := e.client.Connect(context.Background()); err != nil {
		t.Fatal(err)
	}
	res, err := e.client.ExecuteJS(context.Background(), e.session, e.helloRequest())
	if err != nil {
		t.Fatal(err)
	}
	e.checkHello(t, res)
	up := 0
	for _, st := range e.client.NodeStatus() {
		if st.Up {
			up++
		}
	}
	if up < e.net.Threshold() {
		t.Fatalf("%d nodes up", up)
	}
	// Response and logs come back.
	res, err = e.client.ExecuteJS(context.Background(), e.session, lit.ExecuteJSRequest{
		Code: `console.log("hi"); LitActions.setResponse({response: JSON.stringify({n: 42})});`})
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := res.Response.(map[string]any); !ok || m["n"] != json.Number("42") || !strings.Contains(res.Logs, "hi") {
		t.Fatalf("response %#v logs %q", res.Response, res.Logs)
	}
}

func TestDevnetFaults(t *testing.T) {
	// Slow nodes are live, so the devnet may put them in the signing set:
	// then the client must wait for their shares (see the httptest-based
	// TestExecuteJSFaults for slow nodes outside the signing set, which are
	// not waited for).
	slow := devnet.Fault{Latency: 300 * time.Millisecond}
	tests := []struct {
		name   string
		faults map[int]devnet.Fault
		check  func(t *testing.T, e *devnetEnv, res *lit.ExecuteJSResult, err error)
	}{
		{"3 slow nodes", map[int]devnet.Fault{1: slow, 4: slow, 8: slow}, okHello},
		{"4 nodes down", map[int]devnet.Fault{0: {Down: true}, 3: {Down: true}, 5: {Down: true}, 9: {Down: true}}, okHello},
		{"5 nodes down", map[int]devnet.Fault{0: {Down: true}, 1: {Down: true}, 3: {Down: true}, 5: {Down: true}, 9: {Down: true}},
			wantErr(lit.ErrBelowThreshold)},
		{"4 nodes malformed", map[int]devnet.Fault{2: {Malformed: true}, 3: {Malformed: true}, 6: {Malformed: true}, 7: {Malformed: true}}, okHello},
		{"5 nodes malformed", map[int]devnet.Fault{0: {Malformed: true}, 2: {Malformed: true}, 3: {Malformed: true}, 6: {Malformed: true}, 7: {Malformed: true}},
			wantErr(lit.ErrBadReply)},
		{"5 nodes HTTP 500", map[int]devnet.Fault{0: {HTTP500: true}, 2: {HTTP500: true}, 4: {HTTP500: true}, 6: {HTTP500: true}, 8: {HTTP500: true}},
			func(t *testing.T, e *devnetEnv, res *lit.ExecuteJSResult, err error) {
				var ne *lit.NodeError
				if !errors.Is(err, lit.ErrBelowThreshold) || !errors.As(err, &ne) || ne.Status != 500 {
					t.Fatalf("err = %v", err)
				}
			}},
		// 6 of 10 sign: with 5 wrong-share nodes the signing set has one.
		{"5 nodes wrong share", map[int]devnet.Fault{0: {WrongShare: true}, 1: {WrongShare: true}, 2: {WrongShare: true}, 3: {WrongShare: true}, 4: {WrongShare: true}},
			wantErr(lit.ErrBadShares)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := startDevnet(t, devnet.Config{Faults: tt.faults})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			res, err := e.client.ExecuteJS(ctx, e.session, e.helloRequest())
			tt.check(t, e, res, err)
		})
	}
}

func okHello(t *testing.T, e *devnetEnv, res *lit.ExecuteJSResult, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	e.checkHello(t, res)
}

func wantErr(target error) func(t *testing.T, e *devnetEnv, res *lit.ExecuteJSResult, err error) {
	return func(t *testing.T, e *devnetEnv, res *lit.ExecuteJSResult, err error) {
		t.Helper()
		if !errors.Is(err, target) {
			t.Fatalf("err = %v, want %v", err, target)
		}
	}
}

func TestDevnetActionErrors(t *testing.T) {
	e := startDevnet(t, devnet.Config{ActionTimeout: 300 * time.Millisecond})
	tests := []struct {
		name, code, want string
	}{
		{"throws", `throw new Error("boom")`, "boom"},
		{"never ends", `while (true) {}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.client.ExecuteJS(context.Background(), e.session, lit.ExecuteJSRequest{Code: tt.code})
			var ae *lit.ActionError
			if !errors.As(err, &ae) || !strings.Contains(ae.Message, tt.want) {
				t.Fatalf("err = %v", err)
			}
			// The message leads with the action's own (issue 10); the
			// per-node detail stays in the error's fields.
			if !strings.HasPrefix(err.Error(), "Lit Action failed: ") || strings.Contains(err.Error(), "lit:") || len(ae.Nodes) == 0 {
				t.Fatalf("err = %q, nodes %v", err, ae.Nodes)
			}
		})
	}
}

// The nodes' clock is an hour ahead: the session signatures are expired.
func TestDevnetExpiredSession(t *testing.T) {
	e := startDevnet(t, devnet.Config{Now: func() time.Time { return time.Now().Add(time.Hour) }})
	_, err := e.client.ExecuteJS(context.Background(), e.session, e.helloRequest())
	var ne *lit.NodeError
	if !errors.Is(err, lit.ErrBelowThreshold) || !errors.As(err, &ne) || ne.Status != http.StatusUnauthorized || !strings.Contains(ne.Message, "expired") {
		t.Fatalf("err = %v", err)
	}
}

// A tampered session signature is refused by a node with a clear error.
func TestDevnetTamperedSessionSig(t *testing.T) {
	e := startDevnet(t, devnet.Config{})
	url := e.net.NodeURLs()[0]
	sig, err := e.session.SignForNode(url, []lit.ResourceAbilityRequest{lit.LitActionRequest("*")}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, tamper := range []func(*lit.AuthSig){
		func(s *lit.AuthSig) {
			s.SignedMessage = strings.Replace(s.SignedMessage, "lit-action-execution", "lit-action-executioN", 1)
		},
		func(s *lit.AuthSig) { s.Sig = strings.Repeat("0", 128) },
	} {
		bad := sig
		tamper(&bad)
		body, _ := json.Marshal(map[string]any{"authSig": bad, "code": "ZmFsc2U=", "jsParams": map[string]any{}, "targetNodeRange": 0})
		req, _ := http.NewRequest(http.MethodPost, url+"/web/execute", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var reply struct {
			ErrorCode string `json:"errorCode"`
			Message   string `json:"message"`
		}
		err = json.NewDecoder(resp.Body).Decode(&reply)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusUnauthorized || reply.ErrorCode != "NodeInvalidAuthSig" {
			t.Fatalf("status %d reply %+v err %v", resp.StatusCode, reply, err)
		}
	}
}

func benchmarkDevnet(b *testing.B, faults map[int]devnet.Fault) {
	e := startDevnet(b, devnet.Config{Faults: faults, Seed: "bench"})
	if _, err := e.client.Connect(context.Background()); err != nil {
		b.Fatal(err)
	}
	req := e.helloRequest()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.client.ExecuteJS(context.Background(), e.session, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExecuteJSDevnet is a full executeJs round trip on a 10-node
// in-process devnet.
func BenchmarkExecuteJSDevnet(b *testing.B) { benchmarkDevnet(b, nil) }

// BenchmarkExecuteJSDevnetSlowNodes has 3 nodes answering after 2 s: the
// threshold early return keeps it close to BenchmarkExecuteJSDevnet.
func BenchmarkExecuteJSDevnetSlowNodes(b *testing.B) {
	slow := devnet.Fault{Latency: 2 * time.Second}
	benchmarkDevnet(b, map[int]devnet.Fault{2: slow, 5: slow, 7: slow})
}
