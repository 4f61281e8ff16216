package thp

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// protocolName is "Noise_XX_25519_AESGCM_SHA256" zero-padded to the hash
// length: Noise's InitializeSymmetric uses such a name as h directly.
var protocolName = func() []byte {
	b := make([]byte, sha256.Size)
	copy(b, "Noise_XX_25519_AESGCM_SHA256")
	return b
}()

// noiseHKDF is the Noise HKDF with two outputs: HKDF-SHA256 with the
// chaining key as salt and no info (specification.md "Common definitions").
func noiseHKDF(ck, ikm []byte) (k1, k2 []byte, err error) {
	out, err := hkdf.Key(sha256.New, ikm, ck, "", 2*sha256.Size)
	if err != nil {
		return nil, nil, err
	}
	return out[:sha256.Size], out[sha256.Size:], nil
}

// newAEAD is AES-256-GCM under key.
func newAEAD(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("cipher: %w", err)
	}
	return cipher.NewGCM(b)
}

// nonce is the Noise AESGCM nonce: four zero bytes and the big-endian
// 64-bit counter.
func nonce(n uint64) []byte {
	iv := make([]byte, 12)
	binary.BigEndian.PutUint64(iv[4:], n)
	return iv
}

// x25519 computes X25519(scalar, point); crypto/ecdh refuses an all-zero
// result, which rejects low-order points as CPace requires.
func x25519(scalar, point []byte) ([]byte, error) {
	k, err := ecdh.X25519().NewPrivateKey(scalar)
	if err != nil {
		return nil, err
	}
	p, err := ecdh.X25519().NewPublicKey(point)
	if err != nil {
		return nil, err
	}
	return k.ECDH(p)
}

// maskStatic returns the device's masked static key and the mask:
// mask = SHA-256(static_pub ‖ ephemeral_pub), masked = X25519(mask, static_pub)
// (specification.md; rust/trezor-thp/src/channel/noise.rs mask_key).
func maskStatic(staticPub, ephemeralPub []byte) (masked, mask []byte, err error) {
	h := sha256.New()
	h.Write(staticPub)
	h.Write(ephemeralPub)
	mask = h.Sum(nil)
	masked, err = x25519(mask, staticPub)
	return masked, mask, err
}

// symmetricState is Noise's SymmetricState with its CipherState inlined.
type symmetricState struct {
	h, ck []byte
	aead  cipher.AEAD // nil until the first MixKey
	n     uint64
}

func newSymmetricState(prologue []byte) *symmetricState {
	s := &symmetricState{h: protocolName, ck: protocolName}
	s.mixHash(prologue)
	return s
}

func (s *symmetricState) mixHash(data []byte) {
	h := sha256.New()
	h.Write(s.h)
	h.Write(data)
	s.h = h.Sum(nil)
}

func (s *symmetricState) mixKey(ikm []byte) error {
	ck, k, err := noiseHKDF(s.ck, ikm)
	if err != nil {
		return err
	}
	a, err := newAEAD(k)
	if err != nil {
		return err
	}
	s.ck, s.aead, s.n = ck, a, 0
	return nil
}

func (s *symmetricState) encryptAndHash(pt []byte) []byte {
	out := pt
	if s.aead != nil {
		out = s.aead.Seal(nil, nonce(s.n), pt, s.h)
		s.n++
	}
	s.mixHash(out)
	return out
}

func (s *symmetricState) decryptAndHash(ct []byte) ([]byte, error) {
	pt := ct
	if s.aead != nil {
		var err error
		if pt, err = s.aead.Open(nil, nonce(s.n), ct, s.h); err != nil {
			return nil, ErrHandshake
		}
		s.n++
	}
	s.mixHash(ct)
	return pt, nil
}

// split derives the transport keys (k_request, k_response).
func (s *symmetricState) split() (req, resp cipher.AEAD, err error) {
	k1, k2, err := noiseHKDF(s.ck, nil)
	if err != nil {
		return nil, nil, err
	}
	if req, err = newAEAD(k1); err != nil {
		return nil, nil, err
	}
	if resp, err = newAEAD(k2); err != nil {
		return nil, nil, err
	}
	return req, resp, nil
}

// transportCipher encrypts the application messages of an established
// channel: host→device with k_request from nonce 0, device→host with
// k_response from nonce 1 (0 was the handshake completion response).
type transportCipher struct {
	send, recv   cipher.AEAD
	sendN, recvN uint64
}

// seal encrypts session ‖ type ‖ protobuf (sessions.md) with AD "".
func (c *transportCipher) seal(m Message) []byte {
	pt := make([]byte, 0, 3+len(m.Data))
	pt = append(pt, m.Session)
	pt = binary.BigEndian.AppendUint16(pt, m.Type)
	pt = append(pt, m.Data...)
	ct := c.send.Seal(nil, nonce(c.sendN), pt, nil)
	c.sendN++
	return ct
}

// open decrypts one application message.
func (c *transportCipher) open(ct []byte) (Message, error) {
	pt, err := c.recv.Open(nil, nonce(c.recvN), ct, nil)
	if err != nil {
		return Message{}, ErrDecrypt
	}
	c.recvN++
	if len(pt) < 3 {
		return Message{}, fmt.Errorf("%w: %d-byte message", ErrUnexpected, len(pt))
	}
	return Message{Session: pt[0], Type: binary.BigEndian.Uint16(pt[1:3]), Data: pt[3:]}, nil
}
