package trezor

import (
	"context"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/internal/vectors"
)

// rig is one emulated Trezor with the driver opened on it.
type rig struct {
	emu *emulator.Trezor
	b   *emulator.Behaviour
	dev *Device
}

// newRig starts an emulator and opens the driver on it; cleanup closes
// both and fails the test if the emulator's goroutines do not stop.
func newRig(t *testing.T, model string, b *emulator.Behaviour, p hwwallet.Prompter) *rig {
	t.Helper()
	if b == nil {
		b = emulator.NewBehaviour()
	}
	emu, err := emulator.NewTrezor(emulator.TrezorTestMnemonic, b, model)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopEmulator(t, emu) })
	dev, err := Open(emu.Transport(), emu.Info(), p)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { dev.Close() })
	return &rig{emu: emu, b: b, dev: dev}
}

// stopEmulator closes the cable and checks that no emulator goroutine is
// left behind.
func stopEmulator(t *testing.T, emu *emulator.Trezor) {
	t.Helper()
	emu.Transport().Close()
	select {
	case <-emu.Done():
	case <-time.After(5 * time.Second):
		t.Error("emulator goroutines still running after the cable was cut")
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestVectors(t *testing.T) {
	v, err := vectors.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, model := range []string{emulator.TrezorOne, emulator.TrezorT, emulator.TrezorSafe3} {
		t.Run(model, func(t *testing.T) {
			r := newRig(t, model, nil, nil)
			ctx := testCtx(t)
			for _, a := range v.Addresses {
				if a.Mnemonic != "trezor_all" {
					continue
				}
				path, err := accounts.ParseDerivationPath(a.Path)
				if err != nil {
					t.Fatal(err)
				}
				got, err := r.dev.Address(ctx, path)
				if err != nil || got != common.HexToAddress(a.Address) {
					t.Fatalf("address %s = %s, %v; want %s", a.Path, got.Hex(), err, a.Address)
				}
			}
			for _, s := range v.TrezorSignMessage {
				path, _ := accounts.ParseDerivationPath(s.Path)
				sig, signer, err := r.dev.SignPersonalMessage(ctx, path, []byte(s.Message))
				if err != nil {
					t.Fatalf("sign %q: %v", s.Message, err)
				}
				if got := hex.EncodeToString(sig); got != s.Signature {
					t.Fatalf("sign %q\n got %s\nwant %s", s.Message, got, s.Signature)
				}
				if signer != common.HexToAddress("0x73d0385F4d8E00C5e6504C6030F47BF6212736A8") {
					t.Fatalf("signer %s", signer.Hex())
				}
			}
			wantModel := map[string]string{"1": "Trezor One", "T": "Model T", "Safe 3": "Safe 3"}[model]
			if f := r.dev.Features(); f.Model != model || !f.Unlocked || r.dev.Info().Model != wantModel || r.dev.Info().Vendor != hwwallet.VendorTrezor {
				t.Fatalf("features %+v info %+v", f, r.dev.Info())
			}
		})
	}
}

func TestUserBehaviour(t *testing.T) {
	msg := []byte("This is an example of a signed message.")
	tests := []struct {
		name    string
		script  func(b *emulator.Behaviour)
		timeout time.Duration
		want    error
		code    FailureCode
	}{
		{name: "approve", script: func(*emulator.Behaviour) {}},
		{name: "approve after delay", script: func(b *emulator.Behaviour) { b.SetDelay(150 * time.Millisecond) }},
		{name: "reject", script: func(b *emulator.Behaviour) { b.SetAction(emulator.Reject) },
			want: hwwallet.ErrUserRejected, code: FailureActionCancelled},
		{name: "reject after delay", script: func(b *emulator.Behaviour) {
			b.SetAction(emulator.Reject)
			b.SetDelay(100 * time.Millisecond)
		}, want: hwwallet.ErrUserRejected, code: FailureActionCancelled},
		{name: "never answer, context ends", script: func(b *emulator.Behaviour) { b.SetAction(emulator.NeverAnswer) },
			timeout: 300 * time.Millisecond, want: context.DeadlineExceeded},
		{name: "slow user, context ends", script: func(b *emulator.Behaviour) { b.SetDelay(time.Hour) },
			timeout: 200 * time.Millisecond, want: context.DeadlineExceeded},
	}
	// Each case runs in a synctest bubble: delays and deadlines are exact
	// and cost no wall-clock time.
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				r := newRig(t, emulator.TrezorT, nil, nil)
				tc.script(r.b)
				ctx := testCtx(t)
				if tc.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.timeout)
					defer cancel()
				}
				sig, _, err := r.dev.SignPersonalMessage(ctx, hwwallet.DefaultPath, msg)
				if tc.want == nil {
					if err != nil || len(sig) != 65 {
						t.Fatalf("sign: %v", err)
					}
					return
				}
				if !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
				if r.dev.resync {
					t.Fatal("the device did not answer the Cancel")
				}
				var fe *FailureError
				if tc.code != 0 && (!errors.As(err, &fe) || fe.Code != tc.code) {
					t.Fatalf("err = %v, want failure code %d", err, tc.code)
				}
				// The device is back in step: the next exchange works.
				r.b.SetAction(emulator.Approve)
				r.b.SetDelay(0)
				if _, _, err := r.dev.SignPersonalMessage(testCtx(t), hwwallet.DefaultPath, msg); err != nil {
					t.Fatalf("sign after %s: %v", tc.name, err)
				}
			})
		})
	}
}

