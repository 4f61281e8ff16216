package thp

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
)

// The fixed inputs of the deterministic transcripts (see the fixtures'
// README): keys, the allocation nonce, the first channel id and the two
// seeded random sources.
var (
	fixtureDeviceStatic = bytes.Repeat([]byte{0x11}, 32)
	fixtureHostStatic   = bytes.Repeat([]byte{0x12}, 32)
	fixtureHostE        = bytes.Repeat([]byte{0x24}, 32)
	fixtureNonce        = mustHex("0011223344556677")
	fixtureProperties   = DeviceProperties{InternalModel: "T3W1", ProtocolMajor: 2, PairingMethods: []PairingMethod{CodeEntry, SkipPairing}}
	fixtureCode         = "383726"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func mustKey(t testing.TB, b []byte) *ecdh.PrivateKey {
	t.Helper()
	k, err := ecdh.X25519().NewPrivateKey(b)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// seededReader is the study device's randomness: each read of n ≤ 32
// bytes is SHA-256(seed ‖ counter as 8-byte big-endian)[:n].
type seededReader struct {
	seed string
	n    uint64
}

func (r *seededReader) Read(p []byte) (int, error) {
	var out []byte
	for len(out) < len(p) {
		h := sha256.New()
		h.Write([]byte(r.seed))
		h.Write(binary.BigEndian.AppendUint64(nil, r.n))
		r.n++
		out = h.Sum(out)
	}
	return copy(p, out), nil
}

func hostRNG(i int) []byte {
	s := sha256.Sum256([]byte(fmt.Sprintf("host-rng-%d", i)))
	return s[:]
}

// transcript is one fixture file.
type transcript struct {
	packets []event    // in/out packets, in order
	app     []appEvent // decrypted application messages, in order
}

type event struct {
	in  bool // host → device
	pkt []byte
}

type appEvent struct {
	in      bool
	channel uint16
	msg     Message
}

func loadTranscript(t *testing.T, name string) transcript {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var tr transcript
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e struct {
			Ev      string `json:"ev"`
			Pkt     string `json:"pkt"`
			Cid     json.RawMessage
			Session byte   `json:"session"`
			Type    uint16 `json:"type"`
			PB      string `json:"pb"`
		}
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		switch e.Ev {
		case "in", "out":
			tr.packets = append(tr.packets, event{in: e.Ev == "in", pkt: mustHex(e.Pkt)})
		case "app_in", "app_out":
			var cid uint16
			_ = json.Unmarshal(e.Cid, &cid)
			tr.app = append(tr.app, appEvent{in: e.Ev == "app_in", channel: cid, msg: Message{Session: e.Session, Type: e.Type, Data: mustHex(e.PB)}})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return tr
}

// script is a PacketTransport that plays one side of a transcript: reads
// return the other side's packets in order, each only once everything
// before it was written, and writes must equal the next packet of our
// side. Waiting is on channels, so synctest sees it as durable blocking.
type script struct {
	mu      sync.Mutex
	events  []event
	pos     int
	ours    bool // the direction we write: true = host→device (playing the host)
	changed chan struct{}
	err     error
}

func newScript(events []event, playHost bool) *script {
	return &script{events: events, ours: playHost, changed: make(chan struct{})}
}

var errScriptEnd = errors.New("script: transcript finished")

func (s *script) advance() {
	s.pos++
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *script) ReadPacket(ctx context.Context) ([]byte, error) {
	for {
		s.mu.Lock()
		if s.err != nil {
			s.mu.Unlock()
			return nil, s.err
		}
		if s.pos == len(s.events) {
			s.mu.Unlock()
			return nil, errScriptEnd
		}
		if e := s.events[s.pos]; e.in != s.ours {
			s.advance()
			s.mu.Unlock()
			return e.pkt, nil
		}
		changed := s.changed
		s.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func (s *script) WritePacket(ctx context.Context, p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	switch {
	case s.pos == len(s.events):
		s.err = fmt.Errorf("script: extra packet %x after the transcript", p)
	case s.events[s.pos].in != s.ours:
		s.err = fmt.Errorf("script: packet %d: wrote %x while the transcript has the peer's %x", s.pos, p, s.events[s.pos].pkt)
	case !bytes.Equal(s.events[s.pos].pkt, p):
		s.err = fmt.Errorf("script: packet %d:\n got %x\nwant %x", s.pos, p, s.events[s.pos].pkt)
	default:
		s.advance()
		return nil
	}
	close(s.changed) // wake readers so they see the error
	s.changed = make(chan struct{})
	return s.err
}

func (s *script) check(t *testing.T) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		t.Fatal(s.err)
	}
	if s.pos != len(s.events) {
		t.Fatalf("transcript stopped at packet %d of %d", s.pos, len(s.events))
	}
}

// TestGoldenHost replays the transcripts as the host: with the fixture's
// keys and randomness our host writes exactly the packets Trezor's host
// code wrote, and understands the device's.
func TestGoldenHost(t *testing.T) {
	for _, tc := range []struct {
		file     string
		methods  []PairingMethod
		channels int
	}{
		{"01-codeentry.jsonl", []PairingMethod{CodeEntry}, 2},
		{"02-skippairing.jsonl", []PairingMethod{SkipPairing}, 1},
	} {
		t.Run(tc.file, func(t *testing.T) {
			tr := loadTranscript(t, tc.file)
			// The codec v1 probe is the driver's; THP starts after it.
			packets := tr.packets
			for len(packets) > 0 && packets[0].pkt[0] == ctlCodecV1 {
				packets = packets[1:]
			}
			synctest.Test(t, func(t *testing.T) {
				s := newScript(packets, true)
				var rnd bytes.Buffer
				rnd.Write(fixtureNonce)
				rnd.Write(fixtureHostE)
				if tc.methods[0] == CodeEntry {
					rnd.Write(hostRNG(0)) // challenge
					rnd.Write(hostRNG(1)) // CPace private key
				}
				rnd.Write(fixtureNonce)
				rnd.Write(fixtureHostE)
				cfg := HostConfig{
					StaticKey:      mustKey(t, fixtureHostStatic),
					HostName:       "thp-research",
					AppName:        "litsigner",
					PairingMethods: tc.methods,
					PairingCode:    func(context.Context) (string, error) { return fixtureCode, nil },
					Rand:           &rnd,
				}
				ctx := context.Background()
				app := tr.app
				for i := 0; i < tc.channels; i++ {
					h, err := Connect(ctx, s, cfg)
					if err != nil {
						t.Fatalf("channel %d: %v (%v)", i, err, s.err)
					}
					if cred, ok := h.NewCredential(); ok {
						cfg.Credentials = append(cfg.Credentials, cred)
					}
					app = replayHostCalls(t, h, app, h.Channel())
				}
				s.check(t)
			})
		})
	}
}

// replayHostCalls makes the application calls the transcript's host made
// on one channel (after pairing) and checks the replies.
func replayHostCalls(t *testing.T, h *Host, app []appEvent, channel uint16) []appEvent {
	t.Helper()
	ctx := context.Background()
	// Skip the pairing-phase messages the host made inside Connect.
	for len(app) > 0 && app[0].channel == channel && !isAppRequest(app[0]) {
		app = app[1:]
	}
	for len(app) > 0 && app[0].channel == channel {
		req := app[0].msg
		app = app[1:]
		var reply Message
		var err error
		if req.Type == TypeThpCreateNewSession {
			var id byte
			id, err = h.CreateSession(ctx, "")
			if err == nil && id != req.Session {
				t.Fatalf("created session %d, transcript %d", id, req.Session)
			}
			reply = Message{Session: req.Session, Type: TypeSuccess, Data: successMessage("New session created.")}
		} else {
			reply, err = h.Call(ctx, req)
		}
		if err != nil {
			t.Fatalf("call %d: %v", req.Type, err)
		}
		// The transcript's last reply to this request (after any
		// ButtonRequest/ButtonAck) is what Call returns.
		var want Message
		for len(app) > 0 && app[0].channel == channel && !isAppRequest(app[0]) {
			if !app[0].in {
				want = app[0].msg
			}
			app = app[1:]
		}
		if reply.Type != want.Type || !bytes.Equal(reply.Data, want.Data) || reply.Session != want.Session {
			t.Fatalf("reply to %d: got %d %x, want %d %x", req.Type, reply.Type, reply.Data, want.Type, want.Data)
		}
	}
	return app
}

// isAppRequest reports whether a transcript message is a host request
// after pairing (not a ButtonAck and not part of pairing).
func isAppRequest(e appEvent) bool {
	if !e.in || e.msg.Type == TypeButtonAck {
		return false
	}
	return e.msg.Type < TypeThpPairingRequest || e.msg.Type > TypeThpCodeEntrySecret
}

// recordedApp answers application requests from the transcript: for each
// request, the device's recorded answers in order (a ButtonRequest waits
// for the host's ButtonAck).
type recordedApp struct {
	t       *testing.T
	mu      sync.Mutex
	answers map[string][][]Message
}

func newRecordedApp(t *testing.T, app []appEvent) *recordedApp {
	r := &recordedApp{t: t, answers: make(map[string][][]Message)}
	for i := 0; i < len(app); i++ {
		if !isAppRequest(app[i]) || app[i].msg.Type == TypeThpCreateNewSession {
			continue
		}
		key := requestKey(app[i].msg)
		var outs []Message
		for j := i + 1; j < len(app) && app[j].channel == app[i].channel && !isAppRequest(app[j]); j++ {
			if !app[j].in {
				outs = append(outs, app[j].msg)
			}
		}
		r.answers[key] = append(r.answers[key], outs)
	}
	return r
}

func requestKey(m Message) string { return fmt.Sprintf("%d/%d/%x", m.Session, m.Type, m.Data) }

func (r *recordedApp) Handle(ctx context.Context, ex *Exchange, req Message) error {
	r.mu.Lock()
	key := requestKey(req)
	queue := r.answers[key]
	if len(queue) == 0 {
		r.mu.Unlock()
		return fmt.Errorf("no recorded answer to %s", key)
	}
	outs := queue[0]
	r.answers[key] = queue[1:]
	r.mu.Unlock()
	if req.Session != 0 && !ex.SessionCreated() {
		return fmt.Errorf("request %s on a session that was not created", key)
	}
	for _, m := range outs {
		if m.Type == TypeButtonRequest {
			br, err := ParseButtonRequest(m.Data)
			if err != nil {
				return err
			}
			if ok, err := ex.ButtonRequest(ctx, br.Code, br.Name); !ok || err != nil {
				return fmt.Errorf("button request: %v %v", ok, err)
			}
			continue
		}
		if err := ex.Reply(ctx, m.Type, m.Data); err != nil {
			return err
		}
	}
	return nil
}

// approvingUI approves everything and records the codes it shows.
type approvingUI struct {
	mu      sync.Mutex
	codes   []string
	screens []string
}

func (u *approvingUI) Confirm(_ context.Context, s Screen) (bool, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.screens = append(u.screens, s.Name)
	return true, nil
}
func (u *approvingUI) ShowPairingCode(code string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.codes = append(u.codes, code)
}
func (u *approvingUI) Locked() bool                 { return false }
func (u *approvingUI) Unlock(context.Context) error { return nil }

// TestGoldenDevice replays the transcripts as the device: seeded like the
// study device, ours answers Trezor's host code byte for byte.
func TestGoldenDevice(t *testing.T) {
	for _, tc := range []struct {
		file    string
		codes   []string
		screens []string
	}{
		{"01-codeentry.jsonl", []string{fixtureCode}, []string{ScreenPairingRequest, ScreenConnectionRequest}},
		{"02-skippairing.jsonl", nil, []string{ScreenPairingRequest}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			tr := loadTranscript(t, tc.file)
			synctest.Test(t, func(t *testing.T) {
				s := newScript(tr.packets, false)
				ui := &approvingUI{}
				static := mustKey(t, fixtureDeviceStatic)
				credKey := sha256.Sum256(append([]byte("thpstub credential key"), fixtureDeviceStatic...))
				d, err := NewDevice(DeviceConfig{
					StaticKey:     static,
					CredentialKey: credKey[:],
					Properties:    fixtureProperties,
					UI:            ui,
					App:           newRecordedApp(t, tr.app),
					FirstChannel:  0x1234,
					Rand:          &seededReader{seed: "research-seed"},
				})
				if err != nil {
					t.Fatal(err)
				}
				err = d.Serve(context.Background(), s)
				if !errors.Is(err, errScriptEnd) {
					t.Fatalf("serve: %v", err)
				}
				s.check(t)
				if strings.Join(ui.codes, ",") != strings.Join(tc.codes, ",") {
					t.Errorf("codes shown %v, want %v", ui.codes, tc.codes)
				}
				if strings.Join(ui.screens, ",") != strings.Join(tc.screens, ",") {
					t.Errorf("screens %v, want %v", ui.screens, tc.screens)
				}
			})
		})
	}
}

// loggedDraws returns, in order, the random values the study device drew
// in a run with real randomness (its log keeps every one of them).
func loggedDraws(t *testing.T, name string) *bytes.Buffer {
	t.Helper()
	f, err := os.Open("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var draws bytes.Buffer
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var e map[string]any
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatal(err)
		}
		switch e["ev"] {
		case "handshake1":
			draws.Write(mustHex(e["dev_e_priv"].(string)))
		case "code_entry": // the secret is drawn at method selection, before the CPace key
			draws.Write(mustHex(e["secret"].(string)))
			draws.Write(mustHex(e["cpace_trezor_priv"].(string)))
		}
	}
	return &draws
}

// lockedUntilAsked is a device locked until a handshake asks to unlock it
// (the study device's -locked mode).
type lockedUntilAsked struct {
	approvingUI
	unlocked bool
}

func (u *lockedUntilAsked) Locked() bool { u.mu.Lock(); defer u.mu.Unlock(); return !u.unlocked }
func (u *lockedUntilAsked) Unlock(context.Context) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.unlocked = true
	return nil
}

