package nagawire

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
)

// ErrExecuteRequest marks an executeJs request that does not parse.
var ErrExecuteRequest = errors.New("malformed executeJs request")

// NodeSetEntry names one node of the set a request is sent to; the nodes
// split the signature over exactly this set.
type NodeSetEntry struct {
	// SocketAddress is host:port, the node URL without its scheme.
	SocketAddress string `json:"socketAddress"`
	Value         int    `json:"value"`
}

// ExecuteRequest is the plaintext inside an executeJs envelope. Exactly
// one of Code and IPFSID is set.
type ExecuteRequest struct {
	// Code is the base64 of the action's JavaScript source.
	Code   string `json:"code,omitempty"`
	IPFSID string `json:"ipfsId,omitempty"`
	// JSParams is the user's parameter object. On the wire it is wrapped
	// once more: {"jsParams":{"jsParams":{…}}}.
	JSParams json.RawMessage `json:"-"`
	AuthSig  AuthSig         `json:"-"`
	NodeSet  []NodeSetEntry  `json:"-"`
	KeySetID string          `json:"-"`
}

// wireExecuteRequest is ExecuteRequest in the SDK's key order.
type wireExecuteRequest struct {
	Code     string          `json:"code,omitempty"`
	IPFSID   string          `json:"ipfsId,omitempty"`
	JSParams *wrappedParams  `json:"jsParams"`
	AuthSig  *AuthSig        `json:"authSig"`
	NodeSet  *[]NodeSetEntry `json:"nodeSet"`
	KeySetID *string         `json:"keySetId"`
}

type wrappedParams struct {
	JSParams json.RawMessage `json:"jsParams,omitempty"`
}

// Marshal encodes r as the SDK does.
func (r ExecuteRequest) Marshal() ([]byte, error) {
	p, err := r.Prepare()
	if err != nil {
		return nil, err
	}
	return p.With(r.AuthSig)
}

// PreparedRequest is an ExecuteRequest encoded but for its authSig: the
// requests to a node set differ only there (each node gets its own
// session signature), and the code and parameters, most of a request, are
// encoded once.
type PreparedRequest struct {
	head []byte // `{"code":…,"jsParams":{…},"authSig":`
	tail []byte // `,"nodeSet":[…],"keySetId":…}`
}

// wireHead and wireTail are the fields of wireExecuteRequest before and
// after authSig.
type wireHead struct {
	Code     string         `json:"code,omitempty"`
	IPFSID   string         `json:"ipfsId,omitempty"`
	JSParams *wrappedParams `json:"jsParams"`
}

type wireTail struct {
	NodeSet  *[]NodeSetEntry `json:"nodeSet"`
	KeySetID *string         `json:"keySetId"`
}

// Prepare encodes r but its AuthSig (see PreparedRequest).
func (r ExecuteRequest) Prepare() (PreparedRequest, error) {
	nodes := r.NodeSet
	if nodes == nil {
		nodes = []NodeSetEntry{}
	}
	head, err := marshalJS(wireHead{Code: r.Code, IPFSID: r.IPFSID, JSParams: &wrappedParams{JSParams: r.JSParams}})
	if err != nil {
		return PreparedRequest{}, fmt.Errorf("nagawire: executeJs request: %w", err)
	}
	tail, err := marshalJS(wireTail{NodeSet: &nodes, KeySetID: &r.KeySetID})
	if err != nil {
		return PreparedRequest{}, fmt.Errorf("nagawire: executeJs request: %w", err)
	}
	// Both are objects with at least one member (jsParams, nodeSet):
	// head loses its "}", tail its "{".
	return PreparedRequest{
		head: append(head[:len(head)-1], `,"authSig":`...),
		tail: append([]byte{','}, tail[1:]...),
	}, nil
}

// With is the request's encoding with authSig, what Marshal gives for the
// request with that AuthSig.
func (p PreparedRequest) With(authSig AuthSig) ([]byte, error) {
	sig, err := EncodeAuthSig(authSig)
	if err != nil {
		return nil, err
	}
	return p.WithJSON(sig), nil
}

// WithJSON is With for an authSig already encoded by EncodeAuthSig (a
// session reuses its signatures call after call).
func (p PreparedRequest) WithJSON(authSig []byte) []byte {
	out := make([]byte, 0, len(p.head)+len(authSig)+len(p.tail))
	return append(append(append(out, p.head...), authSig...), p.tail...)
}

