package lit

import (
	"encoding/hex"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// The caches only remember points that passed, and stay bounded.
func TestPointCache(t *testing.T) {
	g := crypto.S256().Params()
	gx, gy := new(big.Int).Set(g.Gx), new(big.Int).Set(g.Gy)
	off := new(big.Int).Add(gy, big.NewInt(1))
	uncompressed := crypto.S256().Marshal(gx, gy)
	compressed := crypto.CompressPubkey(&crypto.ToECDSAUnsafe(big.NewInt(1).FillBytes(make([]byte, 32))).PublicKey)
	bad := append([]byte(nil), uncompressed...)
	bad[64] ^= 1
	tests := []struct {
		name string
		key  []byte
		ok   bool
	}{
		{"uncompressed", uncompressed, true},
		{"compressed", compressed, true},
		{"off the curve", bad, false},
		{"compressed, no point with that x", compressedOff(t), false},
		{"wrong length", uncompressed[:40], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 2 { // the second time from the cache
				got, err := uncompressedKey(tt.key)
				if (err == nil) != tt.ok {
					t.Fatalf("err = %v, want ok %v", err, tt.ok)
				}
				// The Naga share parser's point check through the cache
				// answers as nagawire's own.
				if checkedOnCurve(tt.key) != tt.ok || nagawire.OnCurve(tt.key) != tt.ok {
					t.Fatalf("checkedOnCurve %v, nagawire.OnCurve %v, want %v", checkedOnCurve(tt.key), nagawire.OnCurve(tt.key), tt.ok)
				}
				if tt.ok && hex.EncodeToString(got) != hex.EncodeToString(uncompressed) {
					t.Fatalf("key %x", got)
				}
			}
		})
	}
	for range 2 {
		if !onCurve(gx, gy) || onCurve(gx, off) {
			t.Fatal("onCurve")
		}
	}
	for i := range 2 * maxCheckedPoints {
		x, y := crypto.S256().ScalarBaseMult(big.NewInt(int64(i + 2)).Bytes())
		if !onCurve(x, y) {
			t.Fatal("a multiple of G is off the curve")
		}
	}
	if n := len(checkedR.m); n > maxCheckedPoints {
		t.Fatalf("%d cached points, bound %d", n, maxCheckedPoints)
	}
}

// compressedOff is a compressed encoding whose x has no point on
// secp256k1.
func compressedOff(t *testing.T) []byte {
	t.Helper()
	for x := int64(5); x < 100; x++ {
		enc := append([]byte{2}, big.NewInt(x).FillBytes(make([]byte, 32))...)
		if _, err := crypto.DecompressPubkey(enc); err != nil {
			return enc
		}
	}
	t.Fatal("no x below 100 without a point")
	return nil
}
