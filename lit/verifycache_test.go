package lit

import (
	"errors"
	"testing"
	"time"
)

// TestVerifyCacheSameResults checks that a cached verification, on first
// and later uses, gives exactly the uncached result, and that only the
// first use of a signature runs the byte checks.
func TestVerifyCacheSameResults(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := newTestSession(t, SessionOptions{Now: func() time.Time { return t0 }, Expiration: t0.Add(time.Hour)})
	node := "http://127.0.0.1:7470"
	good, err := s.SignForNode(node, []ResourceAbilityRequest{LitActionRequest("*")}, t0)
	if err != nil {
		t.Fatal(err)
	}
	tampered := good
	tampered.SignedMessage = tampered.SignedMessage[:len(tampered.SignedMessage)-2] + " }"
	tests := []struct {
		name     string
		sig      AuthSig
		node     string
		now      time.Time
		resource string
		want     error
	}{
		{"good", good, node, t0.Add(time.Minute), "*", nil},
		{"good, a CID", good, node, t0.Add(time.Minute), "QmFoo", nil},
		{"other node", good, "http://127.0.0.1:7471", t0.Add(time.Minute), "*", ErrSessionSigWrongNode},
		{"expired", good, node, t0.Add(SessionSigTTL + time.Millisecond), "*", ErrSessionSigExpired},
		{"not yet", good, node, t0.Add(-time.Second), "*", ErrSessionSigNotYet},
		{"tampered", tampered, node, t0.Add(time.Minute), "*", ErrSessionSigBadSig},
	}
	vc := NewVerifyCache(0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := VerifySessionSig(tt.sig, tt.node, tt.now, tt.resource)
			if !errors.Is(want, tt.want) {
				t.Fatalf("uncached: %v, want %v", want, tt.want)
			}
			for use := 0; use < 2; use++ {
				got := vc.VerifySessionSig(tt.sig, tt.node, tt.now, tt.resource)
				if (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
					t.Fatalf("use %d: cached %v, uncached %v", use, got, want)
				}
			}
		})
	}
	// good (signature + capability) checked its bytes once; tampered
	// fails before the cache, every time.
	if vc.misses != 2 {
		t.Fatalf("%d byte checks, want 2 (one signature, one capability)", vc.misses)
	}
}

func TestVerifyCacheCapability(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	end := t0.Add(10 * time.Minute)
	s := newTestSession(t, SessionOptions{Now: func() time.Time { return t0 }, Expiration: end,
		Capability: Capability{IPFSIDs: []string{"QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"}}})
	c := s.AuthSig()
	key := s.PublicKeyHex()
	cid := "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"
	// Another key: the session's with its first byte changed (a fixed
	// "00" prefix was this key one run in 256).
	other := "00" + key[2:]
	if other == key {
		other = "01" + key[2:]
	}
	vc := NewVerifyCache(0)
	tests := []struct {
		name     string
		now      time.Time
		key      string
		resource string
		want     error
	}{
		{"hit", t0.Add(time.Minute), key, cid, nil},
		{"not granted", t0.Add(time.Minute), key, "*", ErrSessionSigNotGranted},
		{"expired session", end.Add(time.Millisecond), key, cid, ErrSessionSigSIWEExpiry},
		{"other session key", t0.Add(time.Minute), other, cid, ErrSessionSigURI},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := VerifyCapability(c, tt.key, tt.now, tt.resource)
			if !errors.Is(want, tt.want) {
				t.Fatalf("uncached: %v, want %v", want, tt.want)
			}
			for use := 0; use < 2; use++ {
				got := vc.VerifyCapability(c, tt.key, tt.now, tt.resource)
				if (got == nil) != (want == nil) || got != nil && got.Error() != want.Error() {
					t.Fatalf("use %d: cached %v, uncached %v", use, got, want)
				}
			}
		})
	}
	// One entry per session key: key and the other key.
	if vc.misses != 2 {
		t.Fatalf("%d byte checks, want 2", vc.misses)
	}
	// A changed signature byte is another entry, and fails.
	// (A byte of r: overwriting the last two bytes with fixed ones left
	// the signature as it was one run in 512.)
	bad := c
	flipped := byte('0')
	if bad.Sig[10] == '0' {
		flipped = '1'
	}
	bad.Sig = bad.Sig[:10] + string(flipped) + bad.Sig[11:]
	if err := vc.VerifyCapability(bad, key, t0, cid); err == nil {
		t.Fatal("altered capability signature verified")
	}
}

func TestVerifyCacheBounded(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	vc := NewVerifyCache(2)
	for i := 0; i < 5; i++ {
		s := newTestSession(t, SessionOptions{Now: func() time.Time { return t0 }, Expiration: t0.Add(time.Hour)})
		sig, err := s.SignForNode("http://127.0.0.1:7470", []ResourceAbilityRequest{LitActionRequest("*")}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := vc.VerifySessionSig(sig, "http://127.0.0.1:7470", t0, "*"); err != nil {
			t.Fatal(err)
		}
		if len(vc.sigs) > 2 || len(vc.caps) > 2 {
			t.Fatalf("cache holds %d signatures and %d capabilities, bound 2", len(vc.sigs), len(vc.caps))
		}
	}
}

// TestAuthSigKeyUnambiguous: moving bytes from one field to the next, or
// between the signature and extra, changes the key; equal fields give
// equal keys.
func TestAuthSigKeyUnambiguous(t *testing.T) {
	base := AuthSig{Sig: "ab", DerivedVia: "c", SignedMessage: "msg", Address: "0x1", Algo: "ed25519"}
	shifted := base
	shifted.Sig, shifted.DerivedVia = "a", "bc"
	same := AuthSig{Sig: "ab", DerivedVia: "c", SignedMessage: "msg", Address: "0x1", Algo: "ed25519"}
	if authSigKey("session", base, "") != authSigKey("session", same, "") {
		t.Fatal("the same fields gave two keys")
	}
	for name, pair := range map[string][2][32]byte{
		"sig/derivedVia":  {authSigKey("session", base, ""), authSigKey("session", shifted, "")},
		"kind":            {authSigKey("session", base, ""), authSigKey("capability", base, "")},
		"algo/extra":      {authSigKey("capability", base, "x"), authSigKey("capability", AuthSig{Sig: "ab", DerivedVia: "c", SignedMessage: "msg", Address: "0x1", Algo: "ed25519x"}, "")},
		"empty vs absent": {authSigKey("session", AuthSig{}, ""), authSigKey("session", AuthSig{Sig: ""}, "\x00")},
	} {
		if pair[0] == pair[1] {
			t.Errorf("%s: two different field lists gave one key", name)
		}
	}
}
