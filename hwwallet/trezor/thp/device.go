package thp

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// DeviceUI is the device's screen and buttons: the emulator's scripted
// user plays it.
type DeviceUI interface {
	// Confirm shows a THP screen (pairing request, connection request,
	// autoconnect credential) once the host has acknowledged its
	// ButtonRequest, and returns whether the user approved. It must return
	// when ctx ends (the host cancelled, or the channel went away).
	Confirm(ctx context.Context, s Screen) (bool, error)
	// ShowPairingCode displays the 6-digit CodeEntry code.
	ShowPairingCode(code string)
	// Locked reports whether the device is PIN-locked.
	Locked() bool
	// Unlock shows PIN entry on the device; nil once it is unlocked. It
	// must return when ctx ends.
	Unlock(ctx context.Context) error
}

// Screen is a confirmation the THP layer shows.
type Screen struct {
	// Name is the ButtonRequest name: "thp_pairing_request",
	// "thp_connection_request" or "thp_autoconnect_credential_request".
	Name string
	// HostName and AppName are what the host called itself when pairing.
	HostName, AppName string
}

// The screens.
const (
	ScreenPairingRequest     = "thp_pairing_request"
	ScreenConnectionRequest  = "thp_connection_request"
	ScreenAutoconnectRequest = "thp_autoconnect_credential_request"
)

// App answers the application messages of an established channel
// (GetFeatures, EthereumSignMessage, …). Handle must answer req with
// ex.Reply or ex.Fail, after any ex.ButtonRequest and ex.AwaitUser; a
// message that needs the seed on a session that was not created
// (ex.SessionCreated) gets Failure(InvalidSession = 14). ctx ends when the
// channel is dropped or the device stops; an error ends the channel.
type App interface {
	Handle(ctx context.Context, ex *Exchange, req Message) error
}

// DeviceConfig configures a THP device.
type DeviceConfig struct {
	// StaticKey is the device's X25519 static key (on a Trezor derived
	// from the device secret, not the seed). Required.
	StaticKey *ecdh.PrivateKey
	// CredentialKey authenticates the credentials the device issues
	// (HMAC-SHA256). Required; changing it revokes every credential.
	CredentialKey []byte
	// Properties are announced in every channel allocation; ProtocolMajor
	// 0 means 2, and no PairingMethods means CodeEntry.
	Properties DeviceProperties
	// UI plays the user. Required.
	UI DeviceUI
	// App answers application messages; nil answers them
	// Failure(UnexpectedMessage).
	App App
	// FirstChannel is the first channel id handed out; 0 draws it at random.
	FirstChannel uint16
	// MaxChannels bounds the channels kept (the least recently used is
	// evicted); 0 means 10, as on the firmware.
	MaxChannels int
	// Rand is the source of keys and secrets; nil means crypto/rand.
	Rand io.Reader
}

// minContinuationWait is MIN_CONTINUATION_WAIT_MS: a half-received
// payload younger than this makes another channel's packet TRANSPORT_BUSY.
const minContinuationWait = 200 * time.Millisecond

// Device is the device side of THP: it allocates channels, answers
// handshakes, pairs, issues and checks credentials, keeps sessions and
// hands application messages to the App. Codec v1 messages get
// Failure(InvalidProtocol), as on a Safe 7.
type Device struct {
	cfg   DeviceConfig
	props []byte

	randMu sync.Mutex

	mu       sync.Mutex
	channels map[uint16]*deviceChannel
	next     uint16
	clock    uint64 // use counter for least-recently-used eviction
}

// NewDevice checks cfg and returns a device ready to Serve.
func NewDevice(cfg DeviceConfig) (*Device, error) {
	switch {
	case cfg.StaticKey == nil || cfg.StaticKey.Curve() != ecdh.X25519():
		return nil, errors.New("thp: device: an X25519 static key is required")
	case len(cfg.CredentialKey) == 0:
		return nil, errors.New("thp: device: a credential key is required")
	case cfg.UI == nil:
		return nil, errors.New("thp: device: a UI is required")
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Properties.ProtocolMajor == 0 {
		cfg.Properties.ProtocolMajor = 2
	}
	if len(cfg.Properties.PairingMethods) == 0 {
		cfg.Properties.PairingMethods = []PairingMethod{CodeEntry}
	}
	if cfg.MaxChannels <= 0 {
		cfg.MaxChannels = 10
	}
	d := &Device{cfg: cfg, props: cfg.Properties.marshal(), channels: make(map[uint16]*deviceChannel), next: cfg.FirstChannel}
	if d.next == 0 {
		var b [2]byte
		if _, err := io.ReadFull(cfg.Rand, b[:]); err != nil {
			return nil, fmt.Errorf("thp: device: %w", err)
		}
		d.next = binary.BigEndian.Uint16(b[:])
	}
	return d, nil
}

// StaticPublicKey is the device's static public key, as a host stores it
// with its credential.
func (d *Device) StaticPublicKey() []byte { return d.cfg.StaticKey.PublicKey().Bytes() }

// DropChannels forgets every channel, as a restart does: hosts get
// UNALLOCATED_CHANNEL on their next message.
func (d *Device) DropChannels() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for id, ch := range d.channels {
		ch.cancel()
		delete(d.channels, id)
	}
}

