package lit

import (
	"context"
	"math/big"
	"net/http"
	"time"
)

// Protocol names accepted in Network.Protocol.
const (
	// ProtocolV2 is the Lit v2 node API of SDK 2.2.x (fixed node URLs).
	ProtocolV2 = "v2"
	// ProtocolNaga is the Lit v8 "Naga" node API of SDK 8.x (nodes from the
	// chain, end-to-end encrypted requests, per-node prices).
	ProtocolNaga = "naga"
)

// protocol is one generation of the Lit node API. The client's shared
// code (single-flight connect, fan-out, threshold aggregation, share
// combination, errors) only talks to this interface; each protocol lives
// in its own files (v2*.go, naga*.go).
type protocol interface {
	// name is the Protocol* constant.
	name() string
	// connect learns the node set and handshakes: node URLs, threshold,
	// per-node state, epoch.
	connect(ctx context.Context, c *Client) (*netState, error)
	// plan chooses the nodes of one execute attempt (avoiding the URLs in
	// avoid; errNoAlternative when it cannot), signs this protocol's
	// session signature for each within budget (wei; the rest of the
	// call's MaxPrice) and builds each node's body.
	plan(c *Client, st *netState, s *Session, ra ResourceAbilityRequest, req ExecuteJSRequest, avoid map[string]bool, budget *big.Int, now time.Time) (*callPlan, error)
	// decode opens and parses one node's execute reply (any HTTP status)
	// into the normalised form.
	decode(st *netState, call *nodeCall, status int, body []byte) (executeReply, error)
}

// netState is what connect learnt; it is replaced, never mutated, so a
// call holds a consistent snapshot.
type netState struct {
	threshold int
	epoch     uint64
	// nodes are the connected nodes (a good handshake), in URL order.
	nodes []nodeState
	info  NetworkInfo
	// expires is when the state must be re-read (zero: never).
	expires time.Time
}

// nodeState is one connected node.
type nodeState struct {
	url string
	// price is the node's price for running a Lit Action (nil: free/unknown).
	price *big.Int
	// ext is the protocol's own per-node state.
	ext any
}

// callPlan is one attempt at an execute: the calls to make and how many
// consistent good replies it needs.
type callPlan struct {
	calls []*nodeCall
	need  int
	// price is what the attempt may cost (Σ node prices; nil when free).
	price *big.Int
	// reissuable allows another plan when this one fails.
	reissuable bool
	// reissueAfter is how long to wait for all calls before re-issuing
	// the call on another node set (0: never).
	reissueAfter time.Duration
}

// nodeCall is one HTTP request of a plan.
type nodeCall struct {
	url    string // node base URL
	path   string
	header http.Header // extra headers
	// body is the request body, in parts sent one after the other: the
	// v2 execute requests share all of theirs but the session signature.
	body [][]byte
	// ext is the protocol's per-call state (e.g. the key to open the reply).
	ext any
	// check, when set, runs in the request's own goroutine once the node
	// replied, so that slow per-reply work (an attestation's VCEK fetch)
	// runs for all nodes at once; fanOut delivers its result as the
	// nodeResult's checked and checkErr.
	check func(ctx context.Context, r nodeResult) (any, error)
}

// executeReply is one node's normalised executeJs answer.
type executeReply struct {
	Shares   map[string]ecdsaShare
	Response string
	Logs     string
}

// ecdsaShare is one node's ECDSA signature share, normalised from either
// protocol's share encoding.
type ecdsaShare struct {
	SigName string
	// Empty marks a node outside the signing set (v2): no s, no R.
	Empty  bool
	Rx, Ry *big.Int
	S      *big.Int
	// PublicKey is the uncompressed (65-byte) PKP key.
	PublicKey []byte
	Digest    [32]byte
	// PublicKeyHex and DataSignedHex are the forms the result shows.
	PublicKeyHex, DataSignedHex string
}
