package nagawire

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/ethereum/go-ethereum/crypto"
)

// SigTypeEcdsaK256Sha256 is the sigType of a secp256k1 ECDSA share.
const SigTypeEcdsaK256Sha256 = "EcdsaK256Sha256"

// ErrShare marks a signature share that does not parse.
var ErrShare = errors.New("malformed signature share")

// EcdsaShare is one node's ECDSA signature share, decoded. The nodes of a
// request's nodeSet send additive shares: the signature's s is the sum of
// the S of every node's share, all with the same BigR.
type EcdsaShare struct {
	// Digest is the 32-byte prehash that was signed.
	Digest [32]byte
	// Result is "success" for a share that counts.
	Result  string
	ShareID string
	PeerID  string
	// S is the share's scalar, in [0, n).
	S *big.Int
	// BigR is the signature's nonce point R, SEC1 compressed (33 bytes).
	BigR []byte
	// PublicKey is the PKP key, SEC1 uncompressed (65 bytes).
	PublicKey []byte
	SigType   string
}

// wireEcdsaShare is the share's inner JSON. Its point and scalar fields
// are themselves JSON strings (serde of k256 types), e.g. "\"02AB…\"".
type wireEcdsaShare struct {
	Digest              string `json:"digest"`
	Result              string `json:"result"`
	ShareID             string `json:"share_id"`
	PeerID              string `json:"peer_id"`
	SignatureShare      string `json:"signature_share"`
	BigR                string `json:"big_r"`
	CompressedPublicKey string `json:"compressed_public_key"`
	PublicKey           string `json:"public_key"`
	SigType             string `json:"sig_type"`
}

type wireShareEnvelope struct {
	EcdsaSignedMessageShare *wireEcdsaShare `json:"EcdsaSignedMessageShare"`
}

// EncodeEcdsaShare writes s as the nodes do: the JSON string that goes in
// SignedShare.SignatureShare, with upper-case hex inside quoted strings.
func EncodeEcdsaShare(s EcdsaShare) (string, error) {
	if s.S == nil || s.S.Sign() < 0 || s.S.Cmp(crypto.S256().Params().N) >= 0 {
		return "", fmt.Errorf("nagawire: encode share: scalar out of range: %w", ErrShare)
	}
	// An uncompressed point on the curve (what crypto.UnmarshalPubkey
	// checks, with big.Int arithmetic: ten times slower per share).
	if len(s.PublicKey) != 65 || s.PublicKey[0] != 4 {
		return "", fmt.Errorf("nagawire: encode share: public key is not 65 bytes from 04: %w", ErrShare)
	}
	pub, err := secp256k1.ParsePubKey(s.PublicKey)
	if err != nil {
		return "", fmt.Errorf("nagawire: encode share: public key: %w", ErrShare)
	}
	if len(s.BigR) != 33 {
		return "", fmt.Errorf("nagawire: encode share: big_r is not 33 bytes: %w", ErrShare)
	}
	var scalar [32]byte
	w := wireEcdsaShare{
		Digest:              hex.EncodeToString(s.Digest[:]),
		Result:              s.Result,
		ShareID:             s.ShareID,
		PeerID:              s.PeerID,
		SignatureShare:      quotedUpperHex(s.S.FillBytes(scalar[:])),
		BigR:                quotedUpperHex(s.BigR),
		CompressedPublicKey: quotedUpperHex(pub.SerializeCompressed()),
		PublicKey:           quotedUpperHex(s.PublicKey),
		SigType:             s.SigType,
	}
	if b, ok := w.appendFast(make([]byte, 0, 640)); ok {
		return string(b), nil
	}
	b, err := marshalJS(wireShareEnvelope{EcdsaSignedMessageShare: &w})
	if err != nil {
		return "", fmt.Errorf("nagawire: encode share: %w", err)
	}
	return string(b), nil
}

