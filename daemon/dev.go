package daemon

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/ledger"
	"github.com/litsigner/litsigner/lit/devnet"
)

// DevSeed makes the --dev devnet's PKP the same on every run, so a README
// can show its public key.
const DevSeed = "litsignerd --dev"

// devWallets is the --dev "hardware": one emulated Ledger (Speculos seed)
// driven through the real Ledger driver over an in-memory USB cable.
type devWallets struct {
	emu *emulator.Ledger
}

// newDevLedger returns an emulated Ledger that approves everything and
// logs the text it displays, standing in for the user reading the screen.
func newDevLedger(log *slog.Logger) (*emulator.Ledger, error) {
	b := emulator.NewBehaviour()
	b.OnPrompt(func(p emulator.Prompt) {
		log.Info("emulated Ledger shows a prompt and approves it", "title", p.Title, "kind", string(p.Kind), "text", p.Text)
	})
	emu, err := emulator.NewLedger(emulator.SpeculosMnemonic, b)
	if err != nil {
		return nil, fmt.Errorf("dev: emulated ledger: %w", err)
	}
	return emu, nil
}

// Devices lists the emulated Ledger.
func (d devWallets) Devices(context.Context) ([]hwwallet.DeviceInfo, error) {
	return []hwwallet.DeviceInfo{d.emu.Info()}, nil
}

// Open plugs the emulator in and opens it with the Ledger driver.
func (d devWallets) Open(_ context.Context, id string, _ hwwallet.Prompter) (hwwallet.Wallet, error) {
	if id != d.emu.Info().ID {
		return nil, fmt.Errorf("dev: device %q: %w", id, hwwallet.ErrNoDevice)
	}
	w, err := ledger.Open(d.emu.Transport(), d.emu.Info())
	if err != nil {
		return nil, fmt.Errorf("dev: open emulated ledger: %w", err)
	}
	return w, nil
}

// startDevnet starts the in-process devnet of --dev.
func startDevnet(ctx context.Context, port, nodes int) (*devnet.Network, error) {
	n, err := devnet.Start(ctx, devnet.Config{BasePort: port, Seed: DevSeed, Nodes: nodes})
	if err != nil {
		return nil, fmt.Errorf("dev: devnet on port %d: %w", port, err)
	}
	return n, nil
}
