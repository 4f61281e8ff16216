package lit

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/litsigner/litsigner/lit/internal/textclip"
)

// wireV2 is the grammar of the Lit v2 ("serrano"/2.2.x SDK) node API.
type wireV2 struct{}

// handshakeReply is what a v2 node announces.
type handshakeReply struct {
	ServerPublicKey     string
	SubnetPublicKey     string
	NetworkPublicKey    string
	NetworkPublicKeySet string
}

// v2Reply is one v2 node's parsed executeJs answer, shares as sent.
type v2Reply struct {
	Shares   map[string]*Share // never a nil share
	Response string
	Logs     string
}

func (wireV2) handshakePath() string { return "/web/handshake" }
func (wireV2) handshakeBody() []byte { return []byte(`{"clientPublicKey":"test"}`) }
func (wireV2) executePath() string   { return "/web/execute" }

// v2Handshake is the handshake reply; fields are kept as raw JSON so a
// non-string value is treated like a missing one instead of failing.
type v2Handshake struct {
	ServerPublicKey     json.RawMessage `json:"serverPublicKey"`
	SubnetPublicKey     json.RawMessage `json:"subnetPublicKey"`
	NetworkPublicKey    json.RawMessage `json:"networkPublicKey"`
	NetworkPublicKeySet json.RawMessage `json:"networkPublicKeySet"`
}

func rawString(m json.RawMessage) string {
	var s string
	if json.Unmarshal(m, &s) != nil {
		return ""
	}
	return s
}

func (wireV2) parseHandshake(body []byte) (handshakeReply, error) {
	var h v2Handshake
	if err := json.Unmarshal(body, &h); err != nil {
		return handshakeReply{}, fmt.Errorf("handshake reply: %v: %w", err, ErrBadReply)
	}
	r := handshakeReply{
		ServerPublicKey:     rawString(h.ServerPublicKey),
		SubnetPublicKey:     rawString(h.SubnetPublicKey),
		NetworkPublicKey:    rawString(h.NetworkPublicKey),
		NetworkPublicKeySet: rawString(h.NetworkPublicKeySet),
	}
	// The SDK ignores a node that answers "ERR" for any key.
	for _, v := range []string{r.ServerPublicKey, r.SubnetPublicKey, r.NetworkPublicKey, r.NetworkPublicKeySet} {
		if v == "ERR" {
			return handshakeReply{}, fmt.Errorf("handshake reply: node answered ERR: %w", ErrBadReply)
		}
	}
	return r, nil
}

// v2ExecuteBody is the body of POST /web/execute (SDK key order)
//
//	{"code":…,"ipfsId":…,"authSig":…,"jsParams":…,"targetNodeRange":0}
//
// (code and ipfsId left out when empty) without its authSig: what comes
// before and after it. Every node's body differs only in authSig, so a
// call encodes the rest once and splices each node's session signature in.
type v2ExecuteBody struct {
	head, tail []byte
}

// encodeJSON encodes v as encoding/json does inside a struct field
// encoded with SetEscapeHTML(false), without the trailing newline.
func encodeJSON(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1) // Encode's newline
	return nil
}

// executeBodyParts encodes what every node's execute body for req shares.
func (wireV2) executeBodyParts(req ExecuteJSRequest) (v2ExecuteBody, error) {
	var head bytes.Buffer
	head.WriteByte('{')
	if req.Code != "" {
		head.WriteString(`"code":`)
		// Base64 needs no JSON escaping.
		head.WriteByte('"')
		head.WriteString(base64.StdEncoding.EncodeToString([]byte(req.Code)))
		head.WriteString(`",`)
	}
	if req.IPFSID != "" {
		head.WriteString(`"ipfsId":`)
		if err := encodeJSON(&head, req.IPFSID); err != nil {
			return v2ExecuteBody{}, fmt.Errorf("encode execute request: %v: %w", err, ErrInvalidParams)
		}
		head.WriteByte(',')
	}
	head.WriteString(`"authSig":`)
	var tail bytes.Buffer
	tail.WriteString(`,"jsParams":`)
	params, err := req.paramsJSON()
	if err != nil {
		return v2ExecuteBody{}, fmt.Errorf("encode execute request: %w", err)
	}
	tail.Write(params)
	tail.WriteString(`,"targetNodeRange":0}`)
	return v2ExecuteBody{head: head.Bytes(), tail: tail.Bytes()}, nil
}

