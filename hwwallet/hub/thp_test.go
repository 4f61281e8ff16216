package hub

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/emulator/serve"
	"github.com/litsigner/litsigner/hwwallet/internal/vectors"
	"github.com/litsigner/litsigner/hwwallet/trezor/thpstore"
)

// screenReader types the pairing code the emulated Safe 7 shows.
type screenReader struct{ codes chan string }

func newScreenReader(b *emulator.Behaviour) *screenReader {
	r := &screenReader{codes: make(chan string, 4)}
	b.OnPrompt(func(p emulator.Prompt) {
		if p.Kind == emulator.PromptPairingCode {
			r.codes <- p.Text
		}
	})
	return r
}

func (r *screenReader) PairingCode(ctx context.Context, _ hwwallet.DeviceInfo) (string, error) {
	select {
	case c := <-r.codes:
		return c, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (r *screenReader) PIN(context.Context, hwwallet.DeviceInfo) (string, error) {
	return "", hwwallet.ErrPINNeeded
}

func (r *screenReader) Passphrase(context.Context, hwwallet.DeviceInfo, bool) (string, bool, error) {
	return "", false, nil
}

// signVectors signs the Trezor personal-message vectors with w.
func signVectors(t *testing.T, w hwwallet.Wallet) {
	t.Helper()
	v, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range v.TrezorSignMessage {
		path, _ := accounts.ParseDerivationPath(s.Path)
		sig, signer, err := w.SignPersonalMessage(ctx(t), path, []byte(s.Message))
		if err != nil || common.Bytes2Hex(sig) != s.Signature {
			t.Fatalf("%s: sign %q: %x, %v; want %s", w.Info().ID, s.Message, sig, err, s.Signature)
		}
		if signer != common.HexToAddress("0x73d0385F4d8E00C5e6504C6030F47BF6212736A8") {
			t.Fatalf("signer %s", signer.Hex())
		}
	}
}

// TestSafe7Emulator: emulator:trezor-safe7 pairs once (the code read off
// its screen), then reconnects with the stored credential, through the
// hub as the CLI and the daemon use it.
func TestSafe7Emulator(t *testing.T) {
	b := emulator.NewBehaviour()
	r := newScreenReader(b)
	store := thpstore.New(t.TempDir())
	h, err := New(Options{Emulators: true, NoUSB: true, EmulatorBehaviour: b, EmulatorMnemonic: emulator.TrezorTestMnemonic, Pairing: store})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for round := range 2 {
		var p hwwallet.Prompter = r
		if round == 1 {
			p = nil // paired: nothing to ask
		}
		w, err := h.Open(ctx(t), EmulatorTrezorSafe7ID, p)
		if err != nil {
			t.Fatalf("round %d: open: %v", round, err)
		}
		if w.Info().ID != EmulatorTrezorSafe7ID || w.Info().Model != "Safe 7" {
			t.Fatalf("info %+v", w.Info())
		}
		signVectors(t, w)
		w.Close()
	}
	if n := b.PromptsOf(emulator.PromptPairingCode); n != 1 {
		t.Fatalf("%d pairing codes shown, want 1", n)
	}
	// Forgotten pairing: the device needs a code again.
	if _, err := store.Forget(); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Open(ctx(t), EmulatorTrezorSafe7ID, nil); !errors.Is(err, hwwallet.ErrPairingNeeded) {
		t.Fatalf("open after forget: %v, want ErrPairingNeeded", err)
	}
}

// TestSafe7OverUDP: the same through trezor-udp:HOST:PORT, the emulated
// Safe 7 behind ServeUDP as 'litsigner emulator trezor --model safe7'
// serves it.
func TestSafe7OverUDP(t *testing.T) {
	b := emulator.NewBehaviour()
	r := newScreenReader(b)
	tz, err := emulator.NewTrezor(emulator.TrezorTestMnemonic, b, emulator.TrezorSafe7)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- serve.ServeUDP(sctx, pc, tz.Transport(), t.Logf) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
		tz.Close()
	}()
	h, err := New(Options{NoUSB: true, Pairing: thpstore.New(t.TempDir())})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	id := TrezorUDPPrefix + pc.LocalAddr().String()
	for round := range 2 {
		w, err := h.Open(ctx(t), id, r)
		if err != nil {
			t.Fatalf("round %d: open %s: %v", round, id, err)
		}
		signVectors(t, w)
		w.Close()
	}
	if n := b.PromptsOf(emulator.PromptPairingCode); n != 1 {
		t.Fatalf("%d pairing codes shown, want 1", n)
	}
}

// TestNoStateDirectory: without $XDG_STATE_HOME and $HOME a codec v1
// Trezor still opens; only the Safe 7 is unsupported, saying why.
func TestNoStateDirectory(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", "")
	t.Setenv("HOME", "")
	h, err := New(Options{Emulators: true, NoUSB: true})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	w, err := h.Open(ctx(t), EmulatorTrezorID, nil)
	if err != nil {
		t.Fatalf("codec v1 Trezor without a state directory: %v", err)
	}
	w.Close()
	if _, err := h.Open(ctx(t), EmulatorTrezorSafe7ID, nil); !errors.Is(err, hwwallet.ErrUnsupportedModel) {
		t.Fatalf("Safe 7 without a state directory: %v, want ErrUnsupportedModel", err)
	}
}
