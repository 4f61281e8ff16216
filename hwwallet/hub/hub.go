// Package hub finds hardware wallets and opens them: Ledger and Trezor
// devices on USB (through hwwallet/usbhid and the ledger and trezor
// drivers) and, when enabled, the software emulators "emulator:ledger" and
// "emulator:trezor". It lives outside package hwwallet because it imports
// the drivers, which import hwwallet.
package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/emulator"
	"github.com/litsigner/litsigner/hwwallet/ledger"
	"github.com/litsigner/litsigner/hwwallet/trezor"
	"github.com/litsigner/litsigner/hwwallet/trezor/thpstore"
	"github.com/litsigner/litsigner/hwwallet/usbhid"
)

// Device IDs of the emulators.
const (
	EmulatorLedgerID = emulator.LedgerDeviceID
	EmulatorTrezorID = emulator.TrezorDeviceID
	// EmulatorTrezorSafe7ID is an emulated Trezor Safe 7, which speaks
	// only THP: it pairs with a code shown on its "screen" (the
	// Behaviour's PromptPairingCode) the first time.
	EmulatorTrezorSafe7ID = emulator.TrezorDeviceID + "-safe7"
)

// EmulatorMnemonicEnv names the environment variable the CLI and daemon
// read the emulators' mnemonic from.
const EmulatorMnemonicEnv = "LITSIGNER_EMULATOR_MNEMONIC"

// Options configures a Hub.
type Options struct {
	// Emulators lists "emulator:ledger", "emulator:trezor" and
	// "emulator:trezor-safe7" in Devices
	// and lets Open use them. Open accepts the emulator IDs only then.
	Emulators bool
	// EmulatorMnemonic is the emulators' seed; "" means
	// emulator.SpeculosMnemonic.
	EmulatorMnemonic string
	// EmulatorBehaviour scripts both emulators; nil means one that
	// approves everything (see Hub.Behaviour to change it later).
	EmulatorBehaviour *emulator.Behaviour
	// EmulatorTrezorModel is the emulated Trezor's model (emulator.TrezorT
	// when empty).
	EmulatorTrezorModel string
	// Pairing keeps this host's THP identity (Trezor Safe 7); nil means
	// the default store under $XDG_STATE_HOME/litsigner, opened when a
	// THP device is first met.
	Pairing trezor.PairingStore
	// ForcePairing makes THP devices pair again with a new code instead
	// of using the stored credential ('litsigner wallet pair').
	ForcePairing bool
	// OnConfirm, if set, is told when a THP device waits for its user
	// (see trezor.Options.OnConfirm).
	OnConfirm func(what string)
	// NoUSB keeps the hub off the USB bus (tests, --dev without hardware).
	NoUSB bool
	// Logger receives discovery warnings; nil discards them.
	Logger *slog.Logger
}

// Hub lists and opens hardware wallets. It is safe for concurrent use.
// Wallets it opens on USB pause discovery while they talk to the device.
type Hub struct {
	opts   Options
	log    *slog.Logger
	poller *usbhid.Poller
	ledger *emulator.Ledger // nil without emulators

	mu     sync.Mutex
	closed bool
}

