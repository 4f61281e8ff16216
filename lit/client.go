package lit

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// SDKVersion is sent as X-Lit-SDK-Version: the SDK release whose wire
// format this client speaks.
const SDKVersion = "2.2.63"

// Limits applied to untrusted input and to requests.
const (
	// DefaultMaxReplyBytes caps one node reply body.
	DefaultMaxReplyBytes = 1 << 20
	// DefaultMaxCodeSize caps a Lit Action's source.
	DefaultMaxCodeSize = 1 << 20
)

// Client talks to one Lit network. It is safe for concurrent use.
type Client struct {
	net         Network
	wire        wireProtocol
	http        *http.Client
	sdkVersion  string
	maxReply    int64
	maxCodeSize int
	now         func() time.Time

	mu     sync.Mutex
	info   *NetworkInfo
	status []NodeStatus
}

// ClientOption configures a Client.
type ClientOption func(*Client) error

// WithHTTPClient uses hc (its Timeout is ignored: per-node and per-call
// timeouts come from the Network).
func WithHTTPClient(hc *http.Client) ClientOption {
	return func(c *Client) error {
		if hc == nil {
			return fmt.Errorf("lit: nil http client: %w", ErrInvalidParams)
		}
		c.http = hc
		return nil
	}
}

// WithMaxReplyBytes caps each node reply body (default 1 MiB).
func WithMaxReplyBytes(n int64) ClientOption {
	return func(c *Client) error {
		if n <= 0 {
			return fmt.Errorf("lit: max reply bytes %d: %w", n, ErrInvalidParams)
		}
		c.maxReply = n
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

// NewClient validates n and returns a client. It does not contact nodes.
func NewClient(n Network, opts ...ClientOption) (*Client, error) {
	n, err := n.withDefaults()
	if err != nil {
		return nil, err
	}
	c := &Client{
		net:         n,
		wire:        wireV2{},
		sdkVersion:  SDKVersion,
		maxReply:    DefaultMaxReplyBytes,
		maxCodeSize: DefaultMaxCodeSize,
		now:         time.Now,
	}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	if c.http == nil {
		c.http = &http.Client{Transport: &http.Transport{
			Proxy:               nil, // node URLs are dialled directly
			DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        4 * len(n.NodeURLs),
			MaxIdleConnsPerHost: 4,
			IdleConnTimeout:     90 * time.Second,
			ForceAttemptHTTP2:   true,
		}}
	}
	c.status = make([]NodeStatus, len(n.NodeURLs))
	for i, u := range n.NodeURLs {
		c.status[i].URL = u
	}
	return c, nil
}

// Network is the client's network with defaults filled in.
func (c *Client) Network() Network {
	n := c.net
	n.NodeURLs = append([]string(nil), n.NodeURLs...)
	return n
}

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// NodeStatus is what the client last saw of one node.
type NodeStatus struct {
	URL         string
	Up          bool
	LastLatency time.Duration
	LastError   string
	LastSeen    time.Time
}

// NodeStatus returns a snapshot of every node's state.
func (c *Client) NodeStatus() []NodeStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]NodeStatus(nil), c.status...)
}

func (c *Client) record(i int, latency time.Duration, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := &c.status[i]
	st.LastLatency = latency
	st.LastSeen = c.now()
	st.Up = err == nil
	st.LastError = ""
	if err != nil {
		st.LastError = err.Error()
	}
}

// noteError records a node's bad reply without marking it down.
func (c *Client) noteError(i int, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.status[i].LastError = err.Error()
}

// newRequestID is "lit_" and 13 random hex digits, like the SDK's.
func newRequestID() string {
	var b [7]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return "lit_" + hex.EncodeToString(b[:])[:13]
}

// nodeResult is one node's answer in a fan-out.
type nodeResult struct {
	node   int
	url    string
	status int
	body   []byte
	err    error // transport error (no HTTP reply)
}

// post sends one request to one node with the per-node timeout.
func (c *Client) post(ctx context.Context, i int, path, reqID string, body []byte) nodeResult {
	url := c.net.NodeURLs[i]
	res := nodeResult{node: i, url: url}
	ctx, cancel := context.WithTimeout(ctx, c.net.NodeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+path, bytes.NewReader(body))
	if err != nil {
		res.err = err
		return res
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-Lit-SDK-Version", c.sdkVersion)
	req.Header.Set("X-Lit-SDK-Type", "Typescript")
	req.Header.Set("X-Request-Id", reqID)
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		res.err = transportError(ctx, err)
		return res
	}
	defer resp.Body.Close()
	res.status = resp.StatusCode
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.maxReply+1))
	if err != nil {
		res.err = transportError(ctx, fmt.Errorf("read reply: %w", err))
		return res
	}
	if int64(len(data)) > c.maxReply {
		res.err = fmt.Errorf("reply exceeds %d bytes: %w", c.maxReply, ErrBadReply)
		return res
	}
	res.body = data
	c.record(i, time.Since(start), nil)
	return res
}

// transportError maps a per-node deadline to ErrTimeout.
func transportError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %v", ErrTimeout, err)
	}
	return err
}

// fanOut posts to every node concurrently and delivers each answer to
// decide, in arrival order, until decide returns done or all nodes
// answered. Unfinished requests are then cancelled and waited for, so no
// goroutine outlives the call. bodyFor builds node i's body.
func (c *Client) fanOut(ctx context.Context, path string, bodyFor func(i int) []byte, decide func(nodeResult) (done bool)) {
	ctx, cancel := context.WithCancel(ctx)
	reqID := newRequestID()
	results := make(chan nodeResult, len(c.net.NodeURLs))
	var wg sync.WaitGroup
	for i := range c.net.NodeURLs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results <- c.post(ctx, i, path, reqID, bodyFor(i))
		}()
	}
	defer func() {
		cancel()
		wg.Wait()
	}()
	for range c.net.NodeURLs {
		var r nodeResult
		select {
		case r = <-results:
		case <-ctx.Done():
			return
		}
		if r.err != nil && ctx.Err() == nil {
			c.record(r.node, 0, r.err)
		}
		if decide(r) {
			return
		}
	}
}
