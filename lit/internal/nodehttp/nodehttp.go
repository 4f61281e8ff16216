// Package nodehttp posts requests to Lit nodes over HTTP/1.1 on kept-alive
// connections, each request and its reply handled in the caller's
// goroutine.
//
// net/http's client runs two goroutines per connection and hands every
// request and reply between them and the caller through channels: with ten
// small requests per call that was half of litsignerd's CPU. Here a
// request is one write (the header block and the body together), its
// reply is read by the standard library's own parser (http.ReadResponse)
// in the same goroutine, and the connection goes back to its node's pool.
//
// What it keeps of net/http's behaviour: at most MaxConnsPerHost
// connections per node (a request beyond them waits for one to be free),
// idle connections closed after IdleTimeout, TLS for https URLs (system
// roots unless Options.TLSConfig says otherwise), a kept connection found
// closed by the server before a request goes on it (net/http reads each
// idle connection; here one idle for probeIdleAfter is checked when taken),
// a request sent on another connection only when none of it could be
// written (net/http sends a POST again only then: a node may have run a
// request it read), cancellation by the request's context at any point
// (the connection is then closed), and bounds on a reply's head (5 interim
// replies, 64 KiB) as on its body (the caller's limit).
// What it leaves out, on purpose: proxies (nodes are dialled directly),
// HTTP/2, compression, redirects and cookies.
package nodehttp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrReplyTooBig is returned when a reply's body exceeds the caller's
// limit.
var ErrReplyTooBig = errors.New("reply too big")

// ReadBody reads a reply's body from r: contentLength bytes, or with -1
// (length not announced) all of it, at most limit bytes either way (else
// an error that is ErrReplyTooBig). An announced length is read into one
// buffer of that size, not grown from 512 bytes as io.ReadAll does.
func ReadBody(r io.Reader, contentLength, limit int64) ([]byte, error) {
	if contentLength > limit {
		return nil, fmt.Errorf("%d bytes, over %d: %w", contentLength, limit, ErrReplyTooBig)
	}
	if contentLength >= 0 {
		body := make([]byte, contentLength)
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, err
		}
		return body, nil
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(r, limit+1)); err != nil {
		return nil, err
	}
	if int64(buf.Len()) > limit {
		return nil, fmt.Errorf("over %d bytes: %w", limit, ErrReplyTooBig)
	}
	return buf.Bytes(), nil
}

// maxKeptRequestBuffer bounds the request buffer a connection keeps for
// its next request (a node's execute request is a few KB; up to 160 kept
// connections to ten nodes hold at most 2.5 MB so).
const maxKeptRequestBuffer = 16 << 10

// Bounds of a reply's head: its interim (1xx) replies, and the bytes of
// its status line and header fields (net/http allows 5 and 10 MB; a node's
// reply head is a few hundred bytes).
const (
	maxInterimReplies = 5
	maxReplyHeadBytes = 64 << 10
)

// ErrReplyHeadTooBig is returned when a reply's head exceeds
// maxReplyHeadBytes.
var ErrReplyHeadTooBig = errors.New("nodehttp: reply head too big")

// userAgent is the User-Agent of requests whose header has none.
const userAgent = "litsigner"

// ErrClosed is returned by Post after Close.
var ErrClosed = errors.New("nodehttp: client closed")

// Options configure a Client. Zero fields take the defaults in brackets.
type Options struct {
	MaxConnsPerHost int           // connections per node [16]
	IdleTimeout     time.Duration // an idle connection is closed after it [90 s]
	DialTimeout     time.Duration // [10 s]
	KeepAlive       time.Duration // TCP keep-alive period [30 s]
	TLSConfig       *tls.Config   // for https nodes [system roots]
}

// Client posts to nodes. It is safe for concurrent use.
type Client struct {
	opts   Options
	dialer net.Dialer

	mu     sync.Mutex
	hosts  map[string]*host // by base URL
	closed bool
}

// New returns a client with opts.
func New(opts Options) *Client {
	if opts.MaxConnsPerHost <= 0 {
		opts.MaxConnsPerHost = 16
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 90 * time.Second
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 10 * time.Second
	}
	if opts.KeepAlive <= 0 {
		opts.KeepAlive = 30 * time.Second
	}
	return &Client{
		opts:   opts,
		dialer: net.Dialer{Timeout: opts.DialTimeout, KeepAlive: opts.KeepAlive},
		hosts:  map[string]*host{},
	}
}

