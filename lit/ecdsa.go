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
	case 65:
		if _, err := crypto.UnmarshalPubkey(b); err != nil {
			return nil, fmt.Errorf("public key: %v", err)
		}
		return b, nil
	case 33:
		k, err := crypto.DecompressPubkey(b)
		if err != nil {
			return nil, fmt.Errorf("public key: %v", err)
		}
		return crypto.FromECDSAPub(k), nil
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
	var used []Share
	for _, sh := range shares {
		if name == "" {
			name = sh.SigName
		}
		if sh.SignatureShare != "" {
			used = append(used, sh)
		}
	}
	bad := func(format string, a ...any) (Signature, error) {
		return Signature{}, &ShareError{SigName: name, Reason: fmt.Sprintf(format, a...)}
	}
	if len(used) == 0 {
		return bad("no non-empty shares")
	}
	first := used[0]
	for _, sh := range used[1:] {
		if !strings.EqualFold(sh.LocalX, first.LocalX) || !strings.EqualFold(sh.LocalY, first.LocalY) ||
			!strings.EqualFold(sh.PublicKey, first.PublicKey) || !strings.EqualFold(sh.DataSigned, first.DataSigned) {
			return bad("shares disagree on R, public key or data (share %d vs %d)", sh.ShareIndex, first.ShareIndex)
		}
	}
	for _, sh := range used {
		if sh.SigType != "ECDSA" {
			return bad("unsupported sigType %q", sh.SigType)
		}
	}
	rx, err := scalar("localX", first.LocalX)
	if err != nil {
		return bad("%v", err)
	}
	ry, err := scalar("localY", first.LocalY)
	if err != nil {
		return bad("%v", err)
	}
	if !crypto.S256().IsOnCurve(rx, ry) {
		return bad("R = (localX, localY) is not on secp256k1")
	}
	pub, err := parsePublicKey(first.PublicKey)
	if err != nil {
		return bad("%v", err)
	}
	hash, err := messageHash(first.DataSigned)
	if err != nil {
		return bad("%v", err)
	}
	s := new(big.Int)
	for _, sh := range used {
		v, err := scalar("signatureShare", sh.SignatureShare)
		if err != nil {
			return bad("share %d: %v", sh.ShareIndex, err)
		}
		s.Add(s, v)
	}
	s.Mod(s, secpN)
	r := new(big.Int).Mod(rx, secpN)
	if r.Sign() == 0 || s.Sign() == 0 {
		return bad("r or s is zero")
	}
	recid := int(ry.Bit(0))
	if rx.Cmp(secpN) >= 0 {
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
	got, err := crypto.Ecrecover(hash, sig65)
	if err != nil {
		return bad("signature does not recover: %v", err)
	}
	if !bytes.Equal(got, pub) {
		return bad("combined signature does not verify against the public key (%d shares)", len(used))
	}
	return Signature{
		R:          rHex,
		S:          sHex,
		RecID:      recid,
		Signature:  fmt.Sprintf("0x%s%s%02x", rHex, sHex, 27+recid),
		PublicKey:  strings.TrimPrefix(first.PublicKey, "0x"),
		DataSigned: strings.TrimPrefix(first.DataSigned, "0x"),
	}, nil
}
