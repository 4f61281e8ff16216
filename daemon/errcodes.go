package daemon

import (
	"context"
	"errors"
	"fmt"

	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/ipc"
	"github.com/litsigner/litsigner/lit"
)

// JSON-RPC error codes of the daemon's methods. They are stable: clients
// branch on them, and the README documents this table (ErrorCodes). Codes
// -32700..-32600 are JSON-RPC's own; 4001..4099 are the hardware wallet,
// 4100..4199 the Lit network, 4200 the action, 4300..4399 the session and
// the daemon.
const (
	CodeInvalidParams     = -32602 // bad params: types, missing code/ipfsId, bad ttl
	CodeInternal          = -32603 // a bug or an unexpected local failure
	CodeUserRejected      = 4001   // the user declined on the device
	CodeDeviceLocked      = 4002   // the device is locked (enter its PIN on the device)
	CodeAppNotOpen        = 4003   // the Ledger Ethereum app is not open
	CodeNoDevice          = 4004   // no hardware wallet plugged in
	CodePINNeeded         = 4005   // a Trezor One PIN is needed or was wrong (litsigner wallet unlock)
	CodeApprovalTimeout   = 4006   // nobody approved on the device in time
	CodeDeviceGone        = 4007   // the device was unplugged during the exchange
	CodeUnsupportedDevice = 4008   // a model whose protocol we do not speak
	CodeDevicePermission  = 4009   // the device is visible but cannot be opened (udev rules)
	CodeDeviceBusy        = 4010   // the device is busy or answered garbage
	CodeNoPINRequest      = 4011   // wallet_unlock while no PIN request is pending
	CodeUSBUnavailable    = 4012   // USB cannot be used on this machine (no /dev/bus/usb)
	CodePairingNeeded     = 4013   // a Trezor Safe 7 must be paired, or pairing failed (litsigner wallet pair CODE)
	CodeNoPairingRequest  = 4014   // wallet_pair while no pairing is pending
	CodeBelowThreshold    = 4100   // fewer than threshold nodes answered usefully
	CodeBadShares         = 4101   // signature shares do not combine/verify
	CodeNetworkTimeout    = 4102   // the network did not answer in time
	CodePaymentRefused    = 4103   // Naga: price above maxPrice, or no balance/delegation; the message has the hint
	CodeChainError        = 4104   // Naga: the network's chain could not be read
	CodeActionError       = 4200   // the Lit Action failed; data.message is the node's message
	CodeSessionEnded      = 4300   // the session was revoked or expired during the call
	CodeShuttingDown      = 4301   // the daemon is stopping
	CodeCancelled         = 4302   // the caller went away (never seen by that caller)
)

// ErrorCodeInfo documents one error code.
type ErrorCodeInfo struct {
	Code    int
	Kind    string // machine-readable, also sent as data.kind
	Meaning string
}

// ErrorCodes is the table of every code the daemon's methods return, in the
// order the README lists them.
var ErrorCodes = []ErrorCodeInfo{
	{CodeInvalidParams, "invalid_params", "invalid or missing parameters"},
	{CodeInternal, "internal", "unexpected local failure (see the daemon's log)"},
	{CodeUserRejected, "user_rejected", "the request was rejected on the hardware wallet"},
	{CodeDeviceLocked, "device_locked", "the hardware wallet is locked: unlock it on the device"},
	{CodeAppNotOpen, "app_not_open", "open the Ethereum app on the Ledger"},
	{CodeNoDevice, "no_device", "no hardware wallet found: plug it in"},
	{CodePINNeeded, "pin_needed", "the Trezor needs its PIN (or the PIN was wrong): `litsigner wallet unlock`"},
	{CodeApprovalTimeout, "approval_timeout", "nobody approved the session on the device in time"},
	{CodeDeviceGone, "device_disconnected", "the hardware wallet was disconnected during the request"},
	{CodeUnsupportedDevice, "unsupported_device", "this hardware wallet model is not supported"},
	{CodeDevicePermission, "device_permission", "the device cannot be opened: install the udev rules"},
	{CodeDeviceBusy, "device_busy", "the device is busy or sent an invalid reply: retry"},
	{CodeNoPINRequest, "no_pin_request", "no PIN request is pending"},
	{CodeUSBUnavailable, "usb_unavailable", "USB is not available on this machine (in a container, pass the devices in)"},
	{CodePairingNeeded, "pairing_needed", "the Trezor must be paired, or pairing failed: `litsigner wallet pair CODE` with the code it shows"},
	{CodeNoPairingRequest, "no_pairing_request", "no pairing request is pending"},
	{CodeBelowThreshold, "below_threshold", "fewer Lit nodes than the threshold answered"},
	{CodeBadShares, "bad_shares", "the nodes' signature shares do not combine into a valid signature"},
	{CodeNetworkTimeout, "network_timeout", "the Lit network did not answer in time"},
	{CodePaymentRefused, "payment_refused", "Naga: the call was not paid for (node price above maxPrice, or no balance or payment delegation for the account); the message says what to do"},
	{CodeChainError, "chain_error", "Naga: the network's chain (rpcUrl) could not be read"},
	{CodeActionError, "action_error", "the Lit Action failed; the message leads with the action's, data has the per-node detail"},
	{CodeSessionEnded, "session_ended", "the session was revoked or expired during the call"},
	{CodeShuttingDown, "shutting_down", "litsignerd is stopping"},
	{CodeCancelled, "cancelled", "the request was cancelled"},
}

