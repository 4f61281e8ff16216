package lit

import (
	"context"
	"errors"
	"fmt"
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
	// Epoch is the network's epoch (Naga; 0 for v2).
	Epoch uint64
	// LatestBlockhash is the most common blockhash the nodes announced
	// (Naga: the SIWE nonce the nodes expect; empty for v2).
	LatestBlockhash string
}

// Info returns the current handshake result, or nil before a handshake
// succeeded.
func (c *Client) Info() *NetworkInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == nil {
		return nil
	}
	info := c.st.info
	info.ConnectedNodes = append([]string(nil), info.ConnectedNodes...)
	return &info
}

// Connect performs a fresh handshake (joining one already in progress)
// and returns what the network announced. Calls connect lazily, so
// calling Connect is optional; it bounds its wait by ctx and the
// network's CallTimeout.
func (c *Client) Connect(ctx context.Context) (*NetworkInfo, error) {
	ctx, cancel := context.WithTimeout(ctx, c.net.CallTimeout)
	defer cancel()
	if _, err := c.state(ctx, true); err != nil {
		return nil, litErr("connect", err)
	}
	return c.Info(), nil
}

// SessionNonce returns the SIWE nonce this network's nodes expect in a
// session's wallet signature (SessionOptions.Nonce): for Naga the latest
// blockhash the nodes announced (connecting first if needed); for v2 a
// fresh random nonce.
func (c *Client) SessionNonce(ctx context.Context) (string, error) {
	if c.proto.name() == ProtocolV2 {
		return newNonce()
	}
	ctx, cancel := context.WithTimeout(ctx, c.net.CallTimeout)
	defer cancel()
	st, err := c.state(ctx, false)
	if err != nil {
		return "", litErr("session nonce", err)
	}
	if st.info.LatestBlockhash == "" {
		return "", fmt.Errorf("lit: session nonce: the nodes announced no blockhash: %w", ErrBadReply)
	}
	return st.info.LatestBlockhash, nil
}

// state returns the current network state, connecting when there is none,
// when it expired (a Naga epoch ended) or when force is set. Concurrent
// callers share one handshake; each waits at most until its ctx ends. The
// handshake itself runs under the client's lifetime and CallTimeout, so a
// caller that gives up does not fail the others.
func (c *Client) state(ctx context.Context, force bool) (*netState, error) {
	c.mu.Lock()
	if st := c.st; !force && st != nil && (st.expires.IsZero() || c.now().Before(st.expires)) {
		c.mu.Unlock()
		return st, nil
	}
	cc := c.connecting
	if cc == nil {
		cc = &connectCall{done: make(chan struct{})}
		c.connecting = cc
		go c.runConnect(cc)
	}
	c.mu.Unlock()
	select {
	case <-cc.done:
		return cc.st, cc.err
	case <-ctx.Done():
		return nil, ctxError(ctx)
	}
}

// runConnect performs one shared handshake.
func (c *Client) runConnect(cc *connectCall) {
	ctx, cancel := context.WithTimeout(c.life, c.net.CallTimeout)
	defer cancel()
	st, err := c.proto.connect(ctx, c)
	c.mu.Lock()
	if err == nil {
		c.st = st
	}
	c.connecting = nil
	c.mu.Unlock()
	cc.st, cc.err = st, err
	close(cc.done)
}

// invalidate drops st so that the next call handshakes again.
func (c *Client) invalidate(st *netState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.st == st {
		c.st = nil
	}
}

// ctxError is the error of a call whose context ended: ErrTimeout (which
// also matches context.DeadlineExceeded) or the cancellation.
func ctxError(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("%w: the call's time ran out", ErrTimeout)
	}
	return ctx.Err()
}

// belowThreshold builds the error for a fan-out over urls that got too
// few good replies, adding ErrTimeout (and context.DeadlineExceeded) when
// the call ran out of time, or the caller's cancellation.
func belowThreshold(ctx context.Context, op string, needed int, urls, good []string, reasons []NodeReason) error {
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
	for _, u := range urls {
		if !answered[u] {
			reasons = append(reasons, NodeReason{Node: u, Err: silent})
		}
	}
	te := &ThresholdError{Op: op, Needed: needed, Got: len(good), Reasons: reasons}
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%w: %w", ErrTimeout, te)
	case ctx.Err() != nil:
		return fmt.Errorf("%w: %w", ctx.Err(), te)
	}
	return te
}

// errNoReply is the reason of a node that had not answered when the call
// ended.
var errNoReply = errors.New("no reply before the call ended")

// mostCommon returns the most frequent value (ties: the smallest, so the
// choice does not depend on arrival order) and its count.
func mostCommon(vals []string) (string, int) {
	counts := map[string]int{}
	for _, v := range vals {
		counts[v]++
	}
	best, bestN := "", 0
	for v, n := range counts {
		if n > bestN || (n == bestN && v < best) {
			best, bestN = v, n
		}
	}
	return best, bestN
}
