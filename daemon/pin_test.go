package daemon

import (
	"context"
	"testing"
	"time"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/trezor"
)

// trezorWallets serves one emulated Trezor through the real Trezor driver.
type trezorWallets struct{ emu *emulator.Trezor }

func (w trezorWallets) Devices(context.Context) ([]hwwallet.DeviceInfo, error) {
	return []hwwallet.DeviceInfo{w.emu.Info()}, nil
}

func (w trezorWallets) Open(_ context.Context, _ string, p hwwallet.Prompter) (hwwallet.Wallet, error) {
	return trezor.Open(w.emu.Transport(), w.emu.Info(), p)
}

// TestWalletUnlockAnswersTrezorPIN: a Trezor One asks for its PIN during
// the approval; wallet_unlock with the matrix positions lets it proceed,
// and wrong positions fail with CodePINNeeded.
func TestWalletUnlockAnswersTrezorPIN(t *testing.T) {
	for _, tt := range []struct {
		name, typed string
		want        int
	}{
		{"right PIN", "1234", 0},
		{"wrong PIN", "9999", rpcapi.CodePINNeeded},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b := emulator.NewBehaviour()
			b.SetPIN("1234")
			b.SetLocked(true)
			matrices := make(chan string, 4)
			b.OnPrompt(func(p emulator.Prompt) {
				if p.Kind == emulator.PromptPIN {
					matrices <- p.Text
				}
			})
			emu, err := emulator.NewTrezor(emulator.TrezorTestMnemonic, b, emulator.TrezorOne)
			if err != nil {
				t.Fatal(err)
			}
			defer emu.Close()
			cfg := devConfig(t)
			cfg.Dev = false
			td := startDaemon(t, cfg, Options{Wallets: trezorWallets{emu: emu}})

			errc := make(chan error, 1)
			var st rpcapi.SessionStatus
			go func() { errc <- call(t, dial(t, td.sock), &st, "lit_startSession") }()
			var matrix string
			select {
			case matrix = <-matrices:
			case <-time.After(10 * time.Second):
				t.Fatal("the Trezor did not show a PIN matrix")
			}
			positions, err := emulator.TrezorPINPositions(matrix, tt.typed)
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the PIN request", td.pin.Pending)
			if err := call(t, dial(t, td.sock), nil, "wallet_unlock", positions); err != nil {
				t.Fatalf("wallet_unlock: %v", err)
			}
			err = <-errc
			if got := codeOf(err); got != tt.want {
				t.Fatalf("startSession: code %d (%v), want %d", got, err, tt.want)
			}
			if tt.want == 0 && st.State != "active" {
				t.Fatalf("status %+v", st)
			}
		})
	}
}
