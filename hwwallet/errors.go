package hwwallet

import "errors"

// Sentinel errors that callers branch on. Drivers wrap them with context, so
// test with errors.Is.
var (
	// ErrUserRejected: the user declined on the device.
	ErrUserRejected = errors.New("rejected on the device")
	// ErrLocked: the device is locked; unlock it with its PIN first.
	ErrLocked = errors.New("device is locked")
	// ErrAppNotOpen: a Ledger is not in the Ethereum app.
	ErrAppNotOpen = errors.New("the Ethereum app is not open on the device")
	// ErrBusy: the device shows an OS screen or is busy with another host.
	ErrBusy = errors.New("device is busy")
	// ErrPINNeeded: a PIN must be entered (Trezor One matrix) and none was given.
	ErrPINNeeded = errors.New("PIN needed")
	// ErrPINInvalid: the PIN entered was wrong.
	ErrPINInvalid = errors.New("wrong PIN")
	// ErrPairingNeeded: a Trezor Safe 7 (THP) shows a pairing code and
	// nobody can type it here: pair with 'litsigner wallet pair'.
	ErrPairingNeeded = errors.New("the device must be paired with this computer")
	// ErrPairing: pairing failed (a wrong code, or the device refused).
	ErrPairing = errors.New("pairing with the device failed")
	// ErrUnsupportedModel: the device speaks a protocol we do not (Trezor THP).
	ErrUnsupportedModel = errors.New("unsupported device model")
	// ErrDisconnected: the device went away during an exchange.
	ErrDisconnected = errors.New("device disconnected")
	// ErrNoDevice: no matching device is plugged in.
	ErrNoDevice = errors.New("no hardware wallet found")
	// ErrNoPermission: a device is visible but cannot be opened (udev rules).
	ErrNoPermission = errors.New("no permission to open the device")
	// ErrUSBUnavailable: USB cannot be used on this machine at all.
	ErrUSBUnavailable = errors.New("USB is not available")
	// ErrBadReply: the device sent bytes that do not parse, or a signature
	// that does not recover to the expected address.
	ErrBadReply = errors.New("invalid reply from the device")
	// ErrBadRequest: the request cannot be sent (bad path, message too long).
	ErrBadRequest = errors.New("invalid request")
)
