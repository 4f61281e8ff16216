package lit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/litsigner/litsigner/lit/internal/nodehttp"
	"github.com/litsigner/litsigner/lit/workpool"
)

// Limits applied to untrusted input and to requests.
const (
	// DefaultMaxReplyBytes caps one node reply body.
	DefaultMaxReplyBytes = 1 << 20
	// DefaultMaxCodeSize caps a Lit Action's source.
	DefaultMaxCodeSize = 1 << 20
)

// Bounds of the idle request workers (Client.workers): how long one
// waits for another job before it exits, and how many may wait. A call
// keeps ten workers busy; 32 idle ones serve a few concurrent calls, and
// after a burst of many (64 clients: 640 workers) the rest exit at once
// instead of holding their stacks (5 MB) for the idle time.
const (
	workerIdle     = 5 * time.Second
	maxIdleWorkers = 32
)

// Connection bound of the client's node requests.
const (
	// maxConnsPerNode bounds a node's connections, idle or busy.
	maxConnsPerNode = 16
)

// Client talks to one Lit network. It is safe for concurrent use.
type Client struct {
	net   Network
	proto protocol
	// nodes posts the requests to the nodes; http fetches the rest (and
	// posts to the nodes in tests that set it alone, to reach them in
	// memory).
	nodes       *nodehttp.Client
	http        *http.Client
	maxReply    int64
	maxCodeSize int
	now         func() time.Time
	log         *slog.Logger
	// life ends the background handshakes when the client is closed.
	life     context.Context
	lifeDone context.CancelFunc

	mu         sync.Mutex
	st         *netState
	connecting *connectCall
	status     map[string]*NodeStatus
	order      []string // status keys in display order
	reissues   int
	lastReiss  string
	// execLatency is each node's smoothed executeJs latency.
	execLatency map[string]time.Duration
	// closed is set by Close; stragglers counts the requests decided
	// fan-outs left running (see fanOut).
	closed     bool
	stragglers sync.WaitGroup
	// attestCacheDir keeps fetched VCEK certificates ("" = none); set by
	// WithAttestationCache, else attest.DefaultCacheDir.
	attestCacheDir *string
	// rendered are the request headers rendered so far (renderedHeader).
	renderMu sync.Mutex
	rendered []renderedHeader
	// workers run the node requests (and the attempts that wait for them):
	// on a fresh goroutine a request grew its stack every time, about a
	// tenth of litsignerd's CPU per call in a profile.
	workers *workpool.Pool
}

// connectCall is one handshake that concurrent callers share.
type connectCall struct {
	done chan struct{}
	st   *netState
	err  error
}

// ClientOption configures a Client.
type ClientOption func(*Client) error

// WithLogger logs node selection, re-issued calls and refreshes to l
// (default: slog.Default()).
func WithLogger(l *slog.Logger) ClientOption {
	return func(c *Client) error {
		if l == nil {
			return fmt.Errorf("lit: nil logger: %w", ErrInvalidParams)
		}
		c.log = l
		return nil
	}
}

// WithMaxCodeSize caps the Lit Action source size (default 1 MiB).
func WithMaxCodeSize(n int) ClientOption {
	return func(c *Client) error {
		if n <= 0 {
			return fmt.Errorf("lit: max code size %d: %w", n, ErrInvalidParams)
		}
		c.maxCodeSize = n
		return nil
	}
}

// WithClock sets the clock used for session signature times.
func WithClock(now func() time.Time) ClientOption {
	return func(c *Client) error {
		if now == nil {
			return fmt.Errorf("lit: nil clock: %w", ErrInvalidParams)
		}
		c.now = now
		return nil
	}
}

// WithAttestationCache keeps the VCEK certificates that node attestation
// fetches in dir ("" = no disk cache). The default is
// attest.DefaultCacheDir(): $XDG_CACHE_HOME/litsigner/vcek.
func WithAttestationCache(dir string) ClientOption {
	return func(c *Client) error {
		c.attestCacheDir = &dir
		return nil
	}
}

