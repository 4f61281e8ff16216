package devnet

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/litsigner/litsigner/lit"
	"github.com/litsigner/litsigner/lit/devnet/action"
	"github.com/litsigner/litsigner/lit/internal/textclip"
)

// maxRequestIDLength bounds the X-Request-Id header value used as a key.
const maxRequestIDLength = 128

// actionCall is what both protocols' execute requests name: the action and
// its parameters.
type actionCall struct {
	// Code is the decoded JavaScript source ("" when IPFSID is set).
	Code   string
	IPFSID string
	// paramsJSON is the jsParams object decoded and encoded again (keys
	// sorted; {} for none), as the action gets them (action.RunJSON). It
	// is shared by every request that sent the same call (see
	// Network.actionCall): read it, never change it.
	paramsJSON []byte
	// cid is the action's CIDv0 (see actionCID), or cidErr why it has none.
	cid    string
	cidErr *NodeError
}

// executeRequest is a parsed v2 POST /web/execute body.
type executeRequest struct {
	AuthSig lit.AuthSig
	actionCall
}

// parseExecuteRequest decodes and validates an execute body as the SDK
// sends it: {authSig, jsParams, code (base64) | ipfsId, authMethods?,
// targetNodeRange?}. Unknown fields are ignored, as the nodes do.
func parseExecuteRequest(body []byte) (*executeRequest, *NodeError) {
	var raw struct {
		AuthSig  *lit.AuthSig    `json:"authSig"`
		JSParams json.RawMessage `json:"jsParams"`
		Code     *string         `json:"code"`
		IPFSID   *string         `json:"ipfsId"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&raw); err != nil {
		return nil, invalid("the request body is not a JSON object", err.Error())
	}
	if dec.More() {
		return nil, invalid("the request body has data after the JSON object")
	}
	if raw.AuthSig == nil {
		return nil, invalid("authSig is missing: send the session signature for this node")
	}
	return newExecuteRequest(*raw.AuthSig, raw.Code, raw.IPFSID, raw.JSParams)
}

// newExecuteRequest builds the request from its decoded fields (code and
// ipfsId absent when nil).
func newExecuteRequest(sig lit.AuthSig, code, ipfsID *string, jsParams json.RawMessage) (*executeRequest, *NodeError) {
	var c, id string
	if code != nil {
		c = *code
	}
	if ipfsID != nil {
		id = *ipfsID
	}
	call, nerr := newActionCall(c, id, jsParams)
	if nerr != nil {
		return nil, nerr
	}
	return &executeRequest{AuthSig: sig, actionCall: *call}, nil
}

// newActionCall checks the action fields both protocols send: code (base64
// of UTF-8 source) or ipfsId (a CIDv0), and jsParams (an object or null).
func newActionCall(code, ipfsID string, jsParams json.RawMessage) (*actionCall, *NodeError) {
	call := &actionCall{}
	values := map[string]any{}
	if len(jsParams) > 0 && !bytes.Equal(bytes.TrimSpace(jsParams), []byte("null")) {
		if err := json.Unmarshal(jsParams, &values); err != nil {
			return nil, invalid("jsParams must be a JSON object", err.Error())
		}
	}
	params, err := json.Marshal(values)
	if err != nil {
		return nil, invalid("jsParams cannot be encoded again", err.Error())
	}
	call.paramsJSON = params
	switch {
	case code != "" && ipfsID != "":
		return nil, invalid("send either code or ipfsId, not both")
	case code != "":
		src, err := decodeBase64(code)
		if err != nil {
			return nil, invalid("code must be the base64 of the action's UTF-8 source", err.Error())
		}
		if !utf8.Valid(src) {
			return nil, invalid("code is not valid UTF-8 once base64-decoded")
		}
		call.Code = string(src)
		cid, err := action.CIDv0(src)
		if err != nil {
			call.cidErr = nodeError(http.StatusBadRequest, KindValidation, CodeInvalidRequest, "the action code is too large", err.Error())
		}
		call.cid = cid
	case ipfsID != "":
		if !lit.IsCIDv0(ipfsID) {
			return nil, invalid("ipfsId must be a CIDv0 (Qm + 44 base58 characters)", "got "+fmt.Sprintf("%q", truncate(ipfsID, 64)))
		}
		call.IPFSID, call.cid = ipfsID, ipfsID
	default:
		return nil, invalid("code or ipfsId is required")
	}
	return call, nil
}

func decodeBase64(s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err == nil {
		return b, nil
	}
	if b2, err2 := base64.RawStdEncoding.DecodeString(s); err2 == nil {
		return b2, nil
	}
	return nil, err
}

func invalid(message string, details ...string) *NodeError {
	return nodeError(http.StatusBadRequest, KindValidation, CodeInvalidRequest, message, details...)
}

// truncate bounds client-sent text echoed in an error: at most n bytes,
// valid UTF-8, never cut inside a rune.
func truncate(s string, n int) string { return textclip.Clip(s, n) }

// requestKey identifies one logical request across nodes: the SDK's
// X-Request-Id (identical on every node for one executeJs call). Without
// the header it falls back to a hash of what every node receives alike (the
// action and its parameters; the authSig differs per node).
func requestKey(r *http.Request, req *executeRequest) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= maxRequestIDLength {
		return "id:" + id
	}
	params := req.paramsJSON // map keys are sorted: canonical
	h := sha256.New()
	fmt.Fprintf(h, "%d:%s|%d:%s|", len(req.Code), req.Code, len(req.IPFSID), req.IPFSID)
	h.Write(params)
	return "body:" + hex.EncodeToString(h.Sum(nil))
}
