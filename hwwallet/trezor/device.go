// Package trezor drives a Trezor over codec v1 (the "?##" framing of every
// Trezor before THP): Initialize/Features, EthereumGetAddress and
// EthereumSignMessage with its PIN-matrix, passphrase and button prompts.
// It uses go-ethereum's accounts/usbwallet/trezor protobuf messages but its
// own exchange loop, which keeps Failure codes and asks a hwwallet.Prompter
// for the PIN and passphrase. It runs over any hwwallet.Transport: HID for
// the Trezor One, raw WebUSB for the others, or the emulator's pipe.
// Trezor Safe 7 (THP only) answers every codec v1 message with
// Failure(InvalidProtocol); OpenWith, given a PairingStore, then speaks the
// Trezor Host Protocol (hwwallet/trezor/thp) on the same transport, and
// the Device works the same for its callers.
package trezor

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/accounts"
	"github.com/ethereum/go-ethereum/accounts/usbwallet/trezor"
	"github.com/ethereum/go-ethereum/common"
	"github.com/litsigner/litsigner/hwwallet"
)

// OpenTimeout bounds the Initialize exchange of Open.
const OpenTimeout = 10 * time.Second

// cancelTimeout bounds sending Cancel and reading the device's answer to it
// after an abandoned exchange.
const cancelTimeout = 2 * time.Second

// Message-size limits: the Trezor One's nanopb buffer for
// EthereumSignMessage.message is 1024 bytes
// (legacy/firmware/protob/messages-ethereum.options); core allocates
// dynamically, we cap at a size no SIWE message approaches.
const (
	// MaxMessageTrezorOne is the longest message a Trezor One signs.
	MaxMessageTrezorOne = 1024
	// MaxMessage is the longest message sent to the other models.
	MaxMessage = 32 << 10
)

// ErrClosed is returned by calls on a closed Device.
var ErrClosed = errors.New("trezor: device is closed")

// Device is an open Trezor. It implements hwwallet.Wallet; exchanges are
// serialized, and every call honours its context (an abandoned exchange is
// cancelled on the device with a Cancel message).
type Device struct {
	t        hwwallet.Transport
	prompter hwwallet.Prompter

	lock      chan struct{} // one-slot semaphore: holds the device for one exchange
	closed    chan struct{}
	closeOnce sync.Once
	closeErr  error

	mu       sync.Mutex // guards info and features
	info     hwwallet.DeviceInfo
	features Features

	resync bool     // guarded by lock: a previous exchange left replies behind
	thp    *thpLink // non-nil when the device speaks THP (see OpenWith)
}

var _ hwwallet.Wallet = (*Device)(nil)

// Open sends Initialize and reads the device's Features, within
// OpenTimeout. p answers PIN and passphrase prompts; it may be nil (a PIN
// prompt then fails with hwwallet.ErrPINNeeded and a passphrase prompt gets
// on-device entry where the device can, else the empty passphrase). On error
// the transport is left open for the caller to close.
func Open(t hwwallet.Transport, info hwwallet.DeviceInfo, p hwwallet.Prompter) (*Device, error) {
	ctx, cancel := context.WithTimeout(context.Background(), OpenTimeout)
	defer cancel()
	return OpenContext(ctx, t, info, p)
}

// OpenContext is Open with a caller-supplied context instead of OpenTimeout.
func OpenContext(ctx context.Context, t hwwallet.Transport, info hwwallet.DeviceInfo, p hwwallet.Prompter) (*Device, error) {
	if t == nil {
		return nil, fmt.Errorf("trezor: open: nil transport: %w", hwwallet.ErrBadRequest)
	}
	d := newDevice(t, info, p)
	// Initialize (messages-management.proto, type 0) starts a fresh session;
	// the device answers Features (type 17).
	data, err := d.call(ctx, msgInitialize, &initializeMsg, msgFeatures)
	if err != nil {
		return nil, fmt.Errorf("trezor: open: %w", err)
	}
	f, err := decodeFeatures(data)
	if err != nil {
		return nil, fmt.Errorf("trezor: open: %w", err)
	}
	if f.Model == "" {
		// Firmware before model was added (T1 < 1.6.2) is a Trezor One.
		f.Model = "1"
	}
	d.features = f
	if d.info.Model == "" {
		d.info.Model = f.ModelName()
	}
	return d, nil
}

func newDevice(t hwwallet.Transport, info hwwallet.DeviceInfo, p hwwallet.Prompter) *Device {
	info.Vendor = hwwallet.VendorTrezor
	return &Device{
		t:        t,
		prompter: p,
		lock:     make(chan struct{}, 1),
		closed:   make(chan struct{}),
		info:     info,
	}
}

// Info implements hwwallet.Wallet.
func (d *Device) Info() hwwallet.DeviceInfo {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.info
}

// Features returns the Features the device sent at Open (or later, after a
// resynchronisation).
func (d *Device) Features() Features {
	d.mu.Lock()
	defer d.mu.Unlock()
	f := d.features
	f.Capabilities = append([]Capability(nil), f.Capabilities...)
	f.SessionID = append([]byte(nil), f.SessionID...)
	if f.SafetyChecks != nil {
		l := *f.SafetyChecks
		f.SafetyChecks = &l
	}
	return f
}