// New returns a hub. It fails only for a bad emulator mnemonic or model.
func New(opts Options) (*Hub, error) {
	h := &Hub{opts: opts, log: opts.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if opts.Emulators {
		if h.opts.EmulatorMnemonic == "" {
			h.opts.EmulatorMnemonic = emulator.SpeculosMnemonic
		}
		if h.opts.EmulatorBehaviour == nil {
			h.opts.EmulatorBehaviour = emulator.NewBehaviour()
		}
		l, err := emulator.NewLedger(h.opts.EmulatorMnemonic, h.opts.EmulatorBehaviour)
		if err != nil {
			return nil, fmt.Errorf("hub: emulator: %w", err)
		}
		// Check the Trezor model now rather than at the first Open.
		t, err := emulator.NewTrezor(h.opts.EmulatorMnemonic, emulator.NewBehaviour(), h.opts.EmulatorTrezorModel)
		if err != nil {
			l.Close()
			return nil, fmt.Errorf("hub: emulator: %w", err)
		}
		t.Close()
		h.ledger = l
	}
	enum := usbhid.EnumerateUSB
	if opts.NoUSB {
		enum = func(context.Context) ([]hwwallet.DeviceInfo, error) { return nil, nil }
	}
	h.poller = usbhid.NewPoller(enum)
	return h, nil
}

// Behaviour returns the emulators' script (nil without emulators).
func (h *Hub) Behaviour() *emulator.Behaviour {
	if !h.opts.Emulators {
		return nil
	}
	return h.opts.EmulatorBehaviour
}

func (h *Hub) emulatorInfos() []hwwallet.DeviceInfo {
	if !h.opts.Emulators {
		return nil
	}
	return []hwwallet.DeviceInfo{
		h.ledger.Info(),
		{ID: EmulatorTrezorID, Vendor: hwwallet.VendorTrezor, Model: "Trezor (emulated)", Emulated: true},
		{ID: EmulatorTrezorSafe7ID, Vendor: hwwallet.VendorTrezor, Model: "Safe 7 (emulated)", Emulated: true},
	}
}

// Devices lists the emulators (when enabled) and the hardware wallets on
// USB. Without emulators, a machine without USB gives an error wrapping
// hwwallet.ErrUSBUnavailable; with them, that is only logged. While a
// wallet of this hub is talking to its device, the last USB list is
// returned instead of enumerating.
func (h *Hub) Devices(ctx context.Context) ([]hwwallet.DeviceInfo, error) {
	if err := h.check(); err != nil {
		return nil, err
	}
	out := h.emulatorInfos()
	usb, err := h.poller.List(ctx)
	if err != nil {
		if !h.opts.Emulators {
			return nil, fmt.Errorf("hub: list devices: %w", err)
		}
		h.log.Warn("USB hardware wallets not listed", "err", err)
	}
	return append(out, usb...), nil
}

// Open opens the device with this ID ("ledger:<path>", "trezor:<path>" from
// Devices, an emulator ID, or an emulator on the network:
// "speculos:HOST:PORT", "trezor-udp:HOST:PORT", see network.go). p answers Trezor PIN and passphrase prompts
// and may be nil. Close the wallet when done: it holds the device.
func (h *Hub) Open(ctx context.Context, id string, p hwwallet.Prompter) (hwwallet.Wallet, error) {
	if err := h.check(); err != nil {
		return nil, err
	}
	switch {
	case IsNetworkID(id):
		return h.openNetwork(ctx, id, p)
	case id == EmulatorLedgerID || id == EmulatorTrezorID || id == EmulatorTrezorSafe7ID:
		if !h.opts.Emulators {
			return nil, fmt.Errorf("hub: open %s: emulators are not enabled: %w", id, hwwallet.ErrNoDevice)
		}
		if id == EmulatorLedgerID {
			w, err := ledger.Open(h.ledger.Transport(), h.ledger.Info())
			if err != nil {
				return nil, fmt.Errorf("hub: open %s: %w", id, err)
			}
			return w, nil
		}
		model := h.opts.EmulatorTrezorModel
		if id == EmulatorTrezorSafe7ID {
			model = emulator.TrezorSafe7
		}
		return h.openEmulatedTrezor(ctx, id, model, p)
	case strings.HasPrefix(id, string(hwwallet.VendorLedger)+":"), strings.HasPrefix(id, string(hwwallet.VendorTrezor)+":"):
		if h.opts.NoUSB {
			return nil, fmt.Errorf("hub: open %s: USB is disabled: %w", id, hwwallet.ErrNoDevice)
		}
		return h.openUSB(ctx, id, p)
	}
	return nil, fmt.Errorf("hub: open %q: unknown device ID (see 'litsigner wallet list'): %w", id, hwwallet.ErrNoDevice)
}

// openEmulatedTrezor plugs in a fresh emulated Trezor; closing the wallet
// unplugs it. An emulated Safe 7 keeps its THP secrets across plugs (they
// derive from the seed), so a pairing stored once stays valid.
func (h *Hub) openEmulatedTrezor(ctx context.Context, id, model string, p hwwallet.Prompter) (hwwallet.Wallet, error) {
	emu, err := emulator.NewTrezor(h.opts.EmulatorMnemonic, h.opts.EmulatorBehaviour, model)
	if err != nil {
		return nil, fmt.Errorf("hub: open %s: %w", id, err)
	}
	info := emu.Info()
	info.ID = id
	d, err := h.openTrezor(ctx, emu.Transport(), info, p)
	if err != nil {
		emu.Close()
		return nil, fmt.Errorf("hub: open %s: %w", id, err)
	}
	return &ownedWallet{Wallet: d, release: emu.Close}, nil
}

// openTrezor opens the Trezor driver on t, with THP (pairing store,
// host name) for a Safe 7.
func (h *Hub) openTrezor(ctx context.Context, t hwwallet.Transport, info hwwallet.DeviceInfo, p hwwallet.Prompter) (*trezor.Device, error) {
	opts := trezor.Options{
		Prompter:     p,
		Pairing:      h.opts.Pairing,
		ForcePairing: h.opts.ForcePairing,
		OnConfirm:    h.opts.OnConfirm,
	}
	if opts.Pairing == nil {
		// Without a state directory a codec v1 Trezor still works; only a
		// Safe 7 is then unsupported (its Failure(InvalidProtocol) says why).
		if s, err := thpstore.Default(); err != nil {
			h.log.Warn("Trezor Safe 7 pairing unavailable", "err", err)
		} else {
			opts.Pairing = s
		}
	}
	return trezor.OpenWith(ctx, t, info, opts)
}

// openUSB finds the device, opens its transport and the vendor's driver.
func (h *Hub) openUSB(ctx context.Context, id string, p hwwallet.Prompter) (hwwallet.Wallet, error) {
	resume := h.poller.Pause()
	defer resume()
	dev, err := usbhid.Find(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("hub: open: %w", err)
	}
	t, err := usbhid.Open(dev)
	if err != nil {
		return nil, fmt.Errorf("hub: open: %w", err)
	}
	var w hwwallet.Wallet
	switch dev.Kind {
	case usbhid.LedgerHID:
		w, err = ledger.Open(t, dev.Info)
	default:
		w, err = h.openTrezor(ctx, t, dev.Info, p)
	}
	if err != nil {
		t.Close()
		return nil, fmt.Errorf("hub: open %s: %w", id, err)
	}
	return &pausingWallet{Wallet: w, poller: h.poller}, nil
}

// Close unplugs the emulators; the hub then refuses every call.
func (h *Hub) Close() error {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil
	}
	h.closed = true
	h.mu.Unlock()
	if h.ledger != nil {
		return h.ledger.Close()
	}
	return nil
}

