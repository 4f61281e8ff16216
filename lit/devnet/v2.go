package devnet

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/litsigner/litsigner/lit"
)

// v2Protocol is the Lit v2 node API of SDK 2.2.x: POST /web/handshake and
// POST /web/execute, plaintext JSON, errors as a NodeError body.
type v2Protocol struct{}

func (v2Protocol) route(path string) endpoint {
	switch path {
	case "/web/handshake":
		return (*node).serveV2Handshake
	case "/web/execute":
		return (*node).serveV2Execute
	}
	return nil
}

func (v2Protocol) endpoints() string { return "/web/handshake and /web/execute" }

func (v2Protocol) writeError(w http.ResponseWriter, reqID string, e *NodeError) {
	writeError(w, reqID, e)
}

func (v2Protocol) writeMalformed(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, `{"success":true,"signedData":{"sig`)
}

// handshakeReply is the body of POST /web/handshake, with the fields the
// SDK 2.2.x reads. The BLS keys are placeholders: executeJs never uses them,
// but the SDK refuses to combine signatures while networkPublicKeySet is
// null.
type handshakeReply struct {
	ServerPublicKey     string `json:"serverPublicKey"`
	SubnetPublicKey     string `json:"subnetPublicKey"`
	NetworkPublicKey    string `json:"networkPublicKey"`
	NetworkPublicKeySet string `json:"networkPublicKeySet"`
}

// executeReply is the body of a successful POST /web/execute.
type executeReply struct {
	Success       bool                 `json:"success"`
	SignedData    map[string]lit.Share `json:"signedData"`
	DecryptedData map[string]any       `json:"decryptedData"`
	Response      string               `json:"response"`
	Logs          string               `json:"logs"`
}

func (nd *node) serveV2Handshake(w http.ResponseWriter, _ *http.Request, body []byte, reqID string) {
	var req map[string]json.RawMessage
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, reqID, invalid("the handshake body must be a JSON object such as {\"clientPublicKey\":\"test\"}", err.Error()))
		return
	}
	writeJSON(w, http.StatusOK, nd.handshake)
}

func (nd *node) serveV2Execute(w http.ResponseWriter, r *http.Request, body []byte, reqID string) {
	reply, nerr := nd.v2Execute(r, body)
	if nerr != nil {
		writeError(w, reqID, nerr)
		return
	}
	writeJSON(w, http.StatusOK, reply)
}

func (nd *node) v2Execute(r *http.Request, body []byte) (*executeReply, *NodeError) {
	req, nerr := nd.parseExecute(body)
	if nerr != nil {
		return nil, nerr
	}
	res, nerr := nd.runAction(r.Context(), &req.actionCall, func(cid string) *NodeError {
		return nd.verifyV2Session(req.AuthSig, cid)
	})
	if nerr != nil {
		return nil, nerr
	}
	reply := &executeReply{
		Success:       true,
		SignedData:    map[string]lit.Share{},
		DecryptedData: map[string]any{},
		Response:      res.Response,
		Logs:          res.Logs,
	}
	if len(res.SignRequests) == 0 {
		return reply, nil
	}
	// The dealer picks the signing set: the SDK sends to every node and
	// combines the first threshold non-empty shares.
	key := requestKey(r, req)
	set := nd.net.dealer.signingSet(key,
		func(i int) bool { return nd.net.Fault(i).live() },
		func(i int) bool { return nd.net.Fault(i).Latency > 0 })
	for _, sr := range res.SignRequests {
		sh, nerr := nd.signShare(key, set, sr)
		if nerr != nil {
			return nil, nerr
		}
		out := lit.Share{
			SigType:    "ECDSA",
			ShareIndex: nd.index + 1,
			LocalX:     hex.EncodeToString(sh.rx[:]),
			LocalY:     hex.EncodeToString(sh.ry[:]),
			PublicKey:  sh.pkp.info.PublicKey,
			DataSigned: hex.EncodeToString(sh.digest),
			SigName:    sr.SigName,
		}
		if sh.inSet {
			out.SignatureShare = hex.EncodeToString(sh.s[:])
		}
		reply.SignedData[sr.SigName] = out
	}
	return reply, nil
}

// signedNodeAddress is the nodeAddress sig's signedMessage names ("" when
// it does not parse). A session sends the same signature with every
// request, so the answer is remembered by a hash of the message's bytes
// (nd.v2Addrs) instead of parsing the whole message each time.
func (nd *node) signedNodeAddress(sig lit.AuthSig) string {
	key := sha256.Sum256([]byte(sig.SignedMessage))
	if addr, ok := nd.v2Addrs.get(key); ok {
		return addr
	}
	var addr string
	if p, err := lit.ParseSessionSig(sig); err == nil {
		addr = p.NodeAddress
	}
	return nd.v2Addrs.put(key, addr)
}

// verifyV2Session checks the session signature as a v2 node does, for the
// action whose CID is cid.
func (nd *node) verifyV2Session(sig lit.AuthSig, cid string) *NodeError {
	// Verify against the nodeAddress the signature names when it is one of
	// ours (a node has several equivalent URLs); otherwise against our first
	// URL, so that the verifier reports the mismatch.
	nodeURL := nd.urls[0]
	if addr := nd.signedNodeAddress(sig); slices.Contains(nd.urls, addr) {
		nodeURL = addr
	}
	err := nd.verified.VerifySessionSig(sig, nodeURL, nd.net.cfg.Now(), cid)
	if err == nil {
		return nil
	}
	details := []string{err.Error()}
	if errors.Is(err, lit.ErrSessionSigWrongNode) {
		details = append(details, "this node answers to "+strings.Join(nd.urls, ", "))
	}
	return nodeError(http.StatusUnauthorized, KindUnauthorized, CodeInvalidAuthSig,
		"the session signature does not authorize this request: "+strings.TrimPrefix(err.Error(), "lit: session signature: "), details...)
}
