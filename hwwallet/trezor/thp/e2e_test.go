package thp

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/litsigner/litsigner/hwwallet"
)

// memPipe is an in-memory cable between a host and a device with fault
// injection: fault sees every packet (toDevice tells the direction) and
// returns what to deliver, nil to drop it.
type memPipe struct {
	toDevice, toHost chan []byte
	mu               sync.Mutex
	fault            func(toDevice bool, p []byte) []byte
	log              [][]byte // every packet written, both directions
}

func newMemPipe() *memPipe {
	return &memPipe{toDevice: make(chan []byte, 256), toHost: make(chan []byte, 256)}
}

type memEnd struct {
	p    *memPipe
	host bool
}

func (p *memPipe) host() memEnd   { return memEnd{p, true} }
func (p *memPipe) device() memEnd { return memEnd{p, false} }

func (p *memPipe) setFault(f func(toDevice bool, pkt []byte) []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fault = f
}

// count returns how many packets written so far satisfy match.
func (p *memPipe) count(match func([]byte) bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, q := range p.log {
		if match(q) {
			n++
		}
	}
	return n
}

func (e memEnd) WritePacket(ctx context.Context, pkt []byte) error {
	q := bytes.Clone(pkt)
	e.p.mu.Lock()
	e.p.log = append(e.p.log, bytes.Clone(q))
	if e.p.fault != nil {
		q = e.p.fault(e.host, q)
	}
	e.p.mu.Unlock()
	if q == nil {
		return nil
	}
	out := e.p.toHost
	if e.host {
		out = e.p.toDevice
	}
	select {
	case out <- q:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (e memEnd) ReadPacket(ctx context.Context) ([]byte, error) {
	in := e.p.toDevice
	if e.host {
		in = e.p.toHost
	}
	select {
	case q := <-in:
		return q, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// testUI is a scripted user: approves or rejects, may be locked, and
// passes the code it shows to the host's prompt.
type testUI struct {
	mu      sync.Mutex
	reject  bool
	locked  bool
	noPIN   bool // the user does not enter the PIN
	unlocks int
	screens []string
	codes   chan string
}

func newTestUI() *testUI { return &testUI{codes: make(chan string, 4)} }

func (u *testUI) Confirm(_ context.Context, s Screen) (bool, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.screens = append(u.screens, s.Name)
	return !u.reject, nil
}

func (u *testUI) ShowPairingCode(code string) { u.codes <- code }

func (u *testUI) Locked() bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.locked
}

func (u *testUI) Unlock(context.Context) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.noPIN {
		return errors.New("PIN entry cancelled")
	}
	u.unlocks++
	u.locked = false
	return nil
}

// set changes the script under the lock, as the device reads it.
func (u *testUI) set(change func(*testUI)) {
	u.mu.Lock()
	defer u.mu.Unlock()
	change(u)
}

func (u *testUI) unlockCount() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.unlocks
}

func (u *testUI) seen() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.screens...)
}

// The test application: GetFeatures (55) → Features (17) on any session;
// a signing request (64) needs a created session and a confirmation.
// Type 65 waits for release (a user who takes their time).
type testApp struct{ release chan struct{} }

func (a testApp) Handle(ctx context.Context, ex *Exchange, req Message) error {
	switch req.Type {
	case 65:
		ok, err := ex.AwaitUser(ctx, func(ctx context.Context) (bool, error) {
			select {
			case <-a.release:
				return true, nil
			case <-ctx.Done():
				return false, ctx.Err()
			}
		})
		if !ok || err != nil {
			return err
		}
		return ex.Reply(ctx, 66, []byte("late"))
	case 55:
		return ex.Reply(ctx, 17, []byte("features"))
	case 64:
		if !ex.SessionCreated() {
			return ex.Fail(ctx, failureInvalidSession, "Invalid session")
		}
		if ok, err := ex.ButtonRequest(ctx, buttonRequestOther, "sign_message"); !ok || err != nil {
			return err
		}
		return ex.Reply(ctx, 66, append([]byte("signed:"+ex.Passphrase()+":"), req.Data...))
	}
	return ex.Fail(ctx, failureUnexpectedMessage, "Unexpected message")
}

// rig is a device serving on a pipe, stopped by the test's end.
type rig struct {
	pipe   *memPipe
	ui     *testUI
	dev    *Device
	stop   func()
	host   HostConfig
	served chan error
}

func newRig(t *testing.T, methods ...PairingMethod) *rig {
	t.Helper()
	return newRigWith(t, func(*DeviceConfig) {}, methods...)
}

