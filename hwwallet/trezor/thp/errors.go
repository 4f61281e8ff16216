package thp

import (
	"errors"
	"fmt"

	"github.com/litsigner/litsigner/hwwallet"
)

// ErrorCode is a THP transport error (control byte 0x42), sent by the
// device instead of an answer (rust/trezor-thp/src/error.rs). It is an
// error itself, so callers branch with errors.Is(err, thp.ErrUnallocatedChannel).
type ErrorCode byte

// The transport error codes.
const (
	// ErrTransportBusy: the device is reassembling another channel's
	// message; back off and resend. The only recoverable code.
	ErrTransportBusy ErrorCode = 1
	// ErrUnallocatedChannel: the device does not know the channel (it was
	// evicted, or the device restarted); allocate a new one.
	ErrUnallocatedChannel ErrorCode = 2
	// ErrDecryptionFailed: the device could not decrypt a message; the
	// channel is dead.
	ErrDecryptionFailed ErrorCode = 3
	// ErrDeviceLocked: the handshake asked not to unlock and the device is
	// PIN-locked; retry on a new channel with TryToUnlock.
	ErrDeviceLocked ErrorCode = 5
)

// Error implements error.
func (c ErrorCode) Error() string {
	switch c {
	case ErrTransportBusy:
		return "device busy with another channel"
	case ErrUnallocatedChannel:
		return "channel not allocated on the device"
	case ErrDecryptionFailed:
		return "device could not decrypt the message"
	case ErrDeviceLocked:
		return "device is locked"
	}
	return fmt.Sprintf("transport error %d", byte(c))
}

// Is lets the codes match the hwwallet sentinels a caller of the driver
// branches on.
func (c ErrorCode) Is(target error) bool {
	switch c {
	case ErrTransportBusy:
		return target == hwwallet.ErrBusy
	case ErrDeviceLocked:
		return target == hwwallet.ErrLocked
	}
	return false
}

// Errors of the channel and handshake layers.
var (
	// ErrNoAck: the peer did not acknowledge a message after every
	// retransmission.
	ErrNoAck = errors.New("no acknowledgement from the peer")
	// ErrHandshake: a handshake message did not parse or authenticate.
	ErrHandshake = errors.New("handshake failed")
	// ErrDecrypt: an encrypted message did not authenticate.
	ErrDecrypt = errors.New("message does not decrypt")
	// ErrUnexpected: the peer sent a message the protocol does not allow
	// at this point.
	ErrUnexpected = errors.New("unexpected message")
	// ErrPairing: pairing failed (wrong code, or a device that does not
	// prove it knows the code).
	ErrPairing = errors.New("pairing failed")
	// ErrWrongCode: the code typed does not match the one on the device.
	ErrWrongCode = errors.New("wrong pairing code")
	// ErrClosed: the channel was closed.
	ErrClosed = errors.New("channel closed")
)
