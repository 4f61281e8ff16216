package daemon

import (
	"context"
	"errors"
	"fmt"

	"github.com/litsigner/litsigner/daemon/rpcapi"
	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/ipc"
	"github.com/litsigner/litsigner/lit"
)

// Errors of the daemon itself, mapped to codes by rpcError.
var (
	// errApprovalTimeout: the device approval did not finish in time.
	errApprovalTimeout = errors.New("no approval on the device within the approval timeout")
	// errSessionEnded: the session was revoked or expired while in use.
	errSessionEnded = errors.New("session revoked or expired")
	// errShuttingDown: the daemon is stopping.
	errShuttingDown = errors.New("litsignerd is stopping")
	// errNoPINRequest: wallet_unlock arrived while no device asked for a PIN.
	errNoPINRequest = errors.New("no PIN request is pending (the device asks when a session starts)")
	// errNoPairingRequest: wallet_pair arrived while no device showed a
	// pairing code.
	errNoPairingRequest = errors.New("no pairing request is pending (a Trezor Safe 7 shows its code when a session starts)")
	// errInvalidParams: the caller's parameters are wrong.
	errInvalidParams = errors.New("invalid params")
)

// errorCode classifies err. Order matters: the most specific cause wins.
func errorCode(err error) int {
	var ae *lit.ActionError
	switch {
	case errors.Is(err, errInvalidParams), errors.Is(err, lit.ErrInvalidParams):
		return rpcapi.CodeInvalidParams
	case errors.Is(err, errShuttingDown), errors.Is(err, ipc.ErrServerClosed):
		return rpcapi.CodeShuttingDown
	case errors.Is(err, ipc.ErrClientDisconnected):
		return rpcapi.CodeCancelled
	case errors.Is(err, errSessionEnded), errors.Is(err, lit.ErrSessionWiped):
		return rpcapi.CodeSessionEnded
	case errors.Is(err, errApprovalTimeout):
		return rpcapi.CodeApprovalTimeout
	case errors.Is(err, errNoPINRequest):
		return rpcapi.CodeNoPINRequest
	case errors.Is(err, errNoPairingRequest):
		return rpcapi.CodeNoPairingRequest
	case errors.Is(err, hwwallet.ErrUserRejected):
		return rpcapi.CodeUserRejected
	case errors.Is(err, hwwallet.ErrPairingNeeded), errors.Is(err, hwwallet.ErrPairing):
		return rpcapi.CodePairingNeeded
	case errors.Is(err, hwwallet.ErrLocked):
		return rpcapi.CodeDeviceLocked
	case errors.Is(err, hwwallet.ErrAppNotOpen):
		return rpcapi.CodeAppNotOpen
	case errors.Is(err, hwwallet.ErrNoDevice):
		return rpcapi.CodeNoDevice
	case errors.Is(err, hwwallet.ErrPINNeeded), errors.Is(err, hwwallet.ErrPINInvalid):
		return rpcapi.CodePINNeeded
	case errors.Is(err, hwwallet.ErrDisconnected):
		return rpcapi.CodeDeviceGone
	case errors.Is(err, hwwallet.ErrUnsupportedModel):
		return rpcapi.CodeUnsupportedDevice
	case errors.Is(err, hwwallet.ErrNoPermission):
		return rpcapi.CodeDevicePermission
	case errors.Is(err, hwwallet.ErrUSBUnavailable):
		return rpcapi.CodeUSBUnavailable
	case errors.Is(err, hwwallet.ErrBusy), errors.Is(err, hwwallet.ErrBadReply):
		return rpcapi.CodeDeviceBusy
	case errors.As(err, &ae):
		return rpcapi.CodeActionError
	case errors.Is(err, lit.ErrPriceTooHigh), errors.Is(err, lit.ErrNoPaymentBalance):
		return rpcapi.CodePaymentRefused
	case errors.Is(err, lit.ErrChain):
		return rpcapi.CodeChainError
	case errors.Is(err, lit.ErrBadShares):
		return rpcapi.CodeBadShares
	case errors.Is(err, lit.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return rpcapi.CodeNetworkTimeout
	case errors.Is(err, lit.ErrBelowThreshold):
		return rpcapi.CodeBelowThreshold
	case errors.Is(err, context.Canceled):
		return rpcapi.CodeCancelled
	}
	return rpcapi.CodeInternal
}

// rpcError converts err into the *ipc.Error sent to the client: a stable
// code, the error's message, and data {kind, ...}. An action error's
// message is the action's ("Lit Action failed: Error: boom") and its data
// carries message, node, nodes and reasons [{node, error}]; a payment
// refusal's data carries reason and hint. nil stays nil.
func rpcError(err error) error {
	if err == nil {
		return nil
	}
	var ie *ipc.Error
	if errors.As(err, &ie) {
		return ie
	}
	code := errorCode(err)
	data := map[string]any{"kind": rpcapi.Kind(code)}
	var ae *lit.ActionError
	msg := err.Error()
	if code == rpcapi.CodeActionError && errors.As(err, &ae) {
		// The action's own message leads; what the daemon and lit added
		// around it goes to data.
		msg = ae.Error()
		data["message"] = ae.Message
		if ae.Code != "" {
			data["code"] = ae.Code
		}
		if ae.Node != "" {
			data["node"] = ae.Node
		}
		if len(ae.Nodes) > 0 {
			data["nodes"] = ae.Nodes
		}
		if len(ae.Reasons) > 0 {
			rs := make([]map[string]string, 0, len(ae.Reasons))
			for _, r := range ae.Reasons {
				if r.Err != nil {
					rs = append(rs, map[string]string{"node": r.Node, "error": r.Err.Error()})
				}
			}
			data["reasons"] = rs
		}
		if full := err.Error(); full != msg {
			data["detail"] = full
		}
	}
	var pe *lit.PaymentError
	if code == rpcapi.CodePaymentRefused && errors.As(err, &pe) {
		// The refusal and what to do lead, as an action's error does; the
		// other nodes' replies go to data.detail.
		msg = pe.Error()
		if full := err.Error(); full != msg {
			data["detail"] = full
		}
		data["reason"] = pe.Reason.Error()
		if pe.Hint != "" {
			data["hint"] = pe.Hint
		}
	}
	if code == rpcapi.CodeInternal {
		msg = fmt.Sprintf("internal error: %s", msg)
	}
	return &ipc.Error{Code: code, Message: msg, Data: data}
}
