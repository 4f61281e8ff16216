package lit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// replyGroup is a set of mutually consistent good replies.
type replyGroup struct {
	nodes    []string
	replies  []executeReply
	shareErr error
	// signers counts the replies with a non-empty share, signed their
	// non-empty shares; triedAt is signed when the group was last
	// combined (-1: never). Empty shares take no part in combining, so a
	// reply that adds none cannot change the outcome: a combination (a
	// signature recovery) is only tried again when signed has changed.
	signers, signed, triedAt int
}

// signedShares counts rep's non-empty shares.
func signedShares(rep executeReply) int {
	n := 0
	for _, sh := range rep.Shares {
		if !sh.Empty {
			n++
		}
	}
	return n
}

// execAggregator collects one attempt's replies and decides when to stop.
type execAggregator struct {
	c          *Client
	st         *netState
	need       int // consistent good replies needed
	total      int // calls made
	answered   int
	groups     map[string]*replyGroup
	reasons    []NodeReason
	actionErrs map[string][]*ActionError
	result     *ExecuteJSResult
	// keyBuf holds the last reply's consistency key.
	keyBuf []byte
}

// appendConsistencyKey appends to b what must agree across replies: the
// signature names and, for each, the public key and the signed data, as
// `"name":publicKey:dataSigned;` in name order (the name quoted as
// strconv.Quote does). The aggregator builds it in one kept buffer and
// looks its group up without a string of it (fmt.Fprintf into a growing
// strings.Builder was 3 % of a v2 call).
func appendConsistencyKey(b []byte, r executeReply) []byte {
	names := sortedKeys(r.Shares)
	for _, n := range names {
		sh := r.Shares[n]
		b = strconv.AppendQuote(b, n)
		b = append(b, ':')
		b = append(b, sh.PublicKeyHex...)
		b = append(b, ':')
		b = append(b, sh.DataSignedHex...)
		b = append(b, ';')
	}
	return b
}

// add handles one node's answer; it returns true when the call is decided.
func (a *execAggregator) add(r nodeResult) bool {
	a.answered++
	err := r.err
	var rep executeReply
	if err == nil {
		rep, err = a.c.proto.decode(a.st, r.call, r.status, r.body)
	}
	url := r.call.url
	if err != nil {
		if r.err == nil {
			a.c.noteError(url, err)
		}
		a.reasons = append(a.reasons, NodeReason{Node: url, Err: err})
		var ae *ActionError
		if errors.As(err, &ae) {
			ae.Node = url
			k := ae.Code + "\x00" + ae.Message
			a.actionErrs[k] = append(a.actionErrs[k], ae)
			if len(a.actionErrs[k]) >= a.need {
				return true
			}
		}
		if errors.Is(err, errStaleState) {
			return true
		}
		return a.settle(false)
	}
	a.keyBuf = appendConsistencyKey(a.keyBuf[:0], rep)
	g := a.groups[string(a.keyBuf)]
	if g == nil {
		g = &replyGroup{triedAt: -1}
		a.groups[string(a.keyBuf)] = g
	}
	g.nodes = append(g.nodes, url)
	g.replies = append(g.replies, rep)
	if n := signedShares(rep); n > 0 {
		g.signers++
		g.signed += n
	}
	return a.settle(false)
}

// settle combines the groups that are ready and reports whether the call
// is decided. A group of threshold replies is ready once threshold of them
// carry shares: a signing set has threshold nodes (the SDK combines the
// first threshold non-empty shares), so fewer shares cannot combine, and
// trying costs a signature recovery each time another share arrives. When
// no reply is left to wait for (last, or every node answered), a group of
// threshold replies is combined with whatever shares it has.
func (a *execAggregator) settle(last bool) bool {
	last = last || a.answered == a.total
	for _, key := range sortedKeys(a.groups) {
		g := a.groups[key]
		if len(g.replies) < a.need || g.triedAt == g.signed || (g.signers < a.need && !last) {
			continue
		}
		res, err := a.combine(g)
		if err == nil {
			a.result = res
			return true
		}
		// Missing shares may still arrive from slower nodes of the
		// signing set: wait for them until every node answered.
		g.shareErr, g.triedAt = err, g.signed
	}
	return a.hopeless()
}

// hopeless reports that waiting longer cannot change the outcome.
func (a *execAggregator) hopeless() bool {
	remaining := a.total - a.answered
	if remaining == 0 {
		return true
	}
	best := 0
	for _, g := range a.groups {
		best = max(best, len(g.replies))
	}
	return best+remaining < a.need
}

