package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/litsigner/litsigner/hwwallet"
	"github.com/litsigner/litsigner/ipc"
	"github.com/litsigner/litsigner/lit"
)

func TestRPCErrorCodes(t *testing.T) {
	wrap := func(err error) error { return fmt.Errorf("session: approval on x: lit: new session: %w", err) }
	tests := []struct {
		err  error
		code int
		kind string
	}{
		{fmt.Errorf("%w: bad", ErrInvalidParams), CodeInvalidParams, "invalid_params"},
		{fmt.Errorf("x: %w", lit.ErrInvalidParams), CodeInvalidParams, "invalid_params"},
		{wrap(hwwallet.ErrUserRejected), CodeUserRejected, "user_rejected"},
		{wrap(hwwallet.ErrLocked), CodeDeviceLocked, "device_locked"},
		{wrap(hwwallet.ErrAppNotOpen), CodeAppNotOpen, "app_not_open"},
		{wrap(hwwallet.ErrNoDevice), CodeNoDevice, "no_device"},
		{wrap(hwwallet.ErrPINNeeded), CodePINNeeded, "pin_needed"},
		{wrap(hwwallet.ErrPINInvalid), CodePINNeeded, "pin_needed"},
		{fmt.Errorf("%w (2m0s)", ErrApprovalTimeout), CodeApprovalTimeout, "approval_timeout"},
		{wrap(hwwallet.ErrDisconnected), CodeDeviceGone, "device_disconnected"},
		{wrap(hwwallet.ErrUnsupportedModel), CodeUnsupportedDevice, "unsupported_device"},
		{wrap(hwwallet.ErrNoPermission), CodeDevicePermission, "device_permission"},
		{wrap(hwwallet.ErrBadReply), CodeDeviceBusy, "device_busy"},
		{wrap(hwwallet.ErrUSBUnavailable), CodeUSBUnavailable, "usb_unavailable"},
		{ErrNoPINRequest, CodeNoPINRequest, "no_pin_request"},
		{wrap(hwwallet.ErrPairingNeeded), CodePairingNeeded, "pairing_needed"},
		{wrap(hwwallet.ErrPairing), CodePairingNeeded, "pairing_needed"},
		{ErrNoPairingRequest, CodeNoPairingRequest, "no_pairing_request"},
		{&lit.ThresholdError{Op: "executeJs", Needed: 6, Got: 2}, CodeBelowThreshold, "below_threshold"},
		{&lit.ShareError{SigName: "sig1", Reason: "x"}, CodeBadShares, "bad_shares"},
		{fmt.Errorf("lit: executeJs: %w: %w", lit.ErrTimeout, &lit.ThresholdError{}), CodeNetworkTimeout, "network_timeout"},
		{fmt.Errorf("x: %w", &lit.ActionError{Node: "n1", Message: "boom"}), CodeActionError, "action_error"},
		{fmt.Errorf("lit: execute: 3 of 3 nodes refused payment: n1: %w", &lit.PaymentError{Reason: lit.ErrNoPaymentBalance, Hint: "deposit"}), CodePaymentRefused, "payment_refused"},
		{fmt.Errorf("lit: execute: %w", &lit.PaymentError{Reason: lit.ErrPriceTooHigh}), CodePaymentRefused, "payment_refused"},
		{fmt.Errorf("%w: chain: Staking: dial refused", lit.ErrChain), CodeChainError, "chain_error"},
		{fmt.Errorf("session: lit: session nonce: %w: %w", lit.ErrChain, lit.ErrTimeout), CodeChainError, "chain_error"},
		{fmt.Errorf("%w: revoked", ErrSessionEnded), CodeSessionEnded, "session_ended"},
		{fmt.Errorf("x: %w", lit.ErrSessionWiped), CodeSessionEnded, "session_ended"},
		{fmt.Errorf("%w: %w", ipc.ErrServerClosed, context.Canceled), CodeShuttingDown, "shutting_down"},
		{fmt.Errorf("%w: %w", ipc.ErrClientDisconnected, &lit.ThresholdError{}), CodeCancelled, "cancelled"},
		{errors.New("surprise"), CodeInternal, "internal"},
	}
	for _, tt := range tests {
		err := RPCError(tt.err)
		var ie *ipc.Error
		if !errors.As(err, &ie) {
			t.Fatalf("%v: not an *ipc.Error", tt.err)
		}
		data, _ := ie.Data.(map[string]any)
		if ie.Code != tt.code || data["kind"] != tt.kind {
			t.Errorf("%v: code %d kind %v, want %d %s", tt.err, ie.Code, data["kind"], tt.code, tt.kind)
		}
	}
	if RPCError(nil) != nil {
		t.Error("RPCError(nil) != nil")
	}
	ae := &lit.ActionError{Node: "http://n1", Message: "Error: boom", Nodes: []string{"http://n1", "http://n2"},
		Reasons: []lit.NodeReason{{Node: "http://n3", Err: errors.New("no reply")}}}
	ie := RPCError(fmt.Errorf("lit: execute: 1 of 3 needed nodes answered: %w", ae)).(*ipc.Error)
	if ie.Message != "Lit Action failed: Error: boom" {
		t.Errorf("action error message %q, want the action's first", ie.Message)
	}
	d := ie.Data.(map[string]any)
	if d["message"] != "Error: boom" || d["node"] != "http://n1" || len(d["nodes"].([]string)) != 2 ||
		d["reasons"].([]map[string]string)[0]["node"] != "http://n3" || !strings.Contains(d["detail"].(string), "1 of 3") {
		t.Errorf("action error data %v", d)
	}
	ie = RPCError(fmt.Errorf("lit: execute: %w", &lit.PaymentError{Reason: lit.ErrPriceTooHigh, Detail: "cheapest 3 cost 3000", Hint: "raise maxPrice"})).(*ipc.Error)
	if d := ie.Data.(map[string]any); !strings.Contains(ie.Message, "raise maxPrice") || d["hint"] != "raise maxPrice" || d["reason"] != lit.ErrPriceTooHigh.Error() {
		t.Errorf("payment error %q data %v", ie.Message, d)
	}
}

func TestErrorCodeTableIsComplete(t *testing.T) {
	seen := map[int]bool{}
	for _, c := range ErrorCodes {
		if seen[c.Code] || c.Kind == "" || c.Meaning == "" {
			t.Errorf("bad or duplicate entry %+v", c)
		}
		seen[c.Code] = true
	}
	for _, code := range []int{CodeInvalidParams, CodeInternal, CodeUserRejected, CodeDeviceLocked, CodeAppNotOpen,
		CodeNoDevice, CodePINNeeded, CodeApprovalTimeout, CodeDeviceGone, CodeUnsupportedDevice, CodeDevicePermission,
		CodeDeviceBusy, CodeNoPINRequest, CodeUSBUnavailable, CodePairingNeeded, CodeNoPairingRequest, CodeBelowThreshold, CodeBadShares, CodeNetworkTimeout,
		CodePaymentRefused, CodeChainError, CodeActionError,
		CodeSessionEnded, CodeShuttingDown, CodeCancelled} {
		if !seen[code] {
			t.Errorf("code %d missing from ErrorCodes", code)
		}
	}
	if seen[ipc.CodeConnectionRefused] {
		t.Error("ErrorCodes reuses ipc.CodeConnectionRefused")
	}
}
