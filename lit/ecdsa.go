package lit

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"

	"github.com/ethereum/go-ethereum/crypto"
)

// Share is one node's ECDSA signature share, as a v2 node sends it in
// signedData[sigName]. Hex fields are without 0x (a 0x prefix is accepted).
type Share struct {
	SigType        string `json:"sigType"`
	SignatureShare string `json:"signatureShare"`
	ShareIndex     int    `json:"shareIndex"`
	LocalX         string `json:"localX"`
	LocalY         string `json:"localY"`
	PublicKey      string `json:"publicKey"`
	DataSigned     string `json:"dataSigned"`
	SigName        string `json:"sigName"`
}

var (
	secpN     = crypto.S256().Params().N
	secpHalfN = new(big.Int).Rsh(secpN, 1)
)

// decodeHex decodes hex with an optional 0x prefix.
func decodeHex(s string) ([]byte, error) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if len(s)%2 == 1 {
		s = "0" + s
	}
	return hex.DecodeString(s)
}

// scalar parses a hex integer of at most 32 bytes.
func scalar(name, s string) (*big.Int, error) {
	b, err := decodeHex(s)
	if err != nil || len(b) == 0 || len(b) > 32 {
		return nil, fmt.Errorf("%s is not a hex number of at most 32 bytes", name)
	}
	return new(big.Int).SetBytes(b), nil
}

// parsePublicKey accepts an uncompressed (04..., 65 bytes) or compressed
// (33 bytes) secp256k1 key and returns its uncompressed form.
func parsePublicKey(s string) ([]byte, error) {
	b, err := decodeHex(s)
	if err != nil {
		return nil, fmt.Errorf("public key is not hex")
	}
	switch len(b) {
	case 65, 33:
		k, err := uncompressedKey(b)
		if err != nil {
			return nil, fmt.Errorf("public key: %v", err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("public key has %d bytes", len(b))
}

// messageHash is the value a v2 node signs: dataSigned (toSign) read as a
// big-endian integer, left-padded to 32 bytes. It is not hashed again.
func messageHash(dataSigned string) ([]byte, error) {
	b, err := decodeHex(dataSigned)
	if err != nil || len(b) == 0 || len(b) > 32 {
		return nil, fmt.Errorf("dataSigned is not 1..32 bytes of hex")
	}
	out := make([]byte, 32)
	copy(out[32-len(b):], b)
	return out, nil
}

func pad32Hex(x *big.Int) string {
	b := make([]byte, 32)
	x.FillBytes(b)
	return hex.EncodeToString(b)
}

// CombineECDSAShares combines v2 ECDSA shares for one sigName into a
// signature and verifies it: R = (localX, localY), r = R.x mod n, s = sum
// of the non-empty signatureShares mod n, normalized to low-s (flipping
// the recovery id), recid = parity(R.y) (+2 if R.x >= n). The signature must
// recover, over dataSigned left-padded to 32 bytes, to the shares' public
// key. Errors are *ShareError (errors.Is ErrBadShares).
func CombineECDSAShares(shares []Share) (Signature, error) {
	name := ""
	for _, sh := range shares {
		if name == "" {
			name = sh.SigName
		}
	}
	norm := make([]ecdsaShare, 0, len(shares))
	for _, sh := range shares {
		n, err := v2Share(sh)
		if err != nil {
			return Signature{}, &ShareError{SigName: name, Reason: err.Error()}
		}
		norm = append(norm, n)
	}
	return combineECDSA(name, norm)
}

// v2Share normalises a v2 share. A share without signatureShare is a node
// outside the signing set.
func v2Share(sh Share) (ecdsaShare, error) {
	out := ecdsaShare{SigName: sh.SigName, Empty: sh.SignatureShare == "",
		PublicKeyHex: strings.ToLower(strings.TrimPrefix(sh.PublicKey, "0x")), DataSignedHex: strings.ToLower(strings.TrimPrefix(sh.DataSigned, "0x"))}
	if out.Empty {
		return out, nil // not parsed: a non-signer's fields are not used
	}
	pub, err := parsePublicKey(sh.PublicKey)
	if err != nil {
		return out, err
	}
	out.PublicKey = pub
	hash, err := messageHash(sh.DataSigned)
	if err != nil {
		return out, err
	}
	copy(out.Digest[:], hash)
	if sh.SigType != "ECDSA" {
		return out, fmt.Errorf("share %d: unsupported sigType %q", sh.ShareIndex, sh.SigType)
	}
	if out.Rx, err = scalar("localX", sh.LocalX); err != nil {
		return out, fmt.Errorf("share %d: %v", sh.ShareIndex, err)
	}
	if out.Ry, err = scalar("localY", sh.LocalY); err != nil {
		return out, fmt.Errorf("share %d: %v", sh.ShareIndex, err)
	}
	if !onCurve(out.Rx, out.Ry) {
		return out, fmt.Errorf("share %d: R = (localX, localY) is not on secp256k1", sh.ShareIndex)
	}
	if out.S, err = scalar("signatureShare", sh.SignatureShare); err != nil {
		return out, fmt.Errorf("share %d: %v", sh.ShareIndex, err)
	}
	return out, nil
}

// combineECDSA combines normalised shares of one sigName: all non-empty
// shares must agree on R, key and digest; s = Σ s_i mod n, low-s, recovery
// id by R.y parity, and the result must recover to the key. Errors are
// *ShareError.
func combineECDSA(name string, shares []ecdsaShare) (Signature, error) {
	bad := func(format string, a ...any) (Signature, error) {
		return Signature{}, &ShareError{SigName: name, Reason: fmt.Sprintf(format, a...)}
	}
	var used []ecdsaShare
	for _, sh := range shares {
		if !sh.Empty {
			used = append(used, sh)
		}
	}
	if len(used) == 0 {
		return bad("no non-empty shares")
	}
	first := used[0]
	for i, sh := range used[1:] {
		if sh.Rx.Cmp(first.Rx) != 0 || sh.Ry.Cmp(first.Ry) != 0 || !bytes.Equal(sh.PublicKey, first.PublicKey) || sh.Digest != first.Digest {
			return bad("shares disagree on R, public key or data (share %d vs 0)", i+1)
		}
	}
	s := new(big.Int)
	for _, sh := range used {
		s.Add(s, sh.S)
	}
	s.Mod(s, secpN)
	r := new(big.Int).Mod(first.Rx, secpN)
	if r.Sign() == 0 || s.Sign() == 0 {
		return bad("r or s is zero")
	}
	recid := int(first.Ry.Bit(0))
	if first.Rx.Cmp(secpN) >= 0 {
		recid += 2
	}
	if s.Cmp(secpHalfN) > 0 {
		s.Sub(secpN, s)
		recid ^= 1
	}
	if recid > 1 {
		return bad("recovery id %d (R.x >= n) is not supported", recid)
	}
	rHex, sHex := pad32Hex(r), pad32Hex(s)
	sig65 := make([]byte, 65)
	r.FillBytes(sig65[:32])
	s.FillBytes(sig65[32:64])
	sig65[64] = byte(recid)
	got, err := crypto.Ecrecover(first.Digest[:], sig65)
	if err != nil {
		return bad("signature does not recover: %v", err)
	}
	if !bytes.Equal(got, first.PublicKey) {
		return bad("combined signature does not verify against the public key (%d shares)", len(used))
	}
	return Signature{
		R:          rHex,
		S:          sHex,
		RecID:      recid,
		Signature:  fmt.Sprintf("0x%s%s%02x", rHex, sHex, 27+recid),
		PublicKey:  first.PublicKeyHex,
		DataSigned: first.DataSignedHex,
	}, nil
}
