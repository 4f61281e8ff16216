package emulator

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/litsigner/litsigner/hwwallet"
)

// ErrClosed is returned by a pipe end after the host closed its transport.
var ErrClosed = errors.New("emulator: transport closed")

// pipeDepth is how many reports each direction buffers, like the queues of
// a USB stack: a host that abandons an exchange leaves replies behind.
const pipeDepth = 64

// Pipe is an in-memory USB cable carrying ReportSize-byte reports between a
// host end and a device end, both hwwallet.Transport. Unplug (or the
// Behaviour's UnplugAfterReports) cuts it: pending and later calls on both
// ends fail with an error wrapping hwwallet.ErrDisconnected. Closing the
// host end cuts it too (the device end then sees ErrDisconnected, the host
// end ErrClosed).
type Pipe struct {
	b        *Behaviour
	toDevice chan []byte
	toHost   chan []byte
	gone     chan struct{}
	once     sync.Once
	goneErr  error // set before gone is closed
	count    atomic.Int64
}

// NewPipe returns a connected pipe. b may be nil (never unplugs by itself).
func NewPipe(b *Behaviour) *Pipe {
	return &Pipe{
		b:        b,
		toDevice: make(chan []byte, pipeDepth),
		toHost:   make(chan []byte, pipeDepth),
		gone:     make(chan struct{}),
	}
}

// Host returns the host end, what a driver uses.
func (p *Pipe) Host() hwwallet.Transport { return pipeEnd{p: p, host: true} }

// Device returns the device end, what an emulated device loop uses.
func (p *Pipe) Device() hwwallet.Transport { return pipeEnd{p: p} }

// Unplug cuts the cable. It is idempotent.
func (p *Pipe) Unplug() { p.cut(hwwallet.ErrDisconnected) }

// Done is closed once the pipe is cut (unplugged or closed).
func (p *Pipe) Done() <-chan struct{} { return p.gone }

// Err is nil while connected, then the reason the pipe was cut.
func (p *Pipe) Err() error {
	select {
	case <-p.gone:
		return p.goneErr
	default:
		return nil
	}
}

// Reports is the number of reports written into the pipe, both directions.
func (p *Pipe) Reports() int { return int(p.count.Load()) }

func (p *Pipe) cut(err error) {
	p.once.Do(func() {
		p.goneErr = err
		close(p.gone)
	})
}

// admit counts one report written (either direction) and applies the
// scripted unplug: after N reports, the next write finds the cable gone.
func (p *Pipe) admit() error {
	if err := p.Err(); err != nil {
		return err
	}
	n := p.count.Add(1)
	if p.b != nil && p.b.unplugDue(int(n)) {
		p.Unplug()
		return p.Err()
	}
	return nil
}

type pipeEnd struct {
	p    *Pipe
	host bool
}

func (e pipeEnd) side() string {
	if e.host {
		return "host"
	}
	return "device"
}

func (e pipeEnd) fail(op string, err error) error {
	if !e.host && errors.Is(err, ErrClosed) {
		// The device sees the host going away as a disconnection.
		err = hwwallet.ErrDisconnected
	}
	return fmt.Errorf("emulator: %s %s: %w", e.side(), op, err)
}

// WriteReport implements hwwallet.Transport.
func (e pipeEnd) WriteReport(ctx context.Context, report []byte) error {
	if len(report) != hwwallet.ReportSize {
		return fmt.Errorf("emulator: %s write: report of %d bytes, want %d: %w", e.side(), len(report), hwwallet.ReportSize, hwwallet.ErrBadRequest)
	}
	if err := e.p.admit(); err != nil {
		return e.fail("write", err)
	}
	out := e.p.toHost
	if e.host {
		out = e.p.toDevice
	}
	select {
	case out <- append([]byte(nil), report...):
		return nil
	case <-e.p.gone:
		return e.fail("write", e.p.goneErr)
	case <-ctx.Done():
		return fmt.Errorf("emulator: %s write: %w", e.side(), ctx.Err())
	}
}

// ReadReport implements hwwallet.Transport.
func (e pipeEnd) ReadReport(ctx context.Context) ([]byte, error) {
	in := e.p.toDevice
	if e.host {
		in = e.p.toHost
	}
	if err := e.p.Err(); err != nil {
		return nil, e.fail("read", err)
	}
	select {
	case r := <-in:
		return r, nil
	case <-e.p.gone:
		return nil, e.fail("read", e.p.goneErr)
	case <-ctx.Done():
		return nil, fmt.Errorf("emulator: %s read: %w", e.side(), ctx.Err())
	}
}

// Close implements hwwallet.Transport. Closing either end cuts the pipe.
func (e pipeEnd) Close() error {
	if e.host {
		e.p.cut(ErrClosed)
	} else {
		e.p.cut(hwwallet.ErrDisconnected)
	}
	return nil
}
