package nagawire

import (
	"fmt"
	"io"

	"github.com/cloudflare/circl/dh/x25519"
	//lint:ignore SA1019 HSalsa20 is NaCl box's key derivation after X25519 (what box.Precompute does); the SDK's E2EE is box
	"golang.org/x/crypto/salsa20/salsa"
)

// Identity is an x25519 key pair (a node's identity key, or a client's
// request key) ready for key agreement.
//
// Its x25519 products are CIRCL's (constant time, with amd64 assembly),
// not crypto/ecdh's: on the 2-core VM of the README, a public key takes
// 24-30 µs instead of 48-53 µs, and a shared key 42-44 µs instead of
// 59-65 µs (and crypto/ecdh derives the public half of every private key
// it is given, so box.Precompute, through it, pays two products per box
// key).
// A Naga call pays one public key and one shared key per node asked on
// the client, and one shared key per node on the nodes. The tests hold
// both products to crypto/ecdh's and box's, edge cases included.
type Identity struct {
	kp KeyPair
}

// NewIdentity prepares kp for key agreement. It keeps kp as it is: the
// public half is not checked against the secret.
func NewIdentity(kp KeyPair) *Identity { return &Identity{kp: kp} }

// GenerateIdentity makes a fresh key pair from r, ready for key agreement:
// the key pair box.GenerateKey makes from the same 32 bytes of r.
func GenerateIdentity(r io.Reader) (*Identity, error) {
	var secret [32]byte
	if _, err := io.ReadFull(r, secret[:]); err != nil {
		return nil, fmt.Errorf("nagawire: generate key: %w", err)
	}
	return identityOf(secret), nil
}

// identityOf is the key pair of secret (its public half derived by one
// x25519 product with the base point) ready for key agreement.
func identityOf(secret [32]byte) *Identity {
	kp := KeyPair{Secret: secret}
	x25519.KeyGen((*x25519.Key)(&kp.Public), (*x25519.Key)(&kp.Secret))
	return &Identity{kp: kp}
}

// lowOrder reports whether u is a point of low order (on the curve or its
// twist, in any encoding): one whose x25519 product with any key is 32
// zero bytes. The product with a clamped scalar (a multiple of 8, below
// 2^255, and no multiple of either large prime order) is the identity
// exactly for those points, so one product decides, whatever list of
// encodings a library keeps.
func lowOrder(u [32]byte) bool {
	var probe, out x25519.Key // probe clamps to 2^254
	x25519.Shared(&out, &probe, (*x25519.Key)(&u))
	return out == x25519.Key{}
}

// KeyPair is the identity's key pair.
func (id *Identity) KeyPair() KeyPair { return id.kp }

// SharedKey is NewSharedKey(id's key pair, peer): the same box key
// (x25519, then HSalsa20), an all-zero x25519 output for a low-order peer
// point included, as box.Precompute gives.
func (id *Identity) SharedKey(peer [32]byte) *SharedKey {
	k := &SharedKey{self: id.kp.Public, peer: peer}
	var zeros [16]byte
	if !x25519.Shared((*x25519.Key)(&k.key), (*x25519.Key)(&id.kp.Secret), (*x25519.Key)(&peer)) {
		// A low-order point: the product is the identity, whose
		// encoding box.Precompute (and crypto/ecdh, which then refuses
		// it) gives as 32 zero bytes. Say so, whatever the ladder left.
		k.key = [32]byte{}
	}
	salsa.HSalsa20(&k.key, &zeros, &k.key, &salsa.Sigma)
	return k
}
