package lit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// ErrInconsistent is a node reply that disagrees with the majority (other
// signature names, public key or signed data).
var ErrInconsistent = errors.New("reply inconsistent with other nodes")

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
	if req.JSParamsJSON != nil {
		if req.JSParams != nil {
			return fmt.Errorf("lit: executeJs: jsParams given both as values and as JSON: %w", ErrInvalidParams)
		}
		if obj, ok := JSParamsObject(req.JSParamsJSON); !ok || obj != nil && !json.Valid(obj) {
			return fmt.Errorf("lit: executeJs: jsParams must be a JSON object: %w", ErrInvalidParams)
		}
	}
	return nil
}

// prepareExecute validates req and returns it with its jsParams encoded
// once, as JSParamsJSON, for every attempt's requests.
func (c *Client) prepareExecute(req ExecuteJSRequest) (ExecuteJSRequest, error) {
	if err := c.validateExecute(req); err != nil {
		return req, err
	}
	params, err := req.paramsJSON()
	if err != nil {
		return req, litErr("executeJs", err)
	}
	if err := checkJSParams(params, c.proto.name() == ProtocolV2); err != nil {
		return req, litErr("executeJs", err)
	}
	req.JSParams, req.JSParamsJSON = nil, params
	return req, nil
}

// ValidateExecute checks req as ExecuteJS does before it uses the session:
// code or ipfsId (one of them, CID syntax, code size and encoding), the
// jsParams, and that capability (the session's, see
// SessionOptions.Capability) grants the action. A caller that must ask a
// person or a device for the session first calls it to refuse, before
// asking, a request that cannot succeed. Its errors wrap ErrInvalidParams.
func (c *Client) ValidateExecute(req ExecuteJSRequest, capability Capability) error {
	req, err := c.prepareExecute(req)
	if err != nil {
		return err
	}
	if _, err := capability.requestFor(ActionResource(req)); err != nil {
		return litErr("executeJs", err)
	}
	return nil
}

// Limits of one ExecuteJS call.
const (
	// maxAttempts bounds the node sets one call is sent to.
	maxAttempts = 3
)

// errNoAlternative reports that a protocol has no other node set to try.
var errNoAlternative = errors.New("no other node set to try")

// errStaleState reports replies that show the client's network state
// (epoch, node keys) is out of date; the call reconnects and tries again.
var errStaleState = errors.New("network state is out of date")

// ExecuteJS runs a Lit Action on the network with session s: it plans the
// call (v2: every node; Naga: the best threshold nodes by price and
// health), signs one session signature per chosen node, posts to them at
// once, and returns as soon as enough consistent good replies are in and
// their shares combine into signatures that verify; the remaining
// requests are cancelled. On Naga a call whose chosen nodes fail or miss
// the re-issue deadline is re-issued on another node set within
// Network.MaxPrice. An action that failed on the nodes returns an
// *ActionError whose message leads with the action's own; see the
// package errors for the rest.
//
// It runs in the caller's goroutine; its node requests, and the attempts
// that may be re-issued (Naga), run on the client's workers. A caller
// that starts a goroutine per call (as an RPC server does) should call it
// from a kept one (see package workpool), as litsignerd does: a fresh
// goroutine's small stack is grown, by copying, on every call.
func (c *Client) ExecuteJS(ctx context.Context, s *Session, req ExecuteJSRequest) (*ExecuteJSResult, error) {
	if s == nil {
		return nil, fmt.Errorf("lit: executeJs: nil session: %w", ErrInvalidParams)
	}
	req, err := c.prepareExecute(req)
	if err != nil {
		return nil, err
	}
	ra, err := s.requestFor(ActionResource(req))
	if err != nil {
		return nil, litErr("executeJs", err)
	}
	ctx, cancel := context.WithTimeout(ctx, c.net.CallTimeout)
	defer cancel()
	st, err := c.state(ctx, false)
	if err != nil {
		return nil, litErr("executeJs", fmt.Errorf("connect: %w", err))
	}
	res, err := c.execute(ctx, st, s, ra, req)
	if errors.Is(err, errStaleState) && ctx.Err() == nil {
		c.log.Info("lit: network state out of date, reconnecting", "network", c.net.Name, "epoch", st.epoch)
		c.invalidate(st)
		if st, err = c.state(ctx, false); err != nil {
			return nil, litErr("executeJs", fmt.Errorf("reconnect: %w", err))
		}
		res, err = c.execute(ctx, st, s, ra, req)
	}
	if err != nil {
		return nil, litErr("executeJs", err)
	}
	return res, nil
}

