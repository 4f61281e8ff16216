package ledger

import (
	"context"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/internal/vectors"
	"github.com/litsigner/litsigner/hwwallet/leaktest"
)

// newEmulated opens the driver on a fresh emulated Ledger.
func newEmulated(t *testing.T, mnemonic string) (*Device, *emulator.Ledger) {
	t.Helper()
	emu, err := emulator.NewLedger(mnemonic, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Open(emu.Transport(), emu.Info())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		d.Close()
		emu.Close()
	})
	return d, emu
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestEmulatedAddresses(t *testing.T) {
	v, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range v.Addresses {
		t.Run(tc.Mnemonic+" "+tc.Path, func(t *testing.T) {
			d, _ := newEmulated(t, v.Mnemonics[tc.Mnemonic])
			addr, err := d.Address(testCtx(t), mustPath(t, tc.Path))
			if err != nil {
				t.Fatal(err)
			}
			if addr != common.HexToAddress(tc.Address) {
				t.Fatalf("address %s, want %s", addr.Hex(), tc.Address)
			}
		})
	}
}

// TestPublishedPersonalSign reproduces app-ethereum's test_personal_sign_metamask
// through the driver and the emulator (RFC 6979 signatures are deterministic).
func TestPublishedPersonalSign(t *testing.T) {
	v, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(v.LedgerPersonalSign) == 0 {
		t.Fatal("no personal_sign vectors")
	}
	for _, tc := range v.LedgerPersonalSign {
		t.Run(tc.Message, func(t *testing.T) {
			defer leaktest.Check(t)()
			d, emu := newEmulated(t, v.Mnemonics[tc.Mnemonic])
			var shown []emulator.Prompt
			emu.Behaviour().OnPrompt(func(p emulator.Prompt) { shown = append(shown, p) })
			sig, signer, err := d.SignPersonalMessage(testCtx(t), mustPath(t, tc.Path), []byte(tc.Message))
			if err != nil {
				t.Fatal(err)
			}
			want := tc.R + tc.S + hex.EncodeToString([]byte{tc.V})
			if got := hex.EncodeToString(sig); got != want {
				t.Fatalf("signature\n got %s\nwant %s", got, want)
			}
			if signer != common.HexToAddress(v.Addresses[0].Address) {
				t.Fatalf("signer %s", signer.Hex())
			}
			if len(shown) != 1 || shown[0].Kind != emulator.PromptSignMessage || shown[0].Text != tc.Message {
				t.Fatalf("prompts shown: %+v", shown)
			}
			d.Close()
			emu.Close()
		})
	}
}

func TestLongMessagesAndHexDisplay(t *testing.T) {
	d, emu := newEmulated(t, emulator.SpeculosMnemonic)
	var text string
	emu.Behaviour().OnPrompt(func(p emulator.Prompt) { text = p.Text })
	path := accounts.DefaultBaseDerivationPath
	for _, msg := range [][]byte{{}, make([]byte, 231), []byte("caf\xc3\xa9"), make([]byte, 5000)} {
		sig, signer, err := d.SignPersonalMessage(testCtx(t), path, msg)
		if err != nil {
			t.Fatalf("%d bytes: %v", len(msg), err)
		}
		if err := hwwallet.CheckPersonalSignature(msg, sig, signer); err != nil {
			t.Fatal(err)
		}
	}
	if text != "0x"+hex.EncodeToString(make([]byte, 5000)) {
		t.Errorf("binary message not shown as hex: %.20q", text)
	}
	d.SignPersonalMessage(testCtx(t), path, []byte("caf\xc3\xa9"))
	if text != "0x636166c3a9" {
		t.Errorf("non-ASCII message shown as %q, want hex", text)
	}
}

