package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/litsigner/litsigner/daemon/rpcapi"
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
		{fmt.Errorf("%w: bad", errInvalidParams), rpcapi.CodeInvalidParams, "invalid_params"},
		{fmt.Errorf("x: %w", lit.ErrInvalidParams), rpcapi.CodeInvalidParams, "invalid_params"},
		{wrap(hwwallet.ErrUserRejected), rpcapi.CodeUserRejected, "user_rejected"},
		{wrap(hwwallet.ErrLocked), rpcapi.CodeDeviceLocked, "device_locked"},
		{wrap(hwwallet.ErrAppNotOpen), rpcapi.CodeAppNotOpen, "app_not_open"},
		{wrap(hwwallet.ErrNoDevice), rpcapi.CodeNoDevice, "no_device"},
		{wrap(hwwallet.ErrPINNeeded), rpcapi.CodePINNeeded, "pin_needed"},
		{wrap(hwwallet.ErrPINInvalid), rpcapi.CodePINNeeded, "pin_needed"},
		{fmt.Errorf("%w (2m0s)", errApprovalTimeout), rpcapi.CodeApprovalTimeout, "approval_timeout"},
		{wrap(hwwallet.ErrDisconnected), rpcapi.CodeDeviceGone, "device_disconnected"},
		{wrap(hwwallet.ErrUnsupportedModel), rpcapi.CodeUnsupportedDevice, "unsupported_device"},
		{wrap(hwwallet.ErrNoPermission), rpcapi.CodeDevicePermission, "device_permission"},
		{wrap(hwwallet.ErrBadReply), rpcapi.CodeDeviceBusy, "device_busy"},
		{wrap(hwwallet.ErrUSBUnavailable), rpcapi.CodeUSBUnavailable, "usb_unavailable"},
		{errNoPINRequest, rpcapi.CodeNoPINRequest, "no_pin_request"},
		{wrap(hwwallet.ErrPairingNeeded), rpcapi.CodePairingNeeded, "pairing_needed"},
		{wrap(hwwallet.ErrPairing), rpcapi.CodePairingNeeded, "pairing_needed"},
		{errNoPairingRequest, rpcapi.CodeNoPairingRequest, "no_pairing_request"},
		{&lit.ThresholdError{Op: "executeJs", Needed: 6, Got: 2}, rpcapi.CodeBelowThreshold, "below_threshold"},
		{&lit.ShareError{SigName: "sig1", Reason: "x"}, rpcapi.CodeBadShares, "bad_shares"},
		{fmt.Errorf("lit: executeJs: %w: %w", lit.ErrTimeout, &lit.ThresholdError{}), rpcapi.CodeNetworkTimeout, "network_timeout"},
		{fmt.Errorf("x: %w", &lit.ActionError{Node: "n1", Message: "boom"}), rpcapi.CodeActionError, "action_error"},
		{fmt.Errorf("lit: execute: 3 of 3 nodes refused payment: n1: %w", &lit.PaymentError{Reason: lit.ErrNoPaymentBalance, Hint: "deposit"}), rpcapi.CodePaymentRefused, "payment_refused"},
		{fmt.Errorf("lit: execute: %w", &lit.PaymentError{Reason: lit.ErrPriceTooHigh}), rpcapi.CodePaymentRefused, "payment_refused"},
		{fmt.Errorf("%w: chain: Staking: dial refused", lit.ErrChain), rpcapi.CodeChainError, "chain_error"},
		{fmt.Errorf("session: lit: session nonce: %w: %w", lit.ErrChain, lit.ErrTimeout), rpcapi.CodeChainError, "chain_error"},
		{fmt.Errorf("%w: revoked", errSessionEnded), rpcapi.CodeSessionEnded, "session_ended"},
		{fmt.Errorf("x: %w", lit.ErrSessionWiped), rpcapi.CodeSessionEnded, "session_ended"},
		{fmt.Errorf("%w: %w", ipc.ErrServerClosed, context.Canceled), rpcapi.CodeShuttingDown, "shutting_down"},
		{fmt.Errorf("%w: %w", ipc.ErrClientDisconnected, &lit.ThresholdError{}), rpcapi.CodeCancelled, "cancelled"},
		{errors.New("surprise"), rpcapi.CodeInternal, "internal"},
	}
	for _, tt := range tests {
		err := rpcError(tt.err)
		var ie *ipc.Error
		if !errors.As(err, &ie) {
			t.Fatalf("%v: not an *ipc.Error", tt.err)
		}
		data, _ := ie.Data.(map[string]any)
		if ie.Code != tt.code || data["kind"] != tt.kind {
			t.Errorf("%v: code %d kind %v, want %d %s", tt.err, ie.Code, data["kind"], tt.code, tt.kind)
		}
	}
	if rpcError(nil) != nil {
		t.Error("rpcError(nil) != nil")
	}
	ae := &lit.ActionError{Node: "http://n1", Message: "Error: boom", Nodes: []string{"http://n1", "http://n2"},
		Reasons: []lit.NodeReason{{Node: "http://n3", Err: errors.New("no reply")}}}
	ie := rpcError(fmt.Errorf("lit: execute: 1 of 3 needed nodes answered: %w", ae)).(*ipc.Error)
	if ie.Message != "Lit Action failed: Error: boom" {
		t.Errorf("action error message %q, want the action's first", ie.Message)
	}
	d := ie.Data.(map[string]any)
	if d["message"] != "Error: boom" || d["node"] != "http://n1" || len(d["nodes"].([]string)) != 2 ||
		d["reasons"].([]map[string]string)[0]["node"] != "http://n3" || !strings.Contains(d["detail"].(string), "1 of 3") {
		t.Errorf("action error data %v", d)
	}
	ie = rpcError(fmt.Errorf("lit: execute: %w", &lit.PaymentError{Reason: lit.ErrPriceTooHigh, Detail: "cheapest 3 cost 3000", Hint: "raise maxPrice"})).(*ipc.Error)
	if d := ie.Data.(map[string]any); !strings.Contains(ie.Message, "raise maxPrice") || d["hint"] != "raise maxPrice" || d["reason"] != lit.ErrPriceTooHigh.Error() {
		t.Errorf("payment error %q data %v", ie.Message, d)
	}
	// Among other nodes' failures, the refusal and its hint lead and end
	// the message; the rest is data.detail.
	pe := &lit.PaymentError{Reason: lit.ErrNoPaymentBalance, Detail: "node error: HTTP 402: no balance", Hint: "deposit funds"}
	ie = rpcError(fmt.Errorf("lit: executeJs: 4 of 6 needed nodes answered: http://n8: %w; http://n9: no reply before the call ended", pe)).(*ipc.Error)
	if d := ie.Data.(map[string]any); ie.Message != pe.Error() || !strings.HasSuffix(ie.Message, "(deposit funds)") || !strings.Contains(d["detail"].(string), "4 of 6") {
		t.Errorf("payment error among others: %q data %v", ie.Message, d)
	}
}