// attempt is one node set an execute was sent to.
type attempt struct {
	n    int
	plan *callPlan

	mu      sync.Mutex
	pending map[string]bool // nodes that have not answered
}

func (a *attempt) answered(url string) {
	a.mu.Lock()
	delete(a.pending, url)
	a.mu.Unlock()
}

func (a *attempt) stillPending() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]string, 0, len(a.pending))
	for u := range a.pending {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// attemptResult is how one attempt ended.
type attemptResult struct {
	a   *attempt
	res *ExecuteJSResult
	err error
	// failed are the nodes that failed or never answered.
	failed []string
}

// retryable reports whether another node set may succeed where err failed.
func retryable(err error) bool {
	var ae *ActionError
	switch {
	case errors.As(err, &ae), errors.Is(err, ErrInvalidParams), errors.Is(err, ErrSessionExpired),
		errors.Is(err, ErrSessionWiped), errors.Is(err, context.Canceled), errors.Is(err, errStaleState),
		errors.Is(err, ErrNoPaymentBalance):
		return false
	}
	return true
}

// execute runs the call on st: the first plan, then re-issues on other
// node sets when an attempt fails or is slow past its plan's deadline.
// Every attempt still running when the call ends is cancelled and waited
// for.
func (c *Client) execute(ctx context.Context, st *netState, s *Session, ra ResourceAbilityRequest, req ExecuteJSRequest) (*ExecuteJSResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	results := make(chan attemptResult, maxAttempts)
	avoid := map[string]bool{}
	spent := new(big.Int)
	budget := c.net.MaxPrice
	var running []*attempt
	attempts := 0
	var hedge <-chan time.Time
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	launch := func() error {
		var left *big.Int
		if budget != nil {
			left = new(big.Int).Sub(budget, spent)
			if left.Sign() <= 0 {
				return fmt.Errorf("%w: the call's budget of %s wei is spent", ErrPriceTooHigh, budget)
			}
		}
		p, err := c.proto.plan(c, st, s, ra, req, avoid, left, c.now())
		if err != nil {
			return err
		}
		if p.price != nil {
			spent.Add(spent, p.price)
		}
		attempts++
		a := &attempt{n: attempts, plan: p, pending: map[string]bool{}}
		for _, call := range p.calls {
			a.pending[call.url] = true
		}
		running = append(running, a)
		if !p.reissuable && p.reissueAfter == 0 && attempts == 1 {
			// Nothing can run beside this attempt (no re-issue, no
			// hedge): it runs here, and its result is waiting.
			results <- c.runAttempt(ctx, st, a)
			return nil
		}
		wg.Add(1)
		c.workers.Run(func() {
			defer wg.Done()
			results <- c.runAttempt(ctx, st, a)
		})
		if p.reissueAfter > 0 && attempts < maxAttempts {
			if timer != nil {
				timer.Stop()
			}
			timer = time.NewTimer(p.reissueAfter)
			hedge = timer.C
		}
		return nil
	}
	if err := launch(); err != nil {
		return nil, err
	}
	var lastErr error
	for len(running) > 0 {
		select {
		case r := <-results:
			running = slices.DeleteFunc(running, func(a *attempt) bool { return a == r.a })
			c.noteShareOutcome(r.a.plan, r.err)
			if r.err == nil {
				if r.a.n > 1 {
					c.log.Info("lit: re-issued call succeeded", "network", c.net.Name, "attempt", r.a.n)
				}
				return r.res, nil
			}
			lastErr = r.err
			if !retryable(r.err) || !r.a.plan.reissuable {
				return nil, r.err
			}
			for _, u := range r.failed {
				avoid[u] = true
			}
			if ctx.Err() != nil || attempts >= maxAttempts || len(running) > 0 {
				continue
			}
			if err := launch(); err != nil {
				c.log.Debug("lit: no node set left to re-issue the call on", "network", c.net.Name, "err", err)
				continue
			}
			why := fmt.Sprintf("attempt %d failed on %s: %v", r.a.n, strings.Join(r.failed, ", "), clip(r.err.Error()))
			c.noteReissue(why)
			c.log.Warn("lit: call re-issued on another node set", "network", c.net.Name, "attempt", attempts, "reason", why)
		case <-hedge:
			hedge = nil
			var slow []string
			for _, a := range running {
				for _, u := range a.stillPending() {
					if !avoid[u] {
						avoid[u] = true
						slow = append(slow, u)
						c.markSlow(u, a.plan.reissueAfter)
					}
				}
			}
			if len(slow) == 0 || attempts >= maxAttempts {
				continue
			}
			if err := launch(); err != nil {
				c.log.Debug("lit: no node set left to re-issue a slow call on", "network", c.net.Name, "err", err)
				continue
			}
			why := fmt.Sprintf("%s gave no reply within %v", strings.Join(slow, ", "), running[0].plan.reissueAfter.Round(time.Millisecond))
			c.noteReissue(why)
			c.log.Warn("lit: slow nodes, call re-issued on another node set", "network", c.net.Name, "attempt", attempts, "reason", why)
		}
	}
	return nil, lastErr
}

// noteShareOutcome updates the nodes' share suspicion after an attempt:
// additive shares cannot tell which node of a set sent a wrong one, so
// every node of a set whose shares did not combine becomes more suspect,
// and every node of a set whose shares combined is cleared. The culprit
// is the node that is never cleared; node selection puts suspects last.
func (c *Client) noteShareOutcome(p *callPlan, err error) {
	if !p.reissuable || (err != nil && !errors.Is(err, ErrBadShares)) {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, call := range p.calls {
		if st := c.status[call.url]; st != nil {
			if err == nil {
				st.BadShares = 0
			} else {
				st.BadShares++
			}
		}
	}
}

// runAttempt fans one plan out and aggregates its replies.
func (c *Client) runAttempt(ctx context.Context, st *netState, a *attempt) attemptResult {
	agg := &execAggregator{c: c, st: st, need: a.plan.need, total: len(a.plan.calls), groups: map[string]*replyGroup{}, actionErrs: map[string][]*ActionError{}}
	c.fanOut(ctx, newRequestID(), a.plan.calls, func(r nodeResult) bool {
		a.answered(r.call.url)
		if r.err == nil && r.status >= 200 && r.status <= 299 {
			c.noteExecLatency(r.call.url, r.latency)
		}
		return agg.add(r)
	})
	if agg.result == nil && ctx.Err() != nil {
		// The call's time ran out while a group waited for more shares:
		// combine what it has.
		agg.settle(true)
	}
	if agg.result != nil {
		return attemptResult{a: a, res: agg.result}
	}
	urls := make([]string, len(a.plan.calls))
	for i, call := range a.plan.calls {
		urls[i] = call.url
	}
	err := agg.failure(ctx, urls)
	// Nodes still pending were cancelled when the outcome was certain:
	// only nodes that gave a reason failed.
	var failed []string
	for _, r := range agg.reasons {
		failed = append(failed, r.Node)
	}
	sort.Strings(failed)
	return attemptResult{a: a, err: err, failed: slices.Compact(failed)}
}
