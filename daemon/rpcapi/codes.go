package rpcapi

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

// Kind is code's machine-readable name (data.kind), "internal" for a code
// not in ErrorCodes.
func Kind(code int) string {
	for _, c := range ErrorCodes {
		if c.Code == code {
			return c.Kind
		}
	}
	return "internal"
}

// Exit statuses of the litsigner command, documented in README.md.
const (
	ExitOK      = 0
	ExitFailure = 1 // anything not listed below
	ExitUsage   = 2 // bad command line or invalid params
	ExitDevice  = 3 // hardware wallet: rejected, locked, app closed, PIN, absent, approval timeout
	ExitNetwork = 4 // Lit network: below threshold, bad shares, timeout, payment, chain
	ExitDaemon  = 5 // litsignerd not reachable, stopping, refusing us, or another user's
	ExitAction  = 6 // the Lit Action itself failed
)

// Code ranges of ErrorCodes (see the const block's comment).
const (
	deviceCodesFirst, deviceCodesLast   = 4001, 4099
	networkCodesFirst, networkCodesLast = 4100, 4199
)

// ExitFor maps one of the daemon's error codes to litsigner's exit status:
// invalid params → ExitUsage, the hardware-wallet range → ExitDevice, the
// Lit-network range → ExitNetwork, an action error → ExitAction, a stopping
// daemon → ExitDaemon, anything else → ExitFailure.
func ExitFor(code int) int {
	switch {
	case code == CodeInvalidParams:
		return ExitUsage
	case code >= deviceCodesFirst && code <= deviceCodesLast:
		return ExitDevice
	case code >= networkCodesFirst && code <= networkCodesLast:
		return ExitNetwork
	case code == CodeActionError:
		return ExitAction
	case code == CodeShuttingDown:
		return ExitDaemon
	}
	return ExitFailure
}