func codeKind(code int) string {
	for _, c := range ErrorCodes {
		if c.Code == code {
			return c.Kind
		}
	}
	return "internal"
}

// Errors of the daemon itself, mapped to codes by RPCError.
var (
	// ErrApprovalTimeout: the device approval did not finish in time.
	ErrApprovalTimeout = errors.New("no approval on the device within the approval timeout")
	// ErrSessionEnded: the session was revoked or expired while in use.
	ErrSessionEnded = errors.New("session revoked or expired")
	// ErrShuttingDown: the daemon is stopping.
	ErrShuttingDown = errors.New("litsignerd is stopping")
	// ErrNoPINRequest: wallet_unlock arrived while no device asked for a PIN.
	ErrNoPINRequest = errors.New("no PIN request is pending (the device asks when a session starts)")
	// ErrNoPairingRequest: wallet_pair arrived while no device showed a
	// pairing code.
	ErrNoPairingRequest = errors.New("no pairing request is pending (a Trezor Safe 7 shows its code when a session starts)")
	// ErrInvalidParams: the caller's parameters are wrong.
	ErrInvalidParams = errors.New("invalid params")
)

// errorCode classifies err. Order matters: the most specific cause wins.
func errorCode(err error) int {
	var ae *lit.ActionError
	switch {
	case errors.Is(err, ErrInvalidParams), errors.Is(err, lit.ErrInvalidParams):
		return CodeInvalidParams
	case errors.Is(err, ErrShuttingDown), errors.Is(err, ipc.ErrServerClosed):
		return CodeShuttingDown
	case errors.Is(err, ipc.ErrClientDisconnected):
		return CodeCancelled
	case errors.Is(err, ErrSessionEnded), errors.Is(err, lit.ErrSessionWiped):
		return CodeSessionEnded
	case errors.Is(err, ErrApprovalTimeout):
		return CodeApprovalTimeout
	case errors.Is(err, ErrNoPINRequest):
		return CodeNoPINRequest
	case errors.Is(err, ErrNoPairingRequest):
		return CodeNoPairingRequest
	case errors.Is(err, hwwallet.ErrUserRejected):
		return CodeUserRejected
	case errors.Is(err, hwwallet.ErrPairingNeeded), errors.Is(err, hwwallet.ErrPairing):
		return CodePairingNeeded
	case errors.Is(err, hwwallet.ErrLocked):
		return CodeDeviceLocked
	case errors.Is(err, hwwallet.ErrAppNotOpen):
		return CodeAppNotOpen
	case errors.Is(err, hwwallet.ErrNoDevice):
		return CodeNoDevice
	case errors.Is(err, hwwallet.ErrPINNeeded), errors.Is(err, hwwallet.ErrPINInvalid):
		return CodePINNeeded
	case errors.Is(err, hwwallet.ErrDisconnected):
		return CodeDeviceGone
	case errors.Is(err, hwwallet.ErrUnsupportedModel):
		return CodeUnsupportedDevice
	case errors.Is(err, hwwallet.ErrNoPermission):
		return CodeDevicePermission
	case errors.Is(err, hwwallet.ErrUSBUnavailable):
		return CodeUSBUnavailable
	case errors.Is(err, hwwallet.ErrBusy), errors.Is(err, hwwallet.ErrBadReply):
		return CodeDeviceBusy
	case errors.As(err, &ae):
		return CodeActionError
	case errors.Is(err, lit.ErrPriceTooHigh), errors.Is(err, lit.ErrNoPaymentBalance):
		return CodePaymentRefused
	case errors.Is(err, lit.ErrChain):
		return CodeChainError
	case errors.Is(err, lit.ErrBadShares):
		return CodeBadShares
	case errors.Is(err, lit.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return CodeNetworkTimeout
	case errors.Is(err, lit.ErrBelowThreshold):
		return CodeBelowThreshold
	case errors.Is(err, context.Canceled):
		return CodeCancelled
	}
	return CodeInternal
}

// RPCError converts err into the *ipc.Error sent to the client: a stable
// code, the error's message, and data {kind, ...}. An action error's
// message is the action's ("Lit Action failed: Error: boom") and its data
// carries message, node, nodes and reasons [{node, error}]; a payment
// refusal's data carries reason and hint. nil stays nil.
func RPCError(err error) error {
	if err == nil {
		return nil
	}
	var ie *ipc.Error
	if errors.As(err, &ie) {
		return ie
	}
	code := errorCode(err)
	data := map[string]any{"kind": codeKind(code)}
	var ae *lit.ActionError
	msg := err.Error()
	if code == CodeActionError && errors.As(err, &ae) {
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
	if code == CodePaymentRefused && errors.As(err, &pe) {
		data["reason"] = pe.Reason.Error()
		if pe.Hint != "" {
			data["hint"] = pe.Hint
		}
	}
	if code == CodeInternal {
		msg = fmt.Sprintf("internal error: %s", msg)
	}
	return &ipc.Error{Code: code, Message: msg, Data: data}
}
