package devnet

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/litsigner/litsigner/lit"
	"github.com/litsigner/litsigner/lit/devnet/action"
	"github.com/litsigner/litsigner/lit/internal/fieldhash"
	"github.com/litsigner/litsigner/lit/internal/nagawire"
)

// Naga session-signature rules a node applies.
const (
	// nagaClockGrace is the tolerance on a session signature's issuedAt
	// and expiration (the node's 60 s grace).
	nagaClockGrace = 60 * time.Second
	// nagaResourcePrefix and nagaAbility are what a session must ask for
	// to run a Lit Action.
	nagaResourcePrefix = "lit-litaction"
	nagaAbility        = "lit-action-execution"
	// nagaNodeVersion is what the handshake reports as nodeVersion.
	nagaNodeVersion = "litsigner-devnet"
	// nagaClientSDKVersion is the SDK version the handshake names.
	nagaClientSDKVersion = "8.3.1"
	// maxChallengeLength bounds the handshake challenge (hex).
	maxChallengeLength = 256
)

// nagaProtocol is the Lit Naga node API of SDK 8.x: POST /web/handshake/
// (plaintext, wrapped in {ok,error,errorObject,data}) and POST
// /web/execute/v2 (end-to-end encrypted both ways, errors too).
type nagaProtocol struct{}

func (nagaProtocol) route(path string) endpoint {
	switch path {
	case nagawire.HandshakePath:
		return (*node).serveNagaHandshake
	case nagawire.ExecutePath:
		return (*node).serveNagaExecute
	}
	return nil
}

func (nagaProtocol) endpoints() string {
	return nagawire.HandshakePath + " and " + nagawire.ExecutePath
}

// writeError writes a plaintext {ok:false} result: before the body is read
// the client's key is unknown.
func (nagaProtocol) writeError(w http.ResponseWriter, reqID string, e *NodeError) {
	writeNagaResult(w, e.Status, errorResult(reqID, e))
}

func (nagaProtocol) writeMalformed(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = io.WriteString(w, `{"version":"1","payload":{"verification_key":"`)
}

// errorResult is the {ok:false,error,errorObject,data:null} of a node error;
// errorObject is the NodeError as a JSON string, as the nodes send it.
func errorResult(reqID string, e *NodeError) nagawire.Result {
	obj := *e
	obj.CorrelationID = reqID
	res, err := nagawire.NewErrorResult(e.Message, &obj)
	if err != nil { // a NodeError always marshals; keep the message anyway
		msg := e.Message
		return nagawire.Result{Error: &msg, Data: json.RawMessage("null")}
	}
	return res
}

// marshalResult encodes a Result without HTML escaping (as JSON.stringify).
func marshalResult(res nagawire.Result) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(res); err != nil {
		return []byte(`{"ok":false,"error":"cannot encode reply","errorObject":null,"data":null}`)
	}
	return bytes.TrimRight(b.Bytes(), "\n")
}

func writeNagaResult(w http.ResponseWriter, status int, res nagawire.Result) {
	writeBody(w, status, marshalResult(res))
}

// nagaHandshakeRequest is the handshake body as a node reads it.
type nagaHandshakeRequest struct {
	ClientPublicKey *string `json:"clientPublicKey"`
	Challenge       *string `json:"challenge"`
	Epoch           *uint64 `json:"epoch"`
}

func (nd *node) serveNagaHandshake(w http.ResponseWriter, _ *http.Request, body []byte, reqID string) {
	var req nagaHandshakeRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeNagaResult(w, http.StatusBadRequest, errorResult(reqID, invalid(
			`the handshake body must be a JSON object such as {"clientPublicKey":"test","challenge":"<hex>","epoch":1}`, err.Error())))
		return
	}
	if req.Challenge == nil || *req.Challenge == "" || len(*req.Challenge) > maxChallengeLength || !isHex(*req.Challenge) {
		writeNagaResult(w, http.StatusBadRequest, errorResult(reqID, invalid(
			"challenge must be a non-empty hex string (32 random bytes, the attestation nonce)")))
		return
	}
	att, err := nd.attestation(*req.Challenge)
	if err != nil {
		writeNagaResult(w, http.StatusBadRequest, errorResult(reqID, invalid(
			"challenge must be 32 bytes, hex: this node attests its handshake to it", err.Error())))
		return
	}
	epoch := nd.net.Epoch()
	data := nagawire.HandshakeData{
		ServerPublicKey:     nd.naga.serverPublicKey,
		SubnetPublicKey:     nd.net.nagaKeys.subnet,
		NetworkPublicKey:    nd.net.nagaKeys.subnet,
		NetworkPublicKeySet: nd.net.nagaKeys.keySet,
		ClientSDKVersion:    nagaClientSDKVersion,
		HDRootPubkeys:       nd.net.nagaKeys.hdRoots,
		Attestation:         att,
		LatestBlockhash:     nd.net.blockhash(epoch),
		NodeIdentityKey:     hex.EncodeToString(nd.naga.identity.Public[:]),
		NodeVersion:         nagaNodeVersion,
		Epoch:               epoch,
	}
	res, err := nagawire.NewResult(data)
	if err != nil {
		writeNagaResult(w, http.StatusInternalServerError, errorResult(reqID,
			nodeError(http.StatusInternalServerError, KindUnexpected, CodeInternalError, "cannot encode the handshake", err.Error())))
		return
	}
	writeNagaResult(w, http.StatusOK, res)
}