// with is the body carrying the session signature encoded as sigJSON
// (encodeAuthSig), in parts: the head and tail, shared by every node's
// request, and sigJSON between them.
func (b v2ExecuteBody) with(sigJSON []byte) [][]byte {
	return [][]byte{b.head, sigJSON, b.tail}
}

func (w wireV2) executeBody(sessionSig AuthSig, req ExecuteJSRequest) ([]byte, error) {
	parts, err := w.executeBodyParts(req)
	if err != nil {
		return nil, err
	}
	sig, err := encodeAuthSig(sessionSig)
	if err != nil {
		return nil, err
	}
	return bytes.Join(parts.with(sig), nil), nil
}

// v2ExecuteReply is a node's executeJs reply. Response and logs are kept
// raw: a node may send a non-string response, which we re-encode as JSON.
type v2ExecuteReply struct {
	Success    *bool                      `json:"success"`
	SignedData map[string]json.RawMessage `json:"signedData"`
	Response   json.RawMessage            `json:"response"`
	Logs       json.RawMessage            `json:"logs"`
	Error      json.RawMessage            `json:"error"`
	v2ErrorBody
}

// v2ExecuteReplyShares is the usual reply, decoded in one pass into plain
// fields: the shares at once (not as raw messages parsed again share by
// share) and the response and logs as strings (not raw messages parsed
// again). Any other shape fails to decode and takes the general path.
// The scalars are pointers because a later duplicate key's null must
// clear an earlier value, as it does for the general path's raw fields.
// The shares are pointers too: a map's slots hold its values, and the
// eight slots of even a one-share map of Share are a kilobyte per reply. A
// null share is nil here (reply files an empty one).
type v2ExecuteReplyShares struct {
	Success    *bool             `json:"success"`
	SignedData map[string]*Share `json:"signedData"`
	Response   *string           `json:"response"`
	Logs       *string           `json:"logs"`
}

func (w wireV2) parseExecute(body []byte) (v2Reply, error) {
	// Fast path: a successful reply whose shares all decode (without
	// encoding/json when it has the usual shape: fastV2Reply). Anything
	// else (a failure, an error body, a share of the wrong shape) takes
	// the general path below, which gives the precise error.
	f, fast := fastV2Reply(body)
	if (fast || json.Unmarshal(body, &f) == nil) && f.Success != nil && *f.Success {
		if out, ok := f.reply(); ok {
			return out, nil
		}
	}
	var r v2ExecuteReply
	if err := json.Unmarshal(body, &r); err != nil {
		return v2Reply{}, fmt.Errorf("execute reply: %v: %w", err, ErrBadReply)
	}
	if r.Success == nil || !*r.Success {
		if ne := w.errorFrom(r.v2ErrorBody, r.Error, http.StatusOK); ne != nil {
			return v2Reply{}, ne
		}
		return v2Reply{}, fmt.Errorf("execute reply: success is not true: %w", ErrBadReply)
	}
	out := v2Reply{Shares: map[string]*Share{}, Logs: rawString(r.Logs), Response: replyResponse(r.Response)}
	for name, raw := range r.SignedData {
		var sh Share
		if err := json.Unmarshal(raw, &sh); err != nil {
			return v2Reply{}, fmt.Errorf("execute reply: share %q: %v: %w", name, err, ErrBadReply)
		}
		if sh.SigName == "" {
			sh.SigName = name
		}
		if sh.SigName != name {
			return v2Reply{}, fmt.Errorf("execute reply: share under %q names %q: %w", name, sh.SigName, ErrBadReply)
		}
		out.Shares[name] = &sh
	}
	return out, nil
}

