// Package trezorudp is the host side of the Trezor emulator's UDP
// transport (trezor-firmware's emulator and trezor-user-env listen on
// 127.0.0.1:21324; trezorlib transport/udp.py): every datagram is one
// 64-byte packet, exactly what a USB report is, and the 8-byte datagram
// "PINGPING" is answered "PONGPONG" to tell that the emulator is alive.
//
// Conn is a packet transport only. It implements hwwallet.Transport
// (WriteReport/ReadReport of 64-byte packets) and knows nothing of the
// framing inside the packets, so every Trezor framing runs on it the same
// way it runs on USB: codec v1 (hwwallet/trezor, trezor.OpenContext) today,
// and the Trezor-Host Protocol (THP, which also moves 64-byte packets over
// USB and UDP) by taking the same hwwallet.Transport. The contract a
// framing can rely on: one WriteReport is one datagram, one ReadReport
// returns one 64-byte datagram from the emulator (late PONGPONG answers are
// skipped), reads and writes honour their context, a ReadReport that ends
// with its context never consumes a packet (THP reads with short
// deadlines while it waits for ACKs; thp.Reports adapts a Conn), and a
// vanished emulator is an error wrapping hwwallet.ErrDisconnected.
package trezorudp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"

	"github.com/litsigner/litsigner/hwwallet"
)

// DefaultPort is the emulator's UDP port (its debug link is the next one).
const DefaultPort = 21324

// PingTimeout bounds Dial's ping when ctx has no earlier deadline.
const PingTimeout = 3 * time.Second

// The liveness check of the emulator's UDP interface.
var (
	pingPacket = []byte("PINGPING")
	pongPacket = []byte("PONGPONG")
)

// Conn is a host connection to an emulator's UDP port. It implements
// hwwallet.Transport. WriteReport and ReadReport may run concurrently with
// each other, but not with themselves.
type Conn struct {
	addr string
	c    net.Conn
	buf  []byte // read buffer, larger than a packet to spot oversized ones
}

var _ hwwallet.Transport = (*Conn)(nil)

// Dial opens a UDP socket to addr ("host:port") and pings the emulator
// there. No answer (nothing listens, or not an emulator) is an error
// wrapping hwwallet.ErrNoDevice.
func Dial(ctx context.Context, addr string) (*Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		return nil, fmt.Errorf("trezor-udp: %s: %v: %w", addr, err, hwwallet.ErrNoDevice)
	}
	conn := &Conn{addr: addr, c: c, buf: make([]byte, 2048)}
	pctx, cancel := context.WithTimeout(ctx, PingTimeout)
	defer cancel()
	if err := conn.Ping(pctx); err != nil {
		c.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("trezor-udp: connect to %s: %w", addr, ctx.Err())
		}
		why := fmt.Sprintf("no answer to ping from %s", addr)
		if errors.Is(err, hwwallet.ErrDisconnected) {
			why = fmt.Sprintf("nothing listens on udp %s", addr)
		}
		return nil, fmt.Errorf("trezor-udp: %s (is the Trezor emulator running there?): %w", why, hwwallet.ErrNoDevice)
	}
	return conn, nil
}

// Addr is the address dialed.
func (c *Conn) Addr() string { return c.addr }

// Ping sends PINGPING and waits for PONGPONG, skipping packets left over
// from an earlier exchange.
func (c *Conn) Ping(ctx context.Context) error {
	if err := c.write(ctx, pingPacket); err != nil {
		return fmt.Errorf("trezor-udp: ping %s: %w", c.addr, err)
	}
	for {
		n, err := c.read(ctx)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("trezor-udp: no answer to ping from %s", c.addr)
			}
			return fmt.Errorf("trezor-udp: ping %s: %w", c.addr, err)
		}
		if bytes.Equal(c.buf[:n], pongPacket) {
			return nil
		}
	}
}

// WriteReport implements hwwallet.Transport: one packet, one datagram.
func (c *Conn) WriteReport(ctx context.Context, report []byte) error {
	if len(report) != hwwallet.ReportSize {
		return fmt.Errorf("trezor-udp: write: packet of %d bytes, want %d: %w", len(report), hwwallet.ReportSize, hwwallet.ErrBadRequest)
	}
	if err := c.write(ctx, report); err != nil {
		return fmt.Errorf("trezor-udp: write to %s: %w", c.addr, err)
	}
	return nil
}

// ReadReport implements hwwallet.Transport: the next 64-byte datagram.
// A datagram of another size is an error wrapping hwwallet.ErrBadReply.
func (c *Conn) ReadReport(ctx context.Context) ([]byte, error) {
	for {
		n, err := c.read(ctx)
		if err != nil {
			return nil, fmt.Errorf("trezor-udp: read from %s: %w", c.addr, err)
		}
		switch {
		case n == hwwallet.ReportSize:
			return bytes.Clone(c.buf[:n]), nil
		case bytes.Equal(c.buf[:n], pongPacket):
			continue // the answer to a ping that timed out
		default:
			return nil, fmt.Errorf("trezor-udp: read from %s: datagram of %d bytes, want %d: %w", c.addr, n, hwwallet.ReportSize, hwwallet.ErrBadReply)
		}
	}
}

// Close implements hwwallet.Transport; pending reads return.
func (c *Conn) Close() error {
	if err := c.c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("trezor-udp: close: %w", err)
	}
	return nil
}

// aLongTimeAgo is a deadline in the past: pending I/O returns at once.
var aLongTimeAgo = time.Unix(1, 0)

// interruptOn makes pending I/O return when ctx ends, through set (the
// read or write deadline). The returned function undoes it.
func interruptOn(ctx context.Context, set func(time.Time) error) func() {
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		set(aLongTimeAgo)
		close(fired)
	})
	return func() {
		if !stop() {
			<-fired
			set(time.Time{})
		}
	}
}

func (c *Conn) write(ctx context.Context, b []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	defer interruptOn(ctx, c.c.SetWriteDeadline)()
	if _, err := c.c.Write(b); err != nil {
		return c.classify(ctx, err)
	}
	return nil
}

func (c *Conn) read(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	defer interruptOn(ctx, c.c.SetReadDeadline)()
	n, err := c.c.Read(c.buf)
	if err != nil {
		return 0, c.classify(ctx, err)
	}
	return n, nil
}

// classify turns a socket error into the caller's context error or a
// disconnection (an ICMP "port unreachable" shows up as ECONNREFUSED).
func (c *Conn) classify(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("nothing listens there: %w", hwwallet.ErrDisconnected)
	case errors.Is(err, net.ErrClosed):
		return fmt.Errorf("connection closed: %w", hwwallet.ErrDisconnected)
	default:
		return fmt.Errorf("%v: %w", err, hwwallet.ErrDisconnected)
	}
}