// serveNagaExecute opens the envelope, runs the request and seals the
// reply, or the error, to the request's verification_key.
func (nd *node) serveNagaExecute(w http.ResponseWriter, r *http.Request, body []byte, reqID string) {
	env, err := nagawire.UnmarshalEnvelope(body)
	if err != nil {
		writeNagaResult(w, http.StatusBadRequest, errorResult(reqID, nodeError(http.StatusBadRequest, KindValidation, CodeE2EE,
			`the request body must be an encrypted envelope {"version":"1","payload":{…},"epoch":N}`, err.Error())))
		return
	}
	var client [32]byte
	if err := decodeKey(client[:], env.Payload.VerificationKey); err != nil {
		writeNagaResult(w, http.StatusBadRequest, errorResult(reqID, nodeError(http.StatusBadRequest, KindValidation, CodeE2EE,
			"payload.verification_key must be the client's x25519 public key (64 hex digits)", err.Error())))
		return
	}
	// One box key opens the request and seals the reply.
	key := nd.naga.box.SharedKey(client)
	reply, nerr := nd.nagaExecute(r, env, key)
	var plain []byte
	status := http.StatusOK
	if nerr != nil {
		plain, status = marshalResult(errorResult(reqID, nerr)), nerr.Status
	} else {
		plain = okResultJSON(reply)
	}
	var random [16]byte
	_, _ = rand.Read(random[:])
	writeBody(w, status, key.SealEnvelope(plain, random, nd.net.cfg.Now(), nil))
}

// okResultJSON is marshalResult(Result{OK: true, Data: data}) for data as
// ExecuteResponse.Marshal writes it (compact, nothing escaped that
// marshalResult would unescape): the data is not scanned and copied twice
// more, by NewResult and by the encoder (TestOKResultJSON).
func okResultJSON(data []byte) []byte {
	const head = `{"ok":true,"error":null,"errorObject":null,"data":`
	out := make([]byte, 0, len(head)+len(data)+1)
	return append(append(append(out, head...), data...), '}')
}

