package usbhid

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/litsigner/litsigner/hwwallet"
)

// pollMillis bounds each low-level read or write, so that the reader
// goroutine notices Close within that time.
const pollMillis = 100

// queueDepth is how many unread reports a transport keeps; older ones are
// dropped when the driver does not read (it drains before each request).
const queueDepth = 64

// port is the low-level device: one bounded read or write of one report.
// read returns (0, nil) on timeout; an error means the device is gone.
type port interface {
	read(buf []byte, timeoutMillis int) (int, error)
	write(report []byte, timeoutMillis int) error
	close() error
}

// transport implements hwwallet.Transport over a port with one reader
// goroutine that polls with a short timeout and queues reports. karalabe/usb
// only offers reads without a timeout, and closing a device while a read is
// blocked in hidapi or libusb is unsafe (hidapi frees the device a blocked
// reader still uses; the raw device holds its lock for the whole read, so
// writes and Close would wait for the next report). Bounded reads make
// Close safe: it stops the reader, waits for it, then closes the device.
type transport struct {
	p    port
	name string

	reports chan []byte
	stop    chan struct{}
	ended   chan struct{} // closed when the reader exits
	readErr error         // set before ended is closed

	writeMu   sync.Mutex
	closeOnce sync.Once
	closeErr  error
}

func newTransport(p port, name string) *transport {
	t := &transport{
		p:       p,
		name:    name,
		reports: make(chan []byte, queueDepth),
		stop:    make(chan struct{}),
		ended:   make(chan struct{}),
	}
	go t.reader()
	return t
}

func (t *transport) reader() {
	defer close(t.ended)
	buf := make([]byte, hwwallet.ReportSize)
	for {
		select {
		case <-t.stop:
			t.readErr = errClosed
			return
		default:
		}
		n, err := t.p.read(buf, pollMillis)
		if err != nil {
			t.readErr = fmt.Errorf("%v: %w", err, hwwallet.ErrDisconnected)
			return
		}
		if n == 0 {
			continue
		}
		r := make([]byte, hwwallet.ReportSize)
		copy(r, buf[:n])
		for {
			select {
			case t.reports <- r:
			default:
				select { // full: drop the oldest report
				case <-t.reports:
				default:
				}
				continue
			}
			break
		}
	}
}

// ReadReport implements hwwallet.Transport.
func (t *transport) ReadReport(ctx context.Context) ([]byte, error) {
	select {
	case r := <-t.reports:
		return r, nil
	default:
	}
	select {
	case r := <-t.reports:
		return r, nil
	case <-t.ended:
		select {
		case r := <-t.reports:
			return r, nil
		default:
		}
		return nil, fmt.Errorf("usbhid: %s: read: %w", t.name, t.readErr)
	case <-ctx.Done():
		return nil, fmt.Errorf("usbhid: %s: read: %w", t.name, ctx.Err())
	}
}

// WriteReport implements hwwallet.Transport. It retries bounded writes
// until the device takes the report, ctx ends, or the device goes away.
func (t *transport) WriteReport(ctx context.Context, report []byte) error {
	if len(report) != hwwallet.ReportSize {
		return fmt.Errorf("usbhid: %s: write: report of %d bytes: %w", t.name, len(report), hwwallet.ErrBadRequest)
	}
	t.writeMu.Lock()
	defer t.writeMu.Unlock()
	for {
		select {
		case <-t.ended:
			return fmt.Errorf("usbhid: %s: write: %w", t.name, t.readErr)
		default:
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("usbhid: %s: write: %w", t.name, err)
		}
		err := t.p.write(report, pollMillis)
		if err == nil {
			return nil
		}
		if !errors.Is(err, errWriteTimeout) {
			return fmt.Errorf("usbhid: %s: write: %v: %w", t.name, err, hwwallet.ErrDisconnected)
		}
	}
}

// Close implements hwwallet.Transport: it stops the reader (within
// pollMillis), then closes the device. Pending reads return.
func (t *transport) Close() error {
	t.closeOnce.Do(func() {
		close(t.stop)
		select {
		case <-t.ended:
		case <-time.After(10 * pollMillis * time.Millisecond):
			// A read that ignores its timeout: closing now could free
			// memory the reader uses, so leave the device open.
			t.closeErr = fmt.Errorf("usbhid: %s: close: the device does not stop reading", t.name)
			return
		}
		t.writeMu.Lock()
		defer t.writeMu.Unlock()
		if err := t.p.close(); err != nil {
			t.closeErr = fmt.Errorf("usbhid: %s: close: %w", t.name, err)
		}
	})
	return t.closeErr
}

// errWriteTimeout means the device did not take the report in time; the
// write is retried.
var errWriteTimeout = errors.New("usbhid: write timed out")

// Open opens a device found by Enumerate and returns its transport: HID
// reports for Ledger and Trezor One HID, interrupt transfers on endpoints
// 0x01/0x81 for WebUSB Trezors. Errors wrap hwwallet.ErrNoPermission (udev
// rules missing), ErrBusy (another program holds it), ErrNoDevice or
// ErrUSBUnavailable.
func Open(d Device) (hwwallet.Transport, error) {
	if err := Available(); err != nil {
		return nil, err
	}
	p, err := openPort(d)
	if err != nil {
		return nil, err
	}
	return newTransport(p, d.Info.ID), nil
}
