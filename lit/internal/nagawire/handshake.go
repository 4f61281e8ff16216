package nagawire

import (
	"encoding/json"
	"fmt"
)

// Endpoint paths of a Naga node, exactly as the SDK composes them.
const (
	HandshakePath = "/web/handshake/"
	ExecutePath   = "/web/execute/v2"
)

// KeySetID is the key set every executeJs request names.
const KeySetID = "naga-keyset1"

// HandshakeClientPublicKey is the placeholder the SDK sends as
// clientPublicKey: Naga keys its encryption per request instead.
const HandshakeClientPublicKey = "test"

// HandshakeRequest is the body of POST /web/handshake/.
type HandshakeRequest struct {
	ClientPublicKey string `json:"clientPublicKey"`
	// Challenge is 32 random bytes, hex; attested nodes bind their report
	// to it.
	Challenge string `json:"challenge"`
	Epoch     uint64 `json:"epoch"`
}

// Result is the {ok, error, errorObject, data} wrapper around every node
// reply (after decryption, for encrypted endpoints).
type Result struct {
	OK    bool    `json:"ok"`
	Error *string `json:"error"`
	// ErrorObject is a JSON document, sent as a string.
	ErrorObject *string         `json:"errorObject"`
	Data        json.RawMessage `json:"data"`
}

// NewResult wraps data in a successful Result.
func NewResult(data any) (Result, error) {
	raw, err := marshalJS(data)
	if err != nil {
		return Result{}, fmt.Errorf("nagawire: result data: %w", err)
	}
	return Result{OK: true, Data: raw}, nil
}

// NewErrorResult is a failed Result; errorObject is marshalled to the
// JSON string the nodes send (nil leaves it null).
func NewErrorResult(message string, errorObject any) (Result, error) {
	r := Result{Error: &message, Data: json.RawMessage("null")}
	if errorObject != nil {
		raw, err := marshalJS(errorObject)
		if err != nil {
			return Result{}, fmt.Errorf("nagawire: error object: %w", err)
		}
		s := string(raw)
		r.ErrorObject = &s
	}
	return r, nil
}

// ErrorText is the error message of a failed Result ("" when none).
func (r Result) ErrorText() string {
	if r.Error == nil {
		return ""
	}
	return *r.Error
}

// HandshakeData is a node's handshake answer (Result.Data). All fields but
// Attestation and GitCommitHash are required by the SDK.
type HandshakeData struct {
	ServerPublicKey     string          `json:"serverPublicKey"`
	SubnetPublicKey     string          `json:"subnetPublicKey"`
	NetworkPublicKey    string          `json:"networkPublicKey"`
	NetworkPublicKeySet string          `json:"networkPublicKeySet"`
	ClientSDKVersion    string          `json:"clientSdkVersion"`
	HDRootPubkeys       []string        `json:"hdRootPubkeys"`
	Attestation         json.RawMessage `json:"attestation"`
	// LatestBlockhash is the chain's latest block hash as the node sees it;
	// the client uses the most common one as the SIWE nonce.
	LatestBlockhash string `json:"latestBlockhash"`
	// NodeIdentityKey is the node's x25519 public key, 64 hex digits: the
	// recipient of every encrypted request.
	NodeIdentityKey string `json:"nodeIdentityKey"`
	NodeVersion     string `json:"nodeVersion"`
	Epoch           uint64 `json:"epoch"`
	GitCommitHash   string `json:"gitCommitHash,omitempty"`
}

// IdentityKey decodes NodeIdentityKey, and refuses a low-order point:
// x25519 with it gives 32 zero bytes whatever the client's key, so every
// box key with that node would be the same public constant and anyone on
// the way could read the requests (box.Precompute does not refuse it).
func (h HandshakeData) IdentityKey() ([32]byte, error) {
	var k [32]byte
	if err := decodeHexInto(k[:], h.NodeIdentityKey); err != nil {
		return k, fmt.Errorf("nagawire: nodeIdentityKey: %w", err)
	}
	if lowOrder(k) {
		return k, fmt.Errorf("nagawire: nodeIdentityKey %s is a low-order point: %w", clip(h.NodeIdentityKey), ErrLowOrderKey)
	}
	return k, nil
}
