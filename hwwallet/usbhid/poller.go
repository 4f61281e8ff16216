package usbhid

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/litsigner/litsigner/hwwallet"
)

// EventKind says whether a device arrived or left.
type EventKind int

// The event kinds.
const (
	// Arrived: a device was plugged in (or was present when subscribing).
	Arrived EventKind = iota + 1
	// Left: a device was unplugged.
	Left
)

// String names the kind.
func (k EventKind) String() string {
	switch k {
	case Arrived:
		return "arrived"
	case Left:
		return "left"
	}
	return "unknown"
}

// Event is one change in the set of plugged-in devices.
type Event struct {
	Kind   EventKind
	Device hwwallet.DeviceInfo
}

// Diff compares two device lists by ID.
func Diff(before, after []hwwallet.DeviceInfo) (arrived, left []hwwallet.DeviceInfo) {
	has := func(list []hwwallet.DeviceInfo, id string) bool {
		return slices.ContainsFunc(list, func(d hwwallet.DeviceInfo) bool { return d.ID == id })
	}
	for _, d := range after {
		if !has(before, d.ID) {
			arrived = append(arrived, d)
		}
	}
	for _, d := range before {
		if !has(after, d.ID) {
			left = append(left, d)
		}
	}
	return arrived, left
}

// EnumerateFunc lists the devices present.
type EnumerateFunc func(ctx context.Context) ([]hwwallet.DeviceInfo, error)

// Poller discovers devices by enumerating every interval while someone is
// subscribed, and sends Arrived/Left events. It does not enumerate while
// paused (a device is waiting for the user: on Linux, enumeration opens
// devices and can break a Ledger's pending confirmation). Sends never
// block: a subscriber that does not keep up loses events (and is told by a
// log line). Its goroutines end with Close or when the last subscriber's
// context ends.
type Poller struct {
	enum     EnumerateFunc
	interval time.Duration
	log      *slog.Logger

	pollMu sync.Mutex // held during an enumeration; Pause waits for it

	mu      sync.Mutex
	subs    map[chan Event]struct{}
	paused  int
	known   []hwwallet.DeviceInfo
	scanned bool
	lastErr string
	running bool
	stop    chan struct{}
	wg      sync.WaitGroup
	closed  bool
}

// NewPoller returns a poller over enum (usually Enumerate). interval <= 0
// means one second; log may be nil.
func NewPoller(enum EnumerateFunc, interval time.Duration, log *slog.Logger) *Poller {
	if interval <= 0 {
		interval = time.Second
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Poller{enum: enum, interval: interval, log: log, subs: make(map[chan Event]struct{})}
}

// EnumerateUSB adapts Enumerate to an EnumerateFunc.
func EnumerateUSB(ctx context.Context) ([]hwwallet.DeviceInfo, error) {
	devs, err := Enumerate(ctx)
	if err != nil {
		return nil, err
	}
	return Infos(devs), nil
}

// Subscribe returns a channel of events, buffered with room for buffer
// events (at least 1). The devices already present are sent first as
// Arrived. The channel is closed when ctx ends or the poller is closed.
func (p *Poller) Subscribe(ctx context.Context, buffer int) <-chan Event {
	ch := make(chan Event, max(buffer, 1))
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		close(ch)
		return ch
	}
	p.subs[ch] = struct{}{}
	for _, d := range p.known {
		p.send(ch, Event{Kind: Arrived, Device: d})
	}
	if !p.running {
		p.running = true
		p.stop = make(chan struct{})
		p.wg.Add(1)
		go p.run(p.stop)
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		select {
		case <-ctx.Done():
		case <-p.stopped():
		}
		p.mu.Lock()
		defer p.mu.Unlock()
		if _, ok := p.subs[ch]; ok {
			delete(p.subs, ch)
			close(ch)
		}
		if len(p.subs) == 0 && p.running {
			p.running = false
			close(p.stop)
		}
	}()
	return ch
}

// stopped returns the current run's stop channel (closed on Close).
func (p *Poller) stopped() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stop
}

// send delivers without blocking; the caller holds p.mu.
func (p *Poller) send(ch chan Event, e Event) {
	select {
	case ch <- e:
	default:
		p.log.Warn("hardware wallet event dropped: subscriber is not reading", "event", e.Kind.String(), "device", e.Device.ID)
	}
}

func (p *Poller) run(stop <-chan struct{}) {
	defer p.wg.Done()
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		p.poll(stop)
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

// poll enumerates once (unless paused) and broadcasts the changes.
func (p *Poller) poll(stop <-chan struct{}) {
	p.pollMu.Lock()
	defer p.pollMu.Unlock()
	p.mu.Lock()
	paused := p.paused > 0
	p.mu.Unlock()
	if paused {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	go func() { // end the enumeration early on stop
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	list, err := p.enum(ctx)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		if msg := err.Error(); msg != p.lastErr {
			p.lastErr = msg
			p.log.Warn("hardware wallet discovery failed", "err", err)
		}
		return
	}
	p.lastErr = ""
	p.update(list)
}

// update replaces the known list and broadcasts the difference; the caller
// holds p.mu.
func (p *Poller) update(list []hwwallet.DeviceInfo) {
	arrived, left := Diff(p.known, list)
	p.known = slices.Clone(list)
	p.scanned = true
	for ch := range p.subs {
		for _, d := range left {
			p.send(ch, Event{Kind: Left, Device: d})
		}
		for _, d := range arrived {
			p.send(ch, Event{Kind: Arrived, Device: d})
		}
	}
}

// List enumerates now and returns the devices present, updating
// subscribers. While paused it returns the last list seen instead of
// touching the bus.
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
	p.update(list)
	return slices.Clone(list), nil
}

// Pause stops enumerating until the returned resume function is called
// (pauses nest). It waits for an enumeration in progress to finish.
func (p *Poller) Pause() (resume func()) {
	p.mu.Lock()
	p.paused++
	p.mu.Unlock()
	p.pollMu.Lock()
	p.pollMu.Unlock() //nolint:staticcheck // waits for the poll in progress
	var once sync.Once
	return func() {
		once.Do(func() {
			p.mu.Lock()
			p.paused--
			p.mu.Unlock()
		})
	}
}

// Close stops polling, closes every subscription and waits for the
// poller's goroutines.
func (p *Poller) Close() {
	p.mu.Lock()
	p.closed = true
	if p.running {
		p.running = false
		close(p.stop)
	}
	p.mu.Unlock()
	p.wg.Wait()
	p.mu.Lock()
	for ch := range p.subs {
		delete(p.subs, ch)
		close(ch)
	}
	p.mu.Unlock()
}