// RefreshFeatures asks the device for its Features again with GetFeatures
// (messages-management.proto, type 55), which unlike Initialize keeps the
// session, e.g. to see whether it is unlocked now.
func (d *Device) RefreshFeatures(ctx context.Context) (Features, error) {
	if err := d.acquire(ctx); err != nil {
		return Features{}, fmt.Errorf("trezor: get features: %w", err)
	}
	defer d.release()
	data, err := d.call(ctx, msgGetFeatures, &trezor.GetFeatures{}, msgFeatures)
	if err != nil {
		return Features{}, fmt.Errorf("trezor: get features: %w", err)
	}
	f, err := decodeFeatures(data)
	if err != nil {
		return Features{}, fmt.Errorf("trezor: get features: %w", err)
	}
	d.setFeatures(f)
	return d.Features(), nil
}

// setFeatures stores newer Features, keeping the model if the reply lacks it.
func (d *Device) setFeatures(f Features) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if f.Model == "" {
		f.Model = d.features.Model
	}
	d.features = f
}

// Close implements hwwallet.Wallet. It closes the transport, which also
// ends any exchange in progress; it does not wait for the device lock.
func (d *Device) Close() error {
	d.closeOnce.Do(func() {
		close(d.closed)
		d.closeErr = d.t.Close()
	})
	if d.closeErr != nil {
		return fmt.Errorf("trezor: close: %w", d.closeErr)
	}
	return nil
}

// Address implements hwwallet.Wallet with EthereumGetAddress, without
// showing the address on the device.
func (d *Device) Address(ctx context.Context, path accounts.DerivationPath) (common.Address, error) {
	if err := d.checkPath(path); err != nil {
		return common.Address{}, fmt.Errorf("trezor: get address: %w", err)
	}
	if err := d.acquire(ctx); err != nil {
		return common.Address{}, fmt.Errorf("trezor: get address: %w", err)
	}
	defer d.release()
	addr, err := d.address(ctx, path)
	if err != nil {
		return common.Address{}, fmt.Errorf("trezor: get address: %w", err)
	}
	return addr, nil
}

// SignPersonalMessage implements hwwallet.Wallet with EthereumSignMessage.
// The device returns r||s||v (v 27/28); it is checked by ecrecover against
// the address EthereumGetAddress gives for path, and against the address in
// the reply, before it is returned.
func (d *Device) SignPersonalMessage(ctx context.Context, path accounts.DerivationPath, message []byte) ([]byte, common.Address, error) {
	fail := func(err error) ([]byte, common.Address, error) {
		return nil, common.Address{}, fmt.Errorf("trezor: sign message: %w", err)
	}
	if err := d.checkPath(path); err != nil {
		return fail(err)
	}
	limit := MaxMessage
	if d.Features().IsTrezorOne() {
		limit = MaxMessageTrezorOne
	}
	if len(message) > limit {
		return fail(fmt.Errorf("message of %d bytes exceeds this model's limit of %d: %w", len(message), limit, hwwallet.ErrBadRequest))
	}
	if err := d.acquire(ctx); err != nil {
		return fail(err)
	}
	defer d.release()

	addr, err := d.address(ctx, path)
	if err != nil {
		return fail(err)
	}
	data, err := d.call(ctx, msgEthereumSignMessage, signMessageRequest(path, message), msgEthereumMessageSignature)
	if err != nil {
		return fail(err)
	}
	sig, replyAddr, err := decodeSignature(data)
	if err != nil {
		return fail(err)
	}
	if replyAddr != nil && *replyAddr != addr {
		return fail(fmt.Errorf("reply names signer %s, the path's address is %s: %w", replyAddr.Hex(), addr.Hex(), hwwallet.ErrBadReply))
	}
	if err := hwwallet.CheckPersonalSignature(message, sig, addr); err != nil {
		return fail(err)
	}
	return sig, addr, nil
}

// address runs EthereumGetAddress; the caller holds the device.
func (d *Device) address(ctx context.Context, path accounts.DerivationPath) (common.Address, error) {
	data, err := d.call(ctx, msgEthereumGetAddress, getAddressRequest(path), msgEthereumAddress)
	if err != nil {
		return common.Address{}, err
	}
	return decodeAddress(data)
}

// checkPath validates a derivation path before anything is sent.
func (d *Device) checkPath(path accounts.DerivationPath) error {
	if len(path) == 0 {
		return fmt.Errorf("empty derivation path: %w", hwwallet.ErrBadRequest)
	}
	// legacy/firmware/protob/messages-ethereum.options: address_n max_count:8.
	if len(path) > 8 {
		return fmt.Errorf("derivation path %v has %d elements, at most 8 are accepted: %w", path, len(path), hwwallet.ErrBadRequest)
	}
	return nil
}

// acquire takes the device for one exchange, or gives up when ctx ends or
// the device is closed.
func (d *Device) acquire(ctx context.Context) error {
	select {
	case <-d.closed:
		return ErrClosed
	default:
	}
	select {
	case d.lock <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("waiting for the device: %w", ctx.Err())
	case <-d.closed:
		return ErrClosed
	}
	select {
	case <-d.closed:
		d.release()
		return ErrClosed
	default:
		return nil
	}
}

func (d *Device) release() { <-d.lock }

// isClosed reports whether Close was called.
func (d *Device) isClosed() bool {
	select {
	case <-d.closed:
		return true
	default:
		return false
	}
}

// validPINPositions checks PinMatrixAck.pin against the firmware's limit:
// at most 9 positions before Trezor One firmware 1.10.0, 50 since.
func validPINPositions(pos string, f Features) error {
	max := 9
	if f.Major > 1 || (f.Major == 1 && f.Minor >= 10) {
		max = hwwallet.MaxPINPositions
	}
	if err := hwwallet.CheckPINPositions(pos, max); err != nil {
		return fmt.Errorf("%v: %w", err, hwwallet.ErrPINInvalid)
	}
	return nil
}