// NewClient validates n and returns a client. It does not contact nodes
// (nor, for Naga, the chain): the first call or Connect does.
func NewClient(n Network, opts ...ClientOption) (*Client, error) {
	n, proto, err := n.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{
		net:         n,
		proto:       proto,
		maxReply:    DefaultMaxReplyBytes,
		maxCodeSize: DefaultMaxCodeSize,
		now:         time.Now,
		log:         slog.Default(),
		status:      map[string]*NodeStatus{},
		execLatency: map[string]time.Duration{},
		workers:     workpool.New(workerIdle, maxIdleWorkers),
	}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	if c.http == nil {
		// Each call sends one request to each node. A node gets at most
		// maxConnsPerNode connections, and all of them may stay idle: a
		// request beyond them waits for one to be free. With only an
		// idle bound (8), 64 concurrent calls opened ~64 connections per
		// node and closed all but 8 after each request, so every call
		// dialled four or five nodes again (a TCP, maybe TLS, handshake
		// on both sides). Sixteen cover the calls desktop apps run at
		// once, with the requests a decided call leaves finishing (see
		// fanOut), for ~1 MB when all are idle (each keeps a 4 KiB
		// buffer); 8 made calls wait at 8 clients.
		c.nodes = nodehttp.New(nodehttp.Options{
			MaxConnsPerHost: maxConnsPerNode,
			IdleTimeout:     90 * time.Second,
			DialTimeout:     10 * time.Second,
			KeepAlive:       30 * time.Second,
		})
		// Other fetches (an attestation's VCEK) go through net/http.
		c.http = &http.Client{Transport: &http.Transport{
			Proxy:               nil, // dialled directly, as the nodes are
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConnsPerHost: 2,
			IdleConnTimeout:     90 * time.Second,
			ForceAttemptHTTP2:   true,
		}}
	}
	if p, ok := proto.(*protoNaga); ok && n.RequiresAttestation {
		if err := p.setupAttestation(c); err != nil {
			return nil, err
		}
	}
	c.life, c.lifeDone = context.WithCancel(context.Background())
	c.setNodes(n.NodeURLs, nil)
	return c, nil
}

// Network is the client's network with defaults filled in.
func (c *Client) Network() Network {
	n := c.net
	n.NodeURLs = append([]string(nil), n.NodeURLs...)
	if n.MaxPrice != nil {
		n.MaxPrice = new(big.Int).Set(n.MaxPrice)
	}
	return n
}

// Close stops a handshake in progress, cancels the requests a finished
// call left running (see fanOut) and waits for them, and releases idle
// connections.
func (c *Client) Close() {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.lifeDone()
	c.stragglers.Wait()
	c.workers.Close()
	if cl, ok := c.proto.(interface{ close() }); ok {
		cl.close()
	}
	if c.nodes != nil {
		c.nodes.Close()
	}
	c.http.CloseIdleConnections()
}

// Node states reported in NodeStatus.State.
const (
	// NodeUnknown: the client has not talked to the node yet.
	NodeUnknown = "unknown"
	// NodeUp: the node's last request got an HTTP reply.
	NodeUp = "up"
	// NodeDown: the node's last request failed (LastError says why).
	NodeDown = "down"
)