func newRigWith(t *testing.T, change func(*DeviceConfig), methods ...PairingMethod) *rig {
	t.Helper()
	ui := newTestUI()
	cfg := DeviceConfig{
		StaticKey:     mustKey(t, randomBytes(t, 32)),
		CredentialKey: randomBytes(t, 32),
		Properties:    DeviceProperties{InternalModel: "T3W1", PairingMethods: methods},
		UI:            ui,
		App:           testApp{release: make(chan struct{})},
	}
	change(&cfg)
	dev, err := NewDevice(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{pipe: newMemPipe(), ui: ui, dev: dev, served: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { r.served <- dev.Serve(ctx, r.pipe.device()) }()
	r.stop = func() {
		cancel()
		if err := <-r.served; !errors.Is(err, context.Canceled) {
			t.Errorf("serve: %v", err)
		}
	}
	r.host = HostConfig{
		StaticKey: mustKey(t, randomBytes(t, 32)),
		HostName:  "test-host",
		AppName:   "litsigner",
		PairingCode: func(ctx context.Context) (string, error) {
			select {
			case c := <-ui.codes:
				return c, nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		},
	}
	return r
}

func randomBytes(t *testing.T, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// signOnNewSession creates a session and signs through a ButtonRequest.
func signOnNewSession(t *testing.T, h *Host) {
	t.Helper()
	ctx := context.Background()
	id, err := h.CreateSession(ctx, "pw")
	if err != nil {
		t.Fatal(err)
	}
	reply, err := h.Call(ctx, Message{Session: id, Type: 64, Data: []byte("msg")})
	if err != nil || reply.Type != 66 || string(reply.Data) != "signed:pw:msg" || reply.Session != id {
		t.Fatalf("sign: %+v %v", reply, err)
	}
}

// Pair with CodeEntry, then reconnect with the credential: only the
// connection confirmation, no code.
func TestPairThenReconnect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, CodeEntry)
		defer r.stop()
		ctx := context.Background()
		var buttons []string
		r.host.OnButtonRequest = func(b ButtonRequest) { buttons = append(buttons, b.Name) }

		h, err := Connect(ctx, r.pipe.host(), r.host)
		if err != nil {
			t.Fatal(err)
		}
		cred, ok := h.NewCredential()
		if !ok || !bytes.Equal(cred.TrezorStaticPublicKey, r.dev.StaticPublicKey()) {
			t.Fatalf("credential %+v %v", cred, ok)
		}
		if reply, err := h.Call(ctx, Message{Type: 55}); err != nil || reply.Type != 17 {
			t.Fatalf("GetFeatures: %+v %v", reply, err)
		}
		// A seed-requiring call on session 0 (never created) fails.
		reply, err := h.Call(ctx, Message{Type: 64, Data: []byte("x")})
		if f, _ := ParseFailure(reply.Data); err != nil || reply.Type != TypeFailure || f.Code != failureInvalidSession {
			t.Fatalf("sign on session 0: %+v %v", reply, err)
		}
		signOnNewSession(t, h)

		cfg := r.host
		cfg.Credentials = []Credential{{TrezorStaticPublicKey: mustKey(t, randomBytes(t, 32)).PublicKey().Bytes(), Credential: []byte("another device's")}, cred}
		cfg.PairingCode = func(context.Context) (string, error) { return "", errors.New("asked for a code") }
		h2, err := Connect(ctx, r.pipe.host(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := h2.NewCredential(); ok || h2.Channel() == h.Channel() {
			t.Fatal("reconnect paired again, or reused the channel")
		}
		signOnNewSession(t, h2)
		want := fmt.Sprint([]string{ScreenPairingRequest, ScreenConnectionRequest})
		if got := fmt.Sprint(r.ui.seen()); got != want {
			t.Errorf("device screens %s, want %s", got, want)
		}
		want = fmt.Sprint([]string{ScreenPairingRequest, "sign_message", ScreenConnectionRequest, "sign_message"})
		if got := fmt.Sprint(buttons); got != want {
			t.Errorf("host saw button requests %s, want %s", got, want)
		}
	})
}

// A credential from another host key, or a tampered one, is not
// accepted: the device asks for pairing again.
func TestForeignCredentialPairsAgain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, CodeEntry)
		defer r.stop()
		h, err := Connect(context.Background(), r.pipe.host(), r.host)
		if err != nil {
			t.Fatal(err)
		}
		cred, _ := h.NewCredential()
		other := r.host
		other.StaticKey = mustKey(t, randomBytes(t, 32))
		other.Credentials = []Credential{cred}
		h2, err := Connect(context.Background(), r.pipe.host(), other)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := h2.NewCredential(); !ok {
			t.Fatal("a credential issued to another host key was accepted")
		}
	})
}

