package rpcapi

import (
	"encoding/json"
	"testing"
	"time"
)

// TestWireJSON pins the JSON of every parameter and result type: apps and
// the README depend on these exact names and omissions.
func TestWireJSON(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	yes := true
	bal, stable := "-5", "7"
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"ExecuteJsParams empty", ExecuteJsParams{}, `{}`},
		{"ExecuteJsParams", ExecuteJsParams{Code: "c", IPFSID: "Qm", JSParams: map[string]any{"a": 1}},
			`{"code":"c","ipfsId":"Qm","jsParams":{"a":1}}`},
		{"ExecuteJsRawParams empty", ExecuteJsRawParams{}, `{}`},
		{"ExecuteJsRawParams", ExecuteJsRawParams{Code: "c", IPFSID: "Qm", JSParams: json.RawMessage(`{"a":1}`)},
			`{"code":"c","ipfsId":"Qm","jsParams":{"a":1}}`},
		{"StartSessionParams empty", StartSessionParams{}, `{}`},
		{"StartSessionParams", StartSessionParams{TTL: "1h"}, `{"ttl":"1h"}`},
		{"ExecuteResult empty", ExecuteResult{}, `{"signatures":null,"response":null,"logs":""}`},
		{"ExecuteResult", ExecuteResult{Signatures: map[string]Signature{"s": {R: "r", S: "s", RecID: 1, Signature: "0xsig", PublicKey: "04", DataSigned: "aa"}}, Response: "ok", Logs: "l"},
			`{"signatures":{"s":{"r":"r","s":"s","recid":1,"signature":"0xsig","publicKey":"04","dataSigned":"aa"}},"response":"ok","logs":"l"}`},
		{"SessionStatus empty", SessionStatus{}, `{"state":"","approvals":0,"approvalAttempts":0,"calls":0,"callErrors":0}`},
		{"SessionStatus", SessionStatus{State: "active", Address: "0xa", SessionPublicKey: "pk", ExpiresAt: &at, Resources: []string{"lit-litaction://*"}, Device: "d", Approvals: 1, ApprovalAttempts: 2, Calls: 3, CallErrors: 4},
			`{"state":"active","address":"0xa","sessionPublicKey":"pk","expiresAt":"2026-01-02T03:04:05Z","resources":["lit-litaction://*"],"device":"d","approvals":1,"approvalAttempts":2,"calls":3,"callErrors":4}`},
		{"NetworkStatus empty", NetworkStatus{}, `{"name":"","protocol":"","epoch":0,"threshold":0,"connected":false,"reissues":0,"nodes":null,"dev":false}`},
		{"NetworkStatus", NetworkStatus{Name: "n", Protocol: "naga", Epoch: 3, Threshold: 2, Connected: true, Reissues: 1, LastReissue: "slow",
			Chain:   &ChainStatus{RPCURL: "http://127.0.0.1:8545", ChainID: 9, Staking: "0xs", PriceFeed: "0xp"},
			Payment: &PaymentInfo{Account: "0xa", Balance: &bal, StableBalance: &stable, CheckedAt: &at, Error: "e", Note: "n", MaxPrice: "10"},
			Nodes: []NodeInfo{{URL: "u", State: "up", Up: &yes, LastLatencyMs: 1.5, ExecLatencyMs: 2, LastError: "x", LastSeen: &at, Price: "3", Slow: true, BadShares: 1, Attestation: "verified"},
				{URL: "v", State: "unknown"}},
			Dev: true, PKPs: []PKPInfo{{PublicKey: "04", EthAddress: "0xe", TokenID: "1"}, {PublicKey: "05", EthAddress: "0xf"}}},
			`{"name":"n","protocol":"naga","epoch":3,"threshold":2,"connected":true,"reissues":1,"lastReissue":"slow",` +
				`"chain":{"rpcUrl":"http://127.0.0.1:8545","chainId":9,"staking":"0xs","priceFeed":"0xp"},` +
				`"payment":{"account":"0xa","balance":"-5","stableBalance":"7","checkedAt":"2026-01-02T03:04:05Z","error":"e","note":"n","maxPrice":"10"},` +
				`"nodes":[{"url":"u","state":"up","up":true,"lastLatencyMs":1.5,"execLatencyMs":2,"lastError":"x","lastSeen":"2026-01-02T03:04:05Z","price":"3","slow":true,"badShares":1,"attestation":"verified"},` +
				`{"url":"v","state":"unknown","lastLatencyMs":0}],"dev":true,` +
				`"pkps":[{"publicKey":"04","ethAddress":"0xe","tokenId":"1"},{"publicKey":"05","ethAddress":"0xf"}]}`},
		{"PaymentInfo empty", PaymentInfo{}, `{"balance":null,"stableBalance":null,"maxPrice":""}`},
		{"Account", Account{Device: "d", Path: "m/44'/60'/0'/0/0", Address: "0xa"}, `{"device":"d","path":"m/44'/60'/0'/0/0","address":"0xa"}`},
	}
	for _, tt := range tests {
		got, err := json.Marshal(tt.v)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if string(got) != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestExitFor(t *testing.T) {
	want := map[int]int{
		CodeInvalidParams: ExitUsage, CodeInternal: ExitFailure,
		CodeUserRejected: ExitDevice, CodeDeviceLocked: ExitDevice, CodeAppNotOpen: ExitDevice, CodeNoDevice: ExitDevice,
		CodePINNeeded: ExitDevice, CodeApprovalTimeout: ExitDevice, CodeDeviceGone: ExitDevice, CodeUnsupportedDevice: ExitDevice,
		CodeDevicePermission: ExitDevice, CodeDeviceBusy: ExitDevice, CodeNoPINRequest: ExitDevice, CodeUSBUnavailable: ExitDevice,
		CodePairingNeeded: ExitDevice, CodeNoPairingRequest: ExitDevice,
		CodeBelowThreshold: ExitNetwork, CodeBadShares: ExitNetwork, CodeNetworkTimeout: ExitNetwork, CodePaymentRefused: ExitNetwork, CodeChainError: ExitNetwork,
		CodeActionError: ExitAction, CodeSessionEnded: ExitFailure, CodeShuttingDown: ExitDaemon, CodeCancelled: ExitFailure,
	}
	if len(want) != len(ErrorCodes) {
		t.Fatalf("%d codes in the test, %d in ErrorCodes", len(want), len(ErrorCodes))
	}
	for _, c := range ErrorCodes {
		w, ok := want[c.Code]
		if !ok {
			t.Errorf("code %d (%s) not in the test", c.Code, c.Kind)
			continue
		}
		if got := ExitFor(c.Code); got != w {
			t.Errorf("ExitFor(%d %s) = %d, want %d", c.Code, c.Kind, got, w)
		}
	}
	if got := ExitFor(-32000); got != ExitFailure {
		t.Errorf("ExitFor(unknown) = %d, want %d", got, ExitFailure)
	}
}

func TestKind(t *testing.T) {
	for _, c := range ErrorCodes {
		if got := Kind(c.Code); got != c.Kind {
			t.Errorf("Kind(%d) = %q, want %q", c.Code, got, c.Kind)
		}
	}
	if got := Kind(1234); got != "internal" {
		t.Errorf("Kind(unknown) = %q", got)
	}
}
