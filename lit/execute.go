package lit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// ErrInconsistent is a node reply that disagrees with the majority (other
// signature names, public key or signed data).
var ErrInconsistent = errors.New("lit: reply inconsistent with other nodes")

// validateExecute checks req before anything is signed or sent.
func (c *Client) validateExecute(req ExecuteJSRequest) error {
	switch {
	case req.Code == "" && req.IPFSID == "":
		return fmt.Errorf("lit: executeJs: one of code and ipfsId is required: %w", ErrInvalidParams)
	case req.Code != "" && req.IPFSID != "":
		return fmt.Errorf("lit: executeJs: code and ipfsId are exclusive: %w", ErrInvalidParams)
	case req.IPFSID != "" && !IsCIDv0(req.IPFSID):
		return fmt.Errorf("lit: executeJs: ipfsId %q is not a CIDv0 (Qm + 44 base58 characters): %w", clip(req.IPFSID), ErrInvalidParams)
	case len(req.Code) > c.maxCodeSize:
		return fmt.Errorf("lit: executeJs: code is %d bytes, limit %d: %w", len(req.Code), c.maxCodeSize, ErrInvalidParams)
	case !utf8.ValidString(req.Code):
		return fmt.Errorf("lit: executeJs: code is not UTF-8: %w", ErrInvalidParams)
	}
	if _, err := json.Marshal(req.JSParams); err != nil {
		return fmt.Errorf("lit: executeJs: jsParams are not JSON-encodable: %v: %w", err, ErrInvalidParams)
	}
	return nil
}

