package nagawire

import (
	"crypto/sha512"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/litsigner/litsigner/lit/internal/textclip"
	"golang.org/x/crypto/nacl/box"
)

// EnvelopeVersion is the only envelope version the nodes speak.
const EnvelopeVersion = "1"

// Errors a caller branches on.
var (
	// ErrEnvelope marks an envelope that is not well formed.
	ErrEnvelope = errors.New("malformed encrypted envelope")
	// ErrDecrypt marks an envelope that does not open with our key.
	ErrDecrypt = errors.New("envelope does not decrypt")
	// ErrLowOrderKey marks an x25519 public key of low order, with which
	// every shared key is the same (all-zero x25519 output).
	ErrLowOrderKey = errors.New("x25519 public key of low order")
)

// sodaliteZeros is the 16-byte zero prefix of the SDK's ciphertext layout
// (TweetNaCl's crypto_box "boxzerobytes"): the SDK prepends it when it
// seals and expects it when it opens anything of 83 bytes or more.
const sodaliteZeros = 16

// minPrefixed is the shortest blob the SDK strips the zero prefix from.
const minPrefixed = 83

// KeyPair is an x25519 key pair: a node's identity key, or a client's
// per-request key.
type KeyPair struct {
	Public [32]byte
	Secret [32]byte
}

// GenerateKeyPair makes a fresh x25519 key pair from the first 32 bytes
// of r, as box.GenerateKey does.
func GenerateKeyPair(r io.Reader) (KeyPair, error) {
	id, err := GenerateIdentity(r)
	if err != nil {
		return KeyPair{}, err
	}
	return id.kp, nil
}

// KeyPairFromSecret derives the public half of secret.
func KeyPairFromSecret(secret [32]byte) KeyPair { return identityOf(secret).kp }

// Payload is the encrypted part of an envelope, field for field as the
// SDK's walletEncrypt writes it.
type Payload struct {
	// VerificationKey is the sender's x25519 public key, 64 hex digits.
	VerificationKey string `json:"verification_key"`
	// Random is 16 random bytes, hex, mixed into the nonce.
	Random string `json:"random"`
	// CreatedAt is an RFC 3339 time; its whole seconds enter the nonce.
	CreatedAt string `json:"created_at"`
	// CiphertextAndTag is hex of 16 zero bytes, the Poly1305 tag and the
	// XSalsa20 ciphertext.
	CiphertextAndTag string `json:"ciphertext_and_tag"`
}

// Envelope is the body of every encrypted request and reply. Requests
// carry the client's current epoch beside it.
type Envelope struct {
	Version string  `json:"version"`
	Payload Payload `json:"payload"`
	Epoch   *uint64 `json:"epoch,omitempty"`
}

// Seal encrypts plaintext from sender to recipient as the SDK does: NaCl
// box (x25519, XSalsa20-Poly1305) with the nonce taken from SHA-512 of the
// associated data 0x01 || random || u64be(unix seconds of createdAt) ||
// recipient || sender.
func Seal(sender KeyPair, recipient [32]byte, plaintext []byte, random [16]byte, createdAt time.Time) Payload {
	createdAt = createdAt.UTC().Truncate(time.Millisecond)
	nonce := deriveNonce(random, createdAt.Unix(), recipient, sender.Public)
	out := make([]byte, sodaliteZeros, sodaliteZeros+box.Overhead+len(plaintext))
	out = box.Seal(out, plaintext, &nonce, &recipient, &sender.Secret)
	return Payload{
		VerificationKey:  hex.EncodeToString(sender.Public[:]),
		Random:           hex.EncodeToString(random[:]),
		CreatedAt:        createdAt.Format(jsTimeLayout),
		CiphertextAndTag: hex.EncodeToString(out),
	}
}

// Open decrypts p with recipient's key and returns the plaintext and the
// sender's public key (the caller checks it is the party it expects).
func Open(recipient KeyPair, p Payload) ([]byte, [32]byte, error) {
	pp, err := parsePayload(p)
	if err != nil {
		return nil, pp.sender, err
	}
	nonce := deriveNonce(pp.random, pp.created.Unix(), recipient.Public, pp.sender)
	plain, ok := box.Open(nil, pp.blob, &nonce, &pp.sender, &recipient.Secret)
	if !ok {
		return nil, pp.sender, fmt.Errorf("nagawire: open envelope from %x…: %w", pp.sender[:4], ErrDecrypt)
	}
	return plain, pp.sender, nil
}

// parsedPayload is a Payload's fields decoded.
type parsedPayload struct {
	sender  [32]byte
	random  [16]byte
	created time.Time
	blob    []byte // tag and ciphertext, without the zero prefix
}

func parsePayload(p Payload) (parsedPayload, error) {
	var pp parsedPayload
	pub, err := hex.DecodeString(p.VerificationKey)
	if err != nil || len(pub) != 32 {
		return pp, fmt.Errorf("nagawire: verification_key is not 32 bytes of hex: %w", ErrEnvelope)
	}
	copy(pp.sender[:], pub)
	rnd, err := hex.DecodeString(p.Random)
	if err != nil || len(rnd) != 16 {
		return pp, fmt.Errorf("nagawire: random is not 16 bytes of hex: %w", ErrEnvelope)
	}
	copy(pp.random[:], rnd)
	pp.created, err = time.Parse(time.RFC3339Nano, p.CreatedAt)
	if err != nil {
		return pp, fmt.Errorf("nagawire: created_at %q is not an RFC 3339 time: %w", clip(p.CreatedAt), ErrEnvelope)
	}
	blob, err := hex.DecodeString(p.CiphertextAndTag)
	if err != nil {
		return pp, fmt.Errorf("nagawire: ciphertext_and_tag is not hex: %w", ErrEnvelope)
	}
	if len(blob) >= minPrefixed {
		// The SDK strips the prefix without looking at it; so do we, but
		// a sealer that left it out is told why nothing opens.
		for _, b := range blob[:sodaliteZeros] {
			if b != 0 {
				return pp, fmt.Errorf("nagawire: ciphertext_and_tag lacks the 16 zero bytes: %w", ErrEnvelope)
			}
		}
		blob = blob[sodaliteZeros:]
	}
	if len(blob) < box.Overhead {
		return pp, fmt.Errorf("nagawire: ciphertext_and_tag of %d bytes is too short: %w", len(blob), ErrEnvelope)
	}
	pp.blob = blob
	return pp, nil
}

