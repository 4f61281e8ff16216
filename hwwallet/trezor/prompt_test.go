package trezor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/emulator"
)

// matrixUser plays a user who reads the PIN matrix on the emulated
// device's screen and types positions on the host's blank keypad.
type matrixUser struct {
	mu         sync.Mutex
	matrix     string
	pin        string // what the user believes the PIN is
	positions  string // if set, typed verbatim instead
	err        error  // if set, PIN returns it
	pass       string
	onDevice   bool
	passErr    error
	pinAsked   int
	passAsked  int
	canOnDevic bool
}

func (u *matrixUser) watch(p emulator.Prompt) {
	if p.Kind == emulator.PromptPIN && p.Text != "" {
		u.mu.Lock()
		u.matrix = p.Text
		u.mu.Unlock()
	}
}

func (u *matrixUser) PIN(ctx context.Context, dev hwwallet.DeviceInfo) (string, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.pinAsked++
	if u.err != nil {
		return "", u.err
	}
	if u.positions != "" {
		return u.positions, nil
	}
	return emulator.TrezorPINPositions(u.matrix, u.pin)
}

func (u *matrixUser) Passphrase(ctx context.Context, dev hwwallet.DeviceInfo, canOnDevice bool) (string, bool, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.passAsked++
	u.canOnDevic = canOnDevice
	return u.pass, u.onDevice, u.passErr
}

