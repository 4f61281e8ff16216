package devnet

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/litsigner/litsigner/lit"
	"github.com/litsigner/litsigner/lit/devnet/action"
)

// node is one devnet node: an HTTP handler holding its own key shares.
type node struct {
	net       *Network
	index     int
	urls      []string // accepted nodeAddress values
	keyShares []secp256k1.ModNScalar
	handshake handshakeReply
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

// ServeHTTP answers one request, applying the node's current fault first.
func (nd *node) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := r.Header.Get("X-Request-Id")
	if len(reqID) > maxRequestIDLength {
		reqID = ""
	}
	// Read the body first: the server only notices a client that hangs up
	// once the body is consumed, and a slow node must stop waiting then.
	body, readErr := io.ReadAll(http.MaxBytesReader(w, r.Body, nd.net.cfg.MaxBodySize))
	fault := nd.net.Fault(nd.index)
	if fault.Latency > 0 {
		t := time.NewTimer(fault.Latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	switch {
	case fault.HTTP500:
		writeError(w, reqID, nodeError(http.StatusInternalServerError, KindUnexpected, CodeSimulatedHTTP500,
			"this devnet node is set to fail every request (http500 fault)"))
		return
	case fault.Malformed:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, `{"success":true,"signedData":{"sig`)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, reqID, nodeError(http.StatusMethodNotAllowed, KindValidation, CodeMethodNotAllowed,
			"Lit node endpoints accept POST only", "method "+truncate(r.Method, 16)))
		return
	}
	var handle func(*http.Request, []byte) (any, *NodeError)
	switch r.URL.Path {
	case "/web/handshake":
		handle = nd.serveHandshake
	case "/web/execute":
		handle = nd.serveExecute
	default:
		writeError(w, reqID, nodeError(http.StatusNotFound, KindValidation, CodeNotFound,
			"unknown endpoint; this devnet serves /web/handshake and /web/execute", "path "+truncate(r.URL.Path, 64)))
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, reqID, invalid("the request body must be JSON (Content-Type: application/json)",
			"content type "+truncate(r.Header.Get("Content-Type"), 64)))
		return
	}
	if readErr != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(readErr, &tooLarge) {
			writeError(w, reqID, nodeError(http.StatusRequestEntityTooLarge, KindValidation, CodeRequestTooLarge,
				"the request body is too large", "limit "+strconv.FormatInt(tooLarge.Limit, 10)+" bytes"))
			return
		}
		writeError(w, reqID, invalid("cannot read the request body", readErr.Error()))
		return
	}
	reply, nerr := handle(r, body)
	if nerr != nil {
		writeError(w, reqID, nerr)
		return
	}
	writeJSON(w, http.StatusOK, reply)
}

func (nd *node) serveHandshake(_ *http.Request, body []byte) (any, *NodeError) {
	var req map[string]json.RawMessage
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, invalid("the handshake body must be a JSON object such as {\"clientPublicKey\":\"test\"}", err.Error())
	}
	return nd.handshake, nil
}

func (nd *node) serveExecute(r *http.Request, body []byte) (any, *NodeError) {
	req, nerr := parseExecuteRequest(body)
	if nerr != nil {
		return nil, nerr
	}
	cid, nerr := actionCID(req)
	if nerr != nil {
		return nil, nerr
	}
	if nerr := nd.verifySession(req.AuthSig, cid); nerr != nil {
		return nil, nerr
	}
	code, nerr := nd.net.actionCode(req)
	if nerr != nil {
		return nil, nerr
	}
	env := &nodeEnv{net: nd.net}
	res, err := action.Run(r.Context(), code, req.JSParams, env, nd.net.limits)
	if err != nil {
		return nil, actionError(err)
	}
	reply := executeReply{
		Success:       true,
		SignedData:    map[string]lit.Share{},
		DecryptedData: map[string]any{},
		Response:      res.Response,
		Logs:          res.Logs,
	}
	if len(res.SignRequests) == 0 {
		return reply, nil
	}
	key := requestKey(r, req)
	set := nd.net.dealer.signingSet(key,
		func(i int) bool { return nd.net.Fault(i).live() },
		func(i int) bool { return nd.net.Fault(i).Latency > 0 })
	wrong := nd.net.Fault(nd.index).WrongShare
	for _, sr := range res.SignRequests {
		share, nerr := nd.share(key, set, sr, wrong)
		if nerr != nil {
			return nil, nerr
		}
		reply.SignedData[sr.SigName] = share
	}
	return reply, nil
}

