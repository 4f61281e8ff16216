package devnet

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/litsigner/litsigner/lit"
)

// signHello is the seed program's action.
const signHello = `
const go = async () => {
  const sigShare = await LitActions.signEcdsa({ toSign, publicKey, sigName });
  LitActions.setResponse({ response: JSON.stringify({ ok: true }) });
  console.log("signed", sigName);
};
go();
`

// walletSigner is a software wallet: the PersonalSigner a hardware wallet
// would be.
type walletSigner struct{ key *ecdsa.PrivateKey }

func newWalletSigner(t testing.TB) *walletSigner {
	t.Helper()
	k, err := crypto.HexToECDSA("0123456789012345678901234567890123456789012345678901234567890123")
	if err != nil {
		t.Fatal(err)
	}
	return &walletSigner{key: k}
}

func (w *walletSigner) Address() common.Address { return crypto.PubkeyToAddress(w.key.PublicKey) }

func (w *walletSigner) SignPersonalMessage(_ context.Context, msg []byte) ([]byte, error) {
	sig, err := crypto.Sign(accounts.TextHash(msg), w.key)
	if err != nil {
		return nil, err
	}
	sig[64] += 27
	return sig, nil
}

// testClock is a settable clock shared by the devnet and the sessions.
type testClock struct{ offset atomic.Int64 }

func (c *testClock) Now() time.Time        { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *testClock) Shift(d time.Duration) { c.offset.Store(int64(d)) }

func startNet(t *testing.T, cfg Config) *Network {
	t.Helper()
	cfg.BasePort = 0
	n, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

func newSession(t *testing.T, cap lit.Capability) *lit.Session {
	t.Helper()
	key, err := lit.NewSessionKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := lit.NewSession(context.Background(), key, newWalletSigner(t), lit.SessionOptions{Capability: cap})
	if err != nil {
		t.Fatalf("NewSession: %v", err)
	}
	t.Cleanup(s.Wipe)
	return s
}

// sessionSig signs for nodeURL, requesting execution of id ("*" or a CID).
func sessionSig(t *testing.T, s *lit.Session, nodeURL, id string) lit.AuthSig {
	t.Helper()
	sig, err := s.SignForNode(nodeURL, []lit.ResourceAbilityRequest{lit.LitActionRequest(id)}, time.Now())
	if err != nil {
		t.Fatalf("SignForNode: %v", err)
	}
	return sig
}

func codeBody(sig lit.AuthSig, code string, params map[string]any) map[string]any {
	return map[string]any{
		"authSig":         sig,
		"jsParams":        params,
		"code":            base64.StdEncoding.EncodeToString([]byte(code)),
		"targetNodeRange": 0,
	}
}

func helloParams(n *Network) map[string]any {
	return map[string]any{
		"toSign":    []int{72, 101, 108, 108, 111, 32, 87, 111, 114, 108, 100},
		"publicKey": n.PKPs()[0].PublicKey,
		"sigName":   "sig1",
	}
}

// post sends a JSON body the way the SDK does and returns the status and
// body.
func post(t *testing.T, url string, body any, reqID string) (int, []byte) {
	t.Helper()
	raw, ok := body.([]byte)
	if !ok {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Lit-SDK-Version", "2.2.63")
	req.Header.Set("X-Lit-SDK-Type", "Typescript")
	if reqID != "" {
		req.Header.Set("X-Request-Id", reqID)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", url, err)
	}
	return resp.StatusCode, out
}

func decodeReply(t *testing.T, body []byte) executeReply {
	t.Helper()
	var r executeReply
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("reply %s: %v", body, err)
	}
	return r
}

func decodeError(t *testing.T, body []byte) NodeError {
	t.Helper()
	var e NodeError
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("error reply %s: %v", body, err)
	}
	if e.ErrorKind == "" || e.ErrorCode == "" || e.Message == "" || e.Status == 0 || e.Details == nil {
		t.Fatalf("incomplete error reply %s", body)
	}
	return e
}

// toShares converts replies' shares for sigName into the client's type.
func toShares(replies []executeReply, sigName string) []lit.Share {
	var out []lit.Share
	for _, r := range replies {
		s, ok := r.SignedData[sigName]
		if !ok {
			continue
		}
		out = append(out, lit.Share(s))
	}
	return out
}

func nonEmpty(shares []lit.Share) []lit.Share {
	var out []lit.Share
	for _, s := range shares {
		if s.SignatureShare != "" {
			out = append(out, s)
		}
	}
	return out
}
