package lit

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"testing"
	"time"
)

// fixtureExecute is testdata/execute-request-node7471.json, captured from
// the real JS SDK 2.2.63.
type fixtureExecute struct {
	Headers map[string]string `json:"headers"`
	Body    struct {
		Code     string         `json:"code"`
		AuthSig  AuthSig        `json:"authSig"`
		JSParams map[string]any `json:"jsParams"`
	} `json:"body"`
}

func loadFixture(t testing.TB) fixtureExecute {
	t.Helper()
	raw, err := os.ReadFile("testdata/execute-request-node7471.json")
	if err != nil {
		t.Fatal(err)
	}
	var f fixtureExecute
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	return f
}

// fixtureNow is inside the fixture's session signature window.
var fixtureNow = time.Date(2026, 11, 24, 0, 18, 0, 0, time.UTC)

func TestFixtureSessionSigReencodes(t *testing.T) {
	f := loadFixture(t)
	p, err := ParseSessionSig(f.Body.AuthSig)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if got != f.Body.AuthSig.SignedMessage {
		t.Fatalf("re-encoded signedMessage differs:\n got %s\nwant %s", got, f.Body.AuthSig.SignedMessage)
	}
}

func TestFixtureSessionSigVerifies(t *testing.T) {
	f := loadFixture(t)
	sig := f.Body.AuthSig
	tamper := func(i int) AuthSig {
		s := sig
		b := []byte(s.SignedMessage)
		b[i] ^= 0x01
		s.SignedMessage = string(b)
		return s
	}
	tests := []struct {
		name    string
		sig     AuthSig
		node    string
		now     time.Time
		res     string
		wantErr error
	}{
		{"inside window", sig, "http://localhost:7471", fixtureNow, "*", nil},
		{"inside window, cid", sig, "http://localhost:7471", fixtureNow, "QmYQ9nqo3srTPdEEpv3MwZ5dyZr4gq8vy5DH7MXkaeXLQs", nil},
		{"real clock: expired", sig, "http://localhost:7471", time.Now(), "*", ErrSessionSigExpired},
		{"before issuedAt", sig, "http://localhost:7471", fixtureNow.Add(-time.Hour), "*", ErrSessionSigNotYet},
		{"other node", sig, "http://localhost:7470", fixtureNow, "*", ErrSessionSigWrongNode},
		{"first byte changed", tamper(0), "http://localhost:7471", fixtureNow, "*", ErrSessionSigBadSig},
		{"middle byte changed", tamper(len(sig.SignedMessage) / 2), "http://localhost:7471", fixtureNow, "*", ErrSessionSigBadSig},
		{"last byte changed", tamper(len(sig.SignedMessage) - 1), "http://localhost:7471", fixtureNow, "*", ErrSessionSigBadSig},
		{"bad algo", func() AuthSig { s := sig; s.Algo = "secp256k1"; return s }(), "http://localhost:7471", fixtureNow, "*", ErrSessionSigMalformed},
		{"short sig", func() AuthSig { s := sig; s.Sig = s.Sig[:10]; return s }(), "http://localhost:7471", fixtureNow, "*", ErrSessionSigMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySessionSig(tt.sig, tt.node, tt.now, tt.res)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("VerifySessionSig: %v", err)
				}
				return
			}
			var se *SessionSigError
			if !errors.Is(err, tt.wantErr) || !errors.As(err, &se) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

// Every single byte of signedMessage is covered by the ed25519 signature.
func TestFixtureEveryByteTamperedFails(t *testing.T) {
	f := loadFixture(t)
	sig := f.Body.AuthSig
	for i := 0; i < len(sig.SignedMessage); i++ {
		b := []byte(sig.SignedMessage)
		b[i] ^= 0x20
		s := sig
		s.SignedMessage = string(b)
		if err := VerifySessionSig(s, "http://localhost:7471", fixtureNow, "*"); err == nil {
			t.Fatalf("byte %d changed: verified", i)
		}
	}
}

func TestFixtureSIWECapability(t *testing.T) {
	f := loadFixture(t)
	p, err := ParseSessionSig(f.Body.AuthSig)
	if err != nil {
		t.Fatal(err)
	}
	c := p.Capabilities[0]
	if err := verifyCapability(c, p.SessionKey, fixtureNow, "*"); err != nil {
		t.Fatal(err)
	}
	if c.Address != "0x14791697260E4c9A71f18484C9f997B308e59325" {
		t.Fatalf("address %s", c.Address)
	}
	// The SDK's SIWE text round-trips byte for byte through siwe-go.
	m, err := parseSIWE(c.SignedMessage)
	if err != nil {
		t.Fatal(err)
	}
	if m.String() != c.SignedMessage {
		t.Fatalf("siwe-go re-renders the SDK message differently:\n%s", m.String())
	}
	// A wrong session key in the uri is refused.
	other := "00" + p.SessionKey[2:]
	if err := verifyCapability(c, other, fixtureNow, "*"); !errors.Is(err, ErrSessionSigURI) {
		t.Fatalf("other key: %v", err)
	}
	// After the SIWE expiration the capability is refused.
	if err := verifyCapability(c, p.SessionKey, fixtureNow.Add(48*time.Hour), "*"); !errors.Is(err, ErrSessionSigSIWEExpiry) {
		t.Fatalf("expired: %v", err)
	}
}

func TestFixtureExecuteBodyShape(t *testing.T) {
	f := loadFixture(t)
	code, err := base64.StdEncoding.DecodeString(f.Body.Code)
	if err != nil {
		t.Fatal(err)
	}
	body, err := wireV2{}.executeBody(f.Body.AuthSig, ExecuteJSRequest{Code: string(code), JSParams: f.Body.JSParams})
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Code            string         `json:"code"`
		AuthSig         AuthSig        `json:"authSig"`
		JSParams        map[string]any `json:"jsParams"`
		TargetNodeRange *int           `json:"targetNodeRange"`
	}
	if err := json.Unmarshal(body, &back); err != nil {
		t.Fatal(err)
	}
	if back.Code != f.Body.Code || back.AuthSig != f.Body.AuthSig || back.TargetNodeRange == nil || *back.TargetNodeRange != 0 {
		t.Fatalf("execute body differs from the SDK's: %s", body)
	}
	if h := f.Headers["x-request-id"]; len(h) != len(newRequestID()) {
		t.Fatalf("request id %q vs ours %q", h, newRequestID())
	}
}
