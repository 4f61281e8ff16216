//go:build (freebsd && cgo) || (linux && cgo) || (darwin && !ios && cgo) || (windows && cgo)

package usbhid

/*
#include <stddef.h>

// These are compiled into the binary by github.com/karalabe/usb, which
// bundles hidapi and libusb; declaring them here lets us call the
// timeout-taking variants that karalabe/usb does not wrap.
extern int hid_read_timeout(void *dev, unsigned char *data, size_t length, int milliseconds);
extern int libusb_interrupt_transfer(void *dev_handle, unsigned char endpoint,
	unsigned char *data, int length, int *actual_length, unsigned int timeout);
*/
import "C"

import (
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/karalabe/usb"
)

// libusb error codes (libusb.h).
const (
	libusbTimeout     = -7
	libusbInterrupted = -10
)

// openPort opens the device with karalabe/usb and reaches the underlying
// hidapi device or libusb handle, which karalabe/usb v0.0.2 keeps in the
// unexported fields hidDevice.device and rawDevice.handle.
func openPort(d Device) (port, error) {
	dev, err := d.usb.Open()
	if err != nil {
		return nil, classifyOpenError(err, d.Info)
	}
	field := "device"
	if d.Kind == TrezorWebUSB {
		field = "handle"
	}
	h, err := handleOf(dev, field)
	if err != nil {
		dev.Close()
		return nil, fmt.Errorf("usbhid: open %s: %w", d.Info.ID, err)
	}
	if d.Kind == TrezorWebUSB {
		return &rawPort{dev: dev, h: h, in: TrezorWebUSBInEndpoint, out: TrezorWebUSBOutEndpoint}, nil
	}
	return &hidPort{dev: dev, h: h}, nil
}

// handleOf reads the C handle that karalabe/usb keeps in an unexported
// field of its device type, because the library offers no read with a
// timeout. The layout is that of v0.0.2, which go.mod pins for this reason;
// a mismatch is an error here, not a crash.
func handleOf(dev usb.Device, field string) (unsafe.Pointer, error) {
	v := reflect.ValueOf(dev)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, errors.New("unexpected karalabe/usb device type")
	}
	f := v.Elem().FieldByName(field)
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.IsNil() {
		return nil, fmt.Errorf("karalabe/usb device has no %q handle", field)
	}
	return f.UnsafePointer(), nil
}

// hidPort reads with hid_read_timeout; writes go through karalabe/usb
// (hid_write, bounded by hidapi's own 1 s timeout on Linux).
type hidPort struct {
	dev usb.Device
	h   unsafe.Pointer
}

func (p *hidPort) read(buf []byte, ms int) (int, error) {
	n := C.hid_read_timeout(p.h, (*C.uchar)(unsafe.Pointer(&buf[0])), C.size_t(len(buf)), C.int(ms))
	if n < 0 {
		return 0, errors.New("hidapi: read failed (device unplugged?)")
	}
	return int(n), nil
}

func (p *hidPort) write(report []byte, ms int) error {
	if _, err := p.dev.Write(report); err != nil {
		return err
	}
	return nil
}

func (p *hidPort) close() error { return p.dev.Close() }

// rawPort does interrupt transfers itself: karalabe/usb's raw Read and
// Write have no timeout and share one lock.
type rawPort struct {
	dev     usb.Device
	h       unsafe.Pointer
	in, out byte
}

func (p *rawPort) transfer(ep byte, buf []byte, ms int) (int, C.int) {
	var n C.int
	rc := C.libusb_interrupt_transfer(p.h, C.uchar(ep), (*C.uchar)(unsafe.Pointer(&buf[0])), C.int(len(buf)), &n, C.uint(ms))
	return int(n), rc
}

func (p *rawPort) read(buf []byte, ms int) (int, error) {
	n, rc := p.transfer(p.in, buf, ms)
	switch rc {
	case 0:
		return n, nil
	case libusbTimeout, libusbInterrupted:
		return n, nil // n > 0 if data arrived as the timeout hit
	}
	return 0, fmt.Errorf("libusb read: error %d", int(rc))
}

func (p *rawPort) write(report []byte, ms int) error {
	buf := append([]byte(nil), report...)
	n, rc := p.transfer(p.out, buf, ms)
	switch {
	case rc == 0 && n == len(buf):
		return nil
	case rc == 0:
		return fmt.Errorf("libusb write: %d of %d bytes", n, len(buf))
	case (rc == libusbTimeout || rc == libusbInterrupted) && n == 0:
		return errWriteTimeout
	}
	return fmt.Errorf("libusb write: error %d", int(rc))
}

func (p *rawPort) close() error { return p.dev.Close() }