// nagaExecute is an execute request after its envelope parsed: it returns
// the JSON of the ExecuteResponse.
func (nd *node) nagaExecute(r *http.Request, env nagawire.Envelope, key *nagawire.SharedKey) ([]byte, *NodeError) {
	if env.Version != nagawire.EnvelopeVersion {
		return nil, nodeError(http.StatusBadRequest, KindValidation, CodeE2EE,
			fmt.Sprintf("envelope version %q is not supported (want %q)", truncate(env.Version, 16), nagawire.EnvelopeVersion))
	}
	if nerr := nd.checkEpoch(env.Epoch); nerr != nil {
		return nil, nerr
	}
	plain, err := key.Open(env.Payload)
	if err != nil {
		msg := "the request does not decrypt with this node's identity key (encrypt it to the nodeIdentityKey of this node's handshake)"
		if errors.Is(err, nagawire.ErrEnvelope) {
			msg = "the encrypted envelope is malformed"
		}
		return nil, nodeError(http.StatusBadRequest, KindValidation, CodeE2EE, msg, err.Error())
	}
	req, err := nagawire.ParseExecuteRequest(plain)
	if err != nil {
		return nil, invalid("the decrypted request is not a Naga executeJs request", err.Error())
	}
	if req.KeySetID != nagawire.KeySetID {
		return nil, invalid(fmt.Sprintf("keySetId must be %q", nagawire.KeySetID), "got "+strconv.Quote(truncate(req.KeySetID, 64)))
	}
	set, sockets, nerr := nd.signingSetOf(req.NodeSet)
	if nerr != nil {
		return nil, nerr
	}
	call, nerr := nd.net.actionCall(req.Code, req.IPFSID, req.JSParams)
	if nerr != nil {
		return nil, nerr
	}
	res, nerr := nd.runAction(r.Context(), call, func(cid string) *NodeError {
		return nd.verifyNagaSession(req.AuthSig, cid)
	})
	if nerr != nil {
		return nil, nerr
	}
	out := nagawire.ExecuteResponse{
		Success:    true,
		SignedData: map[string]nagawire.SignedShare{},
		Response:   res.Response,
		Logs:       res.Logs,
		PaymentDetail: []nagawire.PaymentDetail{
			{Component: "baseAmount", Quantity: 1, Price: new(big.Int).SetUint64(nd.net.Price(nd.index))},
		},
	}
	// One nonce per (PKP, nodeSet, sigName, digest): every node of the set
	// derives the same R; another set gets another R.
	nonceKey := "naga|" + strings.Join(sockets, ",")
	for _, sr := range res.SignRequests {
		share, nerr := nd.nagaShare(nonceKey, set, sr)
		if nerr != nil {
			return nil, nerr
		}
		out.SignedData[sr.SigName] = share
	}
	b, err := out.Marshal()
	if err != nil {
		return nil, nodeError(http.StatusInternalServerError, KindUnexpected, CodeInternalError, "cannot encode the reply", err.Error())
	}
	return b, nil
}

// checkEpoch accepts the request's epoch when it is the current one or the
// one before (a client that has not yet seen the change); no epoch is
// accepted too.
func (nd *node) checkEpoch(e *uint64) *NodeError {
	if e == nil {
		return nil
	}
	cur := nd.net.Epoch()
	if *e == cur || *e+1 == cur {
		return nil
	}
	return nodeError(http.StatusBadRequest, KindValidation, CodeInvalidEpoch,
		fmt.Sprintf("the request is for epoch %d; this node is in epoch %d (read the staking contract again and handshake)", *e, cur))
}

// signingSetOf turns the request's nodeSet into node indexes: every entry a
// node of this network, no duplicates, this node among them, and at least
// threshold of them (the nodes split the signature additively over the
// set; a smaller set cannot reconstruct the key). sockets are the entries'
// addresses, sorted.
func (nd *node) signingSetOf(ns []nagawire.NodeSetEntry) ([]int, []string, *NodeError) {
	bySocket := nd.net.bySocket.Load()
	if bySocket == nil {
		return nil, nil, nodeError(http.StatusServiceUnavailable, KindUnexpected, CodeInternalError, "the network is still starting; try again")
	}
	var set []int
	var sockets []string
	for _, e := range ns {
		i, ok := (*bySocket)[e.SocketAddress]
		if !ok {
			return nil, nil, invalid("nodeSet names a node that is not part of this network",
				"socketAddress "+strconv.Quote(truncate(e.SocketAddress, 64)))
		}
		if slices.Contains(set, i) {
			return nil, nil, invalid("nodeSet names a node twice", "socketAddress "+strconv.Quote(e.SocketAddress))
		}
		set = append(set, i)
		sockets = append(sockets, e.SocketAddress)
	}
	if !slices.Contains(set, nd.index) {
		return nil, nil, nodeError(http.StatusBadRequest, KindValidation, CodeNotInNodeSet,
			"this node is not in the request's nodeSet; send the request only to the nodes it names",
			"this node is "+strings.TrimPrefix(nd.net.servers[nd.index].url, "http://"))
	}
	if len(set) < nd.net.cfg.Threshold {
		return nil, nil, invalid(fmt.Sprintf("nodeSet has %d nodes; a signature needs at least the threshold, %d", len(set), nd.net.cfg.Threshold))
	}
	slices.Sort(set)
	sort.Strings(sockets)
	return set, sockets, nil
}