// TestBehaviours runs every scripted user/device state to its typed error.
func TestBehaviours(t *testing.T) {
	path := accounts.DefaultBaseDerivationPath
	for _, tc := range []struct {
		name    string
		script  func(b *emulator.Behaviour)
		giveUp  bool // cancel the call once the prompt is on screen
		want    error
		prompts int
	}{
		{"approve", func(b *emulator.Behaviour) {}, false, nil, 1},
		{"approve after delay", func(b *emulator.Behaviour) { b.SetDelay(50 * time.Millisecond) }, false, nil, 1},
		{"reject", func(b *emulator.Behaviour) { b.SetAction(emulator.Reject) }, false, hwwallet.ErrUserRejected, 1},
		{"reject after delay", func(b *emulator.Behaviour) { b.SetAction(emulator.Reject); b.SetDelay(30 * time.Millisecond) }, false, hwwallet.ErrUserRejected, 1},
		{"locked", func(b *emulator.Behaviour) { b.SetLocked(true) }, false, hwwallet.ErrLocked, 0},
		{"app closed", func(b *emulator.Behaviour) { b.SetAppClosed(true) }, false, hwwallet.ErrAppNotOpen, 0},
		{"never answers, caller gives up", func(b *emulator.Behaviour) { b.SetAction(emulator.NeverAnswer) }, true, context.Canceled, 1},
		{"unplugged after the first report", func(b *emulator.Behaviour) { b.UnplugAfterReports(1) }, false, hwwallet.ErrDisconnected, 0},
		{"unplugged mid-exchange", func(b *emulator.Behaviour) { b.UnplugAfterReports(5) }, false, hwwallet.ErrDisconnected, 0},
		{"unplugged while prompting", func(b *emulator.Behaviour) { b.SetAction(emulator.NeverAnswer); b.UnplugAfterReports(7) }, false, hwwallet.ErrDisconnected, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer leaktest.Check(t)()
			b := emulator.NewBehaviour()
			tc.script(b)
			emu, err := emulator.NewLedger(emulator.SpeculosMnemonic, b)
			if err != nil {
				t.Fatal(err)
			}
			defer emu.Close()
			d, _ := Open(emu.Transport(), emu.Info())
			defer d.Close()
			ctx := testCtx(t)
			if tc.giveUp {
				// Give up once the prompt is shown, not after a fixed time
				// that a loaded machine may need just to get there.
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				defer cancel()
				b.OnPrompt(func(emulator.Prompt) { cancel() })
			}
			sig, _, err := d.SignPersonalMessage(ctx, path, []byte("hello"))
			if !errors.Is(err, tc.want) || (tc.want == nil) != (sig != nil) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if tc.prompts > 0 && b.PromptsOf(emulator.PromptSignMessage) != tc.prompts {
				t.Errorf("%d prompts, want %d", b.PromptsOf(emulator.PromptSignMessage), tc.prompts)
			}
		})
	}
}

// TestAbandonedExchangeRecovers: the caller gives up while the device
// prompts; the user approves late; the next request must not take the
// stale reply for its own.
func TestAbandonedExchangeRecovers(t *testing.T) {
	defer leaktest.Check(t)()
	b := emulator.NewBehaviour()
	b.SetAction(emulator.NeverAnswer)
	prompted := make(chan struct{}, 2)
	b.OnPrompt(func(emulator.Prompt) { prompted <- struct{}{} })
	emu, _ := emulator.NewLedger(emulator.SpeculosMnemonic, b)
	defer emu.Close()
	tr := &heldTransport{Transport: emu.Transport()}
	d, _ := Open(tr, emu.Info())
	defer d.Close()
	path := accounts.DefaultBaseDerivationPath

	ctx, cancel := context.WithCancel(testCtx(t))
	go func() {
		select {
		case <-prompted:
		case <-ctx.Done():
		}
		cancel()
	}()
	if _, _, err := d.SignPersonalMessage(ctx, path, []byte("first")); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled sign: %v", err)
	}
	b.SetAction(emulator.Approve) // the user approves the abandoned prompt
	// The stale reply (65 bytes + status word: two reports) is now on its
	// way; wait until both reports are in before the next request.
	if err := tr.hold(testCtx(t), 2); err != nil {
		t.Fatalf("the stale reply never arrived: %v", err)
	}
	sig, signer, err := d.SignPersonalMessage(testCtx(t), path, []byte("second"))
	if err != nil {
		t.Fatal(err)
	}
	if err := hwwallet.CheckPersonalSignature([]byte("second"), sig, signer); err != nil {
		t.Fatal(err)
	}
	if n := tr.held(); n != 0 {
		t.Fatalf("%d stale reports were never read", n)
	}
}

// heldTransport can read reports ahead (hold) and hands them out first, so
// a test can wait for a device's reply without consuming it.
type heldTransport struct {
	hwwallet.Transport
	mu      sync.Mutex
	pending [][]byte
}