// TestGoldenDeviceConnect replays what @trezor/connect 9.7.3 itself (its
// public API, random keys) exchanged with the study device: pairing,
// getFeatures and ethereumSignMessage, a second process reconnecting with
// the saved credential, and a locked device (DEVICE_LOCKED, then a new
// channel with try_to_unlock). Given the device's logged randomness, ours
// answers byte for byte.
func TestGoldenDeviceConnect(t *testing.T) {
	for _, tc := range []struct {
		file    string
		locked  bool
		screens []string
	}{
		{"04-connect-pair-reconnect.jsonl", false, []string{ScreenPairingRequest, ScreenConnectionRequest}},
		{"05-connect-locked.jsonl", true, []string{ScreenPairingRequest}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			tr := loadTranscript(t, tc.file)
			synctest.Test(t, func(t *testing.T) {
				s := newScript(tr.packets, false)
				plain := &approvingUI{}
				locked := &lockedUntilAsked{}
				var ui DeviceUI = plain
				if tc.locked {
					ui = locked
				}
				credKey := sha256.Sum256(append([]byte("thpstub credential key"), fixtureDeviceStatic...))
				d, err := NewDevice(DeviceConfig{
					StaticKey:     mustKey(t, fixtureDeviceStatic),
					CredentialKey: credKey[:],
					Properties:    fixtureProperties,
					UI:            ui,
					App:           newRecordedApp(t, tr.app),
					FirstChannel:  0x1234,
					Rand:          loggedDraws(t, tc.file),
				})
				if err != nil {
					t.Fatal(err)
				}
				if err := d.Serve(context.Background(), s); !errors.Is(err, errScriptEnd) {
					t.Fatalf("serve: %v", err)
				}
				s.check(t)
				screens := plain.screens
				if tc.locked {
					screens = locked.screens
					if !locked.unlocked {
						t.Error("the device was never unlocked")
					}
				}
				if strings.Join(screens, ",") != strings.Join(tc.screens, ",") {
					t.Errorf("screens %v, want %v", screens, tc.screens)
				}
			})
		})
	}
}

