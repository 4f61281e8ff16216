package usbhid

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/internal/leaktest"
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

func next(t *testing.T, ch <-chan Event) Event {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("channel closed")
		}
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no event")
	}
	return Event{}
}

func TestPollerEvents(t *testing.T) {
	defer leaktest.Check(t)()
	a := hwwallet.DeviceInfo{ID: "ledger:a"}
	b := hwwallet.DeviceInfo{ID: "trezor:b"}
	var usb bus
	usb.set(a)
	p := NewPoller(usb.enumerate, 5*time.Millisecond, nil)
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	ch := p.Subscribe(ctx, 8)
	if e := next(t, ch); e.Kind != Arrived || e.Device != a {
		t.Fatalf("first event %+v", e)
	}
	usb.set(b)
	e1, e2 := next(t, ch), next(t, ch)
	if e1.Kind != Left || e1.Device != a || e2.Kind != Arrived || e2.Device != b {
		t.Fatalf("events %+v %+v", e1, e2)
	}
	// A late subscriber first hears about what is present.
	ctx2, cancel2 := context.WithCancel(context.Background())
	ch2 := p.Subscribe(ctx2, 1)
	if e := next(t, ch2); e.Kind != Arrived || e.Device != b {
		t.Fatalf("late subscriber %+v", e)
	}
	cancel2()
	for range ch2 { // closed once ctx2 ends
	}
	cancel()
	for range ch {
	}
}

func TestPollerPause(t *testing.T) {
	defer leaktest.Check(t)()
	var usb bus
	p := NewPoller(usb.enumerate, time.Millisecond, nil)
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := p.Subscribe(ctx, 4)
	for usb.count() == 0 {
		time.Sleep(time.Millisecond)
	}
	resume := p.Pause()
	before := usb.count()
	usb.set(hwwallet.DeviceInfo{ID: "ledger:x"})
	time.Sleep(30 * time.Millisecond)
	if got := usb.count(); got != before {
		t.Fatalf("%d enumerations while paused", got-before)
	}
	list, err := p.List(context.Background())
	if err != nil || len(list) != 0 {
		t.Fatalf("List while paused touched the bus: %v %v", list, err)
	}
	resume()
	resume() // idempotent
	if e := next(t, ch); e.Kind != Arrived || e.Device.ID != "ledger:x" {
		t.Fatalf("after resume %+v", e)
	}
}

func TestPollerErrorsAndClose(t *testing.T) {
	defer leaktest.Check(t)()
	usb := bus{err: errors.New("libusb exploded")}
	p := NewPoller(usb.enumerate, time.Millisecond, nil)
	if _, err := p.List(context.Background()); err == nil {
		t.Fatal("List hid the enumeration error")
	}
	ch := p.Subscribe(context.Background(), 1)
	for usb.count() < 3 {
		time.Sleep(time.Millisecond)
	}
	p.Close()
	if _, ok := <-ch; ok {
		t.Fatal("event after a failing enumeration")
	}
	if _, ok := <-p.Subscribe(context.Background(), 1); ok {
		t.Fatal("subscription after Close is open")
	}
}

func TestPollerSlowSubscriberDoesNotBlock(t *testing.T) {
	defer leaktest.Check(t)()
	var usb bus
	p := NewPoller(usb.enumerate, time.Millisecond, nil)
	defer p.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p.Subscribe(ctx, 1) // never read
	for i := range 20 {
		usb.set(hwwallet.DeviceInfo{ID: string(rune('a' + i))})
		if _, err := p.List(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
}
