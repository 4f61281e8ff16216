// Package ledger drives a Ledger (Nano S/S Plus/X, Stax, Flex, ...) running
// the Ethereum app. The driver speaks APDUs over an APDUTransport: the
// Ledger HID framing on any hwwallet.Transport (USB HID, or the in-memory
// emulator; see Open), or a transport that carries whole APDUs, such as
// Speculos' TCP protocol (hwwallet/speculos; see OpenAPDU).
package ledger

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/common"
	"github.com/litsigner/litsigner/hwwallet"
)

// ErrClosed is returned by a Device used after Close.
var ErrClosed = errors.New("ledger: device closed")

// Device is an open Ledger. It implements hwwallet.Wallet; exchanges are
// serialized (a caller waiting for its turn gives up when its ctx ends).
type Device struct {
	t    APDUTransport
	info hwwallet.DeviceInfo

	lock      chan struct{} // one-slot semaphore held for a whole operation
	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
}

var _ hwwallet.Wallet = (*Device)(nil)

// Open wraps a report transport to a Ledger (USB HID or the emulator's
// pipe), speaking the Ledger HID framing over it. It does no I/O: a locked
// device or a closed app is reported by the first call that needs it, with
// a typed error.
func Open(t hwwallet.Transport, info hwwallet.DeviceInfo) (*Device, error) {
	if t == nil {
		return nil, fmt.Errorf("ledger: open: nil transport: %w", hwwallet.ErrBadRequest)
	}
	return OpenAPDU(NewHIDTransport(t), info)
}

// OpenAPDU wraps a transport that carries whole APDUs (Speculos' TCP
// protocol, or the HID framing of NewHIDTransport). Like Open it does no I/O.
func OpenAPDU(t APDUTransport, info hwwallet.DeviceInfo) (*Device, error) {
	if t == nil {
		return nil, fmt.Errorf("ledger: open: nil transport: %w", hwwallet.ErrBadRequest)
	}
	if info.Vendor == "" {
		info.Vendor = hwwallet.VendorLedger
	}
	return &Device{t: t, info: info, lock: make(chan struct{}, 1)}, nil
}

// acquire takes the device for one operation, or fails when ctx ends first.
func (d *Device) acquire(ctx context.Context) error {
	if d.closed.Load() {
		return ErrClosed
	}
	select {
	case d.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the device: %w", ctx.Err())
	}
}

func (d *Device) release() { <-d.lock }

// Info describes the device.
func (d *Device) Info() hwwallet.DeviceInfo { return d.info }

// Close releases the transport at once, even during an exchange (which
// then fails). Later calls fail with ErrClosed.
func (d *Device) Close() error {
	d.closeOnce.Do(func() {
		d.closed.Store(true)
		if err := d.t.Close(); err != nil {
			d.closeErr = fmt.Errorf("ledger: close: %w", err)
		}
	})
	return d.closeErr
}

// App reports the running app's name and version (GET_APP_AND_VERSION);
// "BOLOS" means the dashboard.
func (d *Device) App(ctx context.Context) (name, version string, err error) {
	if err := d.acquire(ctx); err != nil {
		return "", "", fmt.Errorf("ledger: get app and version: %w", err)
	}
	defer d.release()
	data, err := d.exchange(ctx, apdu(claBOLOS, insGetAppAndVersion, 0, 0, nil))
	if err != nil {
		return "", "", fmt.Errorf("ledger: get app and version: %w", err)
	}
	return parseAppAndVersion(data)
}

// AppConfiguration returns the Ethereum app's flags and version
// (GET_APP_CONFIGURATION).
func (d *Device) AppConfiguration(ctx context.Context) (AppVersion, error) {
	if err := d.acquire(ctx); err != nil {
		return AppVersion{}, fmt.Errorf("ledger: get app configuration: %w", err)
	}
	defer d.release()
	return d.appConfiguration(ctx)
}

func (d *Device) appConfiguration(ctx context.Context) (AppVersion, error) {
	data, err := d.exchange(ctx, apdu(claEthereum, insGetAppConfiguration, 0, 0, nil))
	if err != nil {
		return AppVersion{}, fmt.Errorf("ledger: get app configuration: %w", err)
	}
	return parseAppConfiguration(data)
}

// Address derives the account at path on the device (GET_ADDRESS, not shown
// on screen). The reply's address is checked against its public key.
func (d *Device) Address(ctx context.Context, path accounts.DerivationPath) (common.Address, error) {
	cmd, err := getAddressAPDU(path)
	if err != nil {
		return common.Address{}, fmt.Errorf("ledger: get address: %w", err)
	}
	if err := d.acquire(ctx); err != nil {
		return common.Address{}, fmt.Errorf("ledger: get address: %w", err)
	}
	defer d.release()
	return d.address(ctx, cmd)
}