// NodeStatus is what the client last saw of one node.
type NodeStatus struct {
	URL string
	// State is NodeUnknown, NodeUp or NodeDown.
	State string
	// Up is State == NodeUp.
	Up          bool
	LastLatency time.Duration
	LastError   string
	LastSeen    time.Time
	// Price is the node's current price for a Lit Action in wei (Naga;
	// nil for v2).
	Price *big.Int
	// ExecLatency is the node's smoothed executeJs latency (0: none yet);
	// Naga's re-issue deadline is derived from it.
	ExecLatency time.Duration
	// Slow is set when the node missed a re-issue deadline; node selection
	// puts it last for 30 s.
	Slow bool
	// Attestation is the outcome of the node's last attestation check:
	// "" when the network requires none (or the node was not checked yet),
	// AttestationVerified, or "refused: <reason>" (LastError has the
	// detail, and the node is down).
	Attestation string
	// BadShares counts the node's sets (since it was last in a set whose
	// shares combined) whose shares did not combine; node selection puts
	// such nodes after the others, least suspect first.
	BadShares int
}

// AttestationVerified is NodeStatus.Attestation of a node whose last
// attestation was accepted.
const AttestationVerified = "verified"

// NetworkStatus is the client's view of the network.
type NetworkStatus struct {
	Name     string
	Protocol string
	// Epoch is the network's epoch (Naga; 0 for v2).
	Epoch uint64
	// Threshold is how many nodes a call needs (0 before the first
	// handshake for Naga, where the chain sets it).
	Threshold int
	// Connected reports a current handshake.
	Connected bool
	// Reissues counts calls re-sent to another node set; LastReissue says
	// why the last one was.
	Reissues    int
	LastReissue string
	Nodes       []NodeStatus
}

// NodeStatus returns a snapshot of every node's state.
func (c *Client) NodeStatus() []NodeStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]NodeStatus, 0, len(c.order))
	for _, u := range c.order {
		ns := *c.status[u]
		ns.ExecLatency = c.execLatency[u]
		if ns.Price != nil {
			ns.Price = new(big.Int).Set(ns.Price)
		}
		out = append(out, ns)
	}
	return out
}

// Status returns the network's protocol, epoch, threshold and nodes.
func (c *Client) Status() NetworkStatus {
	nodes := c.NodeStatus()
	c.mu.Lock()
	defer c.mu.Unlock()
	ns := NetworkStatus{Name: c.net.Name, Protocol: c.proto.name(), Threshold: c.net.Threshold,
		Reissues: c.reissues, LastReissue: c.lastReiss, Nodes: nodes}
	if c.st != nil {
		ns.Epoch, ns.Threshold, ns.Connected = c.st.epoch, c.st.threshold, true
	}
	return ns
}

// setNodes makes urls the displayed node set, keeping what is known of
// nodes already shown; prices (if any) are per URL.
func (c *Client) setNodes(urls []string, prices map[string]*big.Int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	status := make(map[string]*NodeStatus, len(urls))
	for _, u := range urls {
		ns := c.status[u]
		if ns == nil {
			ns = &NodeStatus{URL: u, State: NodeUnknown}
		}
		if p := prices[u]; p != nil {
			ns.Price = new(big.Int).Set(p)
		}
		status[u] = ns
	}
	c.status = status
	c.order = append([]string(nil), urls...)
}

func (c *Client) record(url string, latency time.Duration, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.status[url]
	if st == nil {
		return // a node of an older node set
	}
	st.LastLatency = latency
	st.LastSeen = c.now()
	st.Up = err == nil
	st.State = NodeUp
	st.LastError = ""
	if err != nil {
		st.State = NodeDown
		st.LastError = err.Error()
	} else {
		st.Slow = false
	}
}

// noteAttestation records the outcome of a node's attestation check; a
// refused node is marked down with the refusal as its last error.
func (c *Client) noteAttestation(url string, refused error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.status[url]
	if st == nil {
		return
	}
	if refused == nil {
		st.Attestation = AttestationVerified
		return
	}
	st.Attestation = "refused: " + strings.TrimPrefix(refused.Error(), "attestation: ")
	st.State, st.Up = NodeDown, false
	st.LastError = refused.Error()
	st.LastSeen = c.now()
}

// noteError records a node's bad reply without marking it down.
func (c *Client) noteError(url string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.status[url]; st != nil {
		st.LastError = err.Error()
	}
}

