package usbhid

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/leaktest"
)

// memPort is an in-memory device port with the same contract as the cgo
// ports: bounded reads that return (0, nil) on timeout.
type memPort struct {
	in      chan []byte // device -> host
	written chan []byte
	gone    chan struct{}
	once    sync.Once

	mu       sync.Mutex
	reading  bool
	closedOK bool
}

func newMemPort() *memPort {
	return &memPort{in: make(chan []byte, 8), written: make(chan []byte, 8), gone: make(chan struct{})}
}

func (p *memPort) read(buf []byte, ms int) (int, error) {
	p.mu.Lock()
	p.reading = true
	p.mu.Unlock()
	defer func() { p.mu.Lock(); p.reading = false; p.mu.Unlock() }()
	select {
	case r := <-p.in:
		return copy(buf, r), nil
	case <-p.gone:
		return 0, errors.New("no device")
	case <-time.After(time.Duration(ms) * time.Millisecond):
		return 0, nil
	}
}

func (p *memPort) write(r []byte, ms int) error {
	select {
	case p.written <- append([]byte(nil), r...):
		return nil
	case <-p.gone:
		return errors.New("no device")
	case <-time.After(time.Duration(ms) * time.Millisecond):
		return errWriteTimeout
	}
}

func (p *memPort) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reading {
		return errors.New("closed while a read was in progress")
	}
	p.closedOK = true
	return nil
}

func (p *memPort) unplug() { p.once.Do(func() { close(p.gone) }) }

func TestTransportReadWriteClose(t *testing.T) {
	defer leaktest.Check(t)()
	p := newMemPort()
	tr := newTransport(p, "test")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	report := make([]byte, hwwallet.ReportSize)
	report[0] = 0x3f
	if err := tr.WriteReport(ctx, report); err != nil {
		t.Fatal(err)
	}
	if got := <-p.written; got[0] != 0x3f {
		t.Fatal("report not written")
	}
	if err := tr.WriteReport(ctx, report[:10]); !errors.Is(err, hwwallet.ErrBadRequest) {
		t.Fatalf("short report: %v", err)
	}
	p.in <- []byte{1, 2, 3} // short reads are padded to 64
	r, err := tr.ReadReport(ctx)
	if err != nil || len(r) != hwwallet.ReportSize || r[2] != 3 {
		t.Fatalf("read %x %v", r, err)
	}
	short, cancelShort := context.WithTimeout(ctx, 5*time.Millisecond)
	defer cancelShort()
	if _, err := tr.ReadReport(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("empty read: %v", err)
	}
	// A pending read returns when the transport closes.
	done := make(chan error)
	go func() { _, err := tr.ReadReport(ctx); done <- err }()
	time.Sleep(10 * time.Millisecond)
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil || errors.Is(err, hwwallet.ErrDisconnected) {
		t.Fatalf("pending read after close: %v", err)
	}
	if !p.closedOK {
		t.Fatal("device not closed")
	}
	if err := tr.WriteReport(ctx, report); err == nil {
		t.Fatal("write after close succeeded")
	}
}

func TestTransportUnplug(t *testing.T) {
	defer leaktest.Check(t)()
	p := newMemPort()
	tr := newTransport(p, "test")
	defer tr.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error)
	go func() { _, err := tr.ReadReport(ctx); done <- err }()
	p.unplug()
	if err := <-done; !errors.Is(err, hwwallet.ErrDisconnected) {
		t.Fatalf("read on unplug: %v", err)
	}
	if err := tr.WriteReport(ctx, make([]byte, hwwallet.ReportSize)); !errors.Is(err, hwwallet.ErrDisconnected) {
		t.Fatalf("write on unplug: %v", err)
	}
}

// TestTransportQueueDropsOldest runs in a synctest bubble, so "the reader
// has taken everything the device sent" is exact: synctest.Wait returns
// once the reader goroutine is blocked again (and the bubble fails on any
// goroutine left behind).
func TestTransportQueueDropsOldest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newMemPort()
		tr := newTransport(p, "test")
		defer tr.Close()
		for i := range queueDepth + 3 {
			p.in <- []byte{byte(i)}
		}
		synctest.Wait()
		if n := len(p.in); n != 0 {
			t.Fatalf("%d reports not taken by the reader", n)
		}
		r, err := tr.ReadReport(context.Background())
		if err != nil || r[0] != 3 {
			t.Fatalf("oldest kept report %d, want 3 (%v)", r[0], err)
		}
	})
}
