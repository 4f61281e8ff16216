package lit

import (
	"context"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// SDKVersion is sent as X-Lit-SDK-Version on v2 networks: the SDK release
// whose wire format the v2 protocol speaks.
const SDKVersion = "2.2.63"

// DefaultThreshold is the v2 JS SDK's default minNodeCount.
const DefaultThreshold = 6

// LocalhostNetwork is the v2 SDK's "localhost" network: ten nodes on
// http://localhost:7470 ... http://localhost:7479, threshold 6.
func LocalhostNetwork() Network {
	urls := make([]string, 10)
	for i := range urls {
		urls[i] = fmt.Sprintf("http://localhost:%d", 7470+i)
	}
	return Network{Name: "localhost", Protocol: ProtocolV2, NodeURLs: urls, Threshold: DefaultThreshold}
}

// v2Defaults validates a v2 network's node URLs and threshold.
func v2Defaults(n Network) (Network, protocol, error) {
	if len(n.NodeURLs) == 0 {
		return n, nil, fmt.Errorf("lit: network: no node URLs: %w", ErrInvalidParams)
	}
	seen := map[string]bool{}
	urls := make([]string, len(n.NodeURLs))
	for i, raw := range n.NodeURLs {
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return n, nil, fmt.Errorf("lit: network: node URL %q must be http(s)://host[:port]: %w", raw, ErrInvalidParams)
		}
		s := strings.TrimSuffix(raw, "/")
		if seen[s] {
			return n, nil, fmt.Errorf("lit: network: duplicate node URL %q: %w", raw, ErrInvalidParams)
		}
		seen[s] = true
		urls[i] = s
	}
	n.NodeURLs = urls
	if n.Threshold < 0 {
		return n, nil, fmt.Errorf("lit: network: negative threshold: %w", ErrInvalidParams)
	}
	if n.Threshold == 0 {
		n.Threshold = min(DefaultThreshold, len(urls))
	}
	if n.Threshold > len(urls) {
		return n, nil, fmt.Errorf("lit: network: threshold %d exceeds %d nodes: %w", n.Threshold, len(urls), ErrInvalidParams)
	}
	return n, protoV2{}, nil
}

// protoV2 is the Lit v2 protocol: fixed nodes, a plain-JSON handshake,
// every call to every node, the first threshold consistent replies win.
// The wire format is described in lit/PROTOCOL-v2.md.
type protoV2 struct{}

func (protoV2) name() string { return ProtocolV2 }

// v2Header is the SDK 2.2.63's request headers.
var v2Header = http.Header{"X-Lit-Sdk-Version": {SDKVersion}, "X-Lit-Sdk-Type": {"Typescript"}}

// connect handshakes every node and returns as soon as the threshold of
// nodes gave a good reply (a node answering "ERR" for a key is ignored, as
// the SDK does).
func (protoV2) connect(ctx context.Context, c *Client) (*netState, error) {
	w := wireV2{}
	calls := make([]*nodeCall, len(c.net.NodeURLs))
	for i, u := range c.net.NodeURLs {
		calls[i] = &nodeCall{url: u, path: w.handshakePath(), header: v2Header, body: [][]byte{w.handshakeBody()}}
	}
	need := c.net.Threshold
	var good []handshakeReply
	var goodNodes []string
	var reasons []NodeReason
	c.fanOut(ctx, newRequestID(), calls, func(r nodeResult) bool {
		err := r.err
		if err == nil && (r.status < 200 || r.status > 299) {
			err = w.parseError(r.status, r.body)
		}
		var h handshakeReply
		if err == nil {
			h, err = w.parseHandshake(r.body)
		}
		if err != nil {
			if r.err == nil {
				c.noteError(r.call.url, err)
			}
			reasons = append(reasons, NodeReason{Node: r.call.url, Err: err})
			return len(calls)-len(reasons) < need
		}
		good = append(good, h)
		goodNodes = append(goodNodes, r.call.url)
		return len(good) >= need
	})
	if len(good) < need {
		return nil, belowThreshold(ctx, "handshake", need, c.net.NodeURLs, goodNodes, reasons)
	}
	pick := func(get func(handshakeReply) string) string {
		vals := make([]string, len(good))
		for i, h := range good {
			vals[i] = get(h)
		}
		v, _ := mostCommon(vals)
		return v
	}
	sort.Strings(goodNodes)
	st := &netState{threshold: need, info: NetworkInfo{
		ServerPublicKey:     pick(func(h handshakeReply) string { return h.ServerPublicKey }),
		SubnetPublicKey:     pick(func(h handshakeReply) string { return h.SubnetPublicKey }),
		NetworkPublicKey:    pick(func(h handshakeReply) string { return h.NetworkPublicKey }),
		NetworkPublicKeySet: pick(func(h handshakeReply) string { return h.NetworkPublicKeySet }),
		ConnectedNodes:      goodNodes,
		Threshold:           need,
	}}
	for _, u := range goodNodes {
		st.nodes = append(st.nodes, nodeState{url: u})
	}
	return st, nil
}

// plan sends the call to every node of the network (also those that
// failed the handshake: they may be back), each with its own session
// signature. There is no second plan: v2 has no node choice.
func (protoV2) plan(c *Client, st *netState, s *Session, ra ResourceAbilityRequest, req ExecuteJSRequest, avoid map[string]bool, _ *big.Int, now time.Time) (*callPlan, error) {
	if len(avoid) > 0 {
		return nil, errNoAlternative
	}
	sigs, err := s.cachedSigsV2JSON(st, c.net.NodeURLs, []ResourceAbilityRequest{ra}, now)
	if err != nil {
		return nil, err
	}
	p := &callPlan{need: c.net.Threshold}
	w := wireV2{}
	parts, err := w.executeBodyParts(req)
	if err != nil {
		return nil, err
	}
	p.calls = make([]*nodeCall, len(sigs))
	calls := make([]nodeCall, len(sigs))
	for i, sig := range sigs {
		calls[i] = nodeCall{url: c.net.NodeURLs[i], path: w.executePath(), header: v2Header, body: parts.with(sig)}
		p.calls[i] = &calls[i]
	}
	return p, nil
}

// decode parses a v2 reply and normalises its shares.
func (protoV2) decode(_ *netState, _ *nodeCall, status int, body []byte) (executeReply, error) {
	w := wireV2{}
	if status < 200 || status > 299 {
		return executeReply{}, w.parseError(status, body)
	}
	rep, err := w.parseExecute(body)
	if err != nil {
		return executeReply{}, err
	}
	out := executeReply{Shares: make(map[string]ecdsaShare, len(rep.Shares)), Response: rep.Response, Logs: rep.Logs}
	for name, sh := range rep.Shares {
		n, err := v2Share(*sh)
		if err != nil {
			return executeReply{}, fmt.Errorf("execute reply: share %q: %v: %w", name, err, ErrBadReply)
		}
		out.Shares[name] = n
	}
	return out, nil
}
