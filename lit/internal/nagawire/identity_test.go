package nagawire

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"

	"golang.org/x/crypto/nacl/box"
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

// TestGenerateIdentity: GenerateIdentity (and GenerateKeyPair, made from
// it) gives box.GenerateKey's key pair for the same bytes of entropy, and
// refuses entropy that runs short.
func TestGenerateIdentity(t *testing.T) {
	for _, seed := range [][]byte{bytes.Repeat([]byte{7}, 32), bytes.Repeat([]byte{0xff}, 32), make([]byte, 32)} {
		pub, sec, err := box.GenerateKey(bytes.NewReader(seed))
		if err != nil {
			t.Fatal(err)
		}
		id, err := GenerateIdentity(bytes.NewReader(seed))
		if err != nil {
			t.Fatal(err)
		}
		if got := id.KeyPair(); got.Public != *pub || got.Secret != *sec {
			t.Fatalf("seed %x: GenerateIdentity %x/%x, box.GenerateKey %x/%x", seed[:1], got.Public, got.Secret, *pub, *sec)
		}
		kp, err := GenerateKeyPair(bytes.NewReader(seed))
		if err != nil || kp != id.KeyPair() {
			t.Fatalf("seed %x: GenerateKeyPair %x, %v", seed[:1], kp.Public, err)
		}
		peer, _ := GenerateKeyPair(rand.Reader)
		if got, want := id.SharedKey(peer.Public), NewSharedKey(kp, peer.Public); *got != *want {
			t.Fatalf("seed %x: SharedKey differs from NewSharedKey", seed[:1])
		}
	}
	if _, err := GenerateIdentity(bytes.NewReader(make([]byte, 31))); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("31 bytes of entropy: %v, want io.ErrUnexpectedEOF", err)
	}
}