// Serve runs the device over t until ctx ends or t fails; it returns that
// error after every channel's goroutine has stopped. One Serve at a time;
// a later Serve (the cable plugged in again) starts with no channels.
func (d *Device) Serve(ctx context.Context, t PacketTransport) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		d.DropChannels()
		wg.Wait()
	}()
	w := &deviceWriter{t: t}
	var rd reassembler
	var last time.Time // when the half-received payload last grew
	for {
		p, err := t.ReadPacket(ctx)
		if err != nil {
			return err
		}
		if len(p) != PacketSize {
			continue
		}
		if p[0] == ctlCodecV1 {
			if codecV1Probe(p) {
				if err := w.packet(ctx, codecV1Failure); err != nil {
					return err
				}
			}
			continue
		}
		cid := packetChannel(p)
		now := time.Now()
		if !isContinuation(p) {
			if other, active := rd.inProgress(); active && other != cid && now.Sub(last) < minContinuationWait {
				if err := w.frame(ctx, frame{ctl: ctlError, channel: cid, payload: []byte{byte(ErrTransportBusy)}}); err != nil {
					return err
				}
				continue
			}
		}
		if other, active := rd.inProgress(); !isContinuation(p) || (active && other == cid) {
			last = now
		}
		f, err := rd.push(p)
		if err != nil || f == nil {
			continue
		}
		if err := d.dispatch(ctx, w, f, &wg); err != nil {
			return err
		}
	}
}

// dispatch routes one complete frame.
func (d *Device) dispatch(ctx context.Context, w *deviceWriter, f *frame, wg *sync.WaitGroup) error {
	if f.channel == BroadcastChannel {
		switch {
		case f.ctl == ctlAllocReq && len(f.payload) == 8:
			id := d.allocate(ctx, w, wg)
			payload := append(append(append([]byte{}, f.payload...), byte(id>>8), byte(id)), d.props...)
			return w.frame(ctx, frame{ctl: ctlAllocResp, channel: BroadcastChannel, payload: payload})
		case f.ctl == ctlPing && len(f.payload) == 8:
			return w.frame(ctx, frame{ctl: ctlPong, channel: BroadcastChannel, payload: f.payload})
		}
		return nil
	}
	d.mu.Lock()
	ch := d.channels[f.channel]
	if ch != nil {
		d.clock++
		ch.used = d.clock
	}
	d.mu.Unlock()
	if ch == nil {
		if _, _, ok := f.isData(); ok {
			return w.frame(ctx, frame{ctl: ctlError, channel: f.channel, payload: []byte{byte(ErrUnallocatedChannel)}})
		}
		return nil
	}
	select {
	case ch.inbox <- f:
	default: // the channel is behind; the host retransmits
	}
	return nil
}

// allocate creates a channel with the next free id, evicting the least
// recently used one when full, and starts its goroutine.
func (d *Device) allocate(ctx context.Context, w *deviceWriter, wg *sync.WaitGroup) uint16 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.channels) >= d.cfg.MaxChannels {
		var oldest *deviceChannel
		for _, ch := range d.channels {
			if oldest == nil || ch.used < oldest.used {
				oldest = ch
			}
		}
		oldest.cancel()
		delete(d.channels, oldest.id)
	}
	id := d.next
	for id < minChannel || id > maxChannel || d.channels[id] != nil {
		id++
	}
	d.next = id + 1
	cctx, cancel := context.WithCancel(ctx)
	d.clock++
	ch := &deviceChannel{d: d, id: id, inbox: make(chan *frame, 16), cancel: cancel, used: d.clock, sessions: make(map[byte]string)}
	ch.link = &link{channel: id, write: w.frame, next: ch.nextFrame, maxAttempts: deviceMaxAttempts}
	ch.w = w
	d.channels[id] = ch
	wg.Add(1)
	go func() {
		defer wg.Done()
		ch.run(cctx)
	}()
	return id
}

// remove forgets a channel that ended on its own.
func (d *Device) remove(ch *deviceChannel) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.channels[ch.id] == ch {
		delete(d.channels, ch.id)
	}
	ch.cancel()
}

// random fills n bytes from cfg.Rand (one read per value, so that a
// seeded reader gives reproducible transcripts).
func (d *Device) random(n int) ([]byte, error) {
	d.randMu.Lock()
	defer d.randMu.Unlock()
	b := make([]byte, n)
	if _, err := io.ReadFull(d.cfg.Rand, b); err != nil {
		return nil, fmt.Errorf("random: %w", err)
	}
	return b, nil
}

// deviceWriter serialises the device's writes so that the packets of one
// frame are never interleaved with another channel's.
type deviceWriter struct {
	mu sync.Mutex
	t  PacketTransport
}

func (w *deviceWriter) frame(ctx context.Context, f frame) error {
	pkts, err := f.packets()
	if err != nil {
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range pkts {
		if err := w.t.WritePacket(ctx, p); err != nil {
			return err
		}
	}
	return nil
}

func (w *deviceWriter) packet(ctx context.Context, p []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.t.WritePacket(ctx, p)
}
