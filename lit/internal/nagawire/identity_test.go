package nagawire

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"golang.org/x/crypto/curve25519"
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
	id := NewIdentity(self)
	if id.KeyPair() != self {
		t.Fatal("KeyPair differs")
	}
	tests := append([]edgePoint{{name: "random", hex: hex.EncodeToString(peer.Public[:])}}, edgePoints...)
	for _, tt := range tests {
		for _, pt := range tt.encodings(t) {
			t.Run(fmt.Sprintf("%s/%x", tt.name, pt[31]>>7), func(t *testing.T) {
				got, want := id.SharedKey(pt), NewSharedKey(self, pt)
				if *got != *want {
					t.Fatalf("SharedKey %x, NewSharedKey %x", got.key, want.key)
				}
			})
		}
	}
}

// edgePoint is an x25519 public key the tests try.
type edgePoint struct {
	name     string
	hex      string // little-endian, as on the wire
	lowOrder bool
}

// edgePoints are RFC 7748's edge cases: every low-order point, also
// unreduced, and other unreduced encodings and a twist point.
var edgePoints = []edgePoint{
	{name: "base point", hex: "09" + strings.Repeat("00", 31)},
	// RFC 7748's and libsodium's low-order points: 0, 1, the two of order
	// 8, p-1 (order 4), and p and p+1 (0 and 1 unreduced).
	{"zero point", strings.Repeat("00", 32), true},
	{"order-1 point", "01" + strings.Repeat("00", 31), true},
	{"order-8 point", "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", true},
	{"other order-8 point", "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157", true},
	{"p-1", "ec" + strings.Repeat("ff", 30) + "7f", true},
	{"p", "ed" + strings.Repeat("ff", 30) + "7f", true},
	{"p+1", "ee" + strings.Repeat("ff", 30) + "7f", true},
	// Unreduced encodings of points that are not of low order.
	{name: "p+9 (the base point unreduced)", hex: "f6" + strings.Repeat("ff", 30) + "7f"},
	{name: "2^255-1", hex: strings.Repeat("ff", 31) + "7f"},
	// A point on the twist (x25519 accepts any u).
	{name: "twist point", hex: "02" + strings.Repeat("00", 31)},
}

// encodings are the point as listed and with the top bit set, which
// x25519 ignores.
func (e edgePoint) encodings(t *testing.T) [][32]byte {
	t.Helper()
	var u [32]byte
	if err := decodeHexInto(u[:], e.hex); err != nil {
		t.Fatal(err)
	}
	high := u
	high[31] |= 0x80
	return [][32]byte{u, high}
}

// TestIdentityKeyRefusesLowOrder: a handshake's nodeIdentityKey of low
// order, in any encoding, is refused with ErrLowOrderKey; every other edge
// case and a random key are taken.
func TestIdentityKeyRefusesLowOrder(t *testing.T) {
	random, err := GenerateKeyPair(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range append([]edgePoint{{name: "random", hex: hex.EncodeToString(random.Public[:])}}, edgePoints...) {
		for _, pt := range tt.encodings(t) {
			t.Run(fmt.Sprintf("%s/%x", tt.name, pt[31]>>7), func(t *testing.T) {
				k, err := HandshakeData{NodeIdentityKey: hex.EncodeToString(pt[:])}.IdentityKey()
				switch {
				case tt.lowOrder && !errors.Is(err, ErrLowOrderKey):
					t.Fatalf("err = %v, want ErrLowOrderKey", err)
				case !tt.lowOrder && (err != nil || k != pt):
					t.Fatalf("key %x, err %v; want %x", k, err, pt)
				}
				// Low order is exactly an all-zero x25519 output.
				var zero [32]byte
				if out, err := curve25519.X25519(random.Secret[:], pt[:]); (err != nil) != tt.lowOrder || (err == nil && [32]byte(out) == zero) {
					t.Fatalf("x25519: %x, %v (low order: %v)", out, err, tt.lowOrder)
				}
			})
		}
	}
}

// FuzzIdentitySharedKey holds CIRCL's x25519 (Identity) to box's, which is
// crypto/ecdh's: the public key of any secret, and the box key of any
// secret with any 32 bytes as the peer's point.
func FuzzIdentitySharedKey(f *testing.F) {
	f.Add(bytes.Repeat([]byte{7}, 32), append([]byte{9}, make([]byte, 31)...))
	f.Add(make([]byte, 32), make([]byte, 32))
	f.Add(bytes.Repeat([]byte{0xff}, 32), bytes.Repeat([]byte{0xff}, 32))
	f.Fuzz(func(t *testing.T, secret, peer []byte) {
		// Every input is tried: cut or padded with zeros to 32 bytes.
		var sec, pt [32]byte
		copy(sec[:], secret)
		copy(pt[:], peer)
		pub, _, err := box.GenerateKey(bytes.NewReader(sec[:]))
		if err != nil {
			t.Fatal(err)
		}
		kp := KeyPairFromSecret(sec)
		if kp.Public != *pub || kp.Secret != sec {
			t.Fatalf("public key %x, box's %x", kp.Public, *pub)
		}
		if got, want := NewIdentity(kp).SharedKey(pt), NewSharedKey(kp, pt); *got != *want {
			t.Fatalf("SharedKey %x, box's %x", got.key, want.key)
		}
	})
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