func TestUnpluggedMidExchange(t *testing.T) {
	for _, model := range []string{emulator.TrezorOne, emulator.TrezorT} {
		t.Run(model, func(t *testing.T) {
			r := newRig(t, model, nil, nil)
			r.b.OnPrompt(func(p emulator.Prompt) {
				if p.Kind == emulator.PromptSignMessage {
					r.emu.Pipe().Unplug()
				}
			})
			_, _, err := r.dev.SignPersonalMessage(testCtx(t), hwwallet.DefaultPath, []byte("bye"))
			if !errors.Is(err, hwwallet.ErrDisconnected) {
				t.Fatalf("err = %v, want ErrDisconnected", err)
			}
			if _, err := r.dev.Address(testCtx(t), hwwallet.DefaultPath); !errors.Is(err, hwwallet.ErrDisconnected) {
				t.Fatalf("after unplug: %v", err)
			}
		})
	}
}

func TestUnplugAfterReports(t *testing.T) {
	// Open takes 2 reports (Initialize, Features); the sign exchange dies
	// in the middle of its second request.
	b := emulator.NewBehaviour()
	r := newRig(t, emulator.TrezorOne, b, nil)
	b.UnplugAfterReports(r.emu.Pipe().Reports() + 3)
	_, _, err := r.dev.SignPersonalMessage(testCtx(t), hwwallet.DefaultPath, make([]byte, 300))
	if !errors.Is(err, hwwallet.ErrDisconnected) {
		t.Fatalf("err = %v, want ErrDisconnected", err)
	}
}

func TestTHPModel(t *testing.T) {
	for _, tc := range []struct {
		name  string
		model string
		thp   bool
	}{
		{"safe 7", emulator.TrezorSafe7, false},
		{"behaviour THP", emulator.TrezorT, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := emulator.NewBehaviour()
			b.SetTHP(tc.thp)
			emu, err := emulator.NewTrezor(emulator.TrezorTestMnemonic, b, tc.model)
			if err != nil {
				t.Fatal(err)
			}
			defer stopEmulator(t, emu)
			_, err = Open(emu.Transport(), emu.Info(), nil)
			var fe *FailureError
			if !errors.Is(err, hwwallet.ErrUnsupportedModel) || !errors.As(err, &fe) || fe.Code != FailureInvalidProtocol {
				t.Fatalf("open: %v, want ErrUnsupportedModel with failure 17", err)
			}
		})
	}
}

