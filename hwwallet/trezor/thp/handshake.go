package thp

import (
	"bytes"
	"crypto/ecdh"
	"fmt"
)

// Handshake message sizes (specification.md "Handshake phase").
const (
	keySize          = 32
	tagSize          = 16
	initRequestSize  = keySize + 1                   // host e ‖ try_to_unlock
	initResponseSize = keySize + keySize + 2*tagSize // trezor e ‖ enc(masked s) ‖ tag
	minCompletionReq = keySize + tagSize + tagSize   // enc(host s) ‖ enc(payload)
	completionRespSz = 1 + tagSize                   // enc(trezor_state)
	maxNoisePayload  = 256                           // credential (≤128) and its envelope
)

// The trezor_state values of HandshakeCompletionResponse.
const (
	stateUnpaired          byte = 0
	statePaired            byte = 1
	statePairedAutoconnect byte = 2
)

// hostHandshake is the initiator's side of Noise XX.
type hostHandshake struct {
	s            *symmetricState
	e            *ecdh.PrivateKey
	trezorE      []byte
	maskedStatic []byte
}

// newHostHandshake builds HandshakeInitiationRequest: "-> e" with the
// try_to_unlock byte as (unencrypted) payload.
func newHostHandshake(props []byte, e *ecdh.PrivateKey, tryToUnlock bool) (*hostHandshake, []byte) {
	hs := &hostHandshake{s: newSymmetricState(props), e: e}
	pub := e.PublicKey().Bytes()
	hs.s.mixHash(pub)
	flag := []byte{0}
	if tryToUnlock {
		flag[0] = 1
	}
	hs.s.encryptAndHash(flag)
	return hs, append(pub, flag...)
}

// readInitResponse consumes HandshakeInitiationResponse: "<- e, ee, s, es"
// with an empty payload.
func (hs *hostHandshake) readInitResponse(p []byte) error {
	if len(p) != initResponseSize {
		return fmt.Errorf("%w: initiation response of %d bytes, want %d", ErrHandshake, len(p), initResponseSize)
	}
	hs.trezorE = bytes.Clone(p[:keySize])
	hs.s.mixHash(hs.trezorE)
	ee, err := x25519(hs.e.Bytes(), hs.trezorE)
	if err != nil {
		return fmt.Errorf("%w: ee: %v", ErrHandshake, err)
	}
	if err := hs.s.mixKey(ee); err != nil {
		return err
	}
	if hs.maskedStatic, err = hs.s.decryptAndHash(p[keySize : 2*keySize+tagSize]); err != nil {
		return fmt.Errorf("%w: device static key does not decrypt", ErrHandshake)
	}
	es, err := x25519(hs.e.Bytes(), hs.maskedStatic)
	if err != nil {
		return fmt.Errorf("%w: es: %v", ErrHandshake, err)
	}
	if err := hs.s.mixKey(es); err != nil {
		return err
	}
	if pl, err := hs.s.decryptAndHash(p[2*keySize+tagSize:]); err != nil || len(pl) != 0 {
		return fmt.Errorf("%w: initiation response tag", ErrHandshake)
	}
	return nil
}

// isDevice reports whether trezorStatic is the static key hidden behind
// this handshake's masked key: how a host finds its stored credential.
func (hs *hostHandshake) isDevice(trezorStatic []byte) bool {
	if len(trezorStatic) != keySize {
		return false
	}
	m, _, err := maskStatic(trezorStatic, hs.trezorE)
	return err == nil && bytes.Equal(m, hs.maskedStatic)
}

// completion builds HandshakeCompletionRequest: "-> s, se" with the
// noise payload (ThpHandshakeCompletionReqNoisePayload), and returns the
// transport cipher and the handshake hash.
func (hs *hostHandshake) completion(static *ecdh.PrivateKey, noisePayload []byte) ([]byte, *transportCipher, []byte, error) {
	encS := hs.s.encryptAndHash(static.PublicKey().Bytes())
	se, err := x25519(static.Bytes(), hs.trezorE)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("%w: se: %v", ErrHandshake, err)
	}
	if err := hs.s.mixKey(se); err != nil {
		return nil, nil, nil, err
	}
	encP := hs.s.encryptAndHash(noisePayload)
	req, resp, err := hs.s.split()
	if err != nil {
		return nil, nil, nil, err
	}
	c := &transportCipher{send: req, recv: resp, recvN: 0}
	return append(encS, encP...), c, hs.s.h, nil
}

