package lit

import (
	"context"
	"errors"
	"fmt"
	"sort"
)

// NetworkInfo is what the network announced in the handshake: the most
// common value of each key among good replies, and which nodes answered.
type NetworkInfo struct {
	ServerPublicKey     string
	SubnetPublicKey     string
	NetworkPublicKey    string
	NetworkPublicKeySet string
	// ConnectedNodes are the nodes that gave a good handshake, sorted.
	ConnectedNodes []string
	Threshold      int
}

// Info returns the last handshake result, or nil before Connect succeeded.
func (c *Client) Info() *NetworkInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.info == nil {
		return nil
	}
	info := *c.info
	info.ConnectedNodes = append([]string(nil), c.info.ConnectedNodes...)
	return &info
}

// Connect performs the handshake with every node and returns as soon as
// the threshold of nodes gave a good reply (a node answering "ERR" for a
// key is ignored, as the SDK does).
func (c *Client) Connect(ctx context.Context) (*NetworkInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, c.net.CallTimeout)
	defer cancel()
	body := c.wire.handshakeBody()
	var good []handshakeReply
	var goodNodes []string
	var reasons []NodeReason
	c.fanOut(ctx, c.wire.handshakePath(), func(int) []byte { return body }, func(r nodeResult) bool {
		err := r.err
		if err == nil && (r.status < 200 || r.status > 299) {
			err = c.wire.parseError(r.status, r.body)
		}
		var h handshakeReply
		if err == nil {
			h, err = c.wire.parseHandshake(r.body)
		}
		if err != nil {
			if r.err == nil {
				c.noteError(r.node, err)
			}
			reasons = append(reasons, NodeReason{Node: r.url, Err: err})
			return len(c.net.NodeURLs)-len(reasons) < c.net.Threshold
		}
		good = append(good, h)
		goodNodes = append(goodNodes, r.url)
		return len(good) >= c.net.Threshold
	})
	if len(good) < c.net.Threshold {
		return nil, c.belowThreshold(ctx, "handshake", goodNodes, reasons)
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
	info := &NetworkInfo{
		ServerPublicKey:     pick(func(h handshakeReply) string { return h.ServerPublicKey }),
		SubnetPublicKey:     pick(func(h handshakeReply) string { return h.SubnetPublicKey }),
		NetworkPublicKey:    pick(func(h handshakeReply) string { return h.NetworkPublicKey }),
		NetworkPublicKeySet: pick(func(h handshakeReply) string { return h.NetworkPublicKeySet }),
		ConnectedNodes:      goodNodes,
		Threshold:           c.net.Threshold,
	}
	c.mu.Lock()
	c.info = info
	c.mu.Unlock()
	return c.Info(), nil
}

// belowThreshold builds the error for a call that got too few good
// replies, adding ErrTimeout (and context.DeadlineExceeded) when the call
// ran out of time, or the caller's cancellation.
func (c *Client) belowThreshold(ctx context.Context, op string, good []string, reasons []NodeReason) error {
	got := len(good)
	answered := map[string]bool{}
	for _, u := range good {
		answered[u] = true
	}
	for _, r := range reasons {
		answered[r.Node] = true
	}
	// Nodes still silent when the call ended (timed out, or not waited
	// for once the outcome was certain).
	silent := errNoReply
	if ctx.Err() != nil {
		silent = fmt.Errorf("%w: %w", errNoReply, ctx.Err())
	}
	for _, u := range c.net.NodeURLs {
		if !answered[u] {
			reasons = append(reasons, NodeReason{Node: u, Err: silent})
		}
	}
	te := &ThresholdError{Op: op, Needed: c.net.Threshold, Got: got, Reasons: reasons}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("lit: %s: %w: %w", op, ErrTimeout, te)
	case ctx.Err() != nil:
		return fmt.Errorf("lit: %s: %w: %w", op, ctx.Err(), te)
	}
	return te
}

// errNoReply is the reason of a node that had not answered when the call
// ended.
var errNoReply = errors.New("no reply before the call ended")

// mostCommon returns the most frequent value (ties: the first seen) and
// its count.
func mostCommon(vals []string) (string, int) {
	counts := map[string]int{}
	best, bestN := "", 0
	for _, v := range vals {
		counts[v]++
		if counts[v] > bestN {
			best, bestN = v, counts[v]
		}
	}
	return best, bestN
}
