package lit

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync"
)

// SessionKey is an ed25519 session key held only in memory. No method
// returns or serializes the secret; Wipe zeroes it.
//
// The secret is the RFC 8032 expanded key (clamped scalar || prefix, see
// ed25519.go), kept only in the 64 bytes given to NewSessionKeyIn; the
// seed is never stored. Signing runs on filippo.io/edwards25519 rather than
// crypto/ed25519, which would copy the expanded key into a cached Go heap
// object and cannot take key bytes outside the Go heap.
type SessionKey struct {
	mu    sync.RWMutex
	priv  []byte            // expanded key; aliases the caller's memory
	pub   ed25519.PublicKey // separate copy, safe to keep after Wipe
	wiped bool
}

// SessionKeyMemSize is the size of the memory NewSessionKeyIn takes: the
// 64-byte expanded ed25519 key.
const SessionKeyMemSize = edExpandedSize

// NewSessionKey generates a session key from crypto/rand in Go memory.
func NewSessionKey() (*SessionKey, error) {
	return NewSessionKeyIn(make([]byte, edExpandedSize))
}

// NewSessionKeyIn generates a session key inside mem, which must be exactly
// SessionKeyMemSize bytes (e.g. mlocked memory owned by the
// caller, on or off the Go heap). The secret lives only in mem: the random
// seed is drawn into mem itself and replaced by the expanded key. Wipe
// zeroes mem; the caller must not reuse or release mem before Wipe.
func NewSessionKeyIn(mem []byte) (*SessionKey, error) {
	if len(mem) != edExpandedSize {
		return nil, fmt.Errorf("lit: session key: memory is %d bytes, want %d: %w", len(mem), edExpandedSize, ErrInvalidParams)
	}
	if _, err := rand.Read(mem[:edSeedSize]); err != nil {
		clear(mem)
		return nil, fmt.Errorf("lit: session key: random seed: %w", err)
	}
	return newSessionKeyFromSeed(mem, mem[:edSeedSize])
}

// newSessionKeyFromSeed derives the key of seed into mem (64 bytes). seed
// may alias mem.
func newSessionKeyFromSeed(mem, seed []byte) (*SessionKey, error) {
	if len(mem) != edExpandedSize || len(seed) != edSeedSize {
		return nil, fmt.Errorf("lit: session key: memory %d / seed %d bytes, want %d / %d: %w",
			len(mem), len(seed), edExpandedSize, edSeedSize, ErrInvalidParams)
	}
	pub := make([]byte, edPublicKeySize)
	if err := edExpand(mem, pub, seed); err != nil {
		clear(mem)
		return nil, fmt.Errorf("lit: session key: %w", err)
	}
	return &SessionKey{priv: mem, pub: pub}, nil
}

// PublicKey returns a copy of the 32-byte public key.
func (k *SessionKey) PublicKey() ed25519.PublicKey {
	return append(ed25519.PublicKey(nil), k.pub...)
}

// PublicKeyHex is the public key as lowercase hex without 0x, as the SDK
// writes it in the session URI and the session signatures.
func (k *SessionKey) PublicKeyHex() string { return hex.EncodeToString(k.pub) }

// Sign signs msg with the session key (RFC 8032 Ed25519, identical to
// crypto/ed25519.Sign); nil after Wipe or if the key memory was corrupted.
func (k *SessionKey) Sign(msg []byte) []byte {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.wiped {
		return nil
	}
	sig, err := edSign(k.priv, k.pub, msg)
	if err != nil {
		return nil
	}
	return sig
}

// Wipe zeroes the secret key and drops its memory: after Wipe the key
// never touches that memory again, so the caller may then unmap it. It is
// idempotent and waits for signatures in progress.
func (k *SessionKey) Wipe() {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.wiped {
		return
	}
	wipeBytes(k.priv)
	k.priv = nil
	k.wiped = true
}

// Wiped reports whether Wipe has been called.
func (k *SessionKey) Wiped() bool {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.wiped
}

// String never shows the secret.
func (k *SessionKey) String() string { return "lit.SessionKey{" + k.PublicKeyHex() + "}" }

// GoString never shows the secret.
func (k *SessionKey) GoString() string { return k.String() }