// quotedUpperHex is b in upper-case hex inside double quotes: a k256 value
// as serde writes it (the share's fields are JSON strings themselves).
func quotedUpperHex(b []byte) string {
	const digits = "0123456789ABCDEF"
	out := make([]byte, 0, 2*len(b)+2)
	out = append(out, '"')
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(append(out, '"'))
}

// ParseEcdsaShare decodes SignedShare.SignatureShare. It checks encodings
// and ranges (the scalar below n, R and the public key on the curve), not
// whether the share is right: only the combined signature can tell.
func ParseEcdsaShare(s string) (EcdsaShare, error) { return ParseEcdsaShareWith(s, OnCurve) }

// OnCurve reports whether enc, a compressed (33-byte) or uncompressed
// (65-byte) encoding, is a point of secp256k1.
func OnCurve(enc []byte) bool {
	switch len(enc) {
	case 33:
		_, err := crypto.DecompressPubkey(enc)
		return err == nil
	case 65:
		_, err := crypto.UnmarshalPubkey(enc)
		return err == nil
	}
	return false
}

// ParseEcdsaShareWith is ParseEcdsaShare with onCurve (which must answer
// as OnCurve does) checking the points: a client that sees the same R and
// public key in every share remembers the points it checked.
func ParseEcdsaShareWith(s string, onCurve func(enc []byte) bool) (EcdsaShare, error) {
	fail := func(format string, a ...any) (EcdsaShare, error) {
		return EcdsaShare{}, fmt.Errorf("nagawire: share: %s: %w", fmt.Sprintf(format, a...), ErrShare)
	}
	env, err := unmarshalShareEnvelope([]byte(s))
	if err != nil {
		return fail("not JSON: %v", err)
	}
	w := env.EcdsaSignedMessageShare
	if w == nil {
		return fail("no EcdsaSignedMessageShare")
	}
	var out EcdsaShare
	if err := decodeHexInto(out.Digest[:], w.Digest); err != nil {
		return fail("digest: %v", err)
	}
	scalar, err := unquoteHex(w.SignatureShare, 32)
	if err != nil {
		return fail("signature_share: %v", err)
	}
	out.S = new(big.Int).SetBytes(scalar)
	if out.S.Cmp(crypto.S256().Params().N) >= 0 {
		return fail("signature_share is not below the group order")
	}
	if out.BigR, err = unquoteHex(w.BigR, 33); err != nil {
		return fail("big_r: %v", err)
	}
	if !onCurve(out.BigR) {
		return fail("big_r is not a curve point")
	}
	if out.PublicKey, err = unquoteHex(w.PublicKey, 65); err != nil {
		return fail("public_key: %v", err)
	}
	if !onCurve(out.PublicKey) {
		return fail("public_key is not a curve point")
	}
	out.Result, out.ShareID, out.PeerID, out.SigType = w.Result, w.ShareID, w.PeerID, w.SigType
	return out, nil
}

// unquoteHex decodes a JSON string holding hex of exactly n bytes.
func unquoteHex(field string, n int) ([]byte, error) {
	h, ok := plainJSONString(field)
	if !ok {
		if err := json.Unmarshal([]byte(field), &h); err != nil {
			return nil, fmt.Errorf("not a JSON string")
		}
	}
	b := make([]byte, n)
	if err := decodeHexInto(b, h); err != nil {
		return nil, err
	}
	return b, nil
}

// plainJSONString returns the content of field when field is a JSON
// string of letters and digits only (a share's hex fields always are),
// which is then its value as written; ok is false for anything else,
// which json.Unmarshal decodes. It spares a share four json.Unmarshal
// calls.
func plainJSONString(field string) (string, bool) {
	if len(field) < 2 || field[0] != '"' || field[len(field)-1] != '"' {
		return "", false
	}
	inner := field[1 : len(field)-1]
	for i := 0; i < len(inner); i++ {
		c := inner[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return "", false
		}
	}
	return inner, true
}
