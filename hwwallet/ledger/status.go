package ledger

import (
	"fmt"

	"github.com/litsigner/litsigner/hwwallet"
)

// Status words. Sources: Ledger SDK status_words.h as used by app-ethereum
// src/main.c and ledger_app_clients/ethereum/status_word.py; ledgerjs
// hw-transport StatusCodes for the OS-level ones (0x5515, 0x6E01, 0x6FAA);
// LedgerHQ/device-sdk-ts#1773 for 0x6901. See hwwallet/PROTOCOL.md §4.
const (
	SWOK                   = 0x9000
	SWUserRejected         = 0x6985 // SWO_CONDITIONS_NOT_SATISFIED: rejected on the device
	SWLocked               = 0x5515 // LOCKED_DEVICE
	SWSecurityNotSatisfied = 0x6982 // "dongle locked" on older firmware
	SWCommandNotAllowed    = 0x6980 // first chunk while the app was mid-flow
	SWIncorrectData        = 0x6A80 // bad path, length, or data
	SWInsufficientMemory   = 0x6A84 // message does not fit the app heap
	SWWrongP1P2            = 0x6B00
	SWWrongLength          = 0x6700
	SWINSNotSupported      = 0x6D00 // another app with CLA E0 is open
	SWCLANotSupported      = 0x6E00 // wrong app or dashboard (older OS)
	SWCLANotSupportedOS    = 0x6E01 // dashboard (newer OS)
	SWAppNotReady          = 0x6511 // app not open / not ready (third-party reports)
	SWAppNotReadyAlt       = 0x650F
	SWOSScreen             = 0x6901 // an OS screen is in the foreground
	SWHalted               = 0x6FAA // replug the device
)

// StatusError is a non-9000 status word. It unwraps to the hwwallet
// sentinel that names its meaning, so callers test with errors.Is.
type StatusError struct {
	// SW is the status word.
	SW uint16
}

// Error describes the status word.
func (e *StatusError) Error() string {
	return fmt.Sprintf("ledger: status 0x%04X (%s)", e.SW, statusText(e.SW))
}

// Unwrap returns the sentinel for SW, or nil for an unknown status word.
func (e *StatusError) Unwrap() error { return statusSentinel(e.SW) }

func statusSentinel(sw uint16) error {
	switch sw {
	case SWUserRejected:
		return hwwallet.ErrUserRejected
	case SWLocked, SWSecurityNotSatisfied:
		return hwwallet.ErrLocked
	case SWCLANotSupported, SWCLANotSupportedOS, SWINSNotSupported, SWAppNotReady, SWAppNotReadyAlt:
		return hwwallet.ErrAppNotOpen
	case SWOSScreen, SWCommandNotAllowed, SWHalted:
		return hwwallet.ErrBusy
	case SWIncorrectData, SWInsufficientMemory, SWWrongP1P2, SWWrongLength:
		return hwwallet.ErrBadRequest
	}
	return nil
}

func statusText(sw uint16) string {
	switch sw {
	case SWUserRejected:
		return "rejected on the device"
	case SWLocked, SWSecurityNotSatisfied:
		return "device locked"
	case SWCLANotSupported, SWCLANotSupportedOS, SWINSNotSupported, SWAppNotReady, SWAppNotReadyAlt:
		return "Ethereum app not open"
	case SWOSScreen:
		return "an OS screen is open on the device"
	case SWCommandNotAllowed:
		return "command not allowed now"
	case SWHalted:
		return "device halted, replug it"
	case SWIncorrectData:
		return "incorrect data"
	case SWInsufficientMemory:
		return "message too large for the device"
	case SWWrongP1P2:
		return "wrong parameters"
	case SWWrongLength:
		return "wrong length"
	}
	return "unknown status"
}

// checkStatus returns nil for 0x9000 and a *StatusError otherwise.
func checkStatus(sw uint16) error {
	if sw == SWOK {
		return nil
	}
	return &StatusError{SW: sw}
}