func TestErrorCodeTableIsComplete(t *testing.T) {
	seen := map[int]bool{}
	for _, c := range rpcapi.ErrorCodes {
		if seen[c.Code] || c.Kind == "" || c.Meaning == "" {
			t.Errorf("bad or duplicate entry %+v", c)
		}
		seen[c.Code] = true
	}
	for _, code := range []int{rpcapi.CodeInvalidParams, rpcapi.CodeInternal, rpcapi.CodeUserRejected, rpcapi.CodeDeviceLocked, rpcapi.CodeAppNotOpen,
		rpcapi.CodeNoDevice, rpcapi.CodePINNeeded, rpcapi.CodeApprovalTimeout, rpcapi.CodeDeviceGone, rpcapi.CodeUnsupportedDevice, rpcapi.CodeDevicePermission,
		rpcapi.CodeDeviceBusy, rpcapi.CodeNoPINRequest, rpcapi.CodeUSBUnavailable, rpcapi.CodePairingNeeded, rpcapi.CodeNoPairingRequest, rpcapi.CodeBelowThreshold, rpcapi.CodeBadShares, rpcapi.CodeNetworkTimeout,
		rpcapi.CodePaymentRefused, rpcapi.CodeChainError, rpcapi.CodeActionError,
		rpcapi.CodeSessionEnded, rpcapi.CodeShuttingDown, rpcapi.CodeCancelled} {
		if !seen[code] {
			t.Errorf("code %d missing from rpcapi.ErrorCodes", code)
		}
	}
	if seen[ipc.CodeConnectionRefused] {
		t.Error("rpcapi.ErrorCodes reuses ipc.CodeConnectionRefused")
	}
}