// RenderHeader is h as a request's header lines ("Key: value\r\n" each,
// sorted, values with line breaks flattened, as net/http writes them), to
// be rendered once and passed to Post for any number of requests. A
// User-Agent is added unless h has one. It refuses the headers Post
// writes itself (Host, Content-Length, Transfer-Encoding, Connection) and
// invalid names.
func RenderHeader(h http.Header) ([]byte, error) {
	hasAgent := false
	for k := range h {
		switch http.CanonicalHeaderKey(k) {
		case "Host", "Content-Length", "Transfer-Encoding", "Connection":
			return nil, fmt.Errorf("nodehttp: header %q is set by the client", k)
		case "User-Agent":
			hasAgent = true
		}
		if !validHeaderName(k) {
			return nil, fmt.Errorf("nodehttp: invalid header name %q", k)
		}
	}
	var b bytes.Buffer
	if !hasAgent {
		b.WriteString("User-Agent: " + userAgent + "\r\n")
	}
	if err := h.Write(&b); err != nil {
		return nil, fmt.Errorf("nodehttp: header: %w", err)
	}
	return b.Bytes(), nil
}

// validHeaderName reports whether k is a token (RFC 9110 §5.1).
func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),/:;<=>?@[\]{}`, c) >= 0 {
			return false
		}
	}
	return true
}

// Reply is a node's answer.
type Reply struct {
	Status int
	Body   []byte
}

// Post sends a POST to base+path with header (from RenderHeader) and a
// body of body's parts one after the other, and reads the reply, whose
// body may have at most limit bytes. base is a node's URL (http or https,
// no query). A reply is returned for any status.
func (c *Client) Post(ctx context.Context, base, path string, header []byte, body [][]byte, limit int64) (Reply, error) {
	h, err := c.host(base)
	if err != nil {
		return Reply{}, err
	}
	for {
		conn, err := h.get(ctx, c)
		if err != nil {
			return Reply{}, err
		}
		reply, written, err := conn.roundTrip(ctx, h, path, header, body, limit)
		if err == nil || written || !conn.reused || ctx.Err() != nil {
			return reply, err
		}
		// Not a byte of the request reached the kept connection (the
		// server had closed it): the request did not run; send it on
		// another. A request that was written is not sent again (as
		// net/http does not send a POST again): the node may have run it.
	}
}

// Close closes the idle connections and makes later Posts fail with
// ErrClosed. Requests in flight finish (their contexts end them), and
// their connections are closed then.
func (c *Client) Close() {
	c.mu.Lock()
	c.closed = true
	hosts := c.hosts
	c.hosts = map[string]*host{}
	c.mu.Unlock()
	for _, h := range hosts {
		h.close()
	}
}

// host is one node's connections.
type host struct {
	addr    string // host:port dialled
	name    string // Host header
	prefix  string // the base URL's path, before each request's
	tls     *tls.Config
	timeout time.Duration // idle timeout

	slots chan struct{} // one per connection open or being dialled

	mu     sync.Mutex
	idle   []*conn // most recently used last
	reaper *time.Timer
	closed bool
}

// host returns base's pool, made on first use.
func (c *Client) host(base string) (*host, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if h := c.hosts[base]; h != nil {
		return h, nil
	}
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("nodehttp: %w", err)
	}
	if u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("nodehttp: %q is not a node URL (scheme://host[:port][/path])", base)
	}
	h := &host{name: u.Host, prefix: u.EscapedPath(), timeout: c.opts.IdleTimeout,
		slots: make(chan struct{}, c.opts.MaxConnsPerHost)}
	port := u.Port()
	switch u.Scheme {
	case "http":
		if port == "" {
			port = "80"
		}
	case "https":
		if port == "" {
			port = "443"
		}
		cfg := &tls.Config{}
		if c.opts.TLSConfig != nil {
			cfg = c.opts.TLSConfig.Clone()
		}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		cfg.NextProtos = []string{"http/1.1"}
		h.tls = cfg
	default:
		return nil, fmt.Errorf("nodehttp: %q: scheme %q is not http or https", base, u.Scheme)
	}
	h.addr = net.JoinHostPort(u.Hostname(), port)
	c.hosts[base] = h
	return h, nil
}

// get returns an idle connection or a new one, waiting for a free slot
// when MaxConnsPerHost are open.
func (h *host) get(ctx context.Context, c *Client) (*conn, error) {
	select {
	case h.slots <- struct{}{}:
	default:
		select {
		case h.slots <- struct{}{}:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	now := time.Now()
	h.mu.Lock()
	for len(h.idle) > 0 {
		cn := h.idle[len(h.idle)-1]
		h.idle[len(h.idle)-1] = nil
		h.idle = h.idle[:len(h.idle)-1]
		idle := now.Sub(cn.idleSince)
		if idle < h.timeout {
			h.mu.Unlock()
			if idle < probeIdleAfter || cn.open() {
				cn.reused = true
				return cn, nil
			}
		} else {
			h.mu.Unlock()
		}
		cn.nc.Close() // its slot passes to the next connection taken or dialled
		h.mu.Lock()
	}
	h.mu.Unlock()
	nc, raw, err := h.dial(ctx, c)
	if err != nil {
		<-h.slots
		return nil, err
	}
	cn := &conn{nc: nc, raw: raw}
	cn.br = bufio.NewReaderSize(cn, 4096)
	return cn, nil
}

// probeIdleAfter is how long a connection may stay idle before it is
// checked (open) when taken again. A server closes a connection it keeps
// after an idle timeout of seconds, or when it stops; the check costs a
// system call, which the connections of a busy client are spared.
const probeIdleAfter = 100 * time.Millisecond

// open reports whether an idle connection is still fit for a request:
// the peer has neither closed it nor sent anything (a TLS alert, stray
// bytes). It peeks at the socket without waiting.
func (cn *conn) open() bool {
	if cn.br.Buffered() > 0 {
		return false
	}
	sc, ok := cn.raw.(syscall.Conn)
	if !ok {
		return true // not a socket (tests): the request will tell
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	open := false
	err = rc.Read(func(fd uintptr) bool {
		var b [1]byte
		_, _, rerr := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		open = rerr == syscall.EAGAIN
		return true // never wait for data
	})
	return err == nil && open
}

// dial connects to the node: nc carries the requests, raw is its TCP
// connection (the same unless TLS runs over it).
func (h *host) dial(ctx context.Context, c *Client) (nc, raw net.Conn, err error) {
	raw, err = c.dialer.DialContext(ctx, "tcp", h.addr)
	if err != nil {
		return nil, nil, err
	}
	if h.tls == nil {
		return raw, raw, nil
	}
	tc := tls.Client(raw, h.tls)
	if err := tc.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, nil, err
	}
	return tc, raw, nil
}

// put returns cn to the idle list, or closes it if the host is closed.
func (h *host) put(cn *conn) {
	cn.idleSince = time.Now()
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		cn.nc.Close()
		<-h.slots
		return
	}
	h.idle = append(h.idle, cn)
	if h.reaper == nil {
		h.reaper = time.AfterFunc(h.timeout, h.reap)
	}
	h.mu.Unlock()
	<-h.slots
}

// drop closes cn, which will not be reused.
func (h *host) drop(cn *conn) {
	cn.nc.Close()
	<-h.slots
}

// reap closes the connections idle for the idle timeout, and runs again
// while any stay idle.
func (h *host) reap() {
	now := time.Now()
	h.mu.Lock()
	h.reaper = nil
	var stale []*conn
	keep := h.idle[:0]
	for _, cn := range h.idle {
		if now.Sub(cn.idleSince) >= h.timeout {
			stale = append(stale, cn)
		} else {
			keep = append(keep, cn)
		}
	}
	clear(h.idle[len(keep):])
	h.idle = keep
	if len(h.idle) > 0 {
		h.reaper = time.AfterFunc(h.timeout-now.Sub(h.idle[0].idleSince), h.reap)
	}
	h.mu.Unlock()
	for _, cn := range stale {
		cn.nc.Close()
	}
}

// close closes the idle connections, and every connection returned
// later.
func (h *host) close() {
	h.mu.Lock()
	idle := h.idle
	h.idle = nil
	if h.reaper != nil {
		h.reaper.Stop()
		h.reaper = nil
	}
	h.closed = true
	h.mu.Unlock()
	for _, cn := range idle {
		cn.nc.Close()
	}
}

// conn is one connection.
type conn struct {
	nc        net.Conn
	raw       net.Conn // nc's TCP connection (for open)
	br        *bufio.Reader
	head      []byte // request head buffer, reused
	reused    bool   // taken from the idle list
	got       int64  // bytes read in this exchange
	headLimit int64  // while the reply's head is read: got may not pass it
	idleSince time.Time
}

// Read reads from the connection, counting the bytes (cn.br reads
// through it), and refuses to read past headLimit while it is set.
func (cn *conn) Read(p []byte) (int, error) {
	if cn.headLimit > 0 && cn.got >= cn.headLimit {
		return 0, ErrReplyHeadTooBig
	}
	n, err := cn.nc.Read(p)
	cn.got += int64(n)
	return n, err
}

// longAgo is a deadline in the past: set on a connection, it ends its
// blocked reads and writes at once.
var longAgo = time.Unix(1, 0)

// roundTrip sends one request on cn and reads its reply, then gives cn
// back to h (or closes it). written reports whether any byte of the
// request was written.
func (cn *conn) roundTrip(ctx context.Context, h *host, path string, header []byte, body [][]byte, limit int64) (reply Reply, written bool, err error) {
	stop := context.AfterFunc(ctx, func() { _ = cn.nc.SetDeadline(longAgo) })
	reply, written, keep, err := cn.exchange(h, path, header, body, limit)
	if !stop() { // the context ended: the connection's deadline is gone
		keep = false
		if err != nil {
			err = fmt.Errorf("%w (%v)", ctx.Err(), err)
		}
	}
	if keep {
		h.put(cn)
	} else {
		h.drop(cn)
	}
	return reply, written, err
}

// exchange writes the request and reads the reply; written reports whether
// any of the request was written, keep whether the connection can carry
// another request.
func (cn *conn) exchange(h *host, path string, header []byte, body [][]byte, limit int64) (reply Reply, written, keep bool, err error) {
	size := 0
	for _, part := range body {
		size += len(part)
	}
	head := append(cn.head[:0], "POST "...)
	head = append(head, h.prefix...)
	head = append(head, path...)
	head = append(head, " HTTP/1.1\r\nHost: "...)
	head = append(head, h.name...)
	head = append(head, "\r\n"...)
	head = append(head, header...)
	head = append(head, "Content-Length: "...)
	head = strconv.AppendInt(head, int64(size), 10)
	head = append(head, "\r\n\r\n"...)
	// One write of head and body together. (A writev of the parts would
	// spare the copy, but the race detector sees no write in a writev,
	// so a test's server would seem to read its state unordered.)
	for _, part := range body {
		head = append(head, part...)
	}
	if cap(head) <= maxKeptRequestBuffer {
		cn.head = head
	} else {
		cn.head = nil // a large body's buffer is not kept with the connection
	}
	cn.got = 0
	if n, err := cn.nc.Write(head); err != nil {
		return Reply{}, n > 0, false, fmt.Errorf("write request: %w", err)
	}
	var resp *http.Response
	// The head may take the bound, plus what bufio reads ahead of it (a
	// buffer at a time).
	cn.headLimit = maxReplyHeadBytes + int64(cn.br.Size())
	for interim := 0; ; interim++ {
		resp, err = http.ReadResponse(cn.br, nil)
		if err != nil {
			cn.headLimit = 0
			return Reply{}, true, false, fmt.Errorf("read reply: %w", err)
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
		// An interim 1xx reply (103 Early Hints): the final one follows.
		if interim == maxInterimReplies {
			cn.headLimit = 0
			return Reply{}, true, false, fmt.Errorf("read reply: more than %d interim (1xx) replies", maxInterimReplies)
		}
	}
	cn.headLimit = 0
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return Reply{}, true, false, fmt.Errorf("read reply: unexpected 101 Switching Protocols")
	}
	reply.Status = resp.StatusCode
	if reply.Body, err = ReadBody(resp.Body, resp.ContentLength, limit); err != nil {
		return reply, true, false, fmt.Errorf("read reply: %w", err)
	}
	// Bytes past the reply (a broken or hostile server) would be read as
	// the next request's reply: such a connection is not kept.
	return reply, true, !resp.Close && cn.br.Buffered() == 0, nil
}
