package lit

import (
	"crypto/sha512"
	"errors"
	"fmt"

	"filippo.io/edwards25519"
)

// Ed25519 (RFC 8032, section 5.1) over filippo.io/edwards25519, so that the
// secret never leaves the caller's memory. crypto/ed25519 cannot be used:
// since Go 1.24 it expands every private key into a Go heap object (seed,
// scalar, prefix) cached in a weak map keyed by the address of the key
// bytes, which keeps an unzeroed copy of the secret on the heap until a
// later GC, and crashes the runtime when the key bytes are not in the Go
// heap (mmap'd, mlocked memory).
//
// The secret kept in the caller's memory is the expanded key, never the
// seed:
//
//	[0:32]  s, the clamped scalar reduced mod L, canonical little-endian
//	[32:64] prefix, the second half of SHA-512(seed)
//
// Nothing secret is allocated on the Go heap (go build -gcflags=-m: the
// SHA-512 digest, scalars and points stay on the goroutine stack; only the
// signature escapes). Every temporary that held secret material (scalars,
// points, hash outputs, the digest's block buffer) is zeroed before
// returning. This is best effort: copies the compiler or callees make on
// the goroutine stack (spilled registers, the digest copy and padding
// inside Sum, edwards25519's internal temporaries) and values left in
// registers by the SHA-512 block function are not reachable from Go and
// stay until the stack or registers are reused.

const (
	edSeedSize      = 32
	edExpandedSize  = 64
	edPublicKeySize = 32
	edSignatureSize = 64
)

// errEdKey reports an expanded key that is not 64 bytes or whose scalar is
// not canonical (corrupted or wiped memory).
var errEdKey = errors.New("lit: ed25519: invalid expanded key")

// edExpand derives the expanded key of seed (32 bytes) into priv (64 bytes)
// and the public key into pub (32 bytes). seed may alias priv: it is fully
// hashed before priv is written.
func edExpand(priv, pub, seed []byte) error {
	if len(priv) != edExpandedSize || len(pub) != edPublicKeySize || len(seed) != edSeedSize {
		return fmt.Errorf("%w: sizes %d/%d/%d", errEdKey, len(priv), len(pub), len(seed))
	}
	var h [sha512.Size]byte
	var s edwards25519.Scalar
	var A edwards25519.Point
	defer wipeBytes(h[:])
	defer wipeScalar(&s)
	defer wipePoint(&A)

	d := sha512.New()
	d.Write(seed)
	d.Sum(h[:0])
	d.Reset()
	d.Write(scrubZeros[:])
	d.Reset()

	if _, err := s.SetBytesWithClamping(h[:32]); err != nil {
		return fmt.Errorf("lit: ed25519: clamp: %w", err)
	}
	sb := s.Bytes()
	copy(priv[:32], sb)
	wipeBytes(sb)
	copy(priv[32:], h[32:])
	A.ScalarBaseMult(&s)
	copy(pub, A.Bytes())
	return nil
}

// edSign returns the RFC 8032 signature of msg by the expanded key priv
// whose public key is pub.
func edSign(priv, pub, msg []byte) ([]byte, error) {
	if len(priv) != edExpandedSize || len(pub) != edPublicKeySize {
		return nil, fmt.Errorf("%w: sizes %d/%d", errEdKey, len(priv), len(pub))
	}
	var h [sha512.Size]byte
	var s, r, k, S edwards25519.Scalar
	var R edwards25519.Point
	defer wipeBytes(h[:])
	defer wipeScalar(&s)
	defer wipeScalar(&r)
	defer wipeScalar(&k)
	defer wipeScalar(&S)
	defer wipePoint(&R)

	if _, err := s.SetCanonicalBytes(priv[:32]); err != nil {
		return nil, fmt.Errorf("%w: %v", errEdKey, err)
	}
	d := sha512.New()
	defer func() {
		d.Reset()
		d.Write(scrubZeros[:])
		d.Reset()
	}()

	// r = SHA-512(prefix || M) mod L
	d.Write(priv[32:])
	d.Write(msg)
	d.Sum(h[:0])
	if _, err := r.SetUniformBytes(h[:]); err != nil {
		return nil, fmt.Errorf("lit: ed25519: nonce: %w", err)
	}
	R.ScalarBaseMult(&r)
	sig := make([]byte, edSignatureSize)
	copy(sig[:32], R.Bytes())

	// k = SHA-512(R || A || M) mod L
	d.Reset()
	d.Write(sig[:32])
	d.Write(pub)
	d.Write(msg)
	d.Sum(h[:0])
	if _, err := k.SetUniformBytes(h[:]); err != nil {
		return nil, fmt.Errorf("lit: ed25519: challenge: %w", err)
	}

	// S = r + k·s mod L
	S.MultiplyAdd(&k, &s, &r)
	sb := S.Bytes()
	copy(sig[32:], sb)
	wipeBytes(sb)
	return sig, nil
}

// scrubZeros overwrites a SHA-512 digest's block buffer, which may still
// hold the seed or the prefix: writing fewer than a block's bytes to a reset
// digest only copies them into its buffer, from its start, without hashing.
// A secret never sits in the buffer's last byte: it is always written first.
var scrubZeros [sha512.BlockSize - 1]byte

// wipeBytes zeroes b. It is not inlined so that the stores cannot be
// dropped as dead.
//
//go:noinline
func wipeBytes(b []byte) { clear(b) }

// wipeScalar zeroes s.
//
//go:noinline
func wipeScalar(s *edwards25519.Scalar) { *s = edwards25519.Scalar{} }

// wipePoint zeroes p, whose projective coordinates may reveal the scalar
// that produced it.
//
//go:noinline
func wipePoint(p *edwards25519.Point) { *p = edwards25519.Point{} }
