package speculos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"

	"github.com/litsigner/litsigner/hwwallet"
)

// Conn is a host connection to a Speculos APDU port. It implements
// ledger.APDUTransport; hand it to ledger.OpenAPDU.
type Conn struct {
	addr   string
	c      net.Conn
	broken error // set by a failed exchange: the stream is out of step
}

// Dial connects to the APDU port at addr ("host:port"). Nothing listening
// there is an error wrapping hwwallet.ErrNoDevice.
func Dial(ctx context.Context, addr string) (*Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	switch {
	case err == nil:
		return &Conn{addr: addr, c: c}, nil
	case ctx.Err() != nil:
		return nil, fmt.Errorf("speculos: connect to %s: %w", addr, ctx.Err())
	case errors.Is(err, syscall.ECONNREFUSED):
		return nil, fmt.Errorf("speculos: nothing listens on %s (is Speculos running with --apdu-port there?): %w", addr, hwwallet.ErrNoDevice)
	default:
		return nil, fmt.Errorf("speculos: connect to %s: %v: %w", addr, err, hwwallet.ErrNoDevice)
	}
}

// Addr is the address dialed.
func (c *Conn) Addr() string { return c.addr }

// aLongTimeAgo is a deadline in the past: setting it makes pending I/O
// return at once.
var aLongTimeAgo = time.Unix(1, 0)

// Exchange sends one APDU and returns the reply data followed by its
// status word (ledger.APDUTransport). It waits as long as ctx allows. After
// a failed exchange (ctx ended, connection lost, malformed reply) the
// stream is out of step, so every later call fails: open a new Conn.
func (c *Conn) Exchange(ctx context.Context, cmd []byte) (reply []byte, err error) {
	if c.broken != nil {
		return nil, fmt.Errorf("speculos: %s: unusable after an earlier failure (%v): %w", c.addr, c.broken, hwwallet.ErrDisconnected)
	}
	frame, err := AppendCommand(nil, cmd)
	if err != nil {
		return nil, err
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		c.c.SetDeadline(aLongTimeAgo)
		close(fired)
	})
	defer func() {
		if !stop() {
			<-fired
			c.c.SetDeadline(time.Time{})
		}
		if err != nil {
			c.broken = err
		}
	}()
	if _, err := c.c.Write(frame); err != nil {
		return nil, c.fail(ctx, "send APDU", err)
	}
	reply, err = ReadReply(c.c)
	if err != nil {
		return nil, c.fail(ctx, "read reply", err)
	}
	return reply, nil
}

// fail classifies an I/O error: the caller's context, a lost connection
// (hwwallet.ErrDisconnected) or a malformed frame (hwwallet.ErrBadReply).
func (c *Conn) fail(ctx context.Context, op string, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("speculos: %s: %w", op, ctx.Err())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, net.ErrClosed):
		return fmt.Errorf("speculos: %s: %s closed the connection (%v): %w", op, c.addr, err, hwwallet.ErrDisconnected)
	case errors.Is(err, ErrFrame):
		return fmt.Errorf("speculos: %s: %w: %w", op, err, hwwallet.ErrBadReply)
	default:
		return fmt.Errorf("speculos: %s: %w: %w", op, err, hwwallet.ErrDisconnected)
	}
}

// Close closes the connection; a pending Exchange returns.
func (c *Conn) Close() error {
	if err := c.c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("speculos: close: %w", err)
	}
	return nil
}
