package ipc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// errTooLarge is returned by the budget reader when a connection has sent
// more unanswered bytes than allowed.
var errTooLarge = errors.New("ipc: request too large")

// errorLineTimeout bounds the write of an error line we send before closing,
// so a peer that does not read cannot hold the connection open.
const errorLineTimeout = time.Second

// serverConn is what go-ethereum's codec reads from and writes to for one
// accepted connection (an rpc.Conn, plus RemoteAddr() string). See the
// package documentation for what it adds.
type serverConn struct {
	raw    net.Conn
	addr   string
	cancel context.CancelCauseFunc
	log    *slog.Logger

	limit  int64
	budget atomic.Int64 // bytes that may still be read before the next write

	dec     *json.Decoder // reads raw through the budget
	pending []byte        // filtered input not yet handed to go-ethereum

	wmu       sync.Mutex
	closeOnce sync.Once

	hmu       sync.Mutex
	stopWatch func() // set while a half-closed peer awaits its replies
	closed    bool

	calls *callSlots // calls in flight: this connection's and the server's
}

func newServerConn(raw net.Conn, p Peer, cancel context.CancelCauseFunc, limit int64, calls *callSlots, log *slog.Logger) *serverConn {
	c := &serverConn{raw: raw, addr: formatRemoteAddr(p), cancel: cancel, limit: limit, calls: calls, log: log}
	c.budget.Store(limit)
	c.dec = json.NewDecoder(budgetReader{c})
	return c
}

// callSlots bounds the calls in flight: those of one connection (conn) and
// those of all connections of a server (server, shared). A request that
// will be answered takes a slot of each before go-ethereum gets it, and the
// answer gives them back; with either full, the connection's reading waits.
// So a client that pipelines calls (or never reads its replies) holds at
// most len(conn) handlers, and all clients together len(server): without
// the bound, 30,000 pipelined calls on one connection started 30,000
// handlers at once (3.3 GB of memory), and other clients waited behind
// them.
type callSlots struct {
	ctx        context.Context // the connection's: cancelled, waiting stops
	conn       chan struct{}
	server     chan struct{}
	batchItems int // go-ethereum's batch limit (see expectsAnswer)

	mu     sync.Mutex
	held   int  // slots of each taken and not given back
	closed bool // the connection is closed: slots were given back
}

func newCallSlots(ctx context.Context, perConn int, server chan struct{}, batchItems int) *callSlots {
	return &callSlots{ctx: ctx, conn: make(chan struct{}, perConn), server: server, batchItems: batchItems}
}