func (h *heldTransport) hold(ctx context.Context, n int) error {
	for range n {
		r, err := h.Transport.ReadReport(ctx)
		if err != nil {
			return err
		}
		h.mu.Lock()
		h.pending = append(h.pending, r)
		h.mu.Unlock()
	}
	return nil
}

func (h *heldTransport) held() int { h.mu.Lock(); defer h.mu.Unlock(); return len(h.pending) }

func (h *heldTransport) ReadReport(ctx context.Context) ([]byte, error) {
	h.mu.Lock()
	if len(h.pending) > 0 {
		r := h.pending[0]
		h.pending = h.pending[1:]
		h.mu.Unlock()
		return r, nil
	}
	h.mu.Unlock()
	return h.Transport.ReadReport(ctx)
}

// TestRetryAfterCommandNotAllowed leaves the app mid-flow (a first chunk of
// a two-chunk message without its continuation) and checks that the driver
// recovers through the 0x6980 retry.
func TestRetryAfterCommandNotAllowed(t *testing.T) {
	d, _ := newEmulated(t, emulator.SpeculosMnemonic)
	ctx := testCtx(t)
	path := accounts.DefaultBaseDerivationPath
	chunks, _ := signPersonalAPDUs(path, make([]byte, 600))
	if err := d.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.exchange(ctx, chunks[0]); err != nil {
		t.Fatal(err)
	}
	// A second first chunk is refused while mid-flow...
	_, err := d.exchange(ctx, chunks[0])
	var se *StatusError
	if !errors.As(err, &se) || se.SW != SWCommandNotAllowed {
		t.Fatalf("second first chunk: %v, want 0x6980", err)
	}
	// ...which resets the app: the retry path of sendChunks succeeds.
	if _, err := d.exchange(ctx, chunks[0]); err != nil {
		t.Fatal(err)
	}
	_, err = d.sendChunks(ctx, chunks)
	if !errors.As(err, &se) || se.SW != SWCommandNotAllowed {
		t.Fatalf("mid-flow sendChunks: %v, want 0x6980", err)
	}
	reply, err := d.sendChunks(ctx, chunks)
	d.release()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := parseSignature(reply); err != nil {
		t.Fatal(err)
	}
}

func TestAppInfoAndClose(t *testing.T) {
	d, emu := newEmulated(t, emulator.SpeculosMnemonic)
	ctx := testCtx(t)
	name, version, err := d.App(ctx)
	if err != nil || name != "Ethereum" || version != "1.19.1" {
		t.Fatalf("App() = %q %q %v", name, version, err)
	}
	v, err := d.AppConfiguration(ctx)
	if err != nil || v.String() != "1.19.1" {
		t.Fatalf("AppConfiguration() = %v %v", v, err)
	}
	emu.Behaviour().SetAppClosed(true)
	if name, _, err := d.App(ctx); err != nil || name != "BOLOS" {
		t.Fatalf("dashboard App() = %q %v", name, err)
	}
	if _, err := d.Address(ctx, accounts.DefaultBaseDerivationPath); !errors.Is(err, hwwallet.ErrAppNotOpen) {
		t.Fatalf("address on dashboard: %v", err)
	}
	d.Close()
	if _, err := d.Address(ctx, accounts.DefaultBaseDerivationPath); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}

// TestWaitingCallerHonoursContext: while one caller waits for the user,
// another one's context still bounds its wait for the device; Close ends
// the pending exchange.
func TestWaitingCallerHonoursContext(t *testing.T) {
	defer leaktest.Check(t)()
	d, emu := newEmulated(t, emulator.SpeculosMnemonic)
	emu.Behaviour().SetAction(emulator.NeverAnswer)
	prompted := make(chan struct{}, 1)
	emu.Behaviour().OnPrompt(func(emulator.Prompt) { prompted <- struct{}{} })
	path := accounts.DefaultBaseDerivationPath
	done := make(chan error)
	go func() {
		_, _, err := d.SignPersonalMessage(context.Background(), path, []byte("waits"))
		done <- err
	}()
	select {
	case <-prompted:
	case <-time.After(10 * time.Second):
		t.Fatal("the device never prompted")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := d.Address(ctx, path); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("second caller: %v", err)
	}
	d.Close()
	if err := <-done; err == nil {
		t.Fatal("pending sign survived Close")
	}
	emu.Close()
}
