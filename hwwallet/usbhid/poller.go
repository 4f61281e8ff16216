package usbhid

import (
	"context"
	"slices"
	"sync"

	"github.com/litsigner/litsigner/hwwallet"
)

// EnumerateFunc lists the devices present.
type EnumerateFunc func(ctx context.Context) ([]hwwallet.DeviceInfo, error)

// Poller enumerates devices on demand (List) and stops touching the bus
// while paused (a device is waiting for the user: on Linux, enumeration
// opens devices and can break a Ledger's pending confirmation). It starts
// no goroutine: device lists follow plug and unplug because every List
// enumerates afresh, except while paused.
type Poller struct {
	enum EnumerateFunc

	pollMu sync.Mutex // held during an enumeration; Pause waits for it

	mu      sync.Mutex
	paused  int
	known   []hwwallet.DeviceInfo
	scanned bool
}

// NewPoller returns a poller over enum (usually EnumerateUSB).
func NewPoller(enum EnumerateFunc) *Poller {
	return &Poller{enum: enum}
}

// EnumerateUSB adapts Enumerate to an EnumerateFunc.
func EnumerateUSB(ctx context.Context) ([]hwwallet.DeviceInfo, error) {
	devs, err := Enumerate(ctx)
	if err != nil {
		return nil, err
	}
	return Infos(devs), nil
}

// List enumerates now and returns the devices present. While paused it
// returns the last list seen instead of touching the bus.
func (p *Poller) List(ctx context.Context) ([]hwwallet.DeviceInfo, error) {
	p.mu.Lock()
	if p.paused > 0 && p.scanned {
		defer p.mu.Unlock()
		return slices.Clone(p.known), nil
	}
	p.mu.Unlock()
	p.pollMu.Lock()
	defer p.pollMu.Unlock()
	list, err := p.enum(ctx)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.known = slices.Clone(list)
	p.scanned = true
	return slices.Clone(list), nil
}

// Pause stops enumerating until the returned resume function is called
// (pauses nest). It waits for an enumeration in progress to finish.
func (p *Poller) Pause() (resume func()) {
	p.mu.Lock()
	p.paused++
	p.mu.Unlock()
	p.pollMu.Lock()
	//lint:ignore SA2001 the empty critical section waits for an enumeration in progress
	p.pollMu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			p.paused--
			p.mu.Unlock()
		})
	}
}