// acquire takes a slot of each, waiting while either is full; it fails
// once the connection is cancelled.
func (s *callSlots) acquire() error {
	select {
	case s.conn <- struct{}{}:
	case <-s.ctx.Done():
		return context.Cause(s.ctx)
	}
	select {
	case s.server <- struct{}{}:
	case <-s.ctx.Done():
		<-s.conn
		return context.Cause(s.ctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed { // closed meanwhile: Close gave back what was held
		<-s.server
		<-s.conn
		return net.ErrClosed
	}
	s.held++
	return nil
}

// release gives back one slot of each, if any is held (an answer to a
// request that took none, e.g. an invalid one, gives back nothing more).
func (s *callSlots) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.held == 0 {
		return
	}
	s.held--
	<-s.server
	<-s.conn
}

// waitAnswered waits until the connection has no call in flight (every
// request read was answered) or ctx is done, which it reports as false.
func (s *callSlots) waitAnswered(ctx context.Context) bool {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		s.mu.Lock()
		held := s.held
		s.mu.Unlock()
		if held == 0 {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

// close gives back every slot still held: a closed connection's calls
// get no answer written.
func (s *callSlots) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ; s.held > 0; s.held-- {
		<-s.server
		<-s.conn
	}
	s.closed = true
}

// budgetReader reads from the socket, spending the connection's byte budget.
type budgetReader struct{ c *serverConn }

func (r budgetReader) Read(p []byte) (int, error) {
	// With the budget spent, still read one byte: the limit is exceeded only
	// if the peer sends more before it gets an answer (which refills it).
	b := max(r.c.budget.Load(), 1)
	if int64(len(p)) > b {
		p = p[:b]
	}
	n, err := r.c.raw.Read(p)
	if r.c.budget.Add(-int64(n)) < 0 {
		return 0, errTooLarge
	}
	return n, err
}

// Read hands go-ethereum the next requests, one JSON value at a time, after
// redirecting unsupported eth_ methods. A read failure cancels the
// connection context before go-ethereum even sees it, except the EOF of a
// peer that only shut down its write side (see hangup.go).
func (c *serverConn) Read(p []byte) (int, error) {
	for len(c.pending) == 0 {
		var msg json.RawMessage
		if err := c.dec.Decode(&msg); err != nil {
			return 0, c.readFailed(err)
		}
		msg = redirectEth(msg)
		if expectsAnswer(msg, c.calls.batchItems) {
			if err := c.calls.acquire(); err != nil {
				return 0, fmt.Errorf("ipc: wait for a call slot: %w", err)
			}
		}
		c.pending = append(msg, '\n')
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

func (c *serverConn) readFailed(err error) error {
	var syntaxErr *json.SyntaxError
	switch {
	case errors.Is(err, errTooLarge):
		c.log.Warn("ipc: request too large, closing connection", "peer", c.addr, "limit", c.limit)
		c.writeErrorLine(CodeInvalidRequest, fmt.Sprintf("request too large (limit %d bytes)", c.limit))
		c.cancel(err)
	case errors.As(err, &syntaxErr):
		// The stream cannot be read past malformed JSON, but the requests
		// before it were valid: like a half-closed peer, the client gets
		// their replies, then the connection closes.
		c.log.Debug("ipc: malformed JSON, answering the calls before it, then closing", "peer", c.addr, "err", err)
		c.writeErrorLine(CodeParseError, "parse error: "+err.Error())
		if c.keepForReplies("ipc: peer sent malformed JSON, answering the calls in flight") {
			return io.EOF
		}
		c.cancel(err)
	case (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) && c.keepForReplies("ipc: peer closed its write side, answering the calls in flight"):
		// The peer only shut down its write side. go-ethereum answers the
		// calls in flight before it closes the codec (and so this
		// connection): hand it a plain EOF and keep the socket.
		if errors.Is(err, io.ErrUnexpectedEOF) {
			c.writeErrorLine(CodeParseError, "parse error: request cut short by the end of input")
		}
		return io.EOF
	default:
		c.cancel(ErrClientDisconnected)
	}
	// Close the socket too: go-ethereum would, but only after its pending
	// calls return, and the peer should not wait for that.
	c.raw.Close()
	if syntaxErr != nil || errors.Is(err, errTooLarge) {
		// Wrapped, so go-ethereum does not write a second parse error line.
		return fmt.Errorf("ipc: read request: %w", err)
	}
	return err
}

// keepForReplies reports whether the peer, which will send nothing more
// that can be read (EOF, or malformed JSON), still reads (see hangup.go);
// if so it logs why (msg) and starts watching for the peer closing the
// rest of the way, which cancels the connection. Without a way to tell
// (not a socket), it reports false: the peer is treated as gone.
func (c *serverConn) keepForReplies(msg string) bool {
	gone, err := peerHungUp(c.raw)
	if err != nil {
		c.log.Debug("ipc: cannot tell a half-close from a disconnect", "peer", c.addr, "err", err)
		return false
	}
	if gone {
		return false
	}
	c.hmu.Lock()
	defer c.hmu.Unlock()
	if c.closed {
		return false
	}
	stop, err := hangups.watch(c.raw, c.peerGone)
	if err != nil {
		c.log.Debug("ipc: cannot watch a half-closed connection", "peer", c.addr, "err", err)
		return false
	}
	c.stopWatch = stop
	c.log.Debug(msg, "peer", c.addr)
	return true
}

// peerGone cancels the calls of a peer that can no longer get their replies
// and closes the socket, so that go-ethereum stops writing to it.
func (c *serverConn) peerGone() {
	c.log.Debug("ipc: peer gone, cancelling its calls", "peer", c.addr)
	c.cancel(ErrClientDisconnected)
	c.raw.Close()
}

// errorLine is a JSON-RPC error response with id null.
type errorLine struct {
	JSONRPC string         `json:"jsonrpc"`
	ID      *struct{}      `json:"id"`
	Error   errorLineError `json:"error"`
}

type errorLineError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

func marshalErrorLine(code int, msg string) []byte {
	b, err := json.Marshal(errorLine{JSONRPC: "2.0", Error: errorLineError{Code: code, Message: msg}})
	if err != nil { // cannot happen with these field types
		b = []byte(`{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"internal error"}}`)
	}
	return append(b, '\n')
}

// writeErrorLine writes one error line with a short deadline (best effort).
func (c *serverConn) writeErrorLine(code int, msg string) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.raw.SetWriteDeadline(time.Now().Add(errorLineTimeout))
	c.raw.Write(marshalErrorLine(code, msg))
}

// Write sends one response (go-ethereum writes each response or batch in a
// single call) and refills the input budget: the peer got an answer. A
// failed write means the peer cannot get its replies (gone, or not reading
// within go-ethereum's write timeout): its calls are cancelled.
func (c *serverConn) Write(p []byte) (int, error) {
	// Refill before writing: once the peer has the answer it may send the
	// next request, which must find the budget full.
	c.budget.Store(c.limit)
	c.wmu.Lock()
	n, err := c.raw.Write(p)
	c.wmu.Unlock()
	c.calls.release()
	if err != nil {
		c.peerGone()
	}
	return n, err
}

// SetWriteDeadline implements rpc.Conn.
func (c *serverConn) SetWriteDeadline(t time.Time) error { return c.raw.SetWriteDeadline(t) }

// RemoteAddr implements rpc.ConnRemoteAddr; handlers see it in rpc.PeerInfo.
func (c *serverConn) RemoteAddr() string { return c.addr }

// Close cancels the connection context and closes the socket.
func (c *serverConn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		c.hmu.Lock()
		c.closed = true
		if c.stopWatch != nil {
			c.stopWatch()
		}
		c.hmu.Unlock()
		c.cancel(ErrClientDisconnected)
		c.calls.close()
		err = c.raw.Close()
	})
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

var _ io.ReadWriteCloser = (*serverConn)(nil)
