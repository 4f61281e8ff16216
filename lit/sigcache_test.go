package lit

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"slices"
	"testing"
	"time"

	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

var cacheURLs = []string{"http://127.0.0.1:7470", "http://127.0.0.1:7471", "http://127.0.0.1:7472"}

// issuedOf is the issuedAt of a v2 signature (which nodes check).
func issuedOf(t *testing.T, sig AuthSig) string {
	t.Helper()
	p, err := ParseSessionSig(sig)
	if err != nil {
		t.Fatal(err)
	}
	return p.IssuedAt
}

// cachedSigsV2 is the signatures cachedSigsV2JSON returns, decoded, for
// the tests to verify.
func (s *Session) cachedSigsV2(st *netState, urls []string, reqs []ResourceAbilityRequest, now time.Time) ([]AuthSig, error) {
	encoded, err := s.cachedSigsV2JSON(st, urls, reqs, now)
	if err != nil {
		return nil, err
	}
	out := make([]AuthSig, len(urls))
	for i, enc := range encoded {
		if err := json.Unmarshal(enc, &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func TestSigCacheV2(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := newTestSession(t, SessionOptions{Now: func() time.Time { return t0 }, Expiration: t0.Add(time.Hour)})
	st := &netState{threshold: 2}
	reqs := []ResourceAbilityRequest{LitActionRequest("*")}
	first, err := s.cachedSigsV2(st, cacheURLs, reqs, t0)
	if err != nil {
		t.Fatal(err)
	}
	for i, sig := range first {
		if err := VerifySessionSig(sig, cacheURLs[i], t0, "*"); err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
	}
	same := func(a, b []AuthSig) bool {
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return len(a) == len(b)
	}
	tests := []struct {
		name  string
		st    *netState
		urls  []string
		reqs  []ResourceAbilityRequest
		now   time.Time
		reuse bool
	}{
		{"hit", st, cacheURLs, reqs, t0.Add(time.Minute), true},
		{"hit just before half the lifetime", st, cacheURLs, reqs, t0.Add(sigReuseFor - time.Millisecond), true},
		{"expired: half the lifetime", st, cacheURLs, reqs, t0.Add(sigReuseFor), false},
		{"clock went back", st, cacheURLs, reqs, t0.Add(-time.Second), false},
		{"other resource", st, cacheURLs, []ResourceAbilityRequest{LitActionRequest("QmX")}, t0, false},
		{"epoch/node-set change", &netState{threshold: 2, epoch: 7}, cacheURLs, reqs, t0.Add(time.Second), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Start each case from a cache holding first's signatures.
			s.sigs.clear()
			keys := sigKeys(ProtocolV2, cacheURLs, reqs, nil)
			s.sigs.lookup(st, keys, t0)
			entries := make([]cachedSig, len(first))
			fresh := make([]bool, len(first))
			for i := range first {
				enc, err := encodeAuthSig(first[i])
				if err != nil {
					t.Fatal(err)
				}
				entries[i] = cachedSig{json: enc, issued: t0, until: reuseWindow(t0, t0.Add(SessionSigTTL))}
				fresh[i] = true
			}
			s.sigs.store(st, keys, entries, fresh)

			got, err := s.cachedSigsV2(tt.st, tt.urls, tt.reqs, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			if same(got, first) != tt.reuse {
				t.Fatalf("reused = %v, want %v", same(got, first), tt.reuse)
			}
			for i, sig := range got {
				if err := VerifySessionSig(sig, tt.urls[i], tt.now, resourceOf(tt.reqs)); err != nil {
					t.Fatalf("node %d: %v", i, err)
				}
				if !tt.reuse && sig == first[i] {
					t.Fatalf("node %d: signature reused", i)
				}
			}
		})
	}
}

// resourceOf is the resource of the first request.
func resourceOf(reqs []ResourceAbilityRequest) string { return reqs[0].Resource.Resource }

func TestSigCacheNewNodeSignsOnlyIt(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := newTestSession(t, SessionOptions{Now: func() time.Time { return t0 }, Expiration: t0.Add(time.Hour)})
	st := &netState{}
	reqs := []ResourceAbilityRequest{LitActionRequest("*")}
	a, err := s.cachedSigsV2(st, cacheURLs[:2], reqs, t0)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.cachedSigsV2(st, cacheURLs, reqs, t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if a[0] != b[0] || a[1] != b[1] {
		t.Fatal("known nodes re-signed")
	}
	if got := issuedOf(t, b[2]); got != nagawire.FormatTime(t0.Add(time.Second)) {
		t.Fatalf("new node's signature issued at %s", got)
	}
	// And it is the new node's own.
	if err := VerifySessionSig(b[2], cacheURLs[2], t0.Add(time.Second), "*"); err != nil {
		t.Fatalf("new node's signature: %v", err)
	}
}

func TestSigCacheSessionEnd(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	end := t0.Add(time.Minute)
	s := newTestSession(t, SessionOptions{Now: func() time.Time { return t0 }, Expiration: end})
	st := &netState{}
	reqs := []ResourceAbilityRequest{LitActionRequest("*")}
	if _, err := s.cachedSigsV2(st, cacheURLs, reqs, t0); err != nil {
		t.Fatal(err)
	}
	// The cached signatures end with the session: past it, no reuse.
	if _, err := s.cachedSigsV2(st, cacheURLs, reqs, end); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("after the session's end: %v, want ErrSessionExpired", err)
	}
	if _, err := s.cachedSigsV2(st, cacheURLs, reqs, t0.Add(30*time.Second)); err != nil {
		t.Fatal(err)
	}
	s.Wipe()
	if _, err := s.cachedSigsV2(st, cacheURLs, reqs, t0.Add(time.Second)); !errors.Is(err, ErrSessionWiped) {
		t.Fatalf("after Wipe: %v, want ErrSessionWiped", err)
	}
	if s.sigs.m != nil || s.sigs.owner != nil {
		t.Fatal("Wipe left cached signatures in memory")
	}
}

func TestSigCacheNaga(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s := newTestSession(t, SessionOptions{Now: func() time.Time { return t0 }, Expiration: t0.Add(time.Hour)})
	st := &netState{epoch: 3}
	reqs := []ResourceAbilityRequest{LitActionRequest("*")}
	signed := 0
	get := func(st *netState, prices []string, now time.Time) [][]byte {
		t.Helper()
		sigs, err := s.cachedSigsNagaJSON(st, cacheURLs, prices, reqs, func(urls []string, idx []int) ([]nagawire.AuthSig, error) {
			signed += len(urls)
			ps := make([]*big.Int, len(idx))
			for j, i := range idx {
				ps[j], _ = new(big.Int).SetString(prices[i], 16)
			}
			return s.signNaga(urls, ps, reqs, now)
		}, now)
		if err != nil {
			t.Fatal(err)
		}
		return sigs
	}
	p := []string{"10", "10", "10"}
	a := get(st, p, t0)
	b := get(st, p, t0.Add(time.Minute))
	if signed != 3 || !bytes.Equal(a[1], b[1]) {
		t.Fatalf("second call signed again (%d signatures)", signed)
	}
	// What is cached is the signature as an execute request carries it.
	for i, enc := range a {
		var sig nagawire.AuthSig
		if err := json.Unmarshal(enc, &sig); err != nil || sig.Sig == "" || sig.DerivedVia == "" {
			t.Fatalf("signature %d: %s does not decode to a signature (%v)", i, enc, err)
		}
		if again, err := nagawire.EncodeAuthSig(sig); err != nil || !bytes.Equal(again, enc) {
			t.Fatalf("signature %d: cached %s, EncodeAuthSig gives %s (%v)", i, enc, again, err)
		}
	}
	get(st, []string{"10", "11", "10"}, t0.Add(time.Minute))
	if signed != 4 {
		t.Fatalf("a new maxPrice signed %d signatures, want 1 more", signed-3)
	}
	st4 := &netState{epoch: 4}
	get(st4, p, t0.Add(time.Minute))
	if signed != 7 {
		t.Fatalf("a new epoch signed %d signatures, want 3 more", signed-4)
	}
	get(st4, p, t0.Add(sigReuseFor))
	if signed != 7 {
		t.Fatalf("a hit signed %d signatures", signed-7)
	}
	get(st4, p, t0.Add(sigReuseFor+time.Minute))
	if signed != 10 {
		t.Fatalf("after half the lifetime: %d signatures, want 3 more", signed-7)
	}
}

// TestSigKeys: a signature's key holds everything its message depends on
// besides the time, so two signatures share a key only when every part
// is the same.
func TestSigKeys(t *testing.T) {
	action := []ResourceAbilityRequest{LitActionRequest("QmA")}
	two := []ResourceAbilityRequest{LitActionRequest("QmA"), LitActionRequest("QmB")}
	base := sigKeys(ProtocolNaga, []string{"http://a", "http://b"}, action, []string{"10", "20"})
	want := ProtocolNaga + "\x00http://a\x00" + action[0].Resource.Resource + "\x00" + action[0].Resource.ResourcePrefix + "\x00" + action[0].Ability + "\x0010"
	if base[0] != want {
		t.Fatalf("key %q, want %q", base[0], want)
	}
	if again := sigKeys(ProtocolNaga, []string{"http://a", "http://b"}, action, []string{"10", "20"}); !slices.Equal(again, base) {
		t.Fatalf("same inputs, keys %q then %q", base, again)
	}
	for _, tt := range []struct {
		name string
		key  string
	}{
		{"other node", base[1]},
		{"other protocol", sigKeys(ProtocolV2, []string{"http://a"}, action, []string{"10"})[0]},
		{"other action", sigKeys(ProtocolNaga, []string{"http://a"}, []ResourceAbilityRequest{LitActionRequest("QmB")}, []string{"10"})[0]},
		{"one more request", sigKeys(ProtocolNaga, []string{"http://a"}, two, []string{"10"})[0]},
		{"other price", sigKeys(ProtocolNaga, []string{"http://a"}, action, []string{"11"})[0]},
		{"no price", sigKeys(ProtocolNaga, []string{"http://a"}, action, nil)[0]},
	} {
		if tt.key == base[0] {
			t.Errorf("%s: same key %q", tt.name, tt.key)
		}
	}
}