func TestWrongPairingCode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, CodeEntry)
		defer r.stop()
		cfg := r.host
		cfg.PairingCode = func(ctx context.Context) (string, error) {
			c := <-r.ui.codes
			return fmt.Sprintf("%06d", (int(c[5]-'0')+1)%10+10*atoi(c[:5])), nil
		}
		_, err := Connect(context.Background(), r.pipe.host(), cfg)
		if !errors.Is(err, ErrWrongCode) {
			t.Fatalf("got %v, want ErrWrongCode", err)
		}
		cfg.PairingCode = func(context.Context) (string, error) { return "12345", nil }
		if _, err := Connect(context.Background(), r.pipe.host(), cfg); !errors.Is(err, ErrWrongCode) {
			t.Fatalf("five digits: got %v", err)
		}
	})
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = 10*n + int(c-'0')
	}
	return n
}

func TestPairingRejectedOnDevice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, CodeEntry)
		defer r.stop()
		r.ui.set(func(u *testUI) { u.reject = true })
		_, err := Connect(context.Background(), r.pipe.host(), r.host)
		var f *Failure
		if !errors.As(err, &f) || f.Code != failureActionCancelled || !errors.Is(err, hwwallet.ErrUserRejected) {
			t.Fatalf("got %v, want Failure(ActionCancelled)", err)
		}
	})
}

func TestSkipPairing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, CodeEntry, SkipPairing)
		defer r.stop()
		cfg := r.host
		cfg.PairingMethods = []PairingMethod{SkipPairing}
		h, err := Connect(context.Background(), r.pipe.host(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := h.NewCredential(); ok {
			t.Fatal("SkipPairing issued a credential")
		}
		signOnNewSession(t, h)
		// A host that accepts only a method the device lacks cannot pair.
		r2 := newRig(t, CodeEntry)
		defer r2.stop()
		if _, err := Connect(context.Background(), r2.pipe.host(), cfg); !errors.Is(err, ErrPairing) {
			t.Fatalf("got %v, want ErrPairing", err)
		}
	})
}

// A locked device refuses try_to_unlock=0 with DEVICE_LOCKED; with
// UnlockOnDevice the host retries on a new channel and the user unlocks.
func TestLockedDevice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, CodeEntry)
		defer r.stop()
		r.ui.set(func(u *testUI) { u.locked = true })
		_, err := Connect(context.Background(), r.pipe.host(), r.host)
		if !errors.Is(err, ErrDeviceLocked) || !errors.Is(err, hwwallet.ErrLocked) {
			t.Fatalf("got %v, want ErrDeviceLocked", err)
		}
		cfg := r.host
		cfg.UnlockOnDevice = true
		told := 0
		cfg.OnUnlock = func() { told++ }
		h, err := Connect(context.Background(), r.pipe.host(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if n := r.ui.unlockCount(); told != 1 || n != 1 || r.ui.Locked() {
			t.Fatalf("told %d, unlocks %d", told, n)
		}
		signOnNewSession(t, h)
	})
}

// A user who does not enter the PIN: the retry is refused too.
func TestLockedDeviceNotUnlocked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, CodeEntry)
		defer r.stop()
		r.ui.set(func(u *testUI) { u.locked, u.noPIN = true, true })
		cfg := r.host
		cfg.TryToUnlock = true
		if _, err := Connect(context.Background(), r.pipe.host(), cfg); !errors.Is(err, ErrDeviceLocked) {
			t.Fatalf("got %v, want ErrDeviceLocked", err)
		}
	})
}

// A device that locked itself after the channel was established asks for
// the PIN when a session is created.
func TestLockedBeforeSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, CodeEntry)
		defer r.stop()
		h, err := Connect(context.Background(), r.pipe.host(), r.host)
		if err != nil {
			t.Fatal(err)
		}
		r.ui.set(func(u *testUI) { u.locked = true })
		signOnNewSession(t, h)
		if n := r.ui.unlockCount(); n != 1 {
			t.Fatalf("%d unlocks", n)
		}
		r.ui.set(func(u *testUI) { u.locked, u.noPIN = true, true })
		_, err = h.CreateSession(context.Background(), "")
		var f *Failure
		if !errors.As(err, &f) || f.Code != failureActionCancelled {
			t.Fatalf("got %v, want Failure(ActionCancelled)", err)
		}
	})
}

