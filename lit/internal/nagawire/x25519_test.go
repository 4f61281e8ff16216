package nagawire

import (
	"crypto/rand"
	"testing"

	"golang.org/x/crypto/curve25519"
	"golang.org/x/crypto/nacl/box"
)

// precompute and x25519 agree with x/crypto on random and edge inputs.
func TestPrecomputeMatchesBox(t *testing.T) {
	var zero, one, high [32]byte
	one[0] = 1
	for i := range high {
		high[i] = 0xff
	}
	tests := []struct {
		name          string
		secret, point [32]byte
	}{
		{"zero point", one, zero},
		{"point one", high, one},
		{"high bits set", high, high},
	}
	for range 64 {
		var tt struct {
			name          string
			secret, point [32]byte
		}
		tt.name = "random"
		_, _ = rand.Read(tt.secret[:])
		_, _ = rand.Read(tt.point[:])
		tests = append(tests, tt)
	}
	for _, tt := range tests {
		var want, got [32]byte
		curve25519.ScalarMult(&want, &tt.secret, &tt.point)
		x25519(&got, &tt.secret, &tt.point)
		if got != want {
			t.Fatalf("%s: x25519(%x, %x) = %x, want %x", tt.name, tt.secret, tt.point, got, want)
		}
		box.Precompute(&want, &tt.point, &tt.secret)
		precompute(&got, &tt.point, &tt.secret)
		if got != want {
			t.Fatalf("%s: precompute = %x, want %x", tt.name, got, want)
		}
	}
}

func BenchmarkNewSharedKey(b *testing.B) {
	self, err := GenerateKeyPair(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	peer, err := GenerateKeyPair(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for range b.N {
		_ = NewSharedKey(self, peer.Public)
	}
}