var errHubClosed = errors.New("hub: closed")

func (h *Hub) check() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return errHubClosed
	}
	return nil
}

// pausingWallet pauses USB discovery while its device is in use: on Linux
// an enumeration opens devices and can break a pending confirmation.
type pausingWallet struct {
	hwwallet.Wallet
	poller *usbhid.Poller
}

// Unwrap returns the driver's wallet.
func (w *pausingWallet) Unwrap() hwwallet.Wallet { return w.Wallet }

// AllowNonStandardPaths relaxes a Trezor's safety checks
// (trezor.PathPrompter), with discovery paused like every exchange.
func (w *pausingWallet) AllowNonStandardPaths(ctx context.Context) error {
	defer w.poller.Pause()()
	return allowNonStandardPaths(ctx, w.Wallet)
}

// allowNonStandardPaths asks w's driver to prompt for non-standard paths;
// only Trezors have the setting.
func allowNonStandardPaths(ctx context.Context, w hwwallet.Wallet) error {
	p, ok := w.(trezor.PathPrompter)
	if !ok {
		return fmt.Errorf("hub: safety checks are a Trezor setting, %s is a %s: %w", w.Info().ID, w.Info().Vendor, hwwallet.ErrBadRequest)
	}
	return p.AllowNonStandardPaths(ctx)
}

func (w *pausingWallet) Address(ctx context.Context, path accounts.DerivationPath) (common.Address, error) {
	defer w.poller.Pause()()
	return w.Wallet.Address(ctx, path)
}

func (w *pausingWallet) SignPersonalMessage(ctx context.Context, path accounts.DerivationPath, message []byte) ([]byte, common.Address, error) {
	defer w.poller.Pause()()
	return w.Wallet.SignPersonalMessage(ctx, path, message)
}

// ownedWallet releases an extra resource (an emulator) on Close.
type ownedWallet struct {
	hwwallet.Wallet
	release func() error
	once    sync.Once
}

// Unwrap returns the driver's wallet.
func (w *ownedWallet) Unwrap() hwwallet.Wallet { return w.Wallet }

// AllowNonStandardPaths relaxes a Trezor's safety checks
// (trezor.PathPrompter).
func (w *ownedWallet) AllowNonStandardPaths(ctx context.Context) error {
	return allowNonStandardPaths(ctx, w.Wallet)
}

func (w *ownedWallet) Close() error {
	err := w.Wallet.Close()
	w.once.Do(func() {
		if rerr := w.release(); err == nil {
			err = rerr
		}
	})
	return err
}