// markSlow records that a node missed a deadline: node selection avoids
// it until it answers a request in time again.
func (c *Client) markSlow(url string, waited time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.status[url]; st != nil {
		st.Slow = true
		st.LastSeen = c.now()
		st.LastLatency = max(st.LastLatency, waited)
		st.LastError = fmt.Sprintf("no reply within %v: call re-issued to other nodes", waited.Round(time.Millisecond))
	}
}

// avoidFor is how long node selection puts a node that failed or missed
// a deadline last; afterwards it is tried again like any other.
const avoidFor = 30 * time.Second

// nodeHealth is what node selection needs to know about url: its last
// latency, whether it failed or was slow within avoidFor, and how suspect
// its shares are.
func (c *Client) nodeHealth(url string) (latency time.Duration, bad bool, badShares int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.status[url]
	if st == nil {
		return 0, false, 0
	}
	recent := c.now().Sub(st.LastSeen) < avoidFor
	return st.LastLatency, (st.Slow || st.State == NodeDown) && recent, st.BadShares
}

// noteExecLatency folds one good execute's latency into the node's
// smoothed execute latency (weight 1/4 for the new sample).
func (c *Client) noteExecLatency(url string, d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.execLatency[url]; ok {
		d = (3*old + d) / 4
	}
	c.execLatency[url] = d
}

// execLatencyOf is the node's smoothed execute latency (0: unknown).
func (c *Client) execLatencyOf(url string) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.execLatency[url]
}

// noteReissue counts a re-issued call for the status.
func (c *Client) noteReissue(why string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reissues++
	c.lastReiss = why
}

// newRequestID is "lit_" and 13 random hex digits, like the SDK's.
func newRequestID() string {
	var b [7]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return "lit_" + hex.EncodeToString(b[:])[:13]
}

// nodeResult is one node's answer in a fan-out.
type nodeResult struct {
	call    *nodeCall
	latency time.Duration
	status  int
	body    []byte
	err     error // transport error (no HTTP reply)
	// checked and checkErr are the call's check result (nil without one).
	checked  any
	checkErr error
}

// post sends one request to one node. ctx carries the per-node timeout
// (one context for all of a fan-out's requests, which start together)
// and head is the request's complete header, shared read-only with the
// fan-out's other requests.
func (c *Client) post(ctx context.Context, call *nodeCall, head *requestHead) nodeResult {
	res := nodeResult{call: call}
	start := time.Now()
	var err error
	if c.nodes != nil {
		res.status, res.body, err = c.postNode(ctx, call, head)
	} else {
		res.status, res.body, err = c.postHTTP(ctx, call, head.header)
	}
	if err != nil {
		if !errors.Is(err, ErrBadReply) {
			err = transportError(ctx, err)
		}
		res.err = err
		return res
	}
	res.latency = time.Since(start)
	c.record(call.url, res.latency, nil)
	return res
}

// postNode is post through the node client.
func (c *Client) postNode(ctx context.Context, call *nodeCall, head *requestHead) (status int, body []byte, err error) {
	if head.err != nil {
		return 0, nil, head.err
	}
	reply, err := c.nodes.Post(ctx, call.url, call.path, head.raw, call.body, c.maxReply)
	return reply.Status, reply.Body, asBadReply(err)
}

// postHTTP is post through an http.Client given in place of the node
// client (tests reach nodes in memory so). As postNode, it marks a reply
// over the limit ErrBadReply (readReply).
func (c *Client) postHTTP(ctx context.Context, call *nodeCall, header http.Header) (status int, body []byte, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, call.url+call.path, bytes.NewReader(bytes.Join(call.body, nil)))
	if err != nil {
		return 0, nil, err
	}
	req.Header = header
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err = readReply(resp, c.maxReply)
	return resp.StatusCode, body, err
}

