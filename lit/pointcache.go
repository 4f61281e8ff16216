package lit

import (
	"bytes"
	"fmt"
	"math/big"
	"sync"

	"github.com/ethereum/go-ethereum/crypto"
)

// Every share of a call carries the same PKP key and, for one signature,
// the same nonce point R, and the PKP key is the same call after call:
// checking that each lies on secp256k1 (big.Int arithmetic, or a square
// root for a compressed key) was a large part of decoding a reply. The
// client therefore remembers the points it has checked, by their exact
// encoded bytes. Only points that passed are kept, so an answer is the
// same as without the cache.

// maxCheckedPoints bounds each cache; past it the cache starts afresh.
const maxCheckedPoints = 256

// pointCache maps encoded points that passed a check to their
// uncompressed encoding.
type pointCache struct {
	mu sync.Mutex
	m  map[string][]byte
}

var (
	// checkedKeys are public keys (33- or 65-byte encodings).
	checkedKeys pointCache
	// checkedR are nonce points, as 64 bytes x‖y.
	checkedR pointCache
)

func (c *pointCache) get(enc []byte) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[string(enc)]
	return v, ok
}

func (c *pointCache) put(enc, uncompressed []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCheckedPoints {
		c.m = make(map[string][]byte)
	}
	c.m[string(enc)] = uncompressed
}

// uncompressedKey checks a 65-byte (uncompressed) or 33-byte (compressed)
// secp256k1 key and returns its uncompressed form.
func uncompressedKey(b []byte) ([]byte, error) {
	if v, ok := checkedKeys.get(b); ok {
		return append([]byte(nil), v...), nil
	}
	var out []byte
	switch len(b) {
	case 65:
		if _, err := crypto.UnmarshalPubkey(b); err != nil {
			return nil, err
		}
		out = b
	case 33:
		k, err := crypto.DecompressPubkey(b)
		if err != nil {
			return nil, err
		}
		out = crypto.FromECDSAPub(k)
	default:
		return nil, fmt.Errorf("public key has %d bytes", len(b))
	}
	checkedKeys.put(bytes.Clone(b), bytes.Clone(out))
	return out, nil
}

// onCurve reports whether (x, y), each at most 32 bytes, is a point of
// secp256k1.
func onCurve(x, y *big.Int) bool {
	var enc [64]byte
	x.FillBytes(enc[:32])
	y.FillBytes(enc[32:])
	if _, ok := checkedR.get(enc[:]); ok {
		return true
	}
	if !crypto.S256().IsOnCurve(x, y) {
		return false
	}
	checkedR.put(enc[:], nil)
	return true
}