// readCompletionResponse decrypts trezor_state, the first message under
// k_response (nonce 0).
func readCompletionResponse(c *transportCipher, p []byte) (byte, error) {
	pt, err := c.recv.Open(nil, nonce(c.recvN), p, nil)
	if err != nil || len(pt) != 1 {
		return 0, fmt.Errorf("%w: completion response", ErrHandshake)
	}
	c.recvN++
	return pt[0], nil
}

// deviceHandshake is the responder's side, hiding its static key behind a
// per-handshake mask.
type deviceHandshake struct {
	s           *symmetricState
	hostE       []byte
	tryToUnlock bool
	e           *ecdh.PrivateKey
}

// readInitRequest consumes HandshakeInitiationRequest. Only bit 0x01 of
// try_to_unlock is read, but the whole byte is hashed.
func readInitRequest(props, p []byte) (*deviceHandshake, error) {
	if len(p) != initRequestSize {
		return nil, fmt.Errorf("%w: initiation request of %d bytes, want %d", ErrHandshake, len(p), initRequestSize)
	}
	hs := &deviceHandshake{s: newSymmetricState(props), hostE: bytes.Clone(p[:keySize]), tryToUnlock: p[keySize]&1 == 1}
	hs.s.mixHash(hs.hostE)
	hs.s.encryptAndHash(p[keySize:])
	return hs, nil
}

// initResponse builds HandshakeInitiationResponse with the masked static
// key: es = X25519(mask, X25519(static, host_e)), which equals the host's
// X25519(host_e, masked).
func (hs *deviceHandshake) initResponse(static, e *ecdh.PrivateKey) ([]byte, error) {
	hs.e = e
	ePub := e.PublicKey().Bytes()
	hs.s.mixHash(ePub)
	ee, err := x25519(e.Bytes(), hs.hostE)
	if err != nil {
		return nil, fmt.Errorf("%w: ee: %v", ErrHandshake, err)
	}
	if err := hs.s.mixKey(ee); err != nil {
		return nil, err
	}
	masked, mask, err := maskStatic(static.PublicKey().Bytes(), ePub)
	if err != nil {
		return nil, fmt.Errorf("%w: mask: %v", ErrHandshake, err)
	}
	encS := hs.s.encryptAndHash(masked)
	t, err := x25519(static.Bytes(), hs.hostE)
	if err != nil {
		return nil, fmt.Errorf("%w: es: %v", ErrHandshake, err)
	}
	es, err := x25519(mask, t)
	if err != nil {
		return nil, fmt.Errorf("%w: es: %v", ErrHandshake, err)
	}
	if err := hs.s.mixKey(es); err != nil {
		return nil, err
	}
	tag := hs.s.encryptAndHash(nil)
	out := make([]byte, 0, initResponseSize)
	return append(append(append(out, ePub...), encS...), tag...), nil
}

// readCompletion consumes HandshakeCompletionRequest and returns the
// host's static key, the noise payload, the transport cipher and the
// handshake hash.
func (hs *deviceHandshake) readCompletion(p []byte) (hostStatic, payload []byte, c *transportCipher, hh []byte, err error) {
	if len(p) < minCompletionReq || len(p) > minCompletionReq+maxNoisePayload {
		return nil, nil, nil, nil, fmt.Errorf("%w: completion request of %d bytes", ErrHandshake, len(p))
	}
	if hostStatic, err = hs.s.decryptAndHash(p[:keySize+tagSize]); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("%w: host static key does not decrypt", ErrHandshake)
	}
	se, err := x25519(hs.e.Bytes(), hostStatic)
	if err != nil {
		return nil, nil, nil, nil, fmt.Errorf("%w: se: %v", ErrHandshake, err)
	}
	if err := hs.s.mixKey(se); err != nil {
		return nil, nil, nil, nil, err
	}
	if payload, err = hs.s.decryptAndHash(p[keySize+tagSize:]); err != nil {
		return nil, nil, nil, nil, fmt.Errorf("%w: noise payload does not decrypt", ErrHandshake)
	}
	req, resp, err := hs.s.split()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return hostStatic, payload, &transportCipher{send: resp, recv: req}, hs.s.h, nil
}

// completionResponse encrypts trezor_state under k_response, nonce 0; the
// device's later messages continue from nonce 1.
func completionResponse(c *transportCipher, state byte) []byte {
	ct := c.send.Seal(nil, nonce(c.sendN), []byte{state}, nil)
	c.sendN++
	return ct
}
