package lit

import (
	"context"
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSessionKey(t *testing.T) {
	mem := make([]byte, ed25519.PrivateKeySize)
	k, err := NewSessionKeyIn(mem)
	if err != nil {
		t.Fatal(err)
	}
	if allZero(mem) {
		t.Fatal("key not generated in the supplied memory")
	}
	msg := []byte("hello")
	sig := k.Sign(msg)
	if !ed25519.Verify(k.PublicKey(), msg, sig) || len(k.PublicKeyHex()) != 64 {
		t.Fatal("signature does not verify")
	}
	if strings.Contains(k.String(), "priv") || !strings.Contains(k.String(), k.PublicKeyHex()) {
		t.Fatalf("String() = %s", k.String())
	}
	k.Wipe()
	if !allZero(mem) || !k.Wiped() || k.Sign(msg) != nil {
		t.Fatal("Wipe did not zero the key or the key still signs")
	}
	k.Wipe() // idempotent
	if _, err := NewSessionKeyIn(make([]byte, 10)); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("short memory: %v", err)
	}
	a, _ := NewSessionKey()
	b, _ := NewSessionKey()
	if a.PublicKeyHex() == b.PublicKeyHex() {
		t.Fatal("two keys are equal")
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func TestNewSessionSIWE(t *testing.T) {
	now := time.Date(2026, 11, 24, 10, 0, 0, 123e6, time.UTC)
	s := newTestSession(t, SessionOptions{Domain: "app.example:8080", Now: func() time.Time { return now }})
	text := s.SIWEMessage()
	want := []string{
		"app.example:8080 wants you to sign in with your Ethereum account:\n0x14791697260E4c9A71f18484C9f997B308e59325\n\n",
		"Sign a session key to use with Lit Protocol I further authorize the stated URI to perform the following actions on my behalf: (1) '*': '*' for 'lit-litaction://*'.\n",
		"\nURI: lit:session:" + s.PublicKeyHex() + "\nVersion: 1\nChain ID: 1\nNonce: ",
		"\nIssued At: 2026-11-24T10:00:00.123Z\nExpiration Time: 2026-11-25T10:00:00.123Z\nResources:\n- urn:recap:eyJhdHQiOnsibGl0LWxpdGFjdGlvbjovLyoiOnsiKi8qIjpbe31dfX0sInByZiI6W119",
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Fatalf("SIWE text lacks %q:\n%s", w, text)
		}
	}
	if !strings.HasSuffix(text, want[3]) {
		t.Fatalf("SIWE text has trailing lines:\n%s", text)
	}
	if s.AuthSig().DerivedVia != WalletSigDerivedVia || !strings.HasPrefix(s.AuthSig().Sig, "0x") || len(s.AuthSig().Sig) != 132 {
		t.Fatalf("authSig %+v", s.AuthSig())
	}
	if got := s.Resources(); len(got) != 1 || got[0] != "lit-litaction://*" {
		t.Fatalf("Resources() = %v", got)
	}
	if !s.Expiration().Equal(now.Add(24 * time.Hour)) {
		t.Fatalf("Expiration() = %v", s.Expiration())
	}
	// Its session signatures verify like a node verifies them.
	sig, err := s.SignForNode("http://127.0.0.1:7470", []ResourceAbilityRequest{LitActionRequest("*")}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifySessionSig(sig, "http://127.0.0.1:7470", now.Add(time.Minute), "*"); err != nil {
		t.Fatal(err)
	}
	if err := VerifySessionSig(sig, "http://127.0.0.1:7470", now.Add(6*time.Minute), "*"); !errors.Is(err, ErrSessionSigExpired) {
		t.Fatalf("after 6 min: %v", err)
	}
	s.Wipe()
	if _, err := s.SignForNode("http://127.0.0.1:7470", nil, now); !errors.Is(err, ErrSessionWiped) {
		t.Fatalf("after Wipe: %v", err)
	}
}

func TestNewSessionRejects(t *testing.T) {
	tests := []struct {
		name    string
		opts    SessionOptions
		corrupt func([]byte) []byte
		want    error
	}{
		{"non-ASCII domain", SessionOptions{Domain: "exämple.com"}, nil, ErrInvalidParams},
		{"non-ASCII statement", SessionOptions{Statement: "Sign — please"}, nil, ErrInvalidParams},
		{"newline in statement", SessionOptions{Statement: "a\nb"}, nil, ErrInvalidParams},
		{"domain with path", SessionOptions{Domain: "example.com/x"}, nil, ErrInvalidParams},
		{"expiration in the past", SessionOptions{Expiration: time.Unix(1, 0)}, nil, ErrInvalidParams},
		{"bad capability", SessionOptions{Capability: Capability{IPFSIDs: []string{"nope"}}}, nil, ErrInvalidParams},
		{"short wallet signature", SessionOptions{}, func(b []byte) []byte { return b[:10] }, ErrSignerMismatch},
		{"wrong wallet signature", SessionOptions{}, func(b []byte) []byte { b[5] ^= 1; return b }, ErrSignerMismatch},
		{"bad recovery byte", SessionOptions{}, func(b []byte) []byte { b[64] = 9; return b }, ErrSignerMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, _ := NewSessionKey()
			signer := newKeySigner(t)
			signer.corrupt = tt.corrupt
			_, err := NewSession(context.Background(), key, signer, tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			// CheckSessionOptions refuses what NewSession refuses before
			// it asks the signer (the expiration is NewSession's own).
			if tt.corrupt == nil && tt.opts.Expiration.IsZero() {
				if err := CheckSessionOptions(tt.opts); !errors.Is(err, tt.want) {
					t.Fatalf("CheckSessionOptions: %v, want %v", err, tt.want)
				}
			}
		})
	}
}

func TestCheckSessionOptionsAccepts(t *testing.T) {
	for _, o := range []SessionOptions{{}, {Domain: "app.example:8080", Statement: "Hi.", ChainID: 137}} {
		if err := CheckSessionOptions(o); err != nil {
			t.Fatalf("%+v: %v", o, err)
		}
	}
}

func TestSessionNarrowCapability(t *testing.T) {
	const cid = "QmYQ9nqo3srTPdEEpv3MwZ5dyZr4gq8vy5DH7MXkaeXLQs"
	const other = "QmZ4AkPpQZ8kRtx4LbUoDXHpAhGDvtRPa7mLYBDWDjtPGz"
	s := newTestSession(t, SessionOptions{Capability: Capability{IPFSIDs: []string{cid}}})
	if !strings.Contains(s.SIWEMessage(), "(1) 'Threshold': 'Execution' for 'lit-litaction://"+cid+"'.") {
		t.Fatalf("statement:\n%s", s.SIWEMessage())
	}
	if _, err := s.requestFor("*"); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("inline code allowed: %v", err)
	}
	if _, err := s.requestFor(other); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("other cid allowed: %v", err)
	}
	now := time.Now()
	sig, err := s.SignForNode("http://n", []ResourceAbilityRequest{LitActionRequest(cid)}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifySessionSig(sig, "http://n", now, cid); err != nil {
		t.Fatal(err)
	}
	if err := VerifySessionSig(sig, "http://n", now, other); !errors.Is(err, ErrSessionSigNotGranted) {
		t.Fatalf("other cid: %v", err)
	}
	if err := VerifySessionSig(sig, "http://n", now, "*"); !errors.Is(err, ErrSessionSigNotGranted) {
		t.Fatalf("wildcard: %v", err)
	}
	// Even a session signature asking for "*" is refused for other
	// actions: the wallet's ReCap is what grants.
	wide, _ := s.SignForNode("http://n", []ResourceAbilityRequest{LitActionRequest("*")}, now)
	if err := VerifySessionSig(wide, "http://n", now, other); !errors.Is(err, ErrSessionSigNotGranted) {
		t.Fatalf("wide request, other cid: %v", err)
	}
}

// Session signatures use JS JSON.stringify escaping, not encoding/json's.
func TestSessionSigEscaping(t *testing.T) {
	p := SessionSigPayload{
		SessionKey:              "k",
		ResourceAbilityRequests: []ResourceAbilityRequest{LitActionRequest("*")},
		Capabilities:            []AuthSig{{Sig: "s", DerivedVia: "d", SignedMessage: "<a&b>\u2028\u2029\"\\\n\t\b\f\x01é", Address: "a"}},
		IssuedAt:                "i",
		Expiration:              "e",
		NodeAddress:             "http://n",
	}
	got, err := p.Encode()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"sessionKey":"k","resourceAbilityRequests":[{"resource":{"resource":"*","resourcePrefix":"lit-litaction"},"ability":"lit-action-execution"}],` +
		`"capabilities":[{"sig":"s","derivedVia":"d","signedMessage":"<a&b>` + "\u2028\u2029" + `\"\\\n\t\b\f\u0001é","address":"a"}],"issuedAt":"i","expiration":"e","nodeAddress":"http://n"}`
	if got != want {
		t.Fatalf("\n got %s\nwant %s", got, want)
	}
	p.NodeAddress = "\xff"
	if _, err := p.Encode(); !errors.Is(err, ErrInvalidParams) {
		t.Fatalf("invalid UTF-8: %v", err)
	}
}