// requestHead is a fan-out's request header, as a map and rendered for
// the node client (or the error rendering it gave).
type requestHead struct {
	header http.Header
	raw    []byte
	err    error
}

// newRequestHead is requestHeader(extra, reqID): as a map for an
// http.Client given in place of the node client, else rendered for the
// node client (the map is not made then).
func (c *Client) newRequestHead(extra http.Header, reqID string) *requestHead {
	if c.nodes == nil {
		return &requestHead{header: requestHeader(extra, reqID)}
	}
	base, err := c.renderedHeader(extra)
	if err != nil {
		return &requestHead{err: err}
	}
	raw := make([]byte, 0, len(base)+len("X-Request-Id: \r\n")+len(reqID))
	raw = append(raw, base...)
	raw = append(raw, "X-Request-Id: "...)
	raw = append(raw, reqID...)
	raw = append(raw, "\r\n"...)
	return &requestHead{raw: raw}
}

// maxRenderedHeaders bounds Client.rendered. Each protocol passes one
// header map for all its requests (v2Header, protoNaga.header), so a
// client renders one or two.
const maxRenderedHeaders = 4

// renderedHeader is requestHeader(extra, "") rendered by
// nodehttp.RenderHeader without its X-Request-Id line, which each fan-out
// appends (after the others: the order of header fields carries no
// meaning). It is rendered once per extra map, by identity (requests only
// read their header): rendering the same lines on every call was 1 % of a
// v2 call.
func (c *Client) renderedHeader(extra http.Header) ([]byte, error) {
	c.renderMu.Lock()
	defer c.renderMu.Unlock()
	for _, r := range c.rendered {
		if sameHeader(r.extra, extra) {
			return r.raw, nil
		}
	}
	h := requestHeader(extra, "")
	h.Del("X-Request-Id")
	raw, err := nodehttp.RenderHeader(h)
	if err != nil {
		return nil, err
	}
	if len(c.rendered) == maxRenderedHeaders {
		c.rendered = c.rendered[1:]
	}
	c.rendered = append(c.rendered, renderedHeader{extra: extra, raw: raw})
	return raw, nil
}

// renderedHeader is one entry of Client.rendered.
type renderedHeader struct {
	extra http.Header // kept, so its identity is not reused
	raw   []byte
}

// requestHeader is a request's complete header: the call's own headers
// and the ones every request carries.
func requestHeader(extra http.Header, reqID string) http.Header {
	h := make(http.Header, len(extra)+3)
	for k, v := range extra {
		h[k] = v
	}
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	h.Set("X-Request-Id", reqID)
	return h
}

// sameHeader reports whether a and b are the same map (not just equal).
func sameHeader(a, b http.Header) bool {
	return reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}

// readReply reads resp's body, at most limit bytes (else ErrBadReply), as
// the node client reads a reply's.
func readReply(resp *http.Response, limit int64) ([]byte, error) {
	body, err := nodehttp.ReadBody(resp.Body, resp.ContentLength, limit)
	if err != nil {
		return nil, asBadReply(fmt.Errorf("read reply: %w", err))
	}
	return body, nil
}

// asBadReply marks err ErrBadReply if it is a reply over the size limit.
func asBadReply(err error) error {
	if errors.Is(err, nodehttp.ErrReplyTooBig) {
		return fmt.Errorf("%w: %w", ErrBadReply, err)
	}
	return err
}

// transportError maps a per-node deadline to ErrTimeout.
func transportError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %v", ErrTimeout, err)
	}
	return err
}