// Dropped packets in both directions (a message, an ACK) are recovered
// by retransmission.
func TestRetransmission(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, CodeEntry)
		defer r.stop()
		ctx := context.Background()
		h, err := Connect(ctx, r.pipe.host(), r.host)
		if err != nil {
			t.Fatal(err)
		}
		var dropped []string
		drops := map[string]bool{"host message": true, "host ack": true, "device ack": true, "device message": true}
		r.pipe.setFault(func(toDevice bool, p []byte) []byte {
			kind := "device "
			if toDevice {
				kind = "host "
			}
			if p[0]&0xF7 == ctlAck {
				kind += "ack"
			} else if p[0]&dataMask == ctlEncrypted {
				kind += "message"
			} else {
				return p
			}
			if drops[kind] {
				delete(drops, kind)
				dropped = append(dropped, kind)
				return nil
			}
			return p
		})
		before := r.pipe.count(func(p []byte) bool { return true })
		if reply, err := h.Call(ctx, Message{Type: 55}); err != nil || reply.Type != 17 {
			t.Fatalf("GetFeatures: %+v %v", reply, err)
		}
		signOnNewSession(t, h)
		if len(drops) != 0 {
			t.Fatalf("not dropped: %v", drops)
		}
		if sent := r.pipe.count(func(p []byte) bool { return true }) - before; sent < 3*4+3 {
			t.Errorf("only %d packets for three exchanges with retransmissions", sent)
		}
	})
}

// Nothing arrives: the host gives up after its retransmissions.
func TestNoAck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, CodeEntry)
		defer r.stop()
		h, err := Connect(context.Background(), r.pipe.host(), r.host)
		if err != nil {
			t.Fatal(err)
		}
		r.pipe.setFault(func(toDevice bool, p []byte) []byte {
			if toDevice {
				return nil
			}
			return p
		})
		if _, err := h.Call(context.Background(), Message{Type: 55}); !errors.Is(err, ErrNoAck) {
			t.Fatalf("got %v, want ErrNoAck", err)
		}
		if _, err := h.Call(context.Background(), Message{Type: 55}); !errors.Is(err, ErrClosed) {
			t.Fatalf("after: %v", err)
		}
	})
}

// A device busy reassembling another channel's message answers
// TRANSPORT_BUSY; the host backs off and resends.
func TestBusy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, CodeEntry)
		defer r.stop()
		ctx := context.Background()
		h, err := Connect(ctx, r.pipe.host(), r.host)
		if err != nil {
			t.Fatal(err)
		}
		// Another host starts a two-packet message and stalls.
		other, err := frame{ctl: ctlEncrypted, channel: h.Channel() + 100, payload: make([]byte, 100)}.packets()
		if err != nil {
			t.Fatal(err)
		}
		r.pipe.toDevice <- other[0]
		if reply, err := h.Call(ctx, Message{Type: 55}); err != nil || reply.Type != 17 {
			t.Fatalf("GetFeatures: %+v %v", reply, err)
		}
		busy := r.pipe.count(func(p []byte) bool { return p[0] == ctlError && p[5] == byte(ErrTransportBusy) })
		if busy == 0 {
			t.Fatal("the device never answered TRANSPORT_BUSY")
		}
	})
}

// After the device forgot the channel (restart, eviction), the host gets
// UNALLOCATED_CHANNEL and the channel is closed.
func TestUnallocatedChannel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, CodeEntry)
		defer r.stop()
		ctx := context.Background()
		h, err := Connect(ctx, r.pipe.host(), r.host)
		if err != nil {
			t.Fatal(err)
		}
		r.dev.DropChannels()
		if _, err := h.Call(ctx, Message{Type: 55}); !errors.Is(err, ErrUnallocatedChannel) {
			t.Fatalf("got %v, want ErrUnallocatedChannel", err)
		}
		if _, err := h.Call(ctx, Message{Type: 55}); !errors.Is(err, ErrClosed) {
			t.Fatalf("after: %v", err)
		}
	})
}