// nagaShare is this node's share of one signature as the Naga reply carries
// it: the JSON-in-JSON EcdsaSignedMessageShare.
func (nd *node) nagaShare(nonceKey string, set []int, sr action.SignRequest) (nagawire.SignedShare, *NodeError) {
	sh, nerr := nd.signShare(nonceKey, set, sr)
	if nerr != nil {
		return nagawire.SignedShare{}, nerr
	}
	pub := sh.pkp.pub.SerializeUncompressed()
	es := nagawire.EcdsaShare{
		Result:    "success",
		ShareID:   nd.naga.shareID,
		PeerID:    nd.naga.peerID,
		S:         new(big.Int).SetBytes(sh.s[:]),
		BigR:      compressPoint(sh.rx, sh.ry),
		PublicKey: pub,
		SigType:   nagawire.SigTypeEcdsaK256Sha256,
	}
	copy(es.Digest[32-len(sh.digest):], sh.digest) // the same integer, left-padded
	text, err := nagawire.EncodeEcdsaShare(es)
	if err != nil {
		return nagawire.SignedShare{}, nodeError(http.StatusInternalServerError, KindUnexpected, CodeSigningUnavailable, err.Error())
	}
	return nagawire.SignedShare{
		SigType:        nagawire.SigTypeEcdsaK256Sha256,
		SignatureShare: text,
		PublicKey:      hex.EncodeToString(pub),
		SigName:        sr.SigName,
	}, nil
}

func compressPoint(x, y [32]byte) []byte {
	out := make([]byte, 33)
	out[0] = 2 | y[31]&1
	copy(out[1:], x[:])
	return out
}

// verifyNagaSession checks a per-node session signature as a Naga node
// does, for the action whose CID is cid: the ed25519 signature over the
// exact signedMessage, the message's grammar, nodeAddress (this node's URL
// with its scheme), issuedAt/expiration with the node's grace, maxPrice at
// least this node's price, the payment, the resources asked for, and the
// wallet's SIWE capability (the last one).
func (nd *node) verifyNagaSession(sig nagawire.AuthSig, cid string) *NodeError {
	unauthorized := func(msg string, details ...string) *NodeError {
		return nodeError(http.StatusUnauthorized, KindUnauthorized, CodeInvalidAuthSig,
			"the session signature does not authorize this request: "+msg, details...)
	}
	if sig.Algo != nagawire.SessionSigAlgo || sig.DerivedVia != nagawire.SessionSigDerivedVia {
		return unauthorized(fmt.Sprintf("algo must be %q and derivedVia %q", nagawire.SessionSigAlgo, nagawire.SessionSigDerivedVia),
			fmt.Sprintf("algo %q derivedVia %q", truncate(sig.Algo, 32), truncate(sig.DerivedVia, 64)))
	}
	msg, nerr := nd.nagaSessionMessage(sig, unauthorized)
	if nerr != nil {
		return nerr
	}
	if !slices.Contains(nd.urls, msg.NodeAddress) {
		return unauthorized("it was signed for another node (nodeAddress)",
			"nodeAddress "+strconv.Quote(truncate(msg.NodeAddress, 80)), "this node answers to "+strings.Join(nd.urls, ", "))
	}
	now := nd.net.cfg.Now()
	issued, err1 := time.Parse(time.RFC3339Nano, msg.IssuedAt)
	expires, err2 := time.Parse(time.RFC3339Nano, msg.Expiration)
	if err1 != nil || err2 != nil {
		return unauthorized("issuedAt and expiration must be ISO 8601 times",
			fmt.Sprintf("issuedAt %q expiration %q", truncate(msg.IssuedAt, 40), truncate(msg.Expiration, 40)))
	}
	if now.After(expires.Add(nagaClockGrace)) {
		return unauthorized("it has expired", "expired at "+msg.Expiration+", now "+nagawire.FormatTime(now))
	}
	if now.Before(issued.Add(-nagaClockGrace)) {
		return unauthorized("it is not valid yet", "issued at "+msg.IssuedAt+", now "+nagawire.FormatTime(now))
	}
	if nerr := nd.checkPayment(msg.MaxPrice); nerr != nil {
		return nerr
	}
	if !nagaRequestsCover(msg.ResourceAbilityRequests, cid) {
		return unauthorized(fmt.Sprintf("resourceAbilityRequests do not ask for %s of %s://%s (or *)", nagaAbility, nagaResourcePrefix, cid))
	}
	capSig := msg.WalletCapability()
	if capSig.DerivedVia != nagawire.WalletSigDerivedVia {
		return unauthorized(fmt.Sprintf("the last capability must be the wallet's SIWE signature (derivedVia %q)", nagawire.WalletSigDerivedVia),
			"derivedVia "+strconv.Quote(truncate(capSig.DerivedVia, 64)))
	}
	err := nd.verified.VerifyCapability(lit.AuthSig{
		Sig: capSig.Sig, DerivedVia: capSig.DerivedVia, SignedMessage: capSig.SignedMessage, Address: capSig.Address, Algo: capSig.Algo,
	}, strings.ToLower(sig.Address), now, cid)
	if err != nil {
		return unauthorized("the wallet capability: "+strings.TrimPrefix(err.Error(), "lit: session signature: "), err.Error())
	}
	return nil
}