// verifySession checks the session signature as a node does, for the
// action whose CID is cid.
func (nd *node) verifySession(sig lit.AuthSig, cid string) *NodeError {
	// Verify against the nodeAddress the signature names when it is one of
	// ours (a node has several equivalent URLs); otherwise against our first
	// URL, so that the verifier reports the mismatch.
	nodeURL := nd.urls[0]
	if p, err := lit.ParseSessionSig(sig); err == nil && slices.Contains(nd.urls, p.NodeAddress) {
		nodeURL = p.NodeAddress
	}
	err := lit.VerifySessionSig(sig, nodeURL, nd.net.cfg.Now(), cid)
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

// share computes this node's signature share for one signing request, or
// an empty share when the node is not in the signing set.
func (nd *node) share(key string, set []int, sr action.SignRequest, wrong bool) (lit.Share, *NodeError) {
	idx, pkp, ok := nd.net.lookupPKP(sr.PublicKey)
	if !ok {
		return lit.Share{}, nodeError(http.StatusBadRequest, KindValidation, CodeUnknownPKP,
			"publicKey is not a PKP of this devnet", "publicKey "+truncate(sr.PublicKey, 140))
	}
	m, err := messageScalar(sr.ToSign)
	if err != nil {
		return lit.Share{}, nodeError(http.StatusBadRequest, KindValidation, CodeInvalidRequest, err.Error())
	}
	p, err := nd.net.dealer.presign(idx, key, sr.SigName, sr.ToSign)
	if err != nil {
		return lit.Share{}, nodeError(http.StatusInternalServerError, KindUnexpected, CodeSigningUnavailable, err.Error())
	}
	defer p.kinv.Zero()
	out := lit.Share{
		SigType:    "ECDSA",
		ShareIndex: nd.index + 1,
		LocalX:     hex.EncodeToString(p.rx[:]),
		LocalY:     hex.EncodeToString(p.ry[:]),
		PublicKey:  pkp.info.PublicKey,
		DataSigned: hex.EncodeToString(sr.ToSign),
		SigName:    sr.SigName,
	}
	if !slices.Contains(set, nd.index) {
		return out, nil
	}
	if wrong {
		var garbage [32]byte
		_, _ = rand.Read(garbage[:])
		out.SignatureShare = hex.EncodeToString(garbage[:])
		return out, nil
	}
	out.SignatureShare = signatureShare(nd.index, set, &nd.keyShares[idx], &p, &m)
	return out, nil
}

// nodeEnv is what a node gives an action run: it accepts signing requests
// for the devnet's PKPs only.
type nodeEnv struct{ net *Network }

// SignEcdsa accepts a request for a known PKP and a message of 1..32 bytes.
func (e *nodeEnv) SignEcdsa(_ context.Context, req action.SignRequest) error {
	if _, _, ok := e.net.lookupPKP(req.PublicKey); !ok {
		return errors.New("publicKey is not a PKP of this devnet")
	}
	if _, err := messageScalar(req.ToSign); err != nil {
		return err
	}
	return nil
}

// actionError maps an action run failure to the node's error reply.
func actionError(err error) *NodeError {
	var thrown *action.ThrowError
	switch {
	case errors.As(err, &thrown):
		details := []string{thrown.Error()}
		if thrown.Stack != "" {
			details = append(details, thrown.Stack)
		}
		return nodeError(http.StatusBadRequest, KindExecution, CodeJSExecutionError, thrown.Message, details...)
	case errors.Is(err, action.ErrMemoryLimit):
		return nodeError(http.StatusBadRequest, KindMemoryLimit, CodeJSMemoryLimit, err.Error())
	case errors.Is(err, action.ErrTimeout):
		return nodeError(http.StatusBadRequest, KindTimeout, CodeJSTimeout, "the Lit Action ran out of time", err.Error())
	case errors.Is(err, action.ErrCodeTooLarge), errors.Is(err, action.ErrInvalidParams):
		return nodeError(http.StatusBadRequest, KindValidation, CodeInvalidRequest, err.Error())
	case errors.Is(err, context.Canceled):
		return nodeError(http.StatusServiceUnavailable, KindUnexpected, CodeInternalError, "the request was cancelled", err.Error())
	default:
		return nodeError(http.StatusInternalServerError, KindUnexpected, CodeInternalError, "the node failed to run the Lit Action", err.Error())
	}
}
