package thp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
)

// pair runs the pairing phase on session 0 (apps/thp/pairing.py).
func (h *Host) pair(ctx context.Context) error {
	if h.cfg.HostName == "" || h.cfg.AppName == "" {
		return fmt.Errorf("%w: host and app names are required to pair", ErrPairing)
	}
	req := appendString(appendString(nil, 1, h.cfg.HostName), 2, h.cfg.AppName)
	if err := h.expect(ctx, Message{Type: TypeThpPairingRequest, Data: req}, TypeThpPairingRequestApproved, nil); err != nil {
		return fmt.Errorf("pairing request: %w", err)
	}
	method, ok := h.chooseMethod()
	if !ok {
		return fmt.Errorf("%w: the device offers %v, the host accepts %v", ErrPairing, h.props.PairingMethods, h.cfg.PairingMethods)
	}
	sel := Message{Type: TypeThpSelectMethod, Data: appendVarint(nil, 1, uint64(method))}
	switch method {
	case SkipPairing:
		return h.expect(ctx, sel, TypeThpEndResponse, nil)
	case CodeEntry:
		if err := h.codeEntry(ctx, sel); err != nil {
			return err
		}
	default:
		return fmt.Errorf("%w: method %v is not implemented", ErrPairing, method)
	}
	var resp []byte
	creq := appendBool(appendBytes(nil, 1, h.cfg.StaticKey.PublicKey().Bytes()), 2, false)
	if err := h.expect(ctx, Message{Type: TypeThpCredentialRequest, Data: creq}, TypeThpCredentialResponse, &resp); err != nil {
		return fmt.Errorf("credential: %w", err)
	}
	f, err := bytesFields(resp, 1, 2)
	if err != nil {
		return fmt.Errorf("credential: %w", err)
	}
	if len(f[0]) != keySize || len(f[1]) == 0 || len(f[1]) > maxCredential {
		return fmt.Errorf("credential: %w: malformed ThpCredentialResponse", ErrUnexpected)
	}
	if !h.hs.isDevice(f[0]) {
		// The key must be the one this handshake authenticated (masked).
		return fmt.Errorf("credential: %w: issued for a static key that is not the device's", ErrPairing)
	}
	h.credential = &Credential{TrezorStaticPublicKey: bytes.Clone(f[0]), Credential: bytes.Clone(f[1])}
	return h.expect(ctx, Message{Type: TypeThpEndRequest}, TypeThpEndResponse, nil)
}

func (h *Host) chooseMethod() (PairingMethod, bool) {
	for _, want := range h.cfg.PairingMethods {
		for _, m := range h.props.PairingMethods {
			if m == want {
				return m, true
			}
		}
	}
	return 0, false
}

// codeEntry runs CodeEntry: commitment, challenge, CPace with the code the
// user types, then checks the revealed secret against the commitment and
// the code (a device that chose its secret after the challenge fails).
func (h *Host) codeEntry(ctx context.Context, sel Message) error {
	if h.cfg.PairingCode == nil {
		return fmt.Errorf("%w: the device shows a code and there is no way to ask for it", ErrPairing)
	}
	var resp []byte
	if err := h.expect(ctx, sel, TypeThpCodeEntryCommitment, &resp); err != nil {
		return fmt.Errorf("select method: %w", err)
	}
	commitment, err := bytesFields(resp, 1)
	if err != nil || len(commitment[0]) != sha256.Size {
		return fmt.Errorf("%w: malformed ThpCodeEntryCommitment", ErrUnexpected)
	}
	challenge := make([]byte, 32)
	if _, err := io.ReadFull(h.cfg.Rand, challenge); err != nil {
		return fmt.Errorf("challenge: %w", err)
	}
	if err := h.expect(ctx, Message{Type: TypeThpCodeEntryChallenge, Data: appendBytes(nil, 1, challenge)}, TypeThpCodeEntryCpaceTrezor, &resp); err != nil {
		return fmt.Errorf("challenge: %w", err)
	}
	trezorPub, err := bytesFields(resp, 1)
	if err != nil || len(trezorPub[0]) != keySize {
		return fmt.Errorf("%w: malformed ThpCodeEntryCpaceTrezor", ErrUnexpected)
	}
	code, err := h.cfg.PairingCode(ctx)
	if err != nil {
		return fmt.Errorf("pairing code: %w", err)
	}
	if !validCode(code) {
		return fmt.Errorf("%w: %q is not %d digits", ErrWrongCode, code, codeDigits)
	}
	priv, err := h.newKey()
	if err != nil {
		return err
	}
	pub, err := x25519(priv.Bytes(), cpaceGenerator(code, h.hh))
	if err != nil {
		return fmt.Errorf("%w: cpace: %v", ErrPairing, err)
	}
	shared, err := x25519(priv.Bytes(), trezorPub[0])
	if err != nil {
		return fmt.Errorf("%w: cpace: the device's key is of low order", ErrPairing)
	}
	tag := appendBytes(appendBytes(nil, 1, pub), 2, cpaceTag(shared))
	var failure *Failure
	err = h.expect(ctx, Message{Type: TypeThpCodeEntryCpaceHostTag, Data: tag}, TypeThpCodeEntrySecret, &resp)
	if errors.As(err, &failure) && failure.Code == failureDataError {
		return fmt.Errorf("%w (%v)", ErrWrongCode, failure)
	}
	if err != nil {
		return fmt.Errorf("code entry: %w", err)
	}
	secret, err := bytesFields(resp, 1)
	if err != nil || secret[0] == nil {
		return fmt.Errorf("%w: malformed ThpCodeEntrySecret", ErrUnexpected)
	}
	return checkRevealedSecret(h.hh, commitment[0], challenge, secret[0], code)
}

// checkRevealedSecret is the host's end of commit-then-reveal: the secret
// must hash to the commitment sent before the challenge, and give the
// code the user typed. A device (or a man in the middle) that picked its
// secret after seeing the challenge fails here.
func checkRevealedSecret(hh, commitment, challenge, secret []byte, code string) error {
	sum := sha256.Sum256(secret)
	if !bytes.Equal(sum[:], commitment) {
		return fmt.Errorf("%w: the device's secret does not match its commitment", ErrPairing)
	}
	if pairingCode(hh, secret, challenge) != code {
		return fmt.Errorf("%w: the device's secret does not give the code shown", ErrPairing)
	}
	return nil
}
