package nagawire

import (
	"crypto/ecdh"
	"fmt"
	"io"

	//lint:ignore SA1019 HSalsa20 is NaCl box's key derivation after X25519 (what box.Precompute does); the SDK's E2EE is box
	"golang.org/x/crypto/salsa20/salsa"
)

// Identity is a long-lived x25519 key pair (a node's identity key) ready
// for key agreement: crypto/ecdh derives a private key's public half when
// the key is made, which box.Precompute pays on every call; an Identity
// pays it once, so each SharedKey costs one x25519 product.
type Identity struct {
	kp   KeyPair
	priv *ecdh.PrivateKey
}

// NewIdentity prepares kp for key agreement.
func NewIdentity(kp KeyPair) (*Identity, error) {
	priv, err := ecdh.X25519().NewPrivateKey(kp.Secret[:])
	if err != nil {
		return nil, fmt.Errorf("nagawire: identity key: %w", err)
	}
	return &Identity{kp: kp, priv: priv}, nil
}

// GenerateIdentity makes a fresh key pair from r, ready for key agreement:
// the same key pair GenerateKeyPair makes from the same 32 bytes of r, for
// one x25519 product (GenerateKeyPair then NewIdentity cost two).
func GenerateIdentity(r io.Reader) (*Identity, error) {
	var secret [32]byte
	if _, err := io.ReadFull(r, secret[:]); err != nil {
		return nil, fmt.Errorf("nagawire: generate key: %w", err)
	}
	id, err := identityOf(secret)
	if err != nil {
		return nil, fmt.Errorf("nagawire: generate key: %w", err)
	}
	return id, nil
}

// identityOf is the key pair of secret (its public half derived by one
// x25519 product) ready for key agreement.
func identityOf(secret [32]byte) (*Identity, error) {
	priv, err := ecdh.X25519().NewPrivateKey(secret[:])
	if err != nil {
		return nil, err
	}
	kp := KeyPair{Secret: secret}
	copy(kp.Public[:], priv.PublicKey().Bytes())
	return &Identity{kp: kp, priv: priv}, nil
}

// KeyPair is the identity's key pair.
func (id *Identity) KeyPair() KeyPair { return id.kp }

// SharedKey is NewSharedKey(id's key pair, peer): the same box key
// (x25519, then HSalsa20), an all-zero x25519 output for a low-order peer
// point included, as box.Precompute gives.
func (id *Identity) SharedKey(peer [32]byte) *SharedKey {
	k := &SharedKey{self: id.kp.Public, peer: peer}
	var zeros [16]byte
	if pub, err := ecdh.X25519().NewPublicKey(peer[:]); err == nil {
		if s, err := id.priv.ECDH(pub); err == nil {
			copy(k.key[:], s)
		}
		// else: a low-order point; curve25519.ScalarMult gives zeros too.
	}
	salsa.HSalsa20(&k.key, &zeros, &k.key, &salsa.Sigma)
	return k
}
