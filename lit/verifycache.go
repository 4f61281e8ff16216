package lit

import (
	"crypto/sha256"
	"sync"
	"time"

	"github.com/litsigner/litsigner/lit/internal/fieldhash"
)

// DefaultVerifyCacheSize is a node's VerifyCache bound when NewVerifyCache
// is given 0.
const DefaultVerifyCacheSize = 4096

// VerifyCache remembers, for a node, the session signatures and wallet
// capabilities it has verified, keyed by a hash of their exact bytes, so
// that the costly checks (ed25519 verification, SIWE parsing with
// siwe-go's regular expressions, the EIP-191 ecrecover) run once per
// signature instead of once per request: a client sends the same
// capability with every request of a session. The checks of the time
// (issuedAt, expiration, the SIWE validity window), of the node and of
// the requested action run on every use, so a cached entry never outlives
// its expiry. Results are the same as without the cache, errors included.
//
// A VerifyCache holds at most its size of each kind of entry (one
// arbitrary entry makes room for a new one). It is safe for concurrent
// use; a nil *VerifyCache verifies without caching.
type VerifyCache struct {
	max int

	mu   sync.Mutex
	sigs map[[sha256.Size]byte]*verifiedSessionSig
	caps map[[sha256.Size]byte]*verifiedCapability
	// misses counts the byte checks run (tests).
	misses int
}

// NewVerifyCache returns a cache of at most size entries of each kind
// (DefaultVerifyCacheSize when size <= 0).
func NewVerifyCache(size int) *VerifyCache {
	if size <= 0 {
		size = DefaultVerifyCacheSize
	}
	return &VerifyCache{
		max:  size,
		sigs: make(map[[sha256.Size]byte]*verifiedSessionSig),
		caps: make(map[[sha256.Size]byte]*verifiedCapability),
	}
}

// VerifySessionSig is the package's VerifySessionSig, with the checks of
// the signature's bytes and of its capability cached.
func (vc *VerifyCache) VerifySessionSig(sig AuthSig, nodeURL string, now time.Time, resource string) error {
	var v *verifiedSessionSig
	var key [sha256.Size]byte
	if vc != nil {
		key = authSigKey("session", sig, "")
		vc.mu.Lock()
		v = vc.sigs[key]
		vc.mu.Unlock()
	}
	if v == nil {
		var err error
		if v, err = checkSessionSigBytes(sig); err != nil {
			return err // failures are not cached: they cost a client nothing to repeat
		}
		if vc != nil {
			vc.mu.Lock()
			vc.misses++
			putBounded(vc.sigs, key, v, vc.max)
			vc.mu.Unlock()
		}
	}
	if err := v.check(nodeURL, now, resource); err != nil {
		return err
	}
	return vc.VerifyCapability(v.p.Capabilities[0], sig.Address, now, resource)
}

// VerifyCapability is the package's VerifyCapability, with the checks of
// the capability's bytes (for this session key) cached.
func (vc *VerifyCache) VerifyCapability(c AuthSig, sessionKeyHex string, now time.Time, resource string) error {
	if vc == nil {
		return verifyCapability(c, sessionKeyHex, now, resource)
	}
	key := authSigKey("capability", c, sessionKeyHex)
	vc.mu.Lock()
	v := vc.caps[key]
	vc.mu.Unlock()
	if v == nil {
		// The outcome depends only on the bytes, so failures are cached too.
		v = checkCapabilityBytes(c, sessionKeyHex)
		vc.mu.Lock()
		vc.misses++
		putBounded(vc.caps, key, v, vc.max)
		vc.mu.Unlock()
	}
	return v.check(now, resource)
}

// putBounded stores v under k, first dropping an arbitrary entry when m is
// full.
func putBounded[V any](m map[[sha256.Size]byte]V, k [sha256.Size]byte, v V, max int) {
	if _, ok := m[k]; !ok && len(m) >= max {
		for old := range m {
			delete(m, old)
			break
		}
	}
	m[k] = v
}

// authSigKey names sig's fields, with kind and extra (fieldhash.Sum).
func authSigKey(kind string, sig AuthSig, extra string) [sha256.Size]byte {
	return fieldhash.Sum(kind, sig.Sig, sig.DerivedVia, sig.SignedMessage, sig.Address, sig.Algo, extra)
}
