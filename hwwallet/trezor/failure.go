package trezor

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/accounts/usbwallet/trezor"
	"github.com/litsigner/litsigner/hwwallet"
	"google.golang.org/protobuf/proto"
)

// FailureCode is the numeric code of a Trezor Failure message
// (trezor-firmware common/protob/messages-common.proto, Failure.FailureType).
// go-ethereum's enum stops at 12 and 99; newer codes are kept as numbers.
type FailureCode int32

// The failure codes the driver tells apart.
const (
	FailureUnexpectedMessage FailureCode = 1
	FailureButtonExpected    FailureCode = 2
	FailureDataError         FailureCode = 3
	FailureActionCancelled   FailureCode = 4
	FailurePinExpected       FailureCode = 5
	FailurePinCancelled      FailureCode = 6
	FailurePinInvalid        FailureCode = 7
	FailureInvalidSignature  FailureCode = 8
	FailureProcessError      FailureCode = 9
	FailureNotInitialized    FailureCode = 11
	FailureInvalidSession    FailureCode = 14
	FailureBusy              FailureCode = 15
	FailureInvalidProtocol   FailureCode = 17
	FailureInProgress        FailureCode = 19
	FailureFirmwareError     FailureCode = 99
)

var failureNames = map[FailureCode]string{
	1: "UnexpectedMessage", 2: "ButtonExpected", 3: "DataError", 4: "ActionCancelled",
	5: "PinExpected", 6: "PinCancelled", 7: "PinInvalid", 8: "InvalidSignature",
	9: "ProcessError", 10: "NotEnoughFunds", 11: "NotInitialized", 12: "PinMismatch",
	13: "WipeCodeMismatch", 14: "InvalidSession", 15: "Busy", 16: "ThpUnallocatedSession",
	17: "InvalidProtocol", 19: "InProgress", 99: "FirmwareError",
}

// String names the code as trezor-firmware does ("ActionCancelled").
func (c FailureCode) String() string {
	if n, ok := failureNames[c]; ok {
		return n
	}
	return fmt.Sprintf("FailureCode(%d)", int32(c))
}

// ErrFailure matches every *FailureError: the device answered a request
// with a Failure message.
var ErrFailure = errors.New("the Trezor reported a failure")

// FailureError is a Failure message from the device with its code kept.
// errors.Is matches ErrFailure and, depending on the code, a hwwallet
// sentinel (see Sentinel).
type FailureError struct {
	Code    FailureCode
	Message string
}

// Sentinel is the hwwallet error the code means to a caller, or ErrFailure
// for codes without a closer meaning.
func (e *FailureError) Sentinel() error {
	switch e.Code {
	case FailureActionCancelled, FailurePinCancelled:
		return hwwallet.ErrUserRejected
	case FailurePinInvalid:
		return hwwallet.ErrPINInvalid
	case FailurePinExpected:
		return hwwallet.ErrPINNeeded
	case FailureInvalidProtocol, 16: // 16 ThpUnallocatedSession: a THP device
		return hwwallet.ErrUnsupportedModel
	case FailureBusy, FailureInProgress:
		return hwwallet.ErrBusy
	case FailureDataError:
		// Core answers a forbidden path or an oversized message this way.
		return hwwallet.ErrBadRequest
	default:
		return ErrFailure
	}
}

// Error implements error.
func (e *FailureError) Error() string {
	if e.Code == FailureInvalidProtocol {
		return fmt.Sprintf("%v: this model speaks only the Trezor Host Protocol (THP), which needs a pairing store (trezor.OpenWith; litsigner always has one) (Trezor failure %d %v)", hwwallet.ErrUnsupportedModel, e.Code, e.Code)
	}
	if e.forbiddenPath() {
		return fmt.Sprintf("%v: set its safety checks to \"prompt\" to approve such a path on the device after a warning (Trezor failure %d %v: %q)", ErrForbiddenPath, int32(e.Code), e.Code, e.Message)
	}
	return fmt.Sprintf("%v (Trezor failure %d %v: %q)", e.Sentinel(), int32(e.Code), e.Code, e.Message)
}

// Is matches ErrFailure, the code's Sentinel and, for a refused path,
// ErrForbiddenPath.
func (e *FailureError) Is(target error) bool {
	return target == ErrFailure || target == e.Sentinel() || (target == ErrForbiddenPath && e.forbiddenPath())
}

// forbiddenPath reports whether this is the refusal of a non-standard path
// under strict safety checks.
func (e *FailureError) forbiddenPath() bool {
	return e.Code == FailureDataError && e.Message == forbiddenPathMessage
}

// decodeFailure parses a Failure (type 3) payload.
func decodeFailure(data []byte) (*FailureError, error) {
	var f trezor.Failure
	if err := proto.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("decode Failure: %v: %w", err, hwwallet.ErrBadReply)
	}
	return &FailureError{Code: FailureCode(f.GetCode()), Message: f.GetMessage()}, nil
}
