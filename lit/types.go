// Package lit is a client for the Lit Protocol node APIs: v2 (SDK 2.2.x,
// fixed node URLs) and Naga (SDK 8.x: nodes, prices and epoch from the
// chain, end-to-end encrypted requests), chosen by Network.Protocol.
// Both share memory-only ed25519 session keys authorized by a SIWE
// (EIP-4361) message with a ReCap capability, per-node session signatures,
// executeJs fan-out with threshold aggregation, ECDSA share combination
// and verification, and typed errors. Each protocol lives in its own files
// (v2*.go, naga*.go) behind the unexported protocol interface.
// It is a library: it never imports the daemon or the IPC layer.
package lit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
)

// PersonalSigner produces the wallet signature (authSig) that authorizes a
// session key: an EIP-191 personal_sign of the SIWE text. The daemon plugs a
// hardware wallet in here.
type PersonalSigner interface {
	// Address is the account that signs.
	Address() common.Address
	// SignPersonalMessage returns the 65-byte signature r||s||v (v 27/28, or
	// 0/1) over message. The session code verifies it by EIP-191 recovery.
	SignPersonalMessage(ctx context.Context, message []byte) ([]byte, error)
}

// AuthSig is the SDK's signature object, used both for the wallet's SIWE
// signature and for a session key's per-node signature. Field order is the
// SDK's (it is serialized inside signed JSON).
type AuthSig struct {
	Sig           string `json:"sig"`
	DerivedVia    string `json:"derivedVia"`
	SignedMessage string `json:"signedMessage"`
	Address       string `json:"address"`
	Algo          string `json:"algo,omitempty"`
}

// ExecuteJSRequest is one Lit Action to run. Exactly one of Code and IPFSID
// is set.
type ExecuteJSRequest struct {
	// Code is the JavaScript source (sent base64-encoded on the wire).
	Code string `json:"code,omitempty"`
	// IPFSID is the CIDv0 ("Qm...") of an action the nodes fetch themselves.
	IPFSID string `json:"ipfsId,omitempty"`
	// JSParams become globals inside the action. They are sent as JSON:
	// pass byte arrays such as toSign as []int (a JSON array of numbers, as
	// the SDK sends them), not []byte (which encoding/json writes as base64).
	JSParams map[string]any `json:"jsParams,omitempty"`
	// JSParamsJSON is JSParams already encoded, sent to the nodes as it
	// is: a JSON object, or null for none. Set at most one of the two (a
	// daemon passes on the JSON its client sent, numbers and key order
	// untouched, without decoding it into values and encoding it again).
	JSParamsJSON json.RawMessage `json:"-"`
}

// JSParamsObject reads raw as ExecuteJSRequest.JSParamsJSON takes it: a
// JSON object, or null for none, white space around either. It returns
// raw without that white space (nil for null), and ok false for any other
// form. It checks the form only: that an object is valid JSON is
// ExecuteJS's check (a JSON-RPC server that decoded raw has made it).
func JSParamsObject(raw []byte) (obj []byte, ok bool) {
	t := bytes.TrimSpace(raw)
	if string(t) == "null" {
		return nil, true
	}
	return t, len(t) > 0 && t[0] == '{'
}

// paramsJSON is the request's jsParams as sent to the nodes: JSParamsJSON,
// or JSParams encoded (keys sorted, HTML characters unescaped as
// JSON.stringify leaves them); {} for none.
func (req ExecuteJSRequest) paramsJSON() ([]byte, error) {
	if req.JSParamsJSON != nil {
		if obj, _ := JSParamsObject(req.JSParamsJSON); obj != nil {
			return obj, nil
		}
		return []byte("{}"), nil
	}
	if req.JSParams == nil {
		return []byte("{}"), nil
	}
	var buf bytes.Buffer
	if err := encodeJSON(&buf, req.JSParams); err != nil {
		return nil, fmt.Errorf("jsParams are not JSON-encodable: %v: %w", err, ErrInvalidParams)
	}
	return buf.Bytes(), nil
}

// Signature is one combined and verified PKP signature, shaped like the SDK's.
type Signature struct {
	R          string `json:"r"`
	S          string `json:"s"`
	RecID      int    `json:"recid"`
	Signature  string `json:"signature"`
	PublicKey  string `json:"publicKey"`
	DataSigned string `json:"dataSigned"`
}

// ExecuteJSResult mirrors the SDK's executeJs result.
type ExecuteJSResult struct {
	Signatures map[string]Signature `json:"signatures"`
	// Response is the most common response; JSON-decoded when it parses.
	Response any    `json:"response"`
	Logs     string `json:"logs"`
}