// SharedKey is the NaCl box key between one key pair and one peer
// (x25519 then HSalsa20, box.Precompute), the same in both directions: a
// client seals its request to a node and opens the node's reply with one
// x25519 product instead of two. It is as secret as the key pair.
type SharedKey struct {
	self, peer [32]byte // public keys
	key        [32]byte
}

// NewSharedKey computes the box key between self and peer.
func NewSharedKey(self KeyPair, peer [32]byte) *SharedKey {
	k := &SharedKey{self: self.Public, peer: peer}
	box.Precompute(&k.key, &peer, &self.Secret)
	return k
}

// Seal is Seal from self to peer.
func (k *SharedKey) Seal(plaintext []byte, random [16]byte, createdAt time.Time) Payload {
	blob, createdAt := k.seal(plaintext, random, createdAt)
	return Payload{
		VerificationKey:  hex.EncodeToString(k.self[:]),
		Random:           hex.EncodeToString(random[:]),
		CreatedAt:        createdAt.Format(jsTimeLayout),
		CiphertextAndTag: hex.EncodeToString(blob),
	}
}

// SealEnvelope is json.Marshal of the Envelope (version EnvelopeVersion,
// epoch when not nil) of Seal(plaintext, random, createdAt), written
// directly: the ciphertext's hex, most of an envelope, is encoded into the
// body itself rather than into a string that json.Marshal then checks for
// characters to escape (hex, times and the version have none) and copies.
func (k *SharedKey) SealEnvelope(plaintext []byte, random [16]byte, createdAt time.Time, epoch *uint64) []byte {
	blob, createdAt := k.seal(plaintext, random, createdAt)
	b := make([]byte, 0, 2*len(blob)+256)
	b = append(b, `{"version":"`+EnvelopeVersion+`","payload":{"verification_key":"`...)
	b = hex.AppendEncode(b, k.self[:])
	b = append(b, `","random":"`...)
	b = hex.AppendEncode(b, random[:])
	b = append(b, `","created_at":"`...)
	b = createdAt.AppendFormat(b, jsTimeLayout)
	b = append(b, `","ciphertext_and_tag":"`...)
	b = hex.AppendEncode(b, blob)
	b = append(b, `"}`...)
	if epoch != nil {
		b = strconv.AppendUint(append(b, `,"epoch":`...), *epoch, 10)
	}
	return append(b, '}')
}

// seal encrypts plaintext to peer: the zero prefix, the tag and the
// ciphertext, and createdAt as the nonce used it (UTC, milliseconds).
func (k *SharedKey) seal(plaintext []byte, random [16]byte, createdAt time.Time) ([]byte, time.Time) {
	createdAt = createdAt.UTC().Truncate(time.Millisecond)
	nonce := deriveNonce(random, createdAt.Unix(), k.peer, k.self)
	out := make([]byte, sodaliteZeros, sodaliteZeros+box.Overhead+len(plaintext))
	return box.SealAfterPrecomputation(out, plaintext, &nonce, &k.key), createdAt
}

// Open is Open of a payload peer sealed to self; a payload from another
// sender does not open (ErrDecrypt).
func (k *SharedKey) Open(p Payload) ([]byte, error) {
	pp, err := parsePayload(p)
	if err != nil {
		return nil, err
	}
	if pp.sender != k.peer {
		return nil, fmt.Errorf("nagawire: envelope from %x…, not from %x…: %w", pp.sender[:4], k.peer[:4], ErrDecrypt)
	}
	nonce := deriveNonce(pp.random, pp.created.Unix(), k.self, pp.sender)
	plain, ok := box.OpenAfterPrecomputation(nil, pp.blob, &nonce, &k.key)
	if !ok {
		return nil, fmt.Errorf("nagawire: open envelope from %x…: %w", pp.sender[:4], ErrDecrypt)
	}
	return plain, nil
}

// deriveNonce is the first 24 bytes of SHA-512 over the associated data.
func deriveNonce(random [16]byte, unixSeconds int64, recipient, sender [32]byte) [24]byte {
	var aad [1 + 16 + 8 + 32 + 32]byte
	aad[0] = 1
	copy(aad[1:], random[:])
	binary.BigEndian.PutUint64(aad[17:], uint64(unixSeconds))
	copy(aad[25:], recipient[:])
	copy(aad[57:], sender[:])
	sum := sha512.Sum512(aad[:])
	var nonce [24]byte
	copy(nonce[:], sum[:24])
	return nonce
}

// jsTimeLayout is JavaScript's Date.prototype.toISOString.
const jsTimeLayout = "2006-01-02T15:04:05.000Z"

// FormatTime writes t as JavaScript's toISOString does (UTC, milliseconds).
func FormatTime(t time.Time) string { return t.UTC().Format(jsTimeLayout) }

// clip bounds untrusted text quoted in an error, on a rune boundary.
func clip(s string) string { return textclip.Clip(s, 64) }