// reply is the parsed reply; ok is false when a share names another
// signature than the one it is filed under (the general path says so).
func (f *v2ExecuteReplyShares) reply() (v2Reply, bool) {
	for name, sh := range f.SignedData {
		if sh == nil { // null: a share with no field set
			sh = &Share{}
			f.SignedData[name] = sh
		}
		if sh.SigName == "" {
			sh.SigName = name
		}
		if sh.SigName != name {
			return v2Reply{}, false
		}
	}
	if f.SignedData == nil {
		f.SignedData = map[string]*Share{}
	}
	out := v2Reply{Shares: f.SignedData}
	if f.Logs != nil {
		out.Logs = *f.Logs
	}
	if f.Response != nil {
		out.Response = *f.Response
	}
	return out, true
}

// replyResponse is a reply's response: a JSON string as its text, any
// other JSON value as its encoding ("" when absent or null).
func replyResponse(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if s := rawString(raw); s != "" || string(raw) == `""` {
		return s
	}
	return string(raw)
}

// v2ErrorBody is a node's error object. Real nodes and the SDK use
// errorKind, errorCode, message and details; details may be a string or a
// list. All fields are optional.
type v2ErrorBody struct {
	ErrorKind json.RawMessage `json:"errorKind"`
	ErrorCode json.RawMessage `json:"errorCode"`
	Status    json.RawMessage `json:"status"`
	Message   json.RawMessage `json:"message"`
	Details   json.RawMessage `json:"details"`
}

func (b v2ErrorBody) empty() bool {
	return len(b.ErrorKind) == 0 && len(b.ErrorCode) == 0 && len(b.Message) == 0 && len(b.Details) == 0
}

// details flattens a string or a list of anything into strings.
func details(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	if s := rawString(raw); s != "" {
		return []string{s}
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return []string{clip(string(raw))}
	}
	var out []string
	for _, item := range list {
		if s := rawString(item); s != "" {
			out = append(out, s)
		} else if len(item) > 0 && string(item) != "null" {
			out = append(out, clip(string(item)))
		}
	}
	return out
}

// errorFrom builds a *NodeError from an error body (or a nested "error"
// object or string); nil when there is nothing structured.
func (w wireV2) errorFrom(b v2ErrorBody, nested json.RawMessage, status int) error {
	if b.empty() && len(nested) > 0 && string(nested) != "null" {
		if s := rawString(nested); s != "" {
			return w.classify(&NodeError{Status: status, Message: clip(s)})
		}
		var inner v2ErrorBody
		if json.Unmarshal(nested, &inner) == nil && !inner.empty() {
			b = inner
		}
	}
	if b.empty() {
		return nil
	}
	ne := &NodeError{
		Status:  status,
		Kind:    clip(rawString(b.ErrorKind)),
		Code:    clip(rawString(b.ErrorCode)),
		Message: clip(rawString(b.Message)),
		Details: details(b.Details),
	}
	if ne.Kind == "" && ne.Code == "" && ne.Message == "" && len(ne.Details) == 0 {
		return nil // fields of unexpected types: let the caller show the raw body
	}
	var st int
	if json.Unmarshal(b.Status, &st) == nil && st != 0 && status == http.StatusOK {
		ne.Status = st
	}
	return w.classify(ne)
}

// classify returns an *ActionError for errors about the action itself
// (its code threw, timed out, or misused the API), else ne.
func (wireV2) classify(ne *NodeError) error {
	key := strings.ToLower(ne.Kind + " " + ne.Code)
	for _, marker := range []string{"action", "jsexecution", "jstimeout", "nodejs"} {
		if strings.Contains(key, marker) {
			msg := ne.Message
			if msg == "" {
				msg = strings.Join(ne.Details, "; ")
			}
			return &ActionError{Code: ne.Code, Message: msg}
		}
	}
	return ne
}

func (w wireV2) parseError(status int, body []byte) error {
	var b v2ErrorBody
	var nested struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &b) == nil {
		_ = json.Unmarshal(body, &nested)
		if err := w.errorFrom(b, nested.Error, status); err != nil {
			if ne, ok := err.(*NodeError); ok && ne.Status == 0 {
				ne.Status = status
			}
			return err
		}
	}
	return &NodeError{Status: status, Message: clip(strings.TrimSpace(string(body)))}
}

// clip keeps node-provided text short and valid UTF-8 for error messages.
func clip(s string) string { return textclip.Clip(s, 512) }