// ExecuteJS runs a Lit Action on the network with session s: it signs one
// session signature per node, posts to all nodes at once, and returns as
// soon as the threshold of consistent good replies is in and their shares
// combine into signatures that verify; the remaining requests are
// cancelled. See the package errors for failures.
func (c *Client) ExecuteJS(ctx context.Context, s *Session, req ExecuteJSRequest) (*ExecuteJSResult, error) {
	if s == nil {
		return nil, fmt.Errorf("lit: executeJs: nil session: %w", ErrInvalidParams)
	}
	if err := c.validateExecute(req); err != nil {
		return nil, err
	}
	ra, err := s.requestFor(ActionResource(req))
	if err != nil {
		return nil, err
	}
	if c.Info() == nil {
		if _, err := c.Connect(ctx); err != nil {
			return nil, fmt.Errorf("lit: executeJs: connect: %w", err)
		}
	}
	sigs, err := s.signForNodes(c.net.NodeURLs, []ResourceAbilityRequest{ra}, c.now())
	if err != nil {
		return nil, fmt.Errorf("lit: executeJs: %w", err)
	}
	bodies := make([][]byte, len(sigs))
	for i, sig := range sigs {
		if bodies[i], err = c.wire.executeBody(sig, req); err != nil {
			return nil, fmt.Errorf("lit: executeJs: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, c.net.CallTimeout)
	defer cancel()
	agg := &execAggregator{c: c, groups: map[string]*replyGroup{}, actionErrs: map[string][]*ActionError{}}
	c.fanOut(ctx, c.wire.executePath(), func(i int) []byte { return bodies[i] }, agg.add)
	if agg.result != nil {
		return agg.result, nil
	}
	return nil, agg.failure(ctx)
}

// replyGroup is a set of mutually consistent good replies.
type replyGroup struct {
	nodes    []string
	replies  []executeReply
	shareErr error
}

// execAggregator collects executeJs replies and decides when to stop.
type execAggregator struct {
	c          *Client
	answered   int
	groups     map[string]*replyGroup
	reasons    []NodeReason
	actionErrs map[string][]*ActionError
	result     *ExecuteJSResult
}

// consistencyKey identifies what must agree across replies: the signature
// names and, for each, the public key and the signed data.
func consistencyKey(r executeReply) string {
	names := sortedKeys(r.Shares)
	var b strings.Builder
	for _, n := range names {
		sh := r.Shares[n]
		fmt.Fprintf(&b, "%q:%s:%s;", n, strings.ToLower(strings.TrimPrefix(sh.PublicKey, "0x")),
			strings.ToLower(strings.TrimPrefix(sh.DataSigned, "0x")))
	}
	return b.String()
}

// add handles one node's answer; it returns true when the call is decided.
func (a *execAggregator) add(r nodeResult) bool {
	a.answered++
	err := r.err
	var rep executeReply
	if err == nil && (r.status < 200 || r.status > 299) {
		err = a.c.wire.parseError(r.status, r.body)
	}
	if err == nil {
		rep, err = a.c.wire.parseExecute(r.body)
	}
	if err != nil {
		if r.err == nil {
			a.c.noteError(r.node, err)
		}
		a.reasons = append(a.reasons, NodeReason{Node: r.url, Err: err})
		var ae *ActionError
		if errors.As(err, &ae) {
			ae.Node = r.url
			k := ae.Code + "\x00" + ae.Message
			a.actionErrs[k] = append(a.actionErrs[k], ae)
			if len(a.actionErrs[k]) >= a.c.net.Threshold {
				return true
			}
		}
		return a.hopeless()
	}
	key := consistencyKey(rep)
	g := a.groups[key]
	if g == nil {
		g = &replyGroup{}
		a.groups[key] = g
	}
	g.nodes = append(g.nodes, r.url)
	g.replies = append(g.replies, rep)
	if len(g.replies) >= a.c.net.Threshold {
		res, err := a.combine(g)
		if err == nil {
			a.result = res
			return true
		}
		// Missing shares may still arrive from slower nodes of the
		// signing set: wait for them until every node answered.
		g.shareErr = err
	}
	return a.hopeless()
}

// hopeless reports that waiting longer cannot change the outcome.
func (a *execAggregator) hopeless() bool {
	remaining := len(a.c.net.NodeURLs) - a.answered
	if remaining == 0 {
		return true
	}
	best := 0
	for _, g := range a.groups {
		best = max(best, len(g.replies))
	}
	return best+remaining < a.c.net.Threshold
}

// combine builds the result from a group of at least threshold replies.
func (a *execAggregator) combine(g *replyGroup) (*ExecuteJSResult, error) {
	res := &ExecuteJSResult{Signatures: map[string]Signature{}}
	for _, name := range sortedKeys(g.replies[0].Shares) {
		shares := make([]Share, 0, len(g.replies))
		for _, rep := range g.replies {
			shares = append(shares, rep.Shares[name])
		}
		sig, err := a.c.wire.combine(shares)
		if err != nil {
			return nil, err
		}
		res.Signatures[name] = sig
	}
	responses := make([]string, len(g.replies))
	logs := make([]string, len(g.replies))
	for i, rep := range g.replies {
		responses[i], logs[i] = rep.Response, rep.Logs
	}
	resp, _ := mostCommon(responses)
	res.Response = parseResponse(resp)
	res.Logs, _ = mostCommon(logs)
	return res, nil
}

// parseResponse JSON-decodes resp when it parses (numbers kept exact),
// else returns it as a string, like the SDK's parseResponses.
func parseResponse(resp string) any {
	dec := json.NewDecoder(strings.NewReader(resp))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return resp
	}
	return v
}

// failure explains why no result was reached.
func (a *execAggregator) failure(ctx context.Context) error {
	// A threshold of consistent replies whose shares do not verify.
	for _, g := range a.groups {
		if g.shareErr != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("lit: executeJs: %w while waiting for more shares: %w", ErrTimeout, g.shareErr)
			}
			return fmt.Errorf("lit: executeJs: %w", g.shareErr)
		}
	}
	// The same action error from a threshold or a majority of nodes.
	var best []*ActionError
	for _, errs := range a.actionErrs {
		if len(errs) > len(best) || (len(errs) == len(best) && len(best) > 0 && errs[0].Message < best[0].Message) {
			best = errs
		}
	}
	if len(best) > 0 && (len(best) >= a.c.net.Threshold || 2*len(best) > len(a.c.net.NodeURLs)) {
		return best[0]
	}
	// Below threshold: report the largest consistent group as "got".
	var largest *replyGroup
	for _, g := range a.groups {
		if largest == nil || len(g.replies) > len(largest.replies) {
			largest = g
		}
	}
	reasons := append([]NodeReason(nil), a.reasons...)
	var good []string
	for _, g := range a.groups {
		if g == largest {
			good = append(good, g.nodes...)
			continue
		}
		for _, n := range g.nodes {
			reasons = append(reasons, NodeReason{Node: n, Err: ErrInconsistent})
		}
	}
	sort.Strings(good)
	return a.c.belowThreshold(ctx, "executeJs", good, reasons)
}
