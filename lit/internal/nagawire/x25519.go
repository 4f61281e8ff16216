package nagawire

import (
	"filippo.io/edwards25519/field"
	"golang.org/x/crypto/salsa20/salsa"
)

// precompute is nacl/box's Precompute: HSalsa20 of the X25519 product of
// secret and peer. box.Precompute reaches X25519 through crypto/ecdh,
// whose private key constructor also derives the (here unused) public
// key: a second scalar multiplication, a third of a Naga call's client
// CPU. This does the one product the box key needs.
func precompute(key *[32]byte, peer, secret *[32]byte) {
	var shared [32]byte
	x25519(&shared, secret, peer)
	var zeros [16]byte
	salsa.HSalsa20(key, &zeros, &shared, &salsa.Sigma)
}

// x25519 is RFC 7748's X25519(scalar, point), the Montgomery ladder of
// Go's crypto/ecdh (constant time). Like curve25519.ScalarMult, it does
// not reject a low-order point (nacl/box does not either).
func x25519(dst, scalar, point *[32]byte) {
	e := *scalar
	e[0] &= 248
	e[31] &= 127
	e[31] |= 64

	var x1, x2, z2, x3, z3, tmp0, tmp1 field.Element
	if _, err := x1.SetBytes(point[:]); err != nil {
		panic("nagawire: x25519 point is 32 bytes") // unreachable: a [32]byte
	}
	x2.One()
	x3.Set(&x1)
	z3.One()

	swap := 0
	for pos := 254; pos >= 0; pos-- {
		b := int(e[pos/8]>>uint(pos&7)) & 1
		swap ^= b
		x2.Swap(&x3, swap)
		z2.Swap(&z3, swap)
		swap = b

		tmp0.Subtract(&x3, &z3)
		tmp1.Subtract(&x2, &z2)
		x2.Add(&x2, &z2)
		z2.Add(&x3, &z3)
		z3.Multiply(&tmp0, &x2)
		z2.Multiply(&z2, &tmp1)
		tmp0.Square(&tmp1)
		tmp1.Square(&x2)
		x3.Add(&z3, &z2)
		z2.Subtract(&z3, &z2)
		x2.Multiply(&tmp1, &tmp0)
		tmp1.Subtract(&tmp1, &tmp0)
		z2.Square(&z2)

		z3.Mult32(&tmp1, 121666)
		x3.Square(&x3)
		tmp0.Add(&tmp0, &z3)
		z3.Multiply(&x1, &z2)
		z2.Multiply(&tmp1, &tmp0)
	}

	x2.Swap(&x3, swap)
	z2.Swap(&z3, swap)

	z2.Invert(&z2)
	x2.Multiply(&x2, &z2)
	copy(dst[:], x2.Bytes())
}
