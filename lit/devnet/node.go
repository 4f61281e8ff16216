package devnet

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
	"github.com/litsigner/litsigner/lit"
	"github.com/litsigner/litsigner/lit/devnet/action"
	"github.com/litsigner/litsigner/lit/internal/nagawire"
	"github.com/litsigner/litsigner/lit/internal/textclip"
)

// node is one devnet node: an HTTP handler holding its own key shares.
// What it speaks on the wire is its network's protocol (v2.go, naga.go);
// the pipeline verify → run action → signature shares is shared.
type node struct {
	net       *Network
	index     int
	urls      []string // accepted nodeAddress values
	keyShares []secp256k1.ModNScalar
	handshake handshakeReply // v2
	naga      *nagaNode      // Naga: identity key and prices; nil on v2
	// verified caches the session signatures and wallet capabilities this
	// node has already verified (a session sends the same ones with
	// every request).
	verified *lit.VerifyCache
	// lagrange holds the node's Lagrange weight per signing set.
	lagrange *boundedCache[setMask, secp256k1.ModNScalar]
	// nagaSigs holds the Naga session signatures this node has verified
	// (their bytes' checks), by a hash of those bytes.
	nagaSigs *boundedCache[[sha256.Size]byte, *nagawire.SessionSigMessage]
	// v2Addrs holds the nodeAddress of the v2 session signatures seen, by
	// a hash of their signedMessage.
	v2Addrs *boundedCache[[sha256.Size]byte, string]
	// authSigs holds the v2 authSig values decoded, by a hash of their
	// JSON bytes.
	authSigs *boundedCache[[sha256.Size]byte, lit.AuthSig]
}

// protocol is one wire protocol's HTTP codec: its endpoints and how it
// writes errors.
type protocol interface {
	// route returns the handler of path, or nil.
	route(path string) endpoint
	// endpoints names the served paths, for the 404 message.
	endpoints() string
	// writeError writes a node error that happened before an endpoint took
	// over (bad method, content type, body size, simulated failure).
	writeError(w http.ResponseWriter, reqID string, e *NodeError)
	// writeMalformed writes the malformed-reply fault: HTTP 200 and a body
	// that is not valid JSON.
	writeMalformed(w http.ResponseWriter)
}

// endpoint serves one path; body is the whole request body.
type endpoint func(nd *node, w http.ResponseWriter, r *http.Request, body []byte, reqID string)

// ServeHTTP answers one request, applying the node's current fault first.
func (nd *node) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	proto := nd.net.proto
	reqID := r.Header.Get("X-Request-Id")
	if len(reqID) > maxRequestIDLength {
		reqID = ""
	}
	// Read the body first: the server only notices a client that hangs up
	// once the body is consumed, and a slow node must stop waiting then.
	body, readErr := readBody(w, r, nd.net.cfg.MaxBodySize)
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
		proto.writeError(w, reqID, nodeError(http.StatusInternalServerError, KindUnexpected, CodeSimulatedHTTP500,
			"this devnet node is set to fail every request (http500 fault)"))
		return
	case fault.Malformed:
		proto.writeMalformed(w)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		proto.writeError(w, reqID, nodeError(http.StatusMethodNotAllowed, KindValidation, CodeMethodNotAllowed,
			"Lit node endpoints accept POST only", "method "+truncate(r.Method, 16)))
		return
	}
	handle := proto.route(r.URL.Path)
	if handle == nil {
		proto.writeError(w, reqID, nodeError(http.StatusNotFound, KindValidation, CodeNotFound,
			"unknown endpoint; this devnet serves "+proto.endpoints(), "path "+truncate(r.URL.Path, 64)))
		return
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		proto.writeError(w, reqID, invalid("the request body must be JSON (Content-Type: application/json)",
			"content type "+truncate(r.Header.Get("Content-Type"), 64)))
		return
	}
	if readErr != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(readErr, &tooLarge) {
			proto.writeError(w, reqID, nodeError(http.StatusRequestEntityTooLarge, KindValidation, CodeRequestTooLarge,
				"the request body is too large", "limit "+strconv.FormatInt(tooLarge.Limit, 10)+" bytes"))
			return
		}
		proto.writeError(w, reqID, invalid("cannot read the request body", readErr.Error()))
		return
	}
	handle(nd, w, r, body, reqID)
}

