package devnet

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"

	"github.com/litsigner/litsigner/lit"
)

// maxCachedAuthSigs bounds the decoded authSig values a node keeps (a few
// kilobytes each).
const maxCachedAuthSigs = 1024

// rawAuthSig keeps an authSig value's bytes undecoded and counts its
// occurrences, so that the fast path knows it saw exactly one.
type rawAuthSig struct {
	raw []byte
	n   int
}

// UnmarshalJSON keeps data, a slice of the body json.Unmarshal was given
// (the body outlives the parse).
func (a *rawAuthSig) UnmarshalJSON(data []byte) error {
	a.raw, a.n = data, a.n+1
	return nil
}

// parseExecute is parseExecuteRequest, with the authSig (the bulk of the
// body: a signed message in a JSON string, escaped twice) decoded once per
// distinct value: a session sends the same one with every request. It
// takes a fast path only for a body whose outcome it knows to be the same
// (valid JSON, one non-null authSig that decodes) and leaves every other
// body, errors included, to parseExecuteRequest.
func (nd *node) parseExecute(body []byte) (*executeRequest, *NodeError) {
	var raw struct {
		AuthSig  rawAuthSig      `json:"authSig"`
		JSParams json.RawMessage `json:"jsParams"`
		Code     *string         `json:"code"`
		IPFSID   *string         `json:"ipfsId"`
	}
	// json.Unmarshal accepts less than parseExecuteRequest's Decoder (no
	// trailing data at all), never more.
	if json.Unmarshal(body, &raw) != nil || raw.AuthSig.n != 1 || bytes.Equal(raw.AuthSig.raw, []byte("null")) {
		return parseExecuteRequest(body)
	}
	sig, ok := nd.decodeAuthSig(raw.AuthSig.raw)
	if !ok {
		return parseExecuteRequest(body)
	}
	return newExecuteRequest(sig, raw.Code, raw.IPFSID, raw.JSParams)
}

// decodeAuthSig decodes one authSig value, remembered by a hash of its
// bytes; ok is false when it does not decode.
func (nd *node) decodeAuthSig(raw []byte) (lit.AuthSig, bool) {
	key := sha256.Sum256(raw)
	if sig, ok := nd.authSigs.get(key); ok {
		return sig, true
	}
	var sig lit.AuthSig
	if err := json.Unmarshal(raw, &sig); err != nil {
		return lit.AuthSig{}, false
	}
	return nd.authSigs.put(key, sig), true
}