// fanOut posts every call concurrently and delivers each answer to
// decide, in arrival order, until decide returns done or all answered.
//
// If ctx ends first, the unfinished requests are cancelled and waited for.
// If decide returns done first, fanOut returns at once and the unfinished
// requests (stragglers) get a short grace to finish in the background,
// their replies read and dropped: cancelling a request closes its
// connection, and the next call would dial the node again (a TCP, maybe
// TLS, handshake on both sides). After the grace, on Close or at the
// per-node deadline they are cancelled. Close waits for them.
func (c *Client) fanOut(ctx context.Context, reqID string, calls []*nodeCall, decide func(nodeResult) (done bool)) {
	start := time.Now()
	// checkCtx ends with the fan-out: no check runs for a straggler.
	checkCtx, checkCancel := context.WithCancel(ctx)
	defer checkCancel()
	// Every request starts now, so one deadline serves them all: a
	// context and timer per request were a sixth of a request's cost.
	// The requests' context does not end with ctx once decide is done
	// (see stragglers), so it has ctx's values and deadline but its own
	// cancellation, tied to ctx only until then.
	deadline := start.Add(c.net.NodeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	reqCtx, reqCancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	untie := context.AfterFunc(ctx, reqCancel)
	results := make(chan nodeResult, len(calls))
	var wg sync.WaitGroup
	// Calls usually share one header map: build each request header
	// once per distinct map (requests only read their header).
	var extra http.Header
	var head *requestHead
	for i, call := range calls {
		if i == 0 || !sameHeader(call.header, extra) {
			extra, head = call.header, c.newRequestHead(call.header, reqID)
		}
		wg.Add(1)
		head := head // the loop changes it; the job runs later
		c.workers.Run(func() {
			defer wg.Done()
			r := c.post(reqCtx, call, head)
			if r.err == nil && call.check != nil && checkCtx.Err() == nil {
				r.checked, r.checkErr = call.check(checkCtx, r)
			}
			results <- r
		})
	}
	for answered := 0; answered < len(calls); answered++ {
		var r nodeResult
		select {
		case r = <-results:
		case <-ctx.Done(): // untie has cancelled the requests
			wg.Wait()
			reqCancel()
			return
		}
		if r.err != nil && ctx.Err() == nil {
			c.record(r.call.url, 0, r.err)
		}
		if decide(r) {
			if answered+1 < len(calls) && untie() {
				c.releaseStragglers(&wg, reqCancel, time.Since(start))
				return
			}
			break
		}
	}
	untie()
	wg.Wait()
	reqCancel()
}

// Bounds of the grace stragglers get: as long as the fan-out took to
// decide (a node half as fast as the others is still waited for), within
// these.
const (
	minStragglerGrace = 20 * time.Millisecond
	maxStragglerGrace = time.Second
)

// releaseStragglers lets a decided fan-out's unfinished requests run for
// a grace based on took, the time to the decision, then cancels them with
// cancel; wg counts them. A closed client cancels them at once.
func (c *Client) releaseStragglers(wg *sync.WaitGroup, cancel context.CancelFunc, took time.Duration) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		cancel()
		wg.Wait()
		return
	}
	c.stragglers.Add(1) // before Close's Wait: both hold c.mu around closed
	c.mu.Unlock()
	grace := time.AfterFunc(min(max(took, minStragglerGrace), maxStragglerGrace), cancel)
	untieLife := context.AfterFunc(c.life, cancel)
	c.workers.Run(func() {
		defer c.stragglers.Done()
		wg.Wait()
		grace.Stop()
		untieLife()
		cancel()
	})
}

// opError is a failed public call: "lit: <op>: <cause>", with one "lit:"
// whatever the cause's own text starts with.
type opError struct {
	op  string
	err error
}

func (e *opError) Error() string {
	msg := strings.TrimPrefix(e.err.Error(), "lit: ")
	// A *ThresholdError of the same operation already names it.
	return "lit: " + e.op + ": " + strings.TrimPrefix(msg, e.op+": ")
}

func (e *opError) Unwrap() error { return e.err }

// litErr wraps err as the failure of op; an *ActionError is returned as
// it is, so its message leads with the action's own.
func litErr(op string, err error) error {
	switch err.(type) {
	case nil, *ActionError, *opError:
		return err
	}
	return &opError{op: op, err: err}
}