func (d *Device) address(ctx context.Context, cmd []byte) (common.Address, error) {
	data, err := d.exchange(ctx, cmd)
	if err != nil {
		return common.Address{}, fmt.Errorf("ledger: get address: %w", err)
	}
	return parseAddress(data)
}

// SignPersonalMessage asks the user to approve an EIP-191 personal_sign of
// message with the key at path (SIGN_PERSONAL_MESSAGE). Before prompting it
// checks that the Ethereum app is open and the device unlocked, and fetches
// the path's address; the returned r||s||v signature (v = 27/28) is
// verified by ecrecover against that address.
func (d *Device) SignPersonalMessage(ctx context.Context, path accounts.DerivationPath, message []byte) ([]byte, common.Address, error) {
	fail := func(err error) ([]byte, common.Address, error) {
		return nil, common.Address{}, fmt.Errorf("ledger: sign message: %w", err)
	}
	chunks, err := signPersonalAPDUs(path, message)
	if err != nil {
		return fail(err)
	}
	addrCmd, err := getAddressAPDU(path)
	if err != nil {
		return fail(err)
	}
	if err := d.acquire(ctx); err != nil {
		return fail(err)
	}
	defer d.release()
	if err := d.ensureEthereumApp(ctx); err != nil {
		return fail(err)
	}
	// GET_ADDRESS also resets an app left mid-flow by an abandoned exchange.
	signer, err := d.address(ctx, addrCmd)
	if err != nil {
		return fail(err)
	}
	reply, err := d.sendChunks(ctx, chunks)
	var se *StatusError
	if errors.As(err, &se) && se.SW == SWCommandNotAllowed {
		// The app was still in a previous signing flow; it reset itself on
		// answering 0x6980, so one retry succeeds (hwwallet/PROTOCOL.md §4).
		reply, err = d.sendChunks(ctx, chunks)
	}
	if err != nil {
		return fail(err)
	}
	sig, err := parseSignature(reply)
	if err != nil {
		return fail(err)
	}
	if err := hwwallet.CheckPersonalSignature(message, sig, signer); err != nil {
		return fail(err)
	}
	return sig, signer, nil
}

// sendChunks sends the SIGN_PERSONAL_MESSAGE APDUs; intermediate chunks are
// answered 9000 without data, the last one after the user decides.
func (d *Device) sendChunks(ctx context.Context, chunks [][]byte) ([]byte, error) {
	var data []byte
	for i, c := range chunks {
		var err error
		data, err = d.exchange(ctx, c)
		if err != nil {
			return nil, err
		}
		if i < len(chunks)-1 && len(data) != 0 {
			return nil, fmt.Errorf("intermediate chunk answered with %d bytes: %w", len(data), hwwallet.ErrBadReply)
		}
	}
	return data, nil
}

// ensureEthereumApp maps "device locked", "dashboard" and "another app" to
// typed errors before the user is prompted.
func (d *Device) ensureEthereumApp(ctx context.Context) error {
	data, err := d.exchange(ctx, apdu(claBOLOS, insGetAppAndVersion, 0, 0, nil))
	var se *StatusError
	switch {
	case err == nil:
		name, _, err := parseAppAndVersion(data)
		if err != nil {
			return err
		}
		if name == "BOLOS" {
			return fmt.Errorf("the device is on its dashboard: %w", hwwallet.ErrAppNotOpen)
		}
		if name != "Ethereum" {
			return fmt.Errorf("the %q app is open, not Ethereum: %w", name, hwwallet.ErrAppNotOpen)
		}
	case errors.As(err, &se) && (se.SW == SWCLANotSupported || se.SW == SWINSNotSupported):
		// Old SDKs do not answer B0 01 inside apps; GET_APP_CONFIGURATION
		// below still tells whether the Ethereum app is there.
	default:
		return fmt.Errorf("get app and version: %w", err)
	}
	v, err := d.appConfiguration(ctx)
	if err != nil {
		return err
	}
	if !v.atLeast(1, 0, 8) {
		//lint:ignore ST1005 "Ethereum" is the app's name, a proper noun
		return fmt.Errorf("Ethereum app %s cannot sign personal messages (needs 1.0.8): %w", v, hwwallet.ErrUnsupportedModel)
	}
	return nil
}

// exchange sends one APDU and returns the reply data after checking the
// status word. The caller holds the device (acquire).
func (d *Device) exchange(ctx context.Context, cmd []byte) ([]byte, error) {
	if d.closed.Load() {
		return nil, ErrClosed
	}
	reply, err := d.t.Exchange(ctx, cmd)
	if err != nil {
		return nil, err
	}
	data, sw, err := splitStatus(reply)
	if err != nil {
		return nil, err
	}
	if err := checkStatus(sw); err != nil {
		return nil, err
	}
	return data, nil
}
