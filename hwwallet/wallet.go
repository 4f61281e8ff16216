// Package hwwallet talks to hardware wallets (Ledger and Trezor) over USB and
// asks them for personal_sign (EIP-191) signatures that the user approves on
// the device. It is a library: it never imports the daemon or the IPC layer.
package hwwallet

import (
	"context"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
)

// Vendor names a hardware-wallet maker.
type Vendor string

// The supported vendors.
const (
	VendorLedger Vendor = "ledger"
	VendorTrezor Vendor = "trezor"
)

// DefaultPath is the first Ethereum account, m/44'/60'/0'/0/0.
var DefaultPath = accounts.DefaultBaseDerivationPath

// DeviceInfo describes one device that can be opened.
type DeviceInfo struct {
	// ID identifies the device for Open: "ledger:<usb path>",
	// "trezor:<usb path>", "emulator:ledger" / "emulator:trezor", or an
	// emulator on the network, "speculos:HOST:PORT" / "trezor-udp:HOST:PORT".
	ID string `json:"id"`
	// Vendor is the maker.
	Vendor Vendor `json:"vendor"`
	// Model is the model name when known ("Nano S Plus", "Trezor One", "Safe 3", ...).
	Model string `json:"model"`
	// Product is the USB product string (empty when the device could not be
	// opened for enumeration, usually a sign of missing udev rules).
	Product string `json:"product,omitempty"`
	// Serial is the USB serial string when known.
	Serial string `json:"serial,omitempty"`
	// Emulated is true for the software emulator.
	Emulated bool `json:"emulated,omitempty"`
}

// Wallet is one open hardware wallet. Methods are safe for concurrent use:
// the wallet serializes device exchanges internally. Every blocking call takes
// a context; cancelling it stops waiting for the device (the device itself may
// still show a prompt, which the user dismisses there).
type Wallet interface {
	// Info describes the device.
	Info() DeviceInfo
	// Address derives the account at path on the device.
	Address(ctx context.Context, path accounts.DerivationPath) (common.Address, error)
	// SignPersonalMessage asks the user to approve an EIP-191 personal_sign of
	// message with the key at path. It returns the 65-byte signature r||s||v
	// (v = 27/28), already checked by ecrecover against the path's address.
	SignPersonalMessage(ctx context.Context, path accounts.DerivationPath, message []byte) (sig []byte, signer common.Address, err error)
	// Close releases the device.
	Close() error
}

// Prompter answers the host-side questions some devices ask during an
// exchange. Implementations block until the user answers or ctx ends.
type Prompter interface {
	// PIN is asked by a Trezor One: the user reads the scrambled matrix on the
	// device and answers with positions on a keypad laid out 7 8 9 / 4 5 6 /
	// 1 2 3 (for example "1937").
	PIN(ctx context.Context, dev DeviceInfo) (positions string, err error)
	// Passphrase is asked when passphrase protection is on. onDevice asks the
	// device to collect it itself (only offered when the device can).
	Passphrase(ctx context.Context, dev DeviceInfo, canEnterOnDevice bool) (passphrase string, onDevice bool, err error)
}

// PairingPrompter is a Prompter that can also ask for the 6-digit code a
// Trezor Safe 7 shows the first time it is used with this computer (THP
// CodeEntry pairing). Drivers look for it with a type assertion; without
// it, a device that needs pairing fails with ErrPairingNeeded.
type PairingPrompter interface {
	Prompter
	// PairingCode blocks until the user typed the code the device shows,
	// or ctx ends.
	PairingCode(ctx context.Context, dev DeviceInfo) (code string, err error)
}

// PairingReporter is a PairingPrompter that learns what became of each
// code PairingCode returned: PairingResult gets nil once the device
// accepted it, or the error (ErrPairing for a wrong code) the pairing
// ended with. A Trezor allows one guess per code it shows; after a wrong
// one the driver may pair again, which shows a new code and calls
// PairingCode again (the error then says so).
type PairingReporter interface {
	PairingPrompter
	PairingResult(dev DeviceInfo, err error)
}
