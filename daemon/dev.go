package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/hub"
	"github.com/litsigner/litsigner/lit/devnet"
)

// DevSeed makes the --dev devnet's PKP the same on every run, so a README
// can show its public key.
const DevSeed = "litsignerd --dev"

// newWalletHub returns the hardware-wallet hub: USB devices, plus the
// emulators when the configured device is one (e.g. "emulator:ledger"),
// or only the network emulator the configured device names.
func newWalletHub(cfg Config, log *slog.Logger) (*hub.Hub, error) {
	// An emulator on the network (speculos:, trezor-udp:) needs no USB bus,
	// which CI machines often lack.
	h, err := hub.New(hub.Options{Emulators: strings.HasPrefix(cfg.Device, "emulator:"), NoUSB: hub.IsNetworkID(cfg.Device), Logger: log})
	if err != nil {
		return nil, fmt.Errorf("daemon: wallets: %w", err)
	}
	return h, nil
}

// newDevHub is the --dev "hardware": the emulated Ledger (Speculos seed)
// driven through the real Ledger driver, no USB. Its behaviour approves
// everything and logs the text the device displays, standing in for the
// user reading the screen.
func newDevHub(log *slog.Logger) (*hub.Hub, *emulator.Behaviour, error) {
	b := emulator.NewBehaviour()
	b.OnPrompt(func(p emulator.Prompt) {
		log.Info("emulated device shows a prompt and approves it", "title", p.Title, "kind", string(p.Kind), "text", p.Text)
	})
	h, err := hub.New(hub.Options{Emulators: true, NoUSB: true, EmulatorBehaviour: b, Logger: log})
	if err != nil {
		return nil, nil, fmt.Errorf("dev: emulated ledger: %w", err)
	}
	return h, b, nil
}

// startDevnet starts the in-process devnet of --dev.
func startDevnet(ctx context.Context, port, nodes int) (*devnet.Network, error) {
	n, err := devnet.Start(ctx, devnet.Config{BasePort: port, Seed: DevSeed, Nodes: nodes})
	if err != nil {
		return nil, fmt.Errorf("dev: devnet on port %d: %w", port, err)
	}
	return n, nil
}
