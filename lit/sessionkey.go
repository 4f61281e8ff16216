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
type SessionKey struct {
	mu    sync.RWMutex
	priv  ed25519.PrivateKey // aliases the caller's memory with NewSessionKeyIn
	pub   ed25519.PublicKey  // separate copy, safe to keep after Wipe
	wiped bool
}

// NewSessionKey generates a session key from crypto/rand in Go memory.
func NewSessionKey() (*SessionKey, error) {
	return NewSessionKeyIn(make([]byte, ed25519.PrivateKeySize))
}

// NewSessionKeyIn generates a session key inside mem, which must be exactly
// ed25519.PrivateKeySize bytes (e.g. mlocked memory owned by the caller).
// The key lives only in mem; Wipe zeroes it. The caller must not reuse mem
// while the key is in use.
func NewSessionKeyIn(mem []byte) (*SessionKey, error) {
	if len(mem) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("lit: session key: memory is %d bytes, want %d: %w", len(mem), ed25519.PrivateKeySize, ErrInvalidParams)
	}
	seed := mem[:ed25519.SeedSize]
	if _, err := rand.Read(seed); err != nil {
		return nil, fmt.Errorf("lit: session key: random seed: %w", err)
	}
	// NewKeyFromSeed allocates; copy into mem and zero the temporary.
	tmp := ed25519.NewKeyFromSeed(seed)
	copy(mem, tmp)
	clear(tmp)
	pub := make([]byte, ed25519.PublicKeySize)
	copy(pub, mem[ed25519.SeedSize:])
	return &SessionKey{priv: ed25519.PrivateKey(mem), pub: pub}, nil
}

// PublicKey returns a copy of the 32-byte public key.
func (k *SessionKey) PublicKey() ed25519.PublicKey {
	return append(ed25519.PublicKey(nil), k.pub...)
}

// PublicKeyHex is the public key as lowercase hex without 0x, as the SDK
// writes it in the session URI and the session signatures.
func (k *SessionKey) PublicKeyHex() string { return hex.EncodeToString(k.pub) }

// Sign signs msg with the session key; nil after Wipe.
func (k *SessionKey) Sign(msg []byte) []byte {
	k.mu.RLock()
	defer k.mu.RUnlock()
	if k.wiped {
		return nil
	}
	return ed25519.Sign(k.priv, msg)
}

// Wipe zeroes the secret key. It is idempotent.
func (k *SessionKey) Wipe() {
	k.mu.Lock()
	defer k.mu.Unlock()
	clear(k.priv)
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