// nagaSessionMessage runs the checks of a session signature that depend on
// its bytes alone (address and sig well formed, the ed25519 signature over
// signedMessage, the message's grammar, sessionKey the signing key) and
// returns the parsed message. A session sends the same signature with every
// request, so a success is remembered by the exact bytes of the signature's
// fields (nd.nagaSigs); failures are checked again each time.
func (nd *node) nagaSessionMessage(sig nagawire.AuthSig, unauthorized func(string, ...string) *NodeError) (*nagawire.SessionSigMessage, *NodeError) {
	// The fields the byte checks read.
	key := fieldhash.Sum(sig.Sig, sig.SignedMessage, sig.Address)
	if msg, ok := nd.nagaSigs.get(key); ok {
		return msg, nil
	}
	pub, err := hex.DecodeString(sig.Address)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return nil, unauthorized("address must be the session's ed25519 public key (64 hex digits)")
	}
	raw, err := hex.DecodeString(strings.TrimPrefix(sig.Sig, "0x"))
	if err != nil || len(raw) != ed25519.SignatureSize {
		return nil, unauthorized("sig must be a 64-byte ed25519 signature in hex")
	}
	if !ed25519.Verify(ed25519.PublicKey(pub), []byte(sig.SignedMessage), raw) {
		return nil, unauthorized("the ed25519 signature does not verify over signedMessage with the session key")
	}
	msg, err := nagawire.ParseSessionSigMessage([]byte(sig.SignedMessage))
	if err != nil {
		return nil, unauthorized("signedMessage is not a Naga session message", err.Error())
	}
	if !strings.EqualFold(msg.SessionKey, sig.Address) {
		return nil, unauthorized("sessionKey is not the key that signed", "sessionKey "+truncate(msg.SessionKey, 80))
	}
	return nd.nagaSigs.put(key, &msg), nil
}

// checkPayment refuses a maxPrice below this node's current price, and
// everything when the node is set to refuse payment.
func (nd *node) checkPayment(maxPrice string) *NodeError {
	price := nd.net.Price(nd.index)
	max, ok := parseHexU256(maxPrice)
	if !ok {
		return nodeError(http.StatusBadRequest, KindValidation, CodeInvalidRequest,
			"maxPrice must be a hex wei amount (\"0x…\", at most 256 bits)", "maxPrice "+strconv.Quote(truncate(maxPrice, 80)))
	}
	if max.Cmp(new(big.Int).SetUint64(price)) < 0 {
		return nodeError(http.StatusPaymentRequired, KindPayment, CodeMaxPriceTooLow,
			fmt.Sprintf("maxPrice %s wei is below this node's price %d wei; read PriceFeed.getNodesForRequest again and raise the budget", max, price))
	}
	if nd.net.Fault(nd.index).RefusePayment {
		return nodeError(http.StatusPaymentRequired, KindPayment, CodePaymentRefused,
			"no payer covers this request: the user has no Ledger balance and no payment delegation (deposit funds or get a delegation)")
	}
	return nil
}

// parseHexU256 reads a hex amount, with or without 0x, as a node parses
// a U256.
func parseHexU256(s string) (*big.Int, bool) {
	h := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if h == "" || len(h) > 64 || !isHex(h) {
		return nil, false
	}
	v, ok := new(big.Int).SetString(h, 16)
	return v, ok
}

func nagaRequestsCover(reqs []nagawire.ResourceAbilityRequest, cid string) bool {
	for _, r := range reqs {
		if r.Ability == nagaAbility && r.Resource.ResourcePrefix == nagaResourcePrefix &&
			(r.Resource.Resource == "*" || r.Resource.Resource == cid) {
			return true
		}
	}
	return false
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// decodeKey decodes 32 bytes of hex (no 0x) into dst.
func decodeKey(dst []byte, s string) error {
	b, err := hex.DecodeString(s)
	if err != nil {
		return err
	}
	if len(b) != len(dst) {
		return fmt.Errorf("%d bytes, want %d", len(b), len(dst))
	}
	copy(dst, b)
	return nil
}