// Eviction: the least recently used channel goes when the table is full.
func TestChannelEviction(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRigWith(t, func(c *DeviceConfig) { c.MaxChannels = 2 }, CodeEntry)
		defer r.stop()
		cfg := r.host
		cfg.PairingMethods = nil
		ctx := context.Background()
		first, err := Connect(ctx, r.pipe.host(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		cred, _ := first.NewCredential()
		cfg.Credentials = []Credential{cred}
		second, err := Connect(ctx, r.pipe.host(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := first.Call(ctx, Message{Type: 55}); err != nil {
			t.Fatal(err) // now the second is the least recently used
		}
		if _, err := Connect(ctx, r.pipe.host(), cfg); err != nil {
			t.Fatal(err)
		}
		if _, err := second.Call(ctx, Message{Type: 55}); !errors.Is(err, ErrUnallocatedChannel) {
			t.Fatalf("evicted channel: %v", err)
		}
		if _, err := first.Call(ctx, Message{Type: 55}); err != nil {
			t.Fatalf("kept channel: %v", err)
		}
	})
}

// A message that does not decrypt kills the channel with DECRYPTION_FAILED.
func TestDecryptionFailure(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, CodeEntry)
		defer r.stop()
		ctx := context.Background()
		h, err := Connect(ctx, r.pipe.host(), r.host)
		if err != nil {
			t.Fatal(err)
		}
		tampered := false
		r.pipe.setFault(func(toDevice bool, p []byte) []byte {
			if toDevice && p[0]&dataMask == ctlEncrypted && !tampered {
				tampered = true
				return resealed(p, func(payload []byte) { payload[0] ^= 1 })
			}
			return p
		})
		if _, err := h.Call(ctx, Message{Type: 55}); !errors.Is(err, ErrDecryptionFailed) {
			t.Fatalf("got %v, want ErrDecryptionFailed", err)
		}
	})
}

// resealed changes a one-packet frame's payload and fixes its CRC, as an
// attacker (not line noise) would.
func resealed(p []byte, change func([]byte)) []byte {
	var r reassembler
	f, err := r.push(p)
	if err != nil || f == nil {
		panic("not a one-packet frame")
	}
	change(f.payload)
	pkts, _ := f.packets()
	return pkts[0]
}

// The device answers codec v1 messages as a Safe 7 does, and pings.
func TestCodecV1AndPing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, CodeEntry)
		defer r.stop()
		ctx := context.Background()
		end := r.pipe.host()
		probe := make([]byte, PacketSize)
		copy(probe, []byte{0x3f, 0x23, 0x23, 0x00, 0x14})
		cont := make([]byte, PacketSize)
		cont[0] = 0x3f
		ping, _ := frame{ctl: ctlPing, channel: BroadcastChannel, payload: []byte("12345678")}.packets()
		for _, p := range [][]byte{probe, cont, ping[0]} {
			if err := end.WritePacket(ctx, p); err != nil {
				t.Fatal(err)
			}
		}
		got, err := end.ReadPacket(ctx)
		if err != nil || !bytes.Equal(got, codecV1Failure) {
			t.Fatalf("v1 answer %x %v", got, err)
		}
		got, err = end.ReadPacket(ctx)
		var rd reassembler
		f, _ := rd.push(got)
		if err != nil || f == nil || f.ctl != ctlPong || string(f.payload) != "12345678" {
			t.Fatalf("pong %x %v", got, err)
		}
	})
}

// A call abandoned by its context leaves the channel usable after
// Cancel, whether the device still waited for its user (the Cancel ends
// the dialog), had already answered (the late answer is discarded) or
// never got the request.
func TestCancelAfterAbandonedCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, CodeEntry)
		defer r.stop()
		h, err := Connect(context.Background(), r.pipe.host(), r.host)
		if err != nil {
			t.Fatal(err)
		}
		abandon := func(msg Message) {
			t.Helper()
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			if _, err := h.Call(ctx, msg); !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("got %v", err)
			}
		}
		resync := func() {
			t.Helper()
			if err := h.Cancel(context.Background(), 0); err != nil {
				t.Fatal(err)
			}
			if reply, err := h.Call(context.Background(), Message{Type: 55}); err != nil || reply.Type != 17 {
				t.Fatalf("after cancel: %+v %v", reply, err)
			}
		}

		// The device waits for its user; the Cancel ends the dialog.
		abandon(Message{Type: 65})
		resync()

		// The user answers after the host gave up: a late reply.
		app := r.dev.cfg.App.(testApp)
		abandon(Message{Type: 65})
		close(app.release)
		synctest.Wait()
		resync()

		// The request itself is lost before it reaches the device.
		r.pipe.setFault(func(toDevice bool, p []byte) []byte {
			if toDevice {
				return nil
			}
			return p
		})
		abandon(Message{Type: 55})
		r.pipe.setFault(nil)
		resync()
		signOnNewSession(t, h)
	})
}
