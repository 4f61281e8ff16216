package usbhid

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"

	"github.com/litsigner/litsigner/hwwallet"
)

// bus is a changeable device list standing in for the USB bus.
type bus struct {
	mu    sync.Mutex
	devs  []hwwallet.DeviceInfo
	err   error
	scans int
}

func (b *bus) set(devs ...hwwallet.DeviceInfo) { b.mu.Lock(); b.devs = devs; b.mu.Unlock() }

func (b *bus) enumerate(ctx context.Context) ([]hwwallet.DeviceInfo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.scans++
	return slices.Clone(b.devs), b.err
}

func (b *bus) count() int { b.mu.Lock(); defer b.mu.Unlock(); return b.scans }

func ids(devs []hwwallet.DeviceInfo) []string {
	var out []string
	for _, d := range devs {
		out = append(out, d.ID)
	}
	return out
}

// TestPollerListFollowsTheBus: every List enumerates, so plug and unplug
// show at once.
func TestPollerListFollowsTheBus(t *testing.T) {
	a := hwwallet.DeviceInfo{ID: "ledger:a"}
	b := hwwallet.DeviceInfo{ID: "trezor:b"}
	var usb bus
	p := NewPoller(usb.enumerate)
	for _, step := range []struct {
		plugged []hwwallet.DeviceInfo
		want    []string
	}{
		{nil, nil},
		{[]hwwallet.DeviceInfo{a}, []string{"ledger:a"}},
		{[]hwwallet.DeviceInfo{a, b}, []string{"ledger:a", "trezor:b"}},
		{[]hwwallet.DeviceInfo{b}, []string{"trezor:b"}},
		{nil, nil},
	} {
		usb.set(step.plugged...)
		list, err := p.List(context.Background())
		if err != nil || !slices.Equal(ids(list), step.want) {
			t.Fatalf("plugged %v: List = %v, %v", ids(step.plugged), ids(list), err)
		}
	}
	if n := usb.count(); n != 5 {
		t.Fatalf("%d enumerations for 5 Lists", n)
	}
}

// TestPollerPause: while paused, List answers the last list seen without
// touching the bus; resuming (idempotent) enumerates again.
func TestPollerPause(t *testing.T) {
	var usb bus
	usb.set(hwwallet.DeviceInfo{ID: "ledger:x"})
	p := NewPoller(usb.enumerate)
	if _, err := p.List(context.Background()); err != nil {
		t.Fatal(err)
	}
	resume := p.Pause()
	usb.set()
	before := usb.count()
	list, err := p.List(context.Background())
	if err != nil || !slices.Equal(ids(list), []string{"ledger:x"}) || usb.count() != before {
		t.Fatalf("List while paused: %v %v, %d enumerations", ids(list), err, usb.count()-before)
	}
	inner := p.Pause() // pauses nest
	resume()
	resume() // idempotent
	if _, err := p.List(context.Background()); err != nil || usb.count() != before {
		t.Fatalf("List under a nested pause touched the bus (%v)", err)
	}
	inner()
	list, err = p.List(context.Background())
	if err != nil || len(list) != 0 || usb.count() != before+1 {
		t.Fatalf("List after resume: %v %v", ids(list), err)
	}
}

// TestPollerPauseBeforeFirstScan: a pause before any enumeration still
// enumerates once (there is no last list to answer with).
func TestPollerPauseBeforeFirstScan(t *testing.T) {
	var usb bus
	p := NewPoller(usb.enumerate)
	defer p.Pause()()
	if _, err := p.List(context.Background()); err != nil || usb.count() != 1 {
		t.Fatalf("List: %v, %d enumerations", err, usb.count())
	}
}

func TestPollerErrors(t *testing.T) {
	usb := bus{err: errors.New("libusb exploded")}
	p := NewPoller(usb.enumerate)
	if _, err := p.List(context.Background()); err == nil {
		t.Fatal("List hid the enumeration error")
	}
}
