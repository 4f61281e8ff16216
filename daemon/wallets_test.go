package daemon

import (
	"context"
	"fmt"

	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/ledger"
)

// devWallets serves one emulated Ledger through the real Ledger driver; unlike
// the hub it lets a test unplug the device mid-exchange.
type devWallets struct {
	emu *emulator.Ledger
}

func (d devWallets) Devices(context.Context) ([]hwwallet.DeviceInfo, error) {
	return []hwwallet.DeviceInfo{d.emu.Info()}, nil
}

func (d devWallets) Open(_ context.Context, id string, _ hwwallet.Prompter) (hwwallet.Wallet, error) {
	if id != d.emu.Info().ID {
		return nil, fmt.Errorf("test: device %q: %w", id, hwwallet.ErrNoDevice)
	}
	return ledger.Open(d.emu.Transport(), d.emu.Info())
}
