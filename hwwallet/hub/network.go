package hub

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/ledger"
	"github.com/litsigner/litsigner/hwwallet/speculos"
	"github.com/litsigner/litsigner/hwwallet/trezorudp"
)

// Device ID prefixes of emulators reached over the network: LedgerHQ's
// Speculos (its APDU TCP port) and trezor-firmware's emulator, e.g. in
// trezor-user-env (its UDP port), or `litsigner emulator`. The rest of
// the ID is HOST:PORT. They are not discovered: Devices does not list
// them; name them with --device or the daemon's "device" setting.
const (
	SpeculosPrefix  = "speculos:"
	TrezorUDPPrefix = "trezor-udp:"
)

// IsNetworkID reports whether id names an emulator reached over the
// network (speculos:HOST:PORT, trezor-udp:HOST:PORT); those need no USB.
func IsNetworkID(id string) bool {
	return strings.HasPrefix(id, SpeculosPrefix) || strings.HasPrefix(id, TrezorUDPPrefix)
}

// splitNetworkID splits a network ID (IsNetworkID) into its prefix, the
// vendor it speaks for, and the HOST:PORT after the prefix.
func splitNetworkID(id string) (prefix string, vendor hwwallet.Vendor, addr string) {
	prefix, vendor = SpeculosPrefix, hwwallet.VendorLedger
	if strings.HasPrefix(id, TrezorUDPPrefix) {
		prefix, vendor = TrezorUDPPrefix, hwwallet.VendorTrezor
	}
	return prefix, vendor, strings.TrimPrefix(id, prefix)
}

// openNetwork connects to the emulator id names and opens the vendor's
// driver on it. Nothing listening there is an error wrapping
// hwwallet.ErrNoDevice.
func (h *Hub) openNetwork(ctx context.Context, id string, p hwwallet.Prompter) (hwwallet.Wallet, error) {
	prefix, vendor, addr := splitNetworkID(id)
	if host, port, err := net.SplitHostPort(addr); err != nil || host == "" || port == "" {
		return nil, fmt.Errorf("hub: open %q: want %sHOST:PORT: %w", id, prefix, hwwallet.ErrNoDevice)
	}
	if vendor == hwwallet.VendorLedger {
		c, err := speculos.Dial(ctx, addr)
		if err != nil {
			return nil, fmt.Errorf("hub: open %s: %w", id, err)
		}
		w, err := ledger.OpenAPDU(c, hwwallet.DeviceInfo{ID: id, Vendor: vendor, Model: "Speculos", Product: "Speculos at " + addr, Emulated: true})
		if err != nil {
			c.Close()
			return nil, fmt.Errorf("hub: open %s: %w", id, err)
		}
		return w, nil
	}
	c, err := trezorudp.Dial(ctx, addr)
	if err != nil {
		return nil, fmt.Errorf("hub: open %s: %w", id, err)
	}
	w, err := h.openTrezor(ctx, c, hwwallet.DeviceInfo{ID: id, Vendor: vendor, Product: "Trezor emulator at " + addr, Emulated: true}, p)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("hub: open %s: %w", id, err)
	}
	return w, nil
}