// The first packets with try_to_unlock set, as @trezor/protocol 1.3.1
// encodes them (fixtures 06-first-packets).
func TestFirstPacketsTryToUnlock(t *testing.T) {
	tr := loadTranscript(t, "01-codeentry.jsonl")
	pad := func(h string) []byte {
		p := make([]byte, PacketSize)
		copy(p, mustHex(h))
		return p
	}
	events := []event{
		{in: true, pkt: pad("40ffff000c001122334455667796643c6c")},
		tr.packets[3], // the allocation response: channel 0x1234, the fixture's properties
		{in: true, pkt: pad("001234002504bcd2e0d00f2cce5fe8f1c6c2fbec5c07fa56e3aa5c88a5689975d88b3fce05013c33a9e2")},
	}
	if events[1].in || events[1].pkt[0] != ctlAllocResp {
		t.Fatal("the transcript's fourth packet is not the allocation response")
	}
	synctest.Test(t, func(t *testing.T) {
		s := newScript(events, true)
		var rnd bytes.Buffer
		rnd.Write(fixtureNonce)
		rnd.Write(fixtureHostE)
		_, err := Connect(context.Background(), s, HostConfig{StaticKey: mustKey(t, fixtureHostStatic), TryToUnlock: true, Rand: &rnd})
		if !errors.Is(err, errScriptEnd) {
			t.Fatalf("connect: %v", err)
		}
		s.check(t)
	})
}