// EncodeAuthSig is sig's JSON in an executeJs request.
func EncodeAuthSig(sig AuthSig) ([]byte, error) {
	b, err := marshalJS(sig)
	if err != nil {
		return nil, fmt.Errorf("nagawire: executeJs request: authSig: %w", err)
	}
	return b, nil
}

// ParseExecuteRequest parses and checks the shape of an executeJs request
// (a node's view): exactly one of code and ipfsId, an authSig, a non-empty
// nodeSet and a keySetId. Unknown fields are refused.
func ParseExecuteRequest(data []byte) (ExecuteRequest, error) {
	w, ok := fastExecuteRequest(data)
	if !ok {
		w = wireExecuteRequest{}
		if err := decodeStrict(data, &w); err != nil {
			return ExecuteRequest{}, fmt.Errorf("nagawire: %w: %v", ErrExecuteRequest, err)
		}
	}
	fail := func(why string) (ExecuteRequest, error) {
		return ExecuteRequest{}, fmt.Errorf("nagawire: %w: %s", ErrExecuteRequest, why)
	}
	switch {
	case (w.Code == "") == (w.IPFSID == ""):
		return fail("exactly one of code and ipfsId is needed")
	case w.AuthSig == nil:
		return fail("authSig missing")
	case w.NodeSet == nil || len(*w.NodeSet) == 0:
		return fail("nodeSet missing or empty")
	case w.KeySetID == nil:
		return fail("keySetId missing")
	}
	r := ExecuteRequest{Code: w.Code, IPFSID: w.IPFSID, AuthSig: *w.AuthSig, NodeSet: *w.NodeSet, KeySetID: *w.KeySetID}
	if w.JSParams != nil && len(w.JSParams.JSParams) > 0 && string(w.JSParams.JSParams) != "null" {
		r.JSParams = w.JSParams.JSParams
	}
	return r, nil
}

// SignedShare is one signature share in an executeJs reply.
type SignedShare struct {
	SigType string `json:"sigType"`
	// SignatureShare is a JSON document sent as a string; for ECDSA it is
	// {"EcdsaSignedMessageShare":{…}} (see ParseEcdsaShare).
	SignatureShare string `json:"signatureShare"`
	PublicKey      string `json:"publicKey"`
	SigName        string `json:"sigName"`
}

// PaymentDetail is one line of what a node charged.
type PaymentDetail struct {
	Component string   `json:"component"`
	Quantity  uint64   `json:"quantity"`
	Price     *big.Int `json:"price"`
}

// ExecuteResponse is Result.Data of a successful executeJs reply.
type ExecuteResponse struct {
	Success       bool                   `json:"success"`
	SignedData    map[string]SignedShare `json:"signedData"`
	DecryptedData json.RawMessage        `json:"decryptedData"`
	ClaimData     json.RawMessage        `json:"claimData"`
	// Response is what the action passed to Lit.Actions.setResponse.
	Response      string          `json:"response"`
	Logs          string          `json:"logs"`
	PaymentDetail []PaymentDetail `json:"paymentDetail"`
}

// Marshal encodes r for the wire (empty objects rather than null).
func (r ExecuteResponse) Marshal() ([]byte, error) {
	r = r.withDefaults()
	size := 256 + len(r.Response) + len(r.Logs) + 64*len(r.PaymentDetail)
	for _, sh := range r.SignedData {
		size += 96 + len(sh.SignatureShare)*9/8 + len(sh.PublicKey) + 2*len(sh.SigName)
	}
	if b, ok := r.appendFast(make([]byte, 0, size)); ok {
		return b, nil
	}
	b, err := marshalJS(r)
	if err != nil {
		return nil, fmt.Errorf("nagawire: executeJs response: %w", err)
	}
	return b, nil
}

// withDefaults is r with empty objects and lists where it has none.
func (r ExecuteResponse) withDefaults() ExecuteResponse {
	if r.SignedData == nil {
		r.SignedData = map[string]SignedShare{}
	}
	if len(r.DecryptedData) == 0 {
		r.DecryptedData = json.RawMessage("{}")
	}
	if len(r.ClaimData) == 0 {
		r.ClaimData = json.RawMessage("{}")
	}
	if r.PaymentDetail == nil {
		r.PaymentDetail = []PaymentDetail{}
	}
	return r
}