func TestMessageTooLarge(t *testing.T) {
	r := newRig(t, emulator.TrezorOne, nil, nil)
	before := r.emu.Pipe().Reports()
	_, _, err := r.dev.SignPersonalMessage(testCtx(t), hwwallet.DefaultPath, make([]byte, MaxMessageTrezorOne+1))
	if !errors.Is(err, hwwallet.ErrBadRequest) {
		t.Fatalf("err = %v, want ErrBadRequest", err)
	}
	if r.emu.Pipe().Reports() != before {
		t.Fatal("an oversized message reached the device")
	}
	if _, _, err := r.dev.SignPersonalMessage(testCtx(t), hwwallet.DefaultPath, make([]byte, MaxMessageTrezorOne)); err != nil {
		t.Fatalf("1024 bytes: %v", err)
	}
	if _, err := r.dev.Address(testCtx(t), accounts.DerivationPath{}); !errors.Is(err, hwwallet.ErrBadRequest) {
		t.Fatalf("empty path: %v", err)
	}
	// A path the firmware refuses comes back as DataError.
	if _, err := r.dev.Address(testCtx(t), accounts.DerivationPath{0x80000000 + 84, 0x80000000}); !errors.Is(err, hwwallet.ErrBadRequest) {
		t.Fatalf("forbidden path: %v", err)
	}
}

func TestConcurrentCallsAreSerialized(t *testing.T) {
	r := newRig(t, emulator.TrezorT, nil, nil)
	r.b.SetDelay(20 * time.Millisecond)
	ctx := testCtx(t)
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := accounts.DerivationPath{0x8000002c, 0x8000003c, 0x80000000, 0, uint32(i)}
			addr, err := r.dev.Address(ctx, path)
			if err != nil {
				errs <- err
				return
			}
			_, signer, err := r.dev.SignPersonalMessage(ctx, path, []byte{byte(i)})
			if err == nil && signer != addr {
				err = errors.New("signer differs from address")
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestClosedDevice(t *testing.T) {
	r := newRig(t, emulator.TrezorT, nil, nil)
	r.b.SetAction(emulator.NeverAnswer)
	prompted := make(chan struct{}, 1)
	r.b.OnPrompt(func(p emulator.Prompt) {
		if p.Kind == emulator.PromptSignMessage {
			prompted <- struct{}{}
		}
	})
	done := make(chan error, 1)
	go func() {
		_, _, err := r.dev.SignPersonalMessage(testCtx(t), hwwallet.DefaultPath, []byte("x"))
		done <- err
	}()
	// Close while the exchange waits for the user: it must return.
	select {
	case <-prompted:
	case <-time.After(10 * time.Second):
		t.Fatal("the device never asked to sign")
	}
	if err := r.dev.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("pending call: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("pending call did not return after Close")
	}
	if _, err := r.dev.Address(testCtx(t), hwwallet.DefaultPath); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}

func TestOpenNeverAnswers(t *testing.T) {
	// A cable with nothing at the other end: OpenContext gives up.
	silent := emulator.NewPipe(nil)
	defer silent.Host().Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := OpenContext(ctx, silent.Host(), hwwallet.DeviceInfo{}, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("open: %v", err)
	}
}

func TestResynchronize(t *testing.T) {
	// A previous exchange left a stale half reply in the queue (the
	// device end writes it directly): the next call first resynchronizes
	// with GetFeatures, skips the garbage and then works.
	r := newRig(t, emulator.TrezorT, nil, nil)
	stale := encodeMessage(msgEthereumMessageSignature, make([]byte, 200))[0]
	if err := r.emu.Pipe().Device().WriteReport(testCtx(t), stale); err != nil {
		t.Fatal(err)
	}
	r.dev.resync = true
	addr, err := r.dev.Address(testCtx(t), hwwallet.DefaultPath)
	if err != nil || addr != common.HexToAddress("0x73d0385F4d8E00C5e6504C6030F47BF6212736A8") {
		t.Fatalf("address after resync: %s, %v", addr.Hex(), err)
	}
	if r.dev.resync {
		t.Fatal("still marked out of step")
	}
}