// readBody reads the whole body, at most max bytes (a longer one fails
// with *http.MaxBytesError). A body that announces its length is read into
// a buffer of that size at once, instead of io.ReadAll's doublings from
// 512 bytes.
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	var buf bytes.Buffer
	if n := r.ContentLength; n > 0 && n <= max {
		buf.Grow(int(n) + bytes.MinRead) // ReadFrom wants MinRead spare bytes to hit EOF without growing
	}
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, max))
	return buf.Bytes(), err
}

// runAction is the protocol-neutral middle of an execute request: authorize
// checks the session for the action's CID, then the action runs.
func (nd *node) runAction(ctx context.Context, call *actionCall, authorize func(cid string) *NodeError) (*action.Result, *NodeError) {
	cid, nerr := actionCID(call)
	if nerr != nil {
		return nil, nerr
	}
	if nerr := authorize(cid); nerr != nil {
		return nil, nerr
	}
	code, nerr := nd.net.actionCode(call)
	if nerr != nil {
		return nil, nerr
	}
	res, err := action.RunJSON(ctx, code, call.paramsJSON, &nodeEnv{net: nd.net}, nd.net.limits)
	if err != nil {
		return nil, actionError(err)
	}
	return res, nil
}

// ecdsaShare is one node's share of one signature, before a protocol
// encodes it.
type ecdsaShare struct {
	pkp    pkpKey
	digest []byte   // the signed bytes (1..32)
	rx, ry [32]byte // the nonce point R
	s      [32]byte // the share s_i (zero when inSet is false)
	inSet  bool     // the node is in the signing set
}

// signShare computes this node's share of signature sr over the signing set
// (node indexes): s_i = λ_i·k⁻¹·(m + r·x_i), with the nonce k fixed by
// nonceKey. A wrong-share fault gives random bytes instead.
func (nd *node) signShare(nonceKey string, set []int, sr action.SignRequest) (ecdsaShare, *NodeError) {
	idx, pkp, ok := nd.net.lookupPKP(sr.PublicKey)
	if !ok {
		return ecdsaShare{}, nodeError(http.StatusBadRequest, KindValidation, CodeUnknownPKP,
			"publicKey is not a PKP of this devnet", "publicKey "+truncate(sr.PublicKey, 140))
	}
	m, err := messageScalar(sr.ToSign)
	if err != nil {
		return ecdsaShare{}, nodeError(http.StatusBadRequest, KindValidation, CodeInvalidRequest, err.Error())
	}
	p, err := nd.net.dealer.presign(idx, nonceKey, sr.SigName, sr.ToSign)
	if err != nil {
		return ecdsaShare{}, nodeError(http.StatusInternalServerError, KindUnexpected, CodeSigningUnavailable, err.Error())
	}
	defer p.kinv.Zero()
	out := ecdsaShare{pkp: pkp, digest: sr.ToSign, rx: p.rx, ry: p.ry}
	if !slices.Contains(set, nd.index) {
		return out, nil
	}
	out.inSet = true
	if nd.net.Fault(nd.index).WrongShare {
		_, _ = rand.Read(out.s[:])
		return out, nil
	}
	lambda := nd.lagrangeOf(set)
	out.s = signatureShare(&lambda, &nd.keyShares[idx], &p, &m)
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

// MaxActionErrorSize is the most bytes of a thrown action error's message,
// and of its stack, that a node puts in its reply; a longer one is clipped
// and ends with "… [clipped N bytes]". A node repeats the message in its
// reply (twice in v2, three times in Naga, JSON-escaped again inside
// errorObject), so `throw new Error("x".repeat(600000))` made every reply
// larger than the client's 1 MiB limit: the caller saw a network failure
// instead of the action's error.
const MaxActionErrorSize = 16 << 10

// clipText cuts s to at most max bytes, at a UTF-8 character boundary,
// and says how much was cut.
func clipText(s string, max int) string {
	head, dropped := textclip.Cut(s, max)
	if dropped == 0 {
		return s
	}
	return head + fmt.Sprintf("… [clipped %d bytes]", dropped)
}

// actionError maps an action run failure to the node's error reply.
func actionError(err error) *NodeError {
	var thrown *action.ThrowError
	switch {
	case errors.As(err, &thrown):
		clipped := *thrown
		clipped.Message = clipText(thrown.Message, MaxActionErrorSize)
		details := []string{clipped.Error()}
		if thrown.Stack != "" {
			details = append(details, clipText(thrown.Stack, MaxActionErrorSize))
		}
		return nodeError(http.StatusBadRequest, KindExecution, CodeJSExecutionError, clipped.Message, details...)
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