func TestPINMatrix(t *testing.T) {
	tests := []struct {
		name     string
		user     *matrixUser // nil: no prompter
		want     error
		code     FailureCode
		unlocked bool
	}{
		{name: "right PIN", user: &matrixUser{pin: "1234"}, unlocked: true},
		{name: "long PIN", user: &matrixUser{pin: "1234"}, unlocked: true},
		{name: "wrong PIN", user: &matrixUser{pin: "4321"}, want: hwwallet.ErrPINInvalid, code: FailurePinInvalid},
		{name: "no prompter", want: hwwallet.ErrPINNeeded},
		{name: "prompter has no PIN", user: &matrixUser{err: fmt.Errorf("no UI: %w", hwwallet.ErrPINNeeded)}, want: hwwallet.ErrPINNeeded},
		{name: "user gives up", user: &matrixUser{err: context.Canceled}, want: context.Canceled},
		{name: "not positions", user: &matrixUser{positions: "12a4"}, want: hwwallet.ErrPINInvalid},
		{name: "position 0", user: &matrixUser{positions: "1204"}, want: hwwallet.ErrPINInvalid},
		{name: "too long", user: &matrixUser{positions: strings.Repeat("1", 51)}, want: hwwallet.ErrPINInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := emulator.NewBehaviour()
			b.SetPIN("1234")
			if tc.name == "long PIN" {
				b.SetPIN(strings.Repeat("1234", 10))
				tc.user.pin = b.PIN()
			}
			b.SetLocked(true)
			var p hwwallet.Prompter
			if tc.user != nil {
				b.OnPrompt(tc.user.watch)
				p = tc.user
			}
			r := newRig(t, emulator.TrezorOne, b, p)
			if r.dev.Features().Unlocked || !r.dev.Features().PINProtection {
				t.Fatalf("features before PIN: %+v", r.dev.Features())
			}
			_, _, err := r.dev.SignPersonalMessage(testCtx(t), hwwallet.DefaultPath, []byte("MsgLenIs9"))
			if tc.want == nil && err != nil {
				t.Fatalf("sign: %v", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			var fe *FailureError
			if tc.code != 0 && (!errors.As(err, &fe) || fe.Code != tc.code) {
				t.Fatalf("err = %v, want failure %d", err, tc.code)
			}
			if b.Locked() == tc.unlocked || r.dev.Features().Unlocked != tc.unlocked {
				t.Fatalf("device locked = %v, driver's Features.Unlocked = %v", b.Locked(), r.dev.Features().Unlocked)
			}
			if f, err := r.dev.RefreshFeatures(testCtx(t)); err != nil || f.Unlocked != tc.unlocked {
				t.Fatalf("refreshed features: %+v, %v", f, err)
			}
			if b.PromptsOf(emulator.PromptPIN) != 1 {
				t.Fatalf("%d PIN matrices shown", b.PromptsOf(emulator.PromptPIN))
			}
			// Whatever happened, the device is in step for a retry with
			// the right PIN.
			if !tc.unlocked {
				u := &matrixUser{pin: b.PIN()}
				b.OnPrompt(u.watch)
				r.dev.prompter = u
				if _, _, err := r.dev.SignPersonalMessage(testCtx(t), hwwallet.DefaultPath, []byte("MsgLenIs9")); err != nil {
					t.Fatalf("retry: %v", err)
				}
			}
		})
	}
}

func TestPINOnDevice(t *testing.T) {
	// Core models take the PIN on their screen: the host sees a
	// ButtonRequest and the Prompter is never asked.
	for _, tc := range []struct {
		action emulator.Action
		want   error
	}{{emulator.Approve, nil}, {emulator.Reject, hwwallet.ErrUserRejected}} {
		t.Run(tc.action.String(), func(t *testing.T) {
			b := emulator.NewBehaviour()
			b.SetLocked(true)
			u := &matrixUser{}
			r := newRig(t, emulator.TrezorSafe3, b, u)
			b.SetAction(tc.action)
			_, err := r.dev.Address(testCtx(t), hwwallet.DefaultPath)
			if !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if u.pinAsked != 0 || b.PromptsOf(emulator.PromptPIN) != 1 {
				t.Fatalf("prompter asked %d, device PIN screens %d", u.pinAsked, b.PromptsOf(emulator.PromptPIN))
			}
		})
	}
}

func TestPassphrase(t *testing.T) {
	addrWith := func(pass string) common.Address {
		k, err := emulator.NewKeyringFromMnemonic(emulator.TrezorTestMnemonic, pass)
		if err != nil {
			t.Fatal(err)
		}
		a, err := k.Address(hwwallet.DefaultPath)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	empty := common.HexToAddress("0x73d0385F4d8E00C5e6504C6030F47BF6212736A8")
	tests := []struct {
		name        string
		model       string
		user        *matrixUser
		devicePass  string
		want        common.Address
		wantErr     error
		canOnDevice bool
	}{
		{name: "empty, Trezor One", model: emulator.TrezorOne, user: &matrixUser{}, want: empty},
		{name: "supplied, Trezor One", model: emulator.TrezorOne, user: &matrixUser{pass: "TREZOR"}, want: addrWith("TREZOR")},
		{name: "supplied, Model T", model: emulator.TrezorT, user: &matrixUser{pass: "TREZOR"}, want: addrWith("TREZOR"), canOnDevice: true},
		{name: "on device", model: emulator.TrezorSafe3, user: &matrixUser{onDevice: true}, devicePass: "typed on screen",
			want: addrWith("typed on screen"), canOnDevice: true},
		{name: "no prompter, device can", model: emulator.TrezorT, devicePass: "x", want: addrWith("x")},
		{name: "no prompter, Trezor One", model: emulator.TrezorOne, want: empty},
		{name: "on device, Trezor One", model: emulator.TrezorOne, user: &matrixUser{onDevice: true}, wantErr: hwwallet.ErrBadRequest},
		{name: "too long", model: emulator.TrezorT, user: &matrixUser{pass: strings.Repeat("p", 51)}, wantErr: hwwallet.ErrBadRequest, canOnDevice: true},
		{name: "prompter fails", model: emulator.TrezorT, user: &matrixUser{passErr: context.Canceled}, wantErr: context.Canceled, canOnDevice: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := emulator.NewBehaviour()
			b.SetPassphraseProtection(true)
			var p hwwallet.Prompter
			if tc.user != nil {
				p = tc.user
			}
			r := newRig(t, tc.model, b, p)
			r.emu.SetDevicePassphrase(tc.devicePass)
			ctx := testCtx(t)
			addr, err := r.dev.Address(ctx, hwwallet.DefaultPath)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil || addr != tc.want {
				t.Fatalf("address %s, %v; want %s", addr.Hex(), err, tc.want.Hex())
			}
			// The passphrase is cached in the session: signing does not ask
			// again and signs with the same wallet.
			_, signer, err := r.dev.SignPersonalMessage(ctx, hwwallet.DefaultPath, []byte("MsgLenIs10"))
			if err != nil || signer != tc.want {
				t.Fatalf("sign: %s, %v", signer.Hex(), err)
			}
			if tc.user != nil && (tc.user.passAsked != 1 || tc.user.canOnDevic != tc.canOnDevice) {
				t.Fatalf("asked %d times, canOnDevice %v", tc.user.passAsked, tc.user.canOnDevic)
			}
		})
	}
}