// combine builds the result from a group of at least threshold replies.
func (a *execAggregator) combine(g *replyGroup) (*ExecuteJSResult, error) {
	res := &ExecuteJSResult{Signatures: map[string]Signature{}}
	for _, name := range sortedKeys(g.replies[0].Shares) {
		shares := make([]ecdsaShare, 0, len(g.replies))
		for _, rep := range g.replies {
			shares = append(shares, rep.Shares[name])
		}
		sig, err := combineECDSA(name, shares)
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

// failure explains why no result was reached on the attempt to urls.
func (a *execAggregator) failure(ctx context.Context, urls []string) error {
	for _, r := range a.reasons {
		if errors.Is(r.Err, errStaleState) {
			return fmt.Errorf("%s: %w", r.Node, r.Err)
		}
	}
	// A threshold of consistent replies whose shares do not verify.
	for _, key := range sortedKeys(a.groups) {
		if g := a.groups[key]; g.shareErr != nil {
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%w while waiting for more shares: %w", ErrTimeout, g.shareErr)
			}
			return g.shareErr
		}
	}
	// The same action error from a threshold or a majority of nodes, or
	// from at least half the nodes that reported an error: the action's
	// own failure is the cause to show first.
	var best []*ActionError
	for _, k := range sortedKeys(a.actionErrs) {
		if errs := a.actionErrs[k]; len(errs) > len(best) {
			best = errs
		}
	}
	if len(best) > 0 && (len(best) >= a.need || 2*len(best) > a.total || 2*len(best) >= len(a.reasons)) {
		return a.actionError(ctx, best, urls)
	}
	// Every node that answered refused payment: say so first, with the hint.
	if pe := a.paymentRefusal(); pe != nil {
		return pe
	}
	// Below threshold: report the largest consistent group as "got".
	var largest *replyGroup
	for _, key := range sortedKeys(a.groups) {
		if g := a.groups[key]; largest == nil || len(g.replies) > len(largest.replies) {
			largest = g
		}
	}
	reasons := append([]NodeReason(nil), a.reasons...)
	var good []string
	for _, key := range sortedKeys(a.groups) {
		g := a.groups[key]
		if g == largest {
			good = append(good, g.nodes...)
			continue
		}
		for _, n := range g.nodes {
			reasons = append(reasons, NodeReason{Node: n, Err: ErrInconsistent})
		}
	}
	sort.Strings(good)
	return belowThreshold(ctx, "executeJs", a.need, urls, good, reasons)
}

// actionError is the *ActionError for errs (one action error reported by
// several nodes), with every node's detail.
func (a *execAggregator) actionError(ctx context.Context, errs []*ActionError, urls []string) error {
	ae := &ActionError{Code: errs[0].Code, Message: errs[0].Message}
	reported := map[string]bool{}
	for _, e := range errs {
		ae.Nodes = append(ae.Nodes, e.Node)
		reported[e.Node] = true
	}
	sort.Strings(ae.Nodes)
	ae.Node = ae.Nodes[0]
	for _, r := range a.reasons {
		if !reported[r.Node] {
			ae.Reasons = append(ae.Reasons, r)
		}
	}
	answered := map[string]bool{}
	for _, r := range a.reasons {
		answered[r.Node] = true
	}
	for _, g := range a.groups {
		for _, n := range g.nodes {
			answered[n] = true
		}
	}
	for _, u := range urls {
		if !answered[u] {
			ae.Reasons = append(ae.Reasons, NodeReason{Node: u, Err: errNoReply})
		}
	}
	sort.Slice(ae.Reasons, func(i, j int) bool { return ae.Reasons[i].Node < ae.Reasons[j].Node })
	return ae
}

// paymentRefusal is the payment error when every node that answered
// refused payment for the same reason, else nil.
func (a *execAggregator) paymentRefusal() error {
	var first *PaymentError
	for _, r := range a.reasons {
		var pe *PaymentError
		if !errors.As(r.Err, &pe) || (first != nil && pe.Reason != first.Reason) {
			return nil
		}
		if first == nil {
			first = pe
		}
	}
	if first == nil || len(a.groups) > 0 {
		return nil
	}
	return fmt.Errorf("%d of %d nodes refused payment: %s: %w", len(a.reasons), a.total, a.reasons[0].Node, first)
}
