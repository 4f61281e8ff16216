package nagawire

import (
	"crypto/rand"
	"testing"
)

// TestIdentitySharedKey: an Identity's SharedKey is NewSharedKey's, for a
// random peer and for low-order points (box.Precompute's all-zero x25519
// output).
func TestIdentitySharedKey(t *testing.T) {
	self, err := GenerateKeyPair(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	peer, err := GenerateKeyPair(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	id, err := NewIdentity(self)
	if err != nil {
		t.Fatal(err)
	}
	if id.KeyPair() != self {
		t.Fatal("KeyPair differs")
	}
	one := [32]byte{1}
	tests := []struct {
		name string
		peer [32]byte
	}{
		{"random", peer.Public},
		{"zero point", [32]byte{}},
		{"order-1 point", one},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, want := id.SharedKey(tt.peer), NewSharedKey(self, tt.peer)
			if *got != *want {
				t.Fatalf("SharedKey %x, NewSharedKey %x", got.key, want.key)
			}
		})
	}
}
