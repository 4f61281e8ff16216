package walletcli

import (
	"context"
	"errors"
	"flag"

	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/hwwallet/trezor"
	"github.com/litsigner/litsigner/hwwallet/usbhid"
)

// Exit codes, the same values as cmd/litsigner's (documented in README.md).
const (
	ExitOK      = 0
	ExitFailure = 1 // anything not listed below
	ExitUsage   = 2 // bad command line or a request the device cannot take
	ExitDevice  = 3 // hardware wallet: rejected, locked, app closed, PIN, absent, no permission, no USB, timeout
)

// UsageError marks a bad command line (exit code 2).
type UsageError struct{ Msg string }

// Error returns the message.
func (e *UsageError) Error() string { return e.Msg }

func usagef(msg string) error { return &UsageError{Msg: msg} }

// deviceErrors are the sentinels that mean "something about the device or
// the user at the device", in the order Describe checks them.
var deviceErrors = []struct {
	err      error
	sentence string
}{
	{hwwallet.ErrUserRejected, "the request was rejected on the device"},
	{hwwallet.ErrLocked, "the device is locked: unlock it with its PIN and try again"},
	{hwwallet.ErrAppNotOpen, "open the Ethereum app on the Ledger and try again"},
	{hwwallet.ErrPINNeeded, "the device needs its PIN"},
	{hwwallet.ErrPINInvalid, "wrong PIN"},
	{hwwallet.ErrPairingNeeded, "the Trezor must be paired with this computer: run 'litsigner wallet pair' and type the code it shows"},
	{hwwallet.ErrPairing, "pairing failed (a wrong code?): run 'litsigner wallet pair' to try again"},
	{hwwallet.ErrUnsupportedModel, "this device model is not supported"},
	{hwwallet.ErrDisconnected, "the device was disconnected"},
	{hwwallet.ErrNoPermission, "the device cannot be opened: " + usbhid.PermissionHint()},
	{hwwallet.ErrUSBUnavailable, "USB is not available on this machine"},
	{hwwallet.ErrNoDevice, "no hardware wallet found: plug it in, unlock it, and check 'litsigner wallet list'"},
	{hwwallet.ErrBusy, "the device is busy (an OS screen, or another program such as Ledger Live or Trezor Suite): close it and try again"},
	{hwwallet.ErrBadReply, "the device sent an invalid reply"},
}

// ExitCode maps an error to the command's exit code: nil → 0, a bad
// command line or a request the device cannot take (hwwallet.ErrBadRequest)
// → 2, a device or user-at-the-device error, including a device that did
// not answer before the timeout → 3, anything else → 1.
func ExitCode(err error) int {
	var ue *UsageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue), errors.Is(err, flag.ErrHelp), errors.Is(err, hwwallet.ErrBadRequest):
		return ExitUsage
	case errors.Is(err, context.DeadlineExceeded):
		return ExitDevice
	}
	for _, d := range deviceErrors {
		if errors.Is(err, d.err) {
			return ExitDevice
		}
	}
	return ExitFailure
}

// Describe returns a human sentence for err (without the details, which
// err.Error() has).
func Describe(err error) string {
	var ue *UsageError
	switch {
	case errors.As(err, &ue):
		return ue.Msg
	case errors.Is(err, trezor.ErrForbiddenPath):
		return "the Trezor refuses this non-standard derivation path while its safety checks are strict: add --safety-checks prompt to confirm on the device that it may sign such paths after a warning (until it is unplugged)"
	case errors.Is(err, hwwallet.ErrBadRequest):
		return "the device cannot take this request (path or message invalid or too long)"
	case errors.Is(err, context.DeadlineExceeded):
		return "the device did not answer in time"
	case errors.Is(err, context.Canceled):
		return "interrupted"
	}
	for _, d := range deviceErrors {
		if errors.Is(err, d.err) {
			return d.sentence
		}
	}
	return "failed"
}
