package devnet

import (
	"crypto/sha256"
	"encoding/json"

	"github.com/litsigner/litsigner/lit"
	"github.com/litsigner/litsigner/lit/internal/jsonfast"
)

// maxCachedAuthSigs bounds the decoded authSig values a node keeps (a few
// kilobytes each).
const maxCachedAuthSigs = 1024

// executeBodyKeys are the execute body's fields parseExecuteRequest
// decodes, in executeBodyFields' order.
var executeBodyKeys = []string{"authSig", "jsParams", "code", "ipfsId"}

// executeBodyFields are an execute body's fields, the authSig and jsParams
// as their JSON text.
type executeBodyFields struct {
	authSig, jsParams []byte
	code, ipfsID      *string
}

// parseExecute is parseExecuteRequest, with the authSig (the bulk of the
// body: a signed message in a JSON string, escaped twice) decoded once per
// distinct value: a session sends the same one with every request. It
// takes a fast path only for a body whose outcome it knows to be the same
// (valid JSON, one authSig object that decodes, a request that is valid)
// and leaves every other body, errors included, to parseExecuteRequest.
func (nd *node) parseExecute(body []byte) (*executeRequest, *NodeError) {
	f, ok := fastExecuteBody(body)
	if !ok {
		return parseExecuteRequest(body)
	}
	sig, ok := nd.decodeAuthSig(f.authSig)
	if !ok {
		return parseExecuteRequest(body)
	}
	var code, ipfsID string
	if f.code != nil {
		code = *f.code
	}
	if f.ipfsID != nil {
		ipfsID = *f.ipfsID
	}
	call, nerr := nd.net.actionCall(code, ipfsID, f.jsParams)
	if nerr != nil {
		return parseExecuteRequest(body) // its error, whatever the path
	}
	return &executeRequest{AuthSig: sig, actionCall: *call}, nil
}

// fastExecuteBody reads the fields of an execute body in one pass,
// without encoding/json (which scanned the ~2.5 KB body twice: a tenth of
// the devnet's CPU per request in a profile). It declines (ok false) any
// body outside the shape clients send: one object; keys of printable ASCII
// without escapes, the known ones spelled exactly and once (encoding/json
// also matches them ignoring case); an authSig object; jsParams an object
// or null; code and ipfsId strings (see jsonfast) or null; any other key a
// string, number, literal, {} or [].
//
// The authSig's bytes are only checked to be one object: its content is
// valid JSON because decodeAuthSig decodes it, or finds the same bytes
// decoded before. The jsParams are checked here.
func fastExecuteBody(body []byte) (f executeBodyFields, ok bool) {
	d := jsonfast.NewReader(body)
	ok = d.Fields(executeBodyKeys, true, func(idx int) bool {
		switch idx {
		case 0:
			if d.Peek() != '{' {
				return false
			}
			f.authSig, ok = d.RawComposite()
			return ok
		case 1:
			if d.Literal("null") {
				return true
			}
			if d.Peek() != '{' {
				return false
			}
			f.jsParams, ok = d.ValidComposite()
			return ok
		case 2:
			return d.OptStr(&f.code)
		default:
			return d.OptStr(&f.ipfsID)
		}
	})
	return f, ok && f.authSig != nil && d.Done()
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
