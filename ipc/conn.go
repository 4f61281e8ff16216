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
}

func newServerConn(raw net.Conn, p Peer, cancel context.CancelCauseFunc, limit int64, log *slog.Logger) *serverConn {
	c := &serverConn{raw: raw, addr: formatRemoteAddr(p), cancel: cancel, limit: limit, log: log}
	c.budget.Store(limit)
	c.dec = json.NewDecoder(budgetReader{c})
	return c
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
		c.pending = append(redirectEth(msg), '\n')
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
		c.log.Debug("ipc: malformed JSON, closing connection", "peer", c.addr, "err", err)
		c.writeErrorLine(CodeParseError, "parse error: "+err.Error())
		c.cancel(err)
	case (errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)) && c.halfClosed():
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

// halfClosed reports whether the peer, having sent EOF, still reads (see
// hangup.go); if so it starts watching for the peer closing the rest of the
// way, which cancels the connection. Without a way to tell (not a socket),
// it reports false: the peer is treated as gone.
func (c *serverConn) halfClosed() bool {
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
	c.log.Debug("ipc: peer closed its write side, answering the calls in flight", "peer", c.addr)
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
		err = c.raw.Close()
	})
	if errors.Is(err, net.ErrClosed) {
		err = nil
	}
	return err
}

var _ io.ReadWriteCloser = (*serverConn)(nil)
